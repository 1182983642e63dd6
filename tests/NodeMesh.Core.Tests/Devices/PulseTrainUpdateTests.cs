using NodeMesh.Core.Devices;
using NodeMesh.Core.Units;
using static NodeMesh.Core.Tests.Devices.TestDevices;

namespace NodeMesh.Core.Tests.Devices;

/// <summary>
/// The stochastic-compressed pulse-train update (<see cref="PulseTrainUpdater"/>): the pulse count
/// per device per sample has mean lr·|x_j·d|/dw_min (over T trials; bound 5 standard errors from
/// the exact two-stage binomial variance), BL saturates at desired_bl, the sign rule
/// (sign(x)·sign(d) &gt; 0 → DOWN), the mean mode's deterministic counts, the patch layout equals
/// the materialised layout, with a fine noiseless device the update is SGD, gradient writes have
/// the expected count, a zero update draws nothing, the patch walkers visit the right inputs, and
/// the update loops do not allocate.
/// </summary>
public sealed class PulseTrainUpdateTests
{
    public static TheoryData<float, float, bool> Cases() => new()
    {
        { 0.05f, 0.01f, true },   // k = 0.6 < 1: BL = 1
        { 0.4f, 0.01f, true },    // k = 4.8: BL = 5
        { 0.0005f, 0.5f, false }, // no update management (A = B), BL = 1, no probability above 1
        { 0.004f, 1.2f, false },  // no update management, k = 5.76: BL = 6
    };

