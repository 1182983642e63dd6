using NodeMesh.Cli.Reports;
using NodeMesh.Core.Fabric;

namespace NodeMesh.Cli.Records;

/// <summary>Energy per training sample by category, in pJ, as summary.json holds it (<see cref="EnergyPerSample"/> with its total).</summary>
public sealed record EnergyRecord(double Compute, double DeviceWrites, double ActivationTransport, double ErrorTransport, double SyncTransport, double Total)
{
    public static EnergyRecord Of(EnergyPerSample e) => new(e.Compute, e.DeviceWrites, e.ActivationTransport, e.ErrorTransport, e.SyncTransport, e.Total);

    /// <summary>The categories without the total, named as in the file, in file order.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<NamedValue> Parts =>
    [
        new(RunJson.NameOf(nameof(Compute)), Compute),
        new(RunJson.NameOf(nameof(DeviceWrites)), DeviceWrites),
        new(RunJson.NameOf(nameof(ActivationTransport)), ActivationTransport),
        new(RunJson.NameOf(nameof(ErrorTransport)), ErrorTransport),
        new(RunJson.NameOf(nameof(SyncTransport)), SyncTransport),
    ];
}
