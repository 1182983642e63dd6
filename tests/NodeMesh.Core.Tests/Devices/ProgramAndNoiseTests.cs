using NodeMesh.Core.Devices;
using NodeMesh.Core.Units;

namespace NodeMesh.Core.Tests.Devices;

/// <summary>
/// Program-to-target (closed loop, counted pulses and reads), one-sided pairs and their refresh,
/// write noise seen by reads, output noise, decay, drift and the activity counters.
/// </summary>
public sealed class ProgramAndNoiseTests
{
    private static DeviceConfig Exact(double dwMin = 0.001) => new()
    {
        Name = "exact", Model = DeviceModel.ConstantStep, DwMin = dwMin, DwMinDtod = 0, DwMinStd = 0, UpDown = 0, UpDownDtod = 0,
        WMax = 1, WMin = -1, WMaxDtod = 0, WMinDtod = 0,
    };

    private static float[] Targets(int n, double scale, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    [Fact]
    public void ProgramToReachesTheTargetOnANoiselessConstantStepDeviceAndCountsItsPulses()
    {
        const int n = 500;
        var a = new DeviceArray(Exact(), n, seed: 1);
        var t = Targets(n, 0.5, 2);
        a.ProgramTo(t);
        var w = a.PeekWeights();
        long expectedPulses = 0;
        for (int j = 0; j < n; j++)
        {
            Assert.InRange(w[j], t[j] - 0.0005f - 1e-5f, t[j] + 0.0005f + 1e-5f);
            int needed = (int)Math.Ceiling(Math.Abs(t[j]) / 0.001 - 0.5); // pulses until within dw_min/2
            Assert.InRange(a.DevicePulses(j), needed - 1, needed + 1);      // ±1 for float accumulation at the tolerance edge
            expectedPulses += needed;
        }
        var c = a.Counters;
        Assert.InRange(c.ProgramPulses, expectedPulses - n / 10, expectedPulses + n / 10);
        Assert.Equal(0, c.UpdatePulses);
        Assert.InRange(c.Reads, n + 1, n + c.ProgramPulses / 10); // one read per verify after each burst, plus the first
        Assert.Equal(c.ProgramPulses, c.TotalPulses);

        // Re-programming to the same targets costs nothing; a small move costs a few pulses.
        a.ResetCounters();
        a.ProgramTo(t);
        Assert.Equal(0, a.Counters.ProgramPulses);
        a.ProgramTo(t.Select(v => v + 0.003f).ToArray());
        Assert.InRange(a.Counters.ProgramPulses, 2 * n, 4 * n);
    }

    [Fact]
    public void ProgramToWithDeviceVariationEndsWithinAboutOneStep()
    {
        var c = DeviceConfig.Load("gokmen-vlasov") with { DwMinDtod = 0.1, WMaxDtod = 0.1, WMinDtod = 0.1 };
        const int n = 2000;
        var a = new DeviceArray(c, n, seed: 3);
        var t = Targets(n, 0.5, 4);
        a.ProgramTo(t);
        var w = a.PeekWeights();
        for (int j = 0; j < n; j++)
        {
            var p = a.ParamsOf(j);
            float step = Math.Max(p.DwUp, p.DwDown) * (1 + 5 * 0.3f);
            Assert.InRange(w[j], t[j] - step, t[j] + step);
        }
        double nominal = t.Sum(v => Math.Abs(v)) / 0.0016;
        Assert.InRange(a.Counters.ProgramPulses, 0.8 * nominal, 1.3 * nominal); // about |Δ|/dw_min pulses, not assignment
        Assert.True(a.Counters.MaxPulsesPerDevice <= 4 * Math.Ceiling(0.5 / 0.0016));
    }

    [Fact]
    public void ProgramToStopsAtSaturationAndRespectsTheCap()
    {
        // Soft bounds: a target beyond b_max cannot be reached; the loop stops instead of spending its budget.
        var sb = new DeviceArray(DeviceConfig.Load("reram-sb") with { WriteNoiseStd = 0, DwMinStd = 0, WMaxDtod = 0 }, 1, seed: 1);
        sb.ProgramTo([2f]);
        Assert.True(sb.PeekWeights()[0] < 1.25f);
        Assert.True(sb.Counters.ProgramPulses <= 4 * Math.Ceiling(2 / 0.002));

        var hard = new DeviceArray(Exact(), 1, seed: 1);
        hard.ProgramTo([1.5f]); // beyond b_max = 1: stops at the first clipped pulse
        Assert.Equal(1f, hard.PeekWeights()[0]);
        Assert.InRange(hard.Counters.ProgramPulses, 1000, 1500); // stops in the first burst that clips

        var capped = new DeviceArray(Exact() with { ProgramMaxPulses = 50 }, 1, seed: 1);
        capped.ProgramTo([0.5f]);
        Assert.Equal(50, capped.Counters.ProgramPulses);
        Assert.Equal(0.05f, capped.PeekWeights()[0], 1e-5f);
    }

    [Fact]
    public void OneSidedPairsProgramSignedWeightsWithUpPulsesOnly()
    {
        var c = Exact() with { WMin = 0, OneSided = true, Reset = 0, ResetDtod = 0, ResetStd = 0 };
        const int n = 200;
        var a = new DeviceArray(c, n, seed: 5);
        Assert.Equal(2 * n, a.DeviceCount);
        var t = Targets(n, 0.6, 6);
        a.ProgramTo(t);
        var w = a.PeekWeights();
        for (int j = 0; j < n; j++)
        {
            Assert.InRange(w[j], t[j] - 0.0005f - 1e-5f, t[j] + 0.0005f + 1e-5f);
            float gp = a.DeviceWeight(2 * j), gm = a.DeviceWeight(2 * j + 1);
            Assert.True(gp >= 0 && gm >= 0);
            // Only the device on the target's side moved: g+ carries a positive target, g- a negative one.
            Assert.Equal(0f, t[j] > 0 ? gm : gp);
            Assert.Equal(Math.Abs(t[j]), t[j] > 0 ? gp : gm, 1e-3f);
        }
        Assert.Equal(w.ToArray(), a.PersistentWeights());

        // Updates in both directions only ever raise conductances.
        var x = Enumerable.Repeat(1f, n).ToArray();
        for (int s = 0; s < 20; s++) a.ApplyOuterProductUpdate(x, s % 2 == 0 ? 0.05f : -0.05f, 0.1f);
        for (int d = 0; d < a.DeviceCount; d++) Assert.True(a.DeviceWeight(d) >= 0);
    }

    [Fact]
    public void OneSidedRefreshResetsSaturatedPairsAndKeepsTheirValue()
    {
        var c = Exact(0.01) with { WMin = 0, OneSided = true, Reset = 0, ResetDtod = 0, ResetStd = 0 };
        var a = new DeviceArray(c, 4, seed: 7);
        a.ProgramTo([0.2f, -0.1f, 0f, 0.05f]);
        // Drive both devices of weight 0 up: g+ to 0.9 (> 0.75 w_max), g- to 0.7 (> 0.25 w_max).
        a.SetDeviceWeight(0, 0.9f);
        a.SetDeviceWeight(1, 0.7f);
        a.EndMiniBatch();
        Assert.Equal(1, a.Counters.Refreshes);
        Assert.Equal(0.2f, a.PeekWeights()[0], 0.006f);
        Assert.True(a.DeviceWeight(0) < 0.25f && a.DeviceWeight(1) < 0.25f, "both devices restart from the reset state");
        Assert.Equal(-0.1f, a.PeekWeights()[1], 0.006f); // other pairs untouched
        a.EndMiniBatch();
        Assert.Equal(1, a.Counters.Refreshes);

        // The PCM preset trains as a one-sided pair.
        var pcm = new DeviceArray(DeviceConfig.Load("pcm"), 50, seed: 8);
        Assert.Equal(100, pcm.DeviceCount);
        var t = Targets(50, 0.8, 9);
        pcm.ProgramTo(t);
        var w = pcm.PeekWeights().ToArray();
        double err = Enumerable.Range(0, 50).Average(j => Math.Abs(w[j] - t[j]));
        Assert.True(err < 0.2, $"PCM programs to within its (large, noisy) first steps of ~0.28: mean error {err}");
        Assert.True(Enumerable.Range(0, 50).Count(j => Math.Sign(w[j]) == Math.Sign(t[j]) || Math.Abs(t[j]) < 0.2) >= 48);
    }

    [Fact]
    public void ReadsSeeWriteNoiseRedrawnAfterEachPulse()
    {
        var c = DeviceConfig.Load("reram-sb") with { WriteNoiseStd = 10, DwMinStd = 0.1 };
        const int n = 20_000;
        var a = new DeviceArray(c, n, seed: 2);
        for (int d = 0; d < n; d++) a.PulseDevice(d, true);
        var read = a.Read();
        var persistent = a.PersistentWeights();
        double s2 = 0;
        for (int d = 0; d < n; d++) s2 += Math.Pow(read[d] - persistent[d], 2);
        double sd = Math.Sqrt(s2 / n), expected = 10 * 0.002;
        Assert.InRange(sd, expected * (1 - 5 / Math.Sqrt(2.0 * n)), expected * (1 + 5 / Math.Sqrt(2.0 * n)));
        float before = a.DeviceApparent(0);
        Assert.Equal(before, a.DeviceApparent(0)); // frozen until the next pulse
        a.PulseDevice(0, true);
        Assert.NotEqual(before, a.DeviceApparent(0));
        Assert.Equal(2L * n, a.Counters.Reads + n); // Read() counted one read per device; PersistentWeights() none
    }

    [Fact]
    public void OutputNoiseScalesWithTheInputScale()
    {
        var a = new DeviceArray(DeviceConfig.Load("gokmen-vlasov"), 3, seed: 1);
        const int batch = 50_000;
        var x = new float[2 * batch];
        for (int b = 0; b < batch; b++) { x[b] = b % 2 == 0 ? 3f : 0.5f; x[batch + b] = -0.2f; }
        var y = new float[batch];
        a.AddOutputNoise(y, x, new PatchGeometry(0, 1, 2, 0), batch);
        double s3 = 0, s1 = 0;
        for (int b = 0; b < batch; b++) { if (b % 2 == 0) s3 += y[b] * y[b]; else s1 += y[b] * y[b]; }
        double sd3 = Math.Sqrt(s3 / (batch / 2)), sd1 = Math.Sqrt(s1 / (batch / 2)), tol = 5 / Math.Sqrt(batch);
        Assert.InRange(sd3, 0.18 * (1 - tol), 0.18 * (1 + tol)); // α = max|x| = 3
        Assert.InRange(sd1, 0.06 * (1 - tol), 0.06 * (1 + tol)); // α = max(1, 0.5) = 1 (the bias input)
    }

    [Fact]
    public void DecayAndDrift()
    {
        var leaky = new DeviceArray(Exact() with { Lifetime = 100 }, 3, seed: 1);
        leaky.ProgramTo([0.5f, -0.2f, 0f]);
        leaky.EndMiniBatch();
        Assert.Equal(0.5f * 0.99f, leaky.PeekWeights()[0], 1e-3f);
        Assert.Equal(-0.2f * 0.99f, leaky.PeekWeights()[1], 1e-3f);

        var drifting = new DeviceArray(Exact() with { DriftNu = 0.1, DriftT0 = 20 }, 2, seed: 1);
        drifting.ProgramTo([0.5f, -0.3f]);
        float w0 = drifting.PeekWeights()[0], w1 = drifting.PeekWeights()[1];
        drifting.AdvanceTime(10);
        Assert.Equal(w0, drifting.PeekWeights()[0]); // no drift before t0
        drifting.AdvanceTime(190);
        Assert.Equal(w0 * Math.Pow(10, -0.1), drifting.PeekWeights()[0], 1e-5);
        Assert.Equal(w1 * Math.Pow(10, -0.1), drifting.PeekWeights()[1], 1e-5);
        drifting.PulseDevice(0, true); // a write restarts the device's clock
        float fresh = drifting.PeekWeights()[0];
        drifting.AdvanceTime(20);
        Assert.Equal(fresh, drifting.PeekWeights()[0]);
        drifting.AdvanceTime(180);
        Assert.Equal(fresh * Math.Pow(10, -0.1), drifting.PeekWeights()[0], 1e-5);
        Assert.Equal(w1 * Math.Pow(20, -0.1), drifting.PeekWeights()[1], 1e-5);
    }

    [Fact]
    public void CountersAddUpAndReset()
    {
        var a = new DeviceArray(DeviceConfig.Load("gokmen-vlasov"), 10, seed: 1);
        _ = a.Read();
        _ = a.Read();
        a.ApplyGradient(Enumerable.Repeat(0.1f, 10).ToArray(), 0.05f);
        var c = a.Counters;
        Assert.Equal(20, c.Reads);
        Assert.Equal((10L, 10L), (c.Weights, c.Devices));
        Assert.True(c.UpdatePulses >= 30 && c.MaxPulsesPerDevice >= 3);
        var sum = c + c;
        Assert.Equal((2 * c.UpdatePulses, c.MaxPulsesPerDevice, 20L), (sum.UpdatePulses, sum.MaxPulsesPerDevice, sum.Devices));
        Assert.Equal(c.MeanPulsesPerDevice, sum.MeanPulsesPerDevice);
        a.ResetCounters();
        Assert.Equal(new DeviceCounters(10, 10, 0, 0, 0, 0, 0, 0, 0), a.Counters);
    }
}