    /// <summary>
    /// The per-batch scratch is shared by every array updated on a thread (and a thread's own):
    /// an array updated alone, one updated in turn with another array of a different batch size on
    /// the same thread, and one whose updates alternate between two threads end bit-identical.
    /// </summary>
    [Fact]
    public void Arrays_sharing_a_threads_scratch_update_as_if_alone()
    {
        const int length = 27, rows = 26;
        var config = DeviceConfig.Load("gokmen-vlasov");
        var g = new PatchGeometry(0, 1, rows, 0);
        var rng = new Random(5);
        float[] Batch(int batch) => Enumerable.Range(0, rows * batch).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var steps = Enumerable.Range(0, 12).Select(i => (X: Batch(32), D: Enumerable.Range(0, 32).Select(b => (b % 7 - 3) * 0.02f * (1 + i % 3)).ToArray())).ToArray();
        var other = (X: Batch(41), D: Enumerable.Range(0, 41).Select(b => (b % 5 - 2) * 0.05f).ToArray());

        var alone = new DeviceArray(config, length, seed: 9);
        var interleaved = new DeviceArray(config, length, seed: 9);
        var twoThreads = new DeviceArray(config, length, seed: 9);
        var neighbour = new DeviceArray(config, length, seed: 10);
        foreach (var (x, d) in steps) alone.ApplyBatchUpdate(x, g, d, 32, 0.3f);
        for (int i = 0; i < steps.Length; i++)
        {
            interleaved.ApplyBatchUpdate(steps[i].X, g, steps[i].D, 32, 0.3f);
            neighbour.ApplyBatchUpdate(other.X, g, other.D, 41, 0.3f); // grows and overwrites this thread's scratch
            if (i % 2 == 0) twoThreads.ApplyBatchUpdate(steps[i].X, g, steps[i].D, 32, 0.3f);
            else
            {
                var step = steps[i];
                var t = new Thread(() => twoThreads.ApplyBatchUpdate(step.X, g, step.D, 32, 0.3f));
                t.Start();
                t.Join();
            }
        }
        Assert.True(alone.Counters.UpdatePulses > 0);
        Assert.Equal(alone.PersistentWeights(), interleaved.PersistentWeights());
        Assert.Equal(alone.PersistentWeights(), twoThreads.PersistentWeights());
        Assert.Equal(alone.Counters, interleaved.Counters);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ExpectedPulseCountIsLrXdOverDwMin(float lr, float d, bool um)
    {
        float[] x = [0.9f, -0.3f, 0.05f, 0f, -1.2f, 0.6f, 0.01f, 1f]; // last: bias input
        const int trials = 20_000;
        var a = new DeviceArray(Counting(um), x.Length, seed: 4);
        for (int t = 0; t < trials; t++) a.ApplyOuterProductUpdate(x, d, lr);

        // Exact moments of the scheme: n_d ~ Bin(BL, p_d), n_j | n_d ~ Bin(n_d, p_j).
        double dwMin = 0.001, xMax = 1.2;
        double k = lr * xMax * d / dwMin;
        int bl = Math.Min((int)Math.Ceiling(k), 31);
        double pd = um ? Math.Sqrt(k / bl) : d * Math.Sqrt(lr / (dwMin * bl));
        for (int j = 0; j < x.Length; j++)
        {
            double pj = um ? Math.Abs(x[j]) * Math.Sqrt(k / bl) / xMax : Math.Abs(x[j]) * Math.Sqrt(lr / (dwMin * bl));
            Assert.True(pj <= 1 && pd <= 1, "case chosen without probability clipping");
            double expected = lr * Math.Abs(x[j] * d) / dwMin;
            Assert.Equal(expected, bl * pd * pj, 1e-6 * expected); // the scheme is unbiased by construction
            double variance = bl * pd * pj * (1 - pj) + pj * pj * bl * pd * (1 - pd);
            double mean = (double)a.DevicePulses(j) / trials;
            double tol = 5 * Math.Sqrt(variance / trials) + 1e-12;
            Assert.InRange(mean, expected - tol, expected + tol);

            // Pulses are visible as weight: x·d > 0 → DOWN pulses; with this device each moves dw_min.
            double w = a.PeekWeights()[j], moved = -Math.Sign(x[j] * d) * a.DevicePulses(j) * dwMin;
            Assert.InRange(w, moved - 0.01 * Math.Abs(moved) - 1e-6, moved + 0.01 * Math.Abs(moved) + 1e-6); // float accumulation
        }
        Assert.Equal(Enumerable.Range(0, x.Length).Sum(a.DevicePulses), a.Counters.UpdatePulses);
    }

    [Theory]
    [InlineData(4)]  // few active samples: applied sample by sample
    [InlineData(32)] // most samples active: applied device by device
    public void BatchUpdateHasTheExpectedCountsInBothOrders(int nonzero)
    {
        // A conv-like patch whose runs (5 rows) do not align with the eight-device chunks.
        const int batch = 32, trials = 3000;
        const float lr = 0.1f;
        var g = new PatchGeometry(FirstRow: 2, RunCount: 4, RunLength: 5, RunStride: 7);
        int rows = 2 + 3 * 7 + 5, length = g.Rows + 1;
        var rng = new Random(11);
        var x = new float[rows * batch];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextDouble() < 0.3 ? 0f : (float)(rng.NextDouble() * 3 - 1.5);
        var d = new float[batch];
        for (int b = 0; b < nonzero; b++) d[b] = (float)((rng.NextDouble() * 0.008 + 0.002) * (b % 2 == 0 ? 1 : -1));
        var a = new DeviceArray(Counting(), length, seed: 8);
        for (int t = 0; t < trials; t++) a.ApplyBatchUpdate(x, g, d, batch, lr);

        for (int j = 0; j < length; j++)
        {
            int row = j < g.Rows ? g.FirstRow + j / g.RunLength * g.RunStride + j % g.RunLength : -1;
            double mean = 0, variance = 0, net = 0;
            for (int b = 0; b < batch; b++)
            {
                if (d[b] == 0) continue;
                double xMax = 1;
                for (int i = 0; i < g.Rows; i++) xMax = Math.Max(xMax, Math.Abs(x[(g.FirstRow + i / g.RunLength * g.RunStride + i % g.RunLength) * batch + b]));
                double xj = row < 0 ? 1 : x[row * batch + b];
                double k = lr * xMax * Math.Abs(d[b]) / 0.001;
                int bl = Math.Min((int)Math.Ceiling(k), 31);
                double q = Math.Sqrt(k / bl), pj = Math.Abs(xj) * q / xMax;
                mean += bl * q * pj;
                variance += bl * q * pj * (1 - pj) + pj * pj * bl * q * (1 - q);
                Assert.Equal(lr * Math.Abs(xj * d[b]) / 0.001, bl * q * pj, 1e-4);
                net -= lr * xj * d[b] / 0.001;
            }
            double observed = (double)a.DevicePulses(j) / trials, tol = 5 * Math.Sqrt(variance / trials) + 1e-9;
            Assert.InRange(observed, mean - tol, mean + tol);
            // The weight moved by (UP − DOWN)·dw_min, on average the SGD step −lr Σ_b d_b x_jb per trial.
            double moved = a.PeekWeights()[j] / 0.001 / trials;
            Assert.InRange(moved, net - 2 * tol - 1e-3, net + 2 * tol + 1e-3);
        }
    }

    [Fact]
    public void SignRule()
    {
        // s = sign(x)·sign(d): s > 0 → DOWN, s < 0 → UP, whatever the signs individually.
        foreach (float d in new[] { 0.02f, -0.02f })
        {
            var a = new DeviceArray(Counting(), 3, seed: 1);
            for (int t = 0; t < 200; t++) a.ApplyOuterProductUpdate([0.8f, -0.8f, 1f], d, 0.1f);
            var w = a.PeekWeights();
            Assert.True(w[0] * d < 0, "x > 0: the weight moves against d");
            Assert.True(w[1] * d > 0, "x < 0: the weight moves with d");
            Assert.True(w[2] * d < 0, "bias input 1 behaves like x > 0");
        }
    }

    [Fact]
    public void TrainLengthSaturatesAtDesiredBl()
    {
        // k = 10 · 1 · 1 / 0.001 ≫ 31: BL = 31 and every probability is 1, so the largest input gets 31 pulses.
        var a = new DeviceArray(Counting(), 3, seed: 1);
        a.ApplyOuterProductUpdate([1f, -0.5f, 1f], 1f, 10f);
        Assert.Equal(31, a.DevicePulses(0));
        Assert.Equal(31, a.DevicePulses(2));
        Assert.InRange(a.DevicePulses(1), 1, 31);
        var b = new DeviceArray(Counting() with { DesiredBl = 7 }, 3, seed: 1);
        b.ApplyOuterProductUpdate([1f, -0.5f, 1f], 1f, 10f);
        Assert.Equal(7, b.DevicePulses(0));
    }

    /// <summary>
    /// aihwkit's expected coincidences per device for one sample with update management
    /// (PulsedUpdateMetaParameter::calculateBlAB with update_bl_management, then
    /// performUpdateManagement), written out independently: BL = min(⌈k⌉, desired_bl),
    /// A = B = sqrt(lr/(g·BL)); d is scaled by BL/k when k &gt; BL; A ·= sqrt(x_max/d),
    /// B ·= sqrt(d/x_max); each probability is clipped at 1.
    /// </summary>
    internal static double AihwkitExpectedPulses(double lr, double d, double xMax, double xj, double granularity, int desiredBl)
    {
        double k = lr * xMax * Math.Abs(d) / granularity;
        int bl = Math.Min((int)Math.Ceiling(k), desiredBl);
        double a = Math.Sqrt(lr / (granularity * bl)), b = a;
        double dVal = Math.Abs(d);
        if (k > bl) dVal *= bl / k;
        a *= Math.Sqrt(xMax / dVal);
        b *= Math.Sqrt(dVal / xMax);
        return bl * Math.Min(1, a * Math.Abs(d)) * Math.Min(1, b * Math.Abs(xj));
    }

    [Theory]
    [InlineData(0.1f, 1f)]     // k = 100 > BL = 31: saturated
    [InlineData(0.05f, 0.5f)]  // k = 25 < 31: the plain train
    [InlineData(2f, 0.3f)]     // k = 600: deep saturation
    public void SaturatedUpdateManagementKeepsPulseCountsProportionalToX(float lr, float d)
    {
        // When k = lr·x_max·|d|/dw_min exceeds BL, aihwkit scales d by BL/k so that input j gets
        // BL·|x_j|/x_max pulses: for k = 100, BL = 31, |x| = 0.3 → 9.3 and |x| = 0.7 → 21.7 (not
        // 16.7 and 31, which the unscaled B = sqrt(k/BL)/x_max gives).
        float[] x = [0.3f, -0.7f, 0.05f, -1f, 1f]; // x_max = 1 (the bias input too)
        const int trials = 20_000;
        var a = new DeviceArray(Counting(), x.Length, seed: 12);
        var mean = new DeviceArray(Counting(mode: PulseMode.Mean), x.Length, seed: 12);
        for (int t = 0; t < trials; t++)
        {
            a.ApplyOuterProductUpdate(x, d, lr);
            mean.ApplyOuterProductUpdate(x, d, lr);
        }
        double k = lr * 1.0 * d / 0.001;
        for (int j = 0; j < x.Length; j++)
        {
            double expected = AihwkitExpectedPulses(lr, d, 1, x[j], 0.001, 31);
            if (k > 31) Assert.Equal(31 * Math.Abs(x[j]), expected, 1e-5);
            else Assert.Equal(lr * Math.Abs(x[j] * d) / 0.001, expected, 1e-5);
            // Stochastic: n_d ~ Bin(BL, p_d), n_j | n_d ~ Bin(n_d, p_j) (p_d = 1 when saturated).
            int bl = Math.Min((int)Math.Ceiling(k), 31);
            double pd = Math.Min(1, Math.Sqrt(k / bl)), pj = expected / (bl * pd);
            double variance = bl * pd * pj * (1 - pj) + pj * pj * bl * pd * (1 - pd);
            double tol = 5 * Math.Sqrt(variance / trials) + 1e-9;
            Assert.InRange((double)a.DevicePulses(j) / trials, expected - tol, expected + tol);
            // Mean mode: the expected count, rounded with the carried remainder.
            Assert.InRange(mean.DevicePulses(j), Math.Floor(0.5 + trials * expected) - 2, Math.Floor(0.5 + trials * expected) + 2);
        }
        if (k > 31)
        {
            Assert.Equal(9.3, (double)mean.DevicePulses(0) / trials, 1e-3);
            Assert.Equal(21.7, (double)mean.DevicePulses(1) / trials, 1e-3);
        }
    }

    [Fact]
    public void PulseCountsAreSizedByTheModelsGranularity()
    {
        // aihwkit sizes every train by the weight granularity g, not dw_min: E[pulses] =
        // lr·|x_j·d|/g. Mean mode, k below BL. PowStep γ = 2: g = dw_min/4, four times the pulses
        // dw_min would give; ExpStep (reram-es): g ≈ 1.48 dw_min; ConstantStep: g = dw_min.
        float[] x = [0.9f, -0.3f, 0.05f, 1f];
        const float d = 0.01f, lr = 0.1f;
        const int trials = 1000;
        foreach (var c in new[]
        {
            Counting(mode: PulseMode.Mean) with { Model = DeviceModel.PowStep, PowGamma = 2, PowGammaDtod = 0 },
            DeviceConfig.Load("reram-es") with { Mode = PulseMode.Mean },
            Counting(mode: PulseMode.Mean),
        })
        {
            double g = c.Model switch
            {
                DeviceModel.PowStep => c.DwMin * 0.25,
                DeviceModel.ExpStep => c.DwMin * (1 - c.UpDown) * (1 - c.ExpADown * Math.Exp(-c.EffectiveGammaDown * c.ExpB)),
                _ => c.DwMin,
            };
            var a = new DeviceArray(c, x.Length, seed: 2);
            for (int t = 0; t < trials; t++) a.ApplyOuterProductUpdate(x, d, lr);
            for (int j = 0; j < x.Length; j++)
            {
                double expected = AihwkitExpectedPulses(lr, d, 1, x[j], g, 31);
                Assert.Equal(lr * Math.Abs(x[j] * d) / g, expected, 1e-6 * expected);
                Assert.InRange(a.DevicePulses(j), Math.Floor(0.5 + trials * expected) - 2, Math.Floor(0.5 + trials * expected) + 2);
            }
        }
    }

    [Fact]
    public void APowStepUpdateNearMidRangeMovesTheRequestedChange()
    {
        // Noiseless PowStep, γ = 2, bounds ±1, w = 0: an update asking for Δ = lr·|x·d| = 0.05 gets
        // Δ/g = 20 pulses (g = dw_min·0.5² = 0.0025), and the weight follows aihwkit's rule pulse by
        // pulse, w ← w + dw_min·((1 − w)/2)², ending near Δ (the step shrinks slightly as w rises).
        var c = new DeviceConfig
        {
            Model = DeviceModel.PowStep, DwMin = 0.01, DwMinDtod = 0, DwMinStd = 0, UpDown = 0, UpDownDtod = 0,
            WMax = 1, WMin = -1, WMaxDtod = 0, WMinDtod = 0, PowGamma = 2, PowGammaDtod = 0, Mode = PulseMode.Mean,
        };
        var a = new DeviceArray(c, 2, seed: 1);
        a.ApplyOuterProductUpdate([-0.5f, 1f], 0.1f, 0.5f); // x·d < 0 on input 0: UP; bias: DOWN
        Assert.Equal(10, a.DevicePulses(0));
        Assert.Equal(20, a.DevicePulses(1));
        double up = 0, down = 0;
        for (int i = 0; i < 10; i++) up += 0.01 * Math.Pow((1 - up) / 2, 2);
        for (int i = 0; i < 20; i++) down -= 0.01 * Math.Pow((down + 1) / 2, 2);
        Assert.Equal(up, a.PeekWeights()[0], 1e-6);
        Assert.Equal(down, a.PeekWeights()[1], 1e-6);
        Assert.InRange(up, 0.025 * 0.95, 0.025);
        Assert.InRange(-down, 0.05 * 0.95, 0.05);

        // A gradient write is sized the same way: |lr·g|/granularity pulses.
        var w = new DeviceArray(c, 1, seed: 1);
        w.ApplyGradient([-0.1f], 0.5f);
        Assert.Equal(20, w.DevicePulses(0));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MeanModeCountsAreDeterministicAndExact(bool um)
    {
        float[] x = [0.9f, -0.3f, 0.05f, 0f, -1.2f, 1f];
        const float d = 0.013f, lr = 0.07f;
        const int trials = 5000;
        var a = new DeviceArray(Counting(um, PulseMode.Mean), x.Length, seed: 1);
        var b = new DeviceArray(Counting(um, PulseMode.Mean), x.Length, seed: 999);
        for (int t = 0; t < trials; t++)
        {
            a.ApplyOuterProductUpdate(x, d, lr);
            b.ApplyOuterProductUpdate(x, d, lr);
        }
        double k = lr * 1.2 * d / 0.001;
        int bl = (int)Math.Ceiling(k);
        double pd = Math.Min(1, um ? Math.Sqrt(k / bl) : d * Math.Sqrt(lr / (0.001 * bl)));
        for (int j = 0; j < x.Length; j++)
        {
            double pj = um ? Math.Abs(x[j]) * Math.Sqrt(k / bl) / 1.2 : Math.Abs(x[j]) * Math.Sqrt(lr / (0.001 * bl));
            double expected = bl * pd * Math.Min(1, pj); // without update management large inputs saturate at p = 1
            if (um) Assert.Equal(lr * Math.Abs(x[j] * d) / 0.001, expected, 1e-6);
            // Round-to-nearest of the running total: floor(0.5 + T·E), up to float rounding of the carry.
            Assert.InRange(a.DevicePulses(j), Math.Floor(0.5 + trials * expected) - 2, Math.Floor(0.5 + trials * expected) + 2);
            Assert.Equal(a.DevicePulses(j), b.DevicePulses(j)); // independent of the seed
        }
    }

    [Fact]
    public void PatchLayoutEqualsMaterialisedLayout()
    {
        // A 3×3 kernel over 2 channels at (u, v) = (1, 2) of a padded 5×6 grid, batch 13.
        const int batch = 13, c = 2, k = 3, pw = 6, ph = 5, u = 1, v = 2;
        var g = new PatchGeometry((u * pw + v) * c, k, k * c, pw * c);
        int rows = ph * pw * c, length = g.Rows + 1;
        var rng = new Random(5);
        var x = new float[rows * batch];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextDouble() < 0.3 ? 0f : (float)(rng.NextDouble() * 2 - 1);
        var delta = Enumerable.Range(0, batch).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.05f).ToArray();
        delta[3] = 0;

        var samples = new float[batch * length];
        for (int b = 0; b < batch; b++)
        {
            int i = 0;
            for (int r = 0; r < g.RunCount; r++)
                for (int t = 0; t < g.RunLength; t++, i++)
                    samples[b * length + i] = x[(g.FirstRow + r * g.RunStride + t) * batch + b];
            samples[b * length + i] = 1f;
        }
        foreach (string preset in new[] { "gokmen-vlasov", "reram-sb", "pcm" })
        {
            var config = DeviceConfig.Load(preset);
            var viaPatch = new DeviceArray(config, length, seed: 17);
            var viaSamples = new DeviceArray(config, length, seed: 17);
            for (int step = 0; step < 5; step++)
            {
                viaPatch.ApplyBatchUpdate(x, g, delta, batch, 0.2f);
                viaSamples.ApplyBatchUpdate(samples, delta, batch, 0.2f);
            }
            Assert.Equal(viaSamples.PeekWeights().ToArray(), viaPatch.PeekWeights().ToArray());
            Assert.Equal(viaSamples.Counters, viaPatch.Counters);
            Assert.True(viaPatch.Counters.UpdatePulses > 0);
        }
    }

    [Fact]
    public void FineNoiselessDeviceInMeanModeIsSgd()
    {
        const int batch = 8, fanIn = 20;
        var fine = Counting(mode: PulseMode.Mean) with { DwMin = 1e-6, DesiredBl = 255 };
        var rng = new Random(2);
        var x = Enumerable.Range(0, fanIn * batch).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var d = Enumerable.Range(0, batch).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.01f).ToArray();
        var g = new PatchGeometry(0, 1, fanIn, 0);
        var a = new DeviceArray(fine, fanIn + 1, seed: 3);
        var ideal = new IdealWeightStore(fanIn + 1);
        var grad = new float[fanIn + 1];
        for (int step = 0; step < 10; step++)
        {
            a.ApplyBatchUpdate(x, g, d, batch, 0.05f);
            UnitKernels.Backward(ideal.Read(), x, g, d, batch, grad, [], default);
            ideal.ApplyGradient(grad, 0.05f);
        }
        var w = a.PeekWeights();
        var wi = ideal.Read();
        for (int j = 0; j <= fanIn; j++) Assert.Equal(wi[j], w[j], 1e-5); // within a few dw_min per sample
    }

