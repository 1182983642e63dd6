namespace NodeMesh.Core.Metrics;

/// <summary>
/// Device activity of one or more layers, read from the cumulative device counters of a
/// <see cref="TrafficCounts"/> snapshot: counts since training started (initial programming
/// excluded), so the activity of one epoch is the difference of two snapshots. All counts are
/// plain numbers of devices, pulses or reads; the ideal float store has none.
/// </summary>
/// <param name="Devices">Simulated devices.</param>
/// <param name="UpdatePulses">Pulses written by SGD updates.</param>
/// <param name="ProgramPulses">Pulses written by program-to-target (weight averaging, gossip).</param>
/// <param name="MaxPulsesPerDevice">Largest pulse count of any single device of the layers (endurance).</param>
/// <param name="Reads">Device reads.</param>
/// <param name="ClippedUpdatePulses">Update pulses that hit a device's bound.</param>
/// <param name="ClippedProgramPulses">Program-and-verify pulses that hit a device's bound.</param>
/// <param name="StuckDevices">Stuck devices.</param>
public sealed record DeviceActivity(long Devices, long UpdatePulses, long ProgramPulses, long MaxPulsesPerDevice, long Reads,
    long ClippedUpdatePulses, long ClippedProgramPulses, long StuckDevices)
{
    /// <summary>All programming pulses: update + program.</summary>
    public long TotalPulses => UpdatePulses + ProgramPulses;

    /// <summary>Pulses per device (0 without devices).</summary>
    public double MeanPulsesPerDevice => Devices == 0 ? 0 : (double)TotalPulses / Devices;

    /// <summary>Clipped update pulses / update pulses (0 without update pulses).</summary>
    public double ClippedUpdateFraction => UpdatePulses == 0 ? 0 : (double)ClippedUpdatePulses / UpdatePulses;

    /// <summary>Clipped program pulses / program pulses (0 without program pulses).</summary>
    public double ClippedProgramFraction => ProgramPulses == 0 ? 0 : (double)ClippedProgramPulses / ProgramPulses;

    /// <summary>
    /// The activity of the layers <paramref name="layers"/> (indices into the snapshot): sums of
    /// the counters, except the per-device maximum, which is the maximum over the layers.
    /// </summary>
    public static DeviceActivity Of(TrafficCounts counts, IEnumerable<int> layers)
    {
        long devices = 0, update = 0, program = 0, max = 0, reads = 0, clippedUpdate = 0, clippedProgram = 0, stuck = 0;
        foreach (int l in layers)
        {
            devices += counts.DeviceOf(l, DeviceField.Devices);
            update += counts.DeviceOf(l, DeviceField.UpdatePulses);
            program += counts.DeviceOf(l, DeviceField.ProgramPulses);
            max = Math.Max(max, counts.DeviceOf(l, DeviceField.MaxPulsesPerDevice));
            reads += counts.DeviceOf(l, DeviceField.Reads);
            clippedUpdate += counts.DeviceOf(l, DeviceField.ClippedUpdatePulses);
            clippedProgram += counts.DeviceOf(l, DeviceField.ClippedProgramPulses);
            stuck += counts.DeviceOf(l, DeviceField.StuckDevices);
        }
        return new DeviceActivity(devices, update, program, max, reads, clippedUpdate, clippedProgram, stuck);
    }

    /// <summary>The activity of one layer.</summary>
    public static DeviceActivity Of(TrafficCounts counts, int layer) => Of(counts, [layer]);

    /// <summary>The activity of every layer of the snapshot.</summary>
    public static DeviceActivity Of(TrafficCounts counts) => Of(counts, Enumerable.Range(0, counts.Layers));
}
