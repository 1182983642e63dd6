using NodeMesh.Core.Metrics;

namespace NodeMesh.Cli.Records;

/// <summary>Device activity of a layer (or "all"), cumulative since training started, as summary.json holds it (<see cref="DeviceActivity"/>).</summary>
public sealed record DeviceRecord(long Devices, long UpdatePulses, long ProgramPulses, double PulsesMeanPerDevice, long PulsesMaxPerDevice,
    long Reads, long StuckDevices, double ClippedFraction)
{
    public static DeviceRecord Of(DeviceActivity d) =>
        new(d.Devices, d.UpdatePulses, d.ProgramPulses, d.MeanPulsesPerDevice, d.MaxPulsesPerDevice, d.Reads, d.StuckDevices, d.ClippedFraction);
}