    [Fact]
    public void GradientWriteHasTheExpectedCountAndDirection()
    {
        const int trials = 20_000;
        float[] g = [0.013f, -0.0071f, 0f, 0.05f];
        var a = new DeviceArray(Counting(), g.Length, seed: 6);
        for (int t = 0; t < trials; t++) a.ApplyGradient(g, 0.1f);
        for (int j = 0; j < g.Length; j++)
        {
            double expected = 0.1 * Math.Abs(g[j]) / 0.001, frac = expected - Math.Floor(expected);
            double tol = 5 * Math.Sqrt(frac * (1 - frac) / trials) + 1e-9;
            Assert.InRange((double)a.DevicePulses(j) / trials, expected - tol, expected + tol);
            double moved = -Math.Sign(g[j]) * a.DevicePulses(j) * 0.001;
            Assert.InRange(a.PeekWeights()[j], moved - 0.01 * Math.Abs(moved) - 1e-6, moved + 0.01 * Math.Abs(moved) + 1e-6);
        }
        var capped = new DeviceArray(Counting() with { ProgramMaxPulses = 100 }, 1, seed: 1);
        capped.ApplyGradient([1000f], 1f);
        Assert.Equal(100, capped.DevicePulses(0));
    }

    [Fact]
    public void AnUpdateWithoutDeltaOrLearningRateWritesAndDrawsNothing()
    {
        // A zero delta, an empty batch or lr = 0 gives no pulse and consumes no random draw: the
        // array continues exactly like one that never saw those calls.
        var c = DeviceConfig.Load("reram-sb");
        var g = new PatchGeometry(0, 1, 15, 0);
        var x = Targets(15 * 8, 1.5, 1);
        var d = Targets(8, 0.02, 2);
        var touched = new DeviceArray(c, 16, seed: 2);
        var fresh = new DeviceArray(c, 16, seed: 2);
        touched.ApplyBatchUpdate(x, g, new float[8], 8, 0.1f);
        touched.ApplyBatchUpdate(x, g, d, 0, 0.1f);
        touched.ApplyBatchUpdate(x, g, d, 8, 0f);
        touched.ApplyOuterProductUpdate(x.AsSpan(0, 16), 0f, 0.1f);
        touched.ApplyGradient(new float[16], 0.1f);
        Assert.Equal(0, touched.Counters.TotalPulses);
        foreach (var a in new[] { touched, fresh })
            for (int step = 0; step < 3; step++) a.ApplyBatchUpdate(x, g, d, 8, 0.1f);
        Assert.True(fresh.Counters.UpdatePulses > 0);
        Assert.Equal(fresh.PeekWeights().ToArray(), touched.PeekWeights().ToArray());
        Assert.Equal(fresh.Counters, touched.Counters);
    }

