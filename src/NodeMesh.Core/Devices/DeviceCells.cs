using System.Runtime.CompilerServices;

namespace NodeMesh.Core.Devices;

/// <summary>
/// The physical devices of one <see cref="DeviceArray"/> and the two writes every writer uses: a
/// burst of pulses (the model's step, clipping at the device's own bounds, fresh write noise, a
/// restarted drift clock) and a RESET. Owns every per-device state array and the activity
/// counters; the concept classes (<see cref="PulseTrainUpdater"/>, <see cref="ProgramAndVerify"/>,
/// <see cref="DeviceDrift"/>, <see cref="PairRefresh"/>, <see cref="ReadNoise"/>) act on it and own
/// only their parameters and scratch. A single device per weight, or a one-sided pair per weight
/// (w = g⁺ − g⁻, devices 2j and 2j + 1). Weights in weight units, ages in seconds.
/// </summary>
internal sealed class DeviceCells
{
    private readonly DeviceStep _step;
    private readonly DeviceNoiseSource _noise;
    private readonly float _writeNoise, _resetStd;

    /// <summary>
    /// Takes the drawn devices and sets the initial state: w = 0, or for one-sided pairs each
    /// device at its reset value + reset_std·ξ (one normal per device, in device order); every
    /// device clamped to its bounds, so stuck devices sit at their frozen value.
    /// </summary>
    public DeviceCells(DeviceConfig config, int length, DrawnDevices drawn, DeviceNoiseSource noise)
    {
        _noise = noise;
        _step = new DeviceStep(config, noise);
        _writeNoise = (float)config.WriteNoiseAbsolute;
        _resetStd = (float)config.ResetStd;
        Length = length;
        OneSided = config.OneSided;
        DeviceCount = OneSided ? 2 * length : length;
        Params = drawn.Parameters;
        StuckCount = drawn.StuckCount;
        ResetBias = drawn.ResetBias;
        int n = DeviceCount;
        Weights = new float[n];
        Pulses = new int[n];
        if (config.DriftNu > 0)
        {
            LastWritten = new float[n];
            SinceWrite = new double[n];
        }

        for (int d = 0; d < n; d++)
        {
            ref var p = ref Params[d];
            float w = OneSided ? ResetBias![d] + _resetStd * _noise.Normal() : 0f;
            Weights[d] = Math.Clamp(w, p.BMin, p.BMax);
        }
        if (LastWritten is not null) Array.Copy(Weights, LastWritten, n);
        if (config.WriteNoiseStd > 0) ApparentWeights = (float[])Weights.Clone();
        if (OneSided)
        {
            ReadVector = new float[length];
            for (int j = 0; j < length; j++) ReadVector[j] = Apparent(2 * j) - Apparent(2 * j + 1);
        }
        else ReadVector = ApparentWeights ?? Weights;
    }

    /// <summary>Weights held (FanIn + 1).</summary>
    public int Length { get; }

    /// <summary>Physical devices: <see cref="Length"/>, or 2·Length for one-sided pairs.</summary>
    public int DeviceCount { get; }

    /// <summary>One-sided pairs: weight j is device 2j minus device 2j + 1, both only ever pulsed up.</summary>
    public bool OneSided { get; }

    /// <summary>Devices frozen at a fixed value.</summary>
    public int StuckCount { get; }

    /// <summary>Each device's drawn parameters.</summary>
    public DeviceParameters[] Params { get; }

    /// <summary>Persistent (hidden) weight per device.</summary>
    public float[] Weights { get; }

    /// <summary>Apparent weight per device (persistent + the write noise of the last write); null without write noise.</summary>
    public float[]? ApparentWeights { get; }

    /// <summary>What a read returns, per weight: aliases the apparent (or persistent) weights of single devices; g⁺ − g⁻ of pairs.</summary>
    public float[] ReadVector { get; }

    /// <summary>Pulses per device (endurance).</summary>
    public int[] Pulses { get; }

    /// <summary>One-sided pairs: the reset value per device; null otherwise.</summary>
    public float[]? ResetBias { get; }

    /// <summary>Drift: weight right after the last write, per device; null without drift.</summary>
    public float[]? LastWritten { get; }

    /// <summary>Drift: seconds since the last write, per device; null without drift.</summary>
    public double[]? SinceWrite { get; }

    /// <summary>Device reads (one per device per read).</summary>
    public long Reads { get; set; }

    /// <summary>Pulses written by training updates.</summary>
    public long UpdatePulses { get; set; }

    /// <summary>Pulses written by program-to-target, refresh and resets.</summary>
    public long ProgramPulses { get; set; }

    /// <summary>Update pulses clipped at a bound (the denominator is <see cref="UpdatePulses"/>).</summary>
    public long Clipped { get; set; }

    /// <summary>Program-and-verify pulses clipped at a bound (the denominator is <see cref="ProgramPulses"/>).</summary>
    public long ProgramClipped { get; set; }

