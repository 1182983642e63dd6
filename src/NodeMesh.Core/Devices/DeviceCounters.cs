namespace NodeMesh.Core.Devices;

/// <summary>
/// Device activity of one <see cref="DeviceArray"/> (or, summed with <c>+</c>, of many: a layer, a
/// run). Pulses are counted per physical device (a one-sided pair is two devices); a RESET counts as
/// one program pulse. Reads count one per device each time the array is read (forward, backward,
/// snapshots, program-and-verify, refresh checks).
/// </summary>
/// <param name="Weights">Weights held (FanIn + 1 per unit).</param>
/// <param name="Devices">Physical devices (= Weights, or 2·Weights for one-sided pairs).</param>
/// <param name="UpdatePulses">Pulses written by training updates (pulse trains and gradient writes).</param>
/// <param name="ProgramPulses">Pulses written by program-to-target, refresh and resets.</param>
/// <param name="MaxPulsesPerDevice">Most pulses any one device received (endurance).</param>
/// <param name="Reads">Device reads.</param>
/// <param name="ClippedUpdatePulses">Update pulses whose step would have crossed the device's own bound (clipped to it); part of <paramref name="UpdatePulses"/>.</param>
/// <param name="ClippedProgramPulses">Program pulses (program-and-verify, refresh) clipped the same way; part of <paramref name="ProgramPulses"/>.</param>
/// <param name="StuckDevices">Devices frozen at a fixed value (corrupt_devices_prob).</param>
/// <param name="Refreshes">One-sided pairs refreshed (reset and re-programmed).</param>
public readonly record struct DeviceCounters(
    long Weights,
    long Devices,
    long UpdatePulses,
    long ProgramPulses,
    long MaxPulsesPerDevice,
    long Reads,
    long ClippedUpdatePulses,
    long ClippedProgramPulses,
    long StuckDevices,
    long Refreshes)
{
    /// <summary>All pulses written.</summary>
    public long TotalPulses => UpdatePulses + ProgramPulses;

    /// <summary>Mean pulses per device (endurance).</summary>
    public double MeanPulsesPerDevice => Devices == 0 ? 0 : (double)TotalPulses / Devices;

    /// <summary>Clipped update pulses / update pulses (0 without update pulses).</summary>
    public double ClippedUpdateFraction => UpdatePulses == 0 ? 0 : (double)ClippedUpdatePulses / UpdatePulses;

    /// <summary>Clipped program pulses / program pulses (0 without program pulses).</summary>
    public double ClippedProgramFraction => ProgramPulses == 0 ? 0 : (double)ClippedProgramPulses / ProgramPulses;

    /// <summary>Sums two counters (the maximum of the per-device maxima).</summary>
    public static DeviceCounters operator +(DeviceCounters a, DeviceCounters b) => new(
        a.Weights + b.Weights,
        a.Devices + b.Devices,
        a.UpdatePulses + b.UpdatePulses,
        a.ProgramPulses + b.ProgramPulses,
        Math.Max(a.MaxPulsesPerDevice, b.MaxPulsesPerDevice),
        a.Reads + b.Reads,
        a.ClippedUpdatePulses + b.ClippedUpdatePulses,
        a.ClippedProgramPulses + b.ClippedProgramPulses,
        a.StuckDevices + b.StuckDevices,
        a.Refreshes + b.Refreshes);
}