    [Fact]
    public void ANegativeLearningRateIsTheUpdateOfTheNegatedDelta()
    {
        var x = Targets(12, 1, 3);
        x[^1] = 1;
        var viaLr = new DeviceArray(DeviceConfig.Load("gokmen-vlasov"), 12, seed: 5);
        var viaDelta = new DeviceArray(DeviceConfig.Load("gokmen-vlasov"), 12, seed: 5);
        for (int s = 0; s < 40; s++)
        {
            float d = 0.01f * (s % 5 - 2);
            viaLr.ApplyOuterProductUpdate(x, d, -0.2f);
            viaDelta.ApplyOuterProductUpdate(x, -d, 0.2f);
        }
        Assert.True(viaLr.Counters.UpdatePulses > 0);
        Assert.Equal(viaDelta.PeekWeights().ToArray(), viaLr.PeekWeights().ToArray());
    }

    [Fact]
    public void PatchCursorVisitsTheRunsInDeviceOrderThenTheBiasThenZeros()
    {
        const int batch = 4, sample = 1;
        var g = new PatchGeometry(FirstRow: 2, RunCount: 3, RunLength: 5, RunStride: 7);
        var x = new float[(2 + 2 * 7 + 5) * batch];
        for (int i = 0; i < x.Length; i++) x[i] = i / batch * 10 + i % batch; // row·10 + sample
        int[] rows = [2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20];

        var it = new PatchCursor(g, batch, sample, implicitBias: true);
        Assert.Equal(16, it.Total);
        foreach (int row in rows) Assert.Equal(row * 10 + sample, it.Next(ref x[0]));
        Assert.Equal(1f, it.Next(ref x[0]));
        Assert.Equal(0f, it.Next(ref x[0]));

        var skipping = new PatchCursor(g, batch, sample, implicitBias: false);
        Assert.Equal(15, skipping.Total);
        skipping.Skip(5); // a whole run: on to the next
        Assert.Equal((1, 0, (nint)(9 * batch + sample)), (skipping.Run, skipping.Offset, skipping.Index));
        Assert.Equal(9 * 10 + sample, skipping.Next(ref x[0]));
        for (int i = 0; i < 9; i++) skipping.Next(ref x[0]);
        Assert.Equal(0f, skipping.Next(ref x[0])); // no bias: zeros straight away
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(33)]
    [InlineData(70)]
    public void InputScalesAreThePerSampleAbsMax(int batch)
    {
        // Batches that exercise the four-vector blocks, single vectors and the scalar tail.
        var g = new PatchGeometry(FirstRow: 1, RunCount: 2, RunLength: 3, RunStride: 4);
        var rng = new Random(batch);
        var x = new float[(1 + 4 + 3) * batch];
        for (int i = 0; i < x.Length; i++) x[i] = (float)((rng.NextDouble() * 2 - 1) * (i % 3 == 0 ? 0.5 : 2.5));
        var scales = new float[batch + 3];
        foreach (bool bias in new[] { false, true })
        {
            PatchInputScales.AbsMax(x, g, batch, bias, scales);
            for (int b = 0; b < batch; b++)
            {
                float expected = bias ? 1f : 0f;
                foreach (int row in new[] { 1, 2, 3, 5, 6, 7 }) expected = Math.Max(expected, Math.Abs(x[row * batch + b]));
                Assert.Equal(expected, scales[b]);
            }
            Assert.Equal(0f, scales[batch]); // nothing written past the batch
        }
    }

