using NodeMesh.Core.Metrics;

namespace NodeMesh.Cli.Records;

/// <summary>
/// Device activity of a layer (or "all"), cumulative since training started, as summary.json holds
/// it (<see cref="DeviceActivity"/>). Clipped pulses are kept by kind, each fraction over its own
/// pulses: clipped update pulses / update pulses, clipped program pulses / program pulses (null
/// when there were no pulses of that kind). Summaries written before the clipped counts were split
/// have none of the four (null: shown as '–'); their single <c>clipped_fraction</c> divided clipped
/// update pulses by all pulses and is not read.
/// </summary>
public sealed record DeviceRecord(long Devices, long UpdatePulses, long ProgramPulses, double PulsesMeanPerDevice, long PulsesMaxPerDevice,
    long Reads, long StuckDevices,
    long? ClippedUpdatePulses = null, long? ClippedProgramPulses = null, double? ClippedUpdateFraction = null, double? ClippedProgramFraction = null)
{
    public static DeviceRecord Of(DeviceActivity d) =>
        new(d.Devices, d.UpdatePulses, d.ProgramPulses, d.MeanPulsesPerDevice, d.MaxPulsesPerDevice, d.Reads, d.StuckDevices,
            d.ClippedUpdatePulses, d.ClippedProgramPulses,
            d.UpdatePulses == 0 ? null : d.ClippedUpdateFraction,
            d.ProgramPulses == 0 ? null : d.ClippedProgramFraction);
}