    /// <summary>One-sided pairs refreshed.</summary>
    public long Refreshes { get; set; }

    /// <summary>The apparent (read) weight of device <paramref name="d"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apparent(int d) => ApparentWeights is null ? Weights[d] : ApparentWeights[d];

    /// <summary>
    /// Asks the processor to fetch every line of the state a training update writes (the devices'
    /// parameters, weights and pulse counts) before the update visits them. An update reaches a
    /// sparse, scattered few of a unit's devices per sample, each a cache miss on state last touched
    /// a step ago; fetched ahead as whole arrays, the misses overlap instead of coming one by one.
    /// Addresses only: nothing is read, and nothing changes if the hint is dropped.
    /// </summary>
    public void PrefetchUpdateState()
    {
        Units.CacheHints.Lines(Params);
        Units.CacheHints.Lines(Weights);
        Units.CacheHints.Lines(Pulses);
    }

    /// <summary>
    /// Applies <paramref name="n"/> pulses in one direction to device <paramref name="d"/>, clipping
    /// after each to the device's bounds, then redraws its write noise and restarts its drift clock.
    /// Returns how many pulses were clipped. Counts the pulses on the device (not in a category:
    /// the caller knows whether they are update or program pulses).
    /// </summary>
    public int Burst(int d, int n, bool up)
    {
        Pulses[d] += n;
        ref var p = ref Params[d];
        if (p.Stuck) return 0;
        float w = Weights[d];
        int clipped = 0;
        for (int i = 0; i < n; i++)
        {
            w += _step.Of(w, ref p, up);
            if (w > p.BMax) { w = p.BMax; clipped++; }
            else if (w < p.BMin) { w = p.BMin; clipped++; }
        }
        Weights[d] = w;
        if (ApparentWeights is not null) ApparentWeights[d] = w + _writeNoise * _noise.Normal();
        if (LastWritten is not null) { LastWritten[d] = w; SinceWrite![d] = 0; }
        return clipped;
    }

    /// <summary>
    /// <paramref name="n"/> pulses that move weight <paramref name="j"/> up or down: one device, or
    /// for a one-sided pair up pulses on g⁺ (weight up) or g⁻ (weight down). Returns the clipped count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int PulseWeight(int j, int n, bool up)
    {
        if (!OneSided) return Burst(j, n, up);
        int c = Burst(up ? 2 * j : 2 * j + 1, n, true);
        ReadVector[j] = Apparent(2 * j) - Apparent(2 * j + 1);
        return c;
    }

    /// <summary>
    /// RESET of device <paramref name="d"/> (one-sided pairs): back to its reset value + reset_std·ξ,
    /// clamped, with fresh write noise and a restarted drift clock. Counts one program pulse.
    /// Does not update the read vector (the caller re-programs or refreshes it).
    /// </summary>
    public void Reset(int d)
    {
        Pulses[d]++;
        ProgramPulses++;
        ref var p = ref Params[d];
        if (p.Stuck) return;
        float w = Math.Clamp(ResetBias![d] + _resetStd * _noise.Normal(), p.BMin, p.BMax);
        Weights[d] = w;
        if (ApparentWeights is not null) ApparentWeights[d] = w + _writeNoise * _noise.Normal();
        if (LastWritten is not null) { LastWritten[d] = w; SinceWrite![d] = 0; }
    }

    /// <summary>One-sided pairs: recomputes every weight's read value g⁺ − g⁻ (after a change to all devices).</summary>
    public void RefreshPairReads()
    {
        for (int j = 0; j < Length; j++) ReadVector[j] = Apparent(2 * j) - Apparent(2 * j + 1);
    }

    /// <summary>Sets device <paramref name="d"/>'s persistent and apparent weight (tests only; clipped to its bounds, no noise).</summary>
    public void SetWeight(int d, float w)
    {
        w = Math.Clamp(w, Params[d].BMin, Params[d].BMax);
        Weights[d] = w;
        if (ApparentWeights is not null) ApparentWeights[d] = w;
        if (LastWritten is not null) { LastWritten[d] = w; SinceWrite![d] = 0; }
        if (OneSided) ReadVector[d / 2] = Apparent(d & ~1) - Apparent(d | 1);
    }

    /// <summary>The activity counters as a snapshot (the maximum pulses of any device is computed here).</summary>
    public DeviceCounters Counters()
    {
        long max = 0;
        foreach (int c in Pulses) if (c > max) max = c;
        return new DeviceCounters(Length, DeviceCount, UpdatePulses, ProgramPulses, max, Reads, Clipped, ProgramClipped, StuckCount, Refreshes);
    }

    /// <summary>Zeroes the activity counters and the per-device pulse counts (not the stuck count).</summary>
    public void ResetCounters()
    {
        Array.Clear(Pulses);
        Reads = UpdatePulses = ProgramPulses = Clipped = ProgramClipped = Refreshes = 0;
    }
}
