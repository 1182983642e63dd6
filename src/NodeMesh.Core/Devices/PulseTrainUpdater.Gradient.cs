namespace NodeMesh.Core.Devices;

// Gradient writes (the tied and averaged strategies): a gradient without outer-product structure
// goes to the devices as each weight's expected pulse count, rounded stochastically from the
// array's stream or with the mean-mode carries. The rank-1 pulse trains are in PulseTrainUpdater.cs.
internal sealed partial class PulseTrainUpdater
{
    /// <summary>
    /// Writes w ← w − lr·g by pulses: weight j receives |lr·g_j|/granularity pulses (UP when
    /// lr·g_j &lt; 0), rounded stochastically (floor + Bernoulli of the fraction) or with the carried
    /// remainder (mode mean), at most program_max_pulses.
    /// </summary>
    public void WriteGradient(ReadOnlySpan<float> gradient, float lr)
    {
        _cells.PrefetchUpdateState();
        if (_meanMode)
        {
            WriteGradientMean(gradient, lr);
            return;
        }
        // Stochastic rounding: floor + one uniform per weight below the cap, then that weight's
        // burst (its normals), weight after weight, so uniforms and normals interleave in weight
        // order. The rounding is a select, not a branch: whether the fraction rounds up is a coin
        // toss no predictor learns. The counters are summed here and added once.
        double lrd = lr;
        double granularity = _granularity;
        int cap = _programCap;
        long pulses = 0, clipped = 0;
        for (int j = 0; j < _cells.Length; j++)
        {
            double e = lrd * gradient[j] / granularity;
            double a = Math.Abs(e);
            if (!(a > 0)) continue;
            int n;
            if (a >= cap) n = cap;
            else
            {
                n = (int)a;
                n += _noise.NextDouble() < a - n ? 1 : 0;
            }
            if (n == 0) continue;
            pulses += n;
            clipped += _cells.PulseWeight(j, n, e < 0);
        }
        _cells.UpdatePulses += pulses;
        _cells.Clipped += clipped;
    }

    /// <summary><see cref="WriteGradient"/> in mode mean: each weight's count rounded with the remainder carried per weight and direction.</summary>
    private void WriteGradientMean(ReadOnlySpan<float> gradient, float lr)
    {
        for (int j = 0; j < _cells.Length; j++)
        {
            double e = (double)lr * gradient[j] / _granularity;
            double a = Math.Abs(e);
            if (!(a > 0)) continue;
            bool up = e < 0;
            int n;
            if (a >= _programCap) n = _programCap;
            else
            {
                ref float carry = ref (up ? _carryUp! : _carryDown!)[j];
                double total = carry + a;
                n = (int)total;
                carry = (float)(total - n);
            }
            if (n > 0) Flush(j, n, up);
        }
    }
}
