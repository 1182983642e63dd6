namespace NodeMesh.Core.Devices;

/// <summary>
/// Retention loss of the devices: lifetime decay (every mini-batch each device keeps the fraction
/// 1 − 1/lifetime of its distance from its reset value; <c>lifetime</c> counts mini-batches) and
/// conductance drift over simulated time (w = w0·(t/t0)^(−ν) once t, the seconds since the last
/// write, exceeds t0). Owns the drawn retention factors and drift exponents; the write clock
/// (w0 and t per device) lives in <see cref="DeviceCells"/> because every write restarts it.
/// Stuck devices neither decay nor drift. Both keep the apparent weight's write noise and refresh
/// the pairs' read values.
/// </summary>
internal sealed class DeviceDrift
{
    private readonly DeviceCells _cells;
    private readonly float[]? _retention; // lifetime: per-mini-batch retention factor per device
    private readonly float[]? _nu;        // drift exponent per device
    private readonly double _t0;

    /// <summary>Decay and drift of <paramref name="cells"/> with the drawn factors of <paramref name="drawn"/> (either may be absent).</summary>
    public DeviceDrift(DeviceConfig config, DeviceCells cells, DrawnDevices drawn)
    {
        _cells = cells;
        _retention = drawn.Retention;
        _nu = drawn.DriftNu;
        _t0 = config.DriftT0;
    }

    /// <summary>True when the devices have a finite lifetime (lifetime &gt; 0).</summary>
    public bool Decays => _retention is not null;

    /// <summary>
    /// One mini-batch of lifetime decay towards each device's reset value (0 for single devices);
    /// the drift reference w0 decays alike so that drift continues from the decayed weight.
    /// </summary>
    public void Decay()
    {
        var c = _cells;
        float[] w = c.Weights;
        for (int d = 0; d < c.DeviceCount; d++)
        {
            if (c.Params[d].Stuck) continue;
            float bias = c.ResetBias?[d] ?? 0f;
            float f = _retention![d];
            float wd = (w[d] - bias) * f + bias;
            float delta = wd - w[d];
            w[d] = wd;
            if (c.ApparentWeights is not null) c.ApparentWeights[d] += delta;
            if (c.LastWritten is not null) c.LastWritten[d] = (c.LastWritten[d] - bias) * f + bias;
        }
        if (c.OneSided) c.RefreshPairReads();
    }

    /// <summary>
    /// Advances simulated time by <paramref name="seconds"/> (no-op without drift or for
    /// seconds ≤ 0): each device's age grows and, past t0, its weight becomes w0·(t/t0)^(−ν)
    /// clamped to its bounds. One power per device per call.
    /// </summary>
    public void AdvanceTime(double seconds)
    {
        var c = _cells;
        double[]? age = c.SinceWrite;
        if (age is null || !(seconds > 0)) return;
        float[] w = c.Weights;
        for (int d = 0; d < c.DeviceCount; d++)
        {
            if (c.Params[d].Stuck) continue;
            double t = age[d] += seconds;
            if (t <= _t0) continue;
            float wd = c.LastWritten![d] * MathF.Exp(-_nu![d] * MathF.Log((float)(t / _t0)));
            wd = Math.Clamp(wd, c.Params[d].BMin, c.Params[d].BMax);
            float delta = wd - w[d];
            w[d] = wd;
            if (c.ApparentWeights is not null) c.ApparentWeights[d] += delta;
        }
        if (c.OneSided) c.RefreshPairReads();
    }
}
