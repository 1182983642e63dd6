namespace NodeMesh.Core.Devices;

/// <summary>
/// Program-to-target by pulses (not assignment): closed-loop program-and-verify of each weight.
/// Read (counted); while |target − read| &gt; dw_min/2, give a burst of pulses towards the target
/// and read again. Bursts start at one pulse and adapt to the step the device showed: half the
/// remaining error over the observed step per pulse, at most doubling from burst to burst, one
/// pulse again after an overshoot — so nonlinear devices do not overshoot and long moves need few
/// verify reads. The loop stops when within dw_min/2, when a pulse is clipped (the device is
/// saturated; a stuck device stops after one burst), after the error has changed sign 3 times
/// (dithering with steps larger than the tolerance), or after min(4·ceil(|Δ|/dw_min),
/// program_max_pulses) pulses for the initial error Δ. One-sided pairs pulse g⁺ up to raise the
/// weight and g⁻ up to lower it; a pair that saturates is reset and programmed once more. Reads see
/// write noise, so the verify loop does too. Pulses count as program pulses, and those clipped at a
/// bound as clipped program pulses (kept apart from the clipped update pulses, each counter with
/// its own denominator).
/// </summary>
internal sealed class ProgramAndVerify
{
    private const int MaxSignChanges = 3;

    private readonly DeviceCells _cells;
    private readonly float _dwMin;
    private readonly int _programCap;

    /// <summary>Programs <paramref name="cells"/> with <paramref name="config"/>'s dw_min (tolerance) and program_max_pulses.</summary>
    public ProgramAndVerify(DeviceConfig config, DeviceCells cells)
    {
        _cells = cells;
        _dwMin = (float)config.DwMin;
        _programCap = config.ProgramMaxPulses;
    }

    /// <summary>Programs every weight j to <paramref name="target"/>[j] (Length values, checked by the caller).</summary>
    public void ProgramTo(ReadOnlySpan<float> target)
    {
        for (int j = 0; j < _cells.Length; j++)
        {
            if (_cells.OneSided) ProgramPair(j, target[j]);
            else ProgramDevice(j, target[j]);
        }
    }

    /// <summary>The pulse budget for an initial error: min(4·ceil(|error|/dw_min), program_max_pulses), at least 1.</summary>
    internal int Budget(float error) => (int)Math.Max(1, Math.Min(4.0 * Math.Ceiling(Math.Abs(error) / _dwMin), _programCap));

    /// <summary>
    /// Length of the next burst: half the remaining error divided by the step per pulse observed in
    /// the last burst, at least 1 and at most twice the last burst (1 after an overshoot or when
    /// the last burst showed no progress, e.g. under read noise: then it doubles).
    /// </summary>
    internal static int NextBurst(float error, float previousError, int previousBurst, bool flipped)
    {
        if (flipped) return 1;
        float moved = (previousError - error) * MathF.Sign(previousError);
        if (!(moved > 0)) return 2 * previousBurst;
        double perPulse = moved / previousBurst;
        double n = 0.5 * Math.Abs(error) / perPulse;
        return (int)Math.Clamp(n, 1, 2.0 * previousBurst);
    }

    private void ProgramDevice(int d, float target)
    {
        float tol = 0.5f * _dwMin;
        _cells.Reads++;
        float e = target - _cells.Apparent(d);
        if (!(MathF.Abs(e) > tol)) return;
        int budget = Budget(e), used = 0, flips = 0, burst = 1;
        while (used < budget)
        {
            bool up = e > 0;
            int n = Math.Min(burst, budget - used);
            used += n;
            _cells.ProgramPulses += n;
            int clipped = _cells.Burst(d, n, up);
            _cells.ProgramClipped += clipped;
            if (clipped > 0 || _cells.Params[d].Stuck) break;
            _cells.Reads++;
            float next = target - _cells.Apparent(d);
            if (MathF.Abs(next) <= tol) break;
            bool flipped = next > 0 != up;
            if (flipped && ++flips >= MaxSignChanges) break;
            burst = NextBurst(next, e, n, flipped);
            e = next;
        }
    }

    /// <summary>
    /// Programs one-sided pair <paramref name="j"/> (devices 2j, 2j + 1) to <paramref name="target"/>;
    /// on saturation both devices are reset and the pair is programmed once more (not when either
    /// is stuck). Leaves the pair's read value up to date. Also the refresh's re-program step.
    /// </summary>
    public void ProgramPair(int j, float target)
    {
        int plus = 2 * j, minus = 2 * j + 1;
        float tol = 0.5f * _dwMin;
        for (int attempt = 0; attempt < 2; attempt++)
        {
            _cells.Reads += 2;
            float e = target - (_cells.Apparent(plus) - _cells.Apparent(minus));
            if (!(MathF.Abs(e) > tol)) break;
            int budget = Budget(e), used = 0, flips = 0, burst = 1;
            bool saturated = false;
            while (used < budget)
            {
                bool up = e > 0;
                int d = up ? plus : minus;
                int n = Math.Min(burst, budget - used);
                used += n;
                _cells.ProgramPulses += n;
                int clipped = _cells.Burst(d, n, true);
                _cells.ProgramClipped += clipped;
                if (clipped > 0 || _cells.Params[d].Stuck) { saturated = true; break; }
                _cells.Reads += 2;
                float next = target - (_cells.Apparent(plus) - _cells.Apparent(minus));
                if (MathF.Abs(next) <= tol) break;
                bool flipped = next > 0 != up;
                if (flipped && ++flips >= MaxSignChanges) break;
                burst = NextBurst(next, e, n, flipped);
                e = next;
            }
            if (!saturated || attempt == 1 || _cells.Params[plus].Stuck || _cells.Params[minus].Stuck) break;
            _cells.Reset(plus);
            _cells.Reset(minus);
        }
        _cells.ReadVector[j] = _cells.Apparent(plus) - _cells.Apparent(minus);
    }
}