    [Theory]
    [InlineData("gokmen-vlasov", 32)] // device by device
    [InlineData("gokmen-vlasov", 3)]  // sample by sample
    [InlineData("reram-es", 32)]
    [InlineData("pcm", 32)]           // one-sided: refresh and re-program at the end of every mini-batch
    [InlineData("gv-mean", 32)]       // mean mode
    public void UpdatesDoNotAllocateAfterTheFirstBatch(string scenario, int active)
    {
        var c = DeviceArrayGoldenTests.Scenario(scenario);
        const int batch = 32;
        var g = new PatchGeometry(FirstRow: 1, RunCount: 3, RunLength: 9, RunStride: 12);
        var x = Targets((1 + 2 * 12 + 9) * batch, 1.5, 4);
        var d = Targets(batch, 0.01, 5);
        for (int b = active; b < batch; b++) d[b] = 0;
        var grad = Targets(g.Rows + 1, 0.05, 6);
        var samples = Targets(batch * (g.Rows + 1), 1, 7);
        var a = new DeviceArray(c, g.Rows + 1, seed: 3);
        a.ProgramTo(Targets(g.Rows + 1, 0.3, 8));
        void Round()
        {
            a.ApplyBatchUpdate(x, g, d, batch, 0.1f);
            a.ApplyBatchUpdate(samples, d, batch, 0.1f);
            a.ApplyGradient(grad, 0.1f);
            a.ApplyOuterProductUpdate(samples.AsSpan(0, g.Rows + 1), 0.02f, 0.1f);
        }
        Round();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) Round();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(a.Counters.UpdatePulses > 0);
    }
}
