using NodeMesh.Cli.Reports;
using NodeMesh.Core.Fabric;

namespace NodeMesh.Cli.Records;

/// <summary>
/// The conventional (von Neumann) baseline of summary.json: FP32 MACs, SRAM and DRAM bytes and
/// energy per training sample (<see cref="BaselineReport"/>). Members a hand-written file leaves
/// out are null.
/// </summary>
public sealed record BaselineRecord(string? Description, double? MacsPerSample, double? DramBytesPerSample, double? SramBytesPerSample, BaselineEnergy? EnergyPjPerSample)
{
    public const string DefaultDescription = "von Neumann accelerator with one shared kernel per map in DRAM/SRAM (docs/fabric.md)";

    public static BaselineRecord Of(BaselineReport b) => new(DefaultDescription, b.MacsPerSample, b.DramBytesPerSample, b.SramBytesPerSample,
        new BaselineEnergy(b.MacPjPerSample, b.SramPjPerSample, b.DramPjPerSample, b.TotalPjPerSample));
}

/// <summary>Energy of the baseline per training sample, pJ: arithmetic, SRAM and DRAM accesses, and their total.</summary>
public sealed record BaselineEnergy(double Mac, double Sram, double Dram, double Total)
{
    /// <summary>The categories without the total, named as in the file.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<NamedValue> Parts =>
        [new(RunJson.NameOf(nameof(Mac)), Mac), new(RunJson.NameOf(nameof(Sram)), Sram), new(RunJson.NameOf(nameof(Dram)), Dram)];
}
