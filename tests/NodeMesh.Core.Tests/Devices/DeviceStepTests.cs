using NodeMesh.Core.Devices;

namespace NodeMesh.Core.Tests.Devices;

/// <summary>
/// The update-once rules of every model against the reference equations, evaluated with each
/// device's own drawn parameters: the exact step without cycle-to-cycle noise, and the mean and
/// variance of the step over N = 20,000 pulses from the same weight with noise (bounds: 5 standard
/// errors of the sample mean, σ²·5·sqrt(2/(N−1)) for the sample variance of Gaussian noise).
/// Also: soft bounds saturate at b_max / b_min and settle at their symmetry point, every device is
/// clipped at its own bounds, stuck devices never move, the seed determines the devices, and the
/// device-to-device draws have the reference's means and spreads.
/// </summary>
public sealed class DeviceStepTests
{
    private const int N = 20_000;

    public static DeviceConfig Config(DeviceModel model, double sigma, bool multNoise = true, bool complexNoise = false) => new()
    {
        Name = "test", Model = model, DwMin = 0.001, DwMinDtod = 0.3, DwMinStd = sigma, UpDown = 0.1, UpDownDtod = 0.05,
        WMax = 0.6, WMin = -0.6, WMaxDtod = 0.3, WMinDtod = 0.3, MultNoise = multNoise,
        GammaUp = model == DeviceModel.LinearStep ? 0.4 : null, GammaDown = model == DeviceModel.LinearStep ? 0.7 : null,
        PowGamma = 1.7, PowUpDown = 0.1, PowUpDownDtod = 0.05,
        DwMinStdAdd = complexNoise ? 0.0005 : 0, DwMinStdSlope = complexNoise ? 0.002 : 0,
        WriteNoiseStd = 0,
    };

    /// <summary>The reference's step for device parameters <paramref name="p"/> at weight <paramref name="w"/>.</summary>
    private static double ExpectedStep(DeviceConfig c, DeviceArray.DeviceParams p, double w, bool up)
    {
        switch (c.Model)
        {
            case DeviceModel.ConstantStep:
                return up ? p.DwUp : -p.DwDown;
            case DeviceModel.LinearStep:
                double gammaUp = p.SUp * c.WMax, gammaDown = p.SDown * -c.WMin; // the device's drawn gammas
                return up ? p.DwUp * (1 - gammaUp * w / c.WMax) : -p.DwDown * (1 + gammaDown * w / Math.Abs(c.WMin));
            case DeviceModel.SoftBounds:
                return up ? p.DwUp * (1 - w / p.BMax) : -p.DwDown * (1 - w / p.BMin);
            case DeviceModel.ExpStep:
                double z = 2 * c.ExpA * w / (p.BMax - p.BMin) + c.ExpB;
                return up
                    ? Math.Max(1 - c.ExpAUp * Math.Exp(c.EffectiveGammaUp * z), 0) * p.DwUp
                    : -Math.Max(1 - c.ExpADown * Math.Exp(-c.EffectiveGammaDown * z), 0) * p.DwDown;
            default:
                double range = p.BMax - p.BMin;
                return up ? p.DwUp * Math.Pow((p.BMax - w) / range, p.SUp) : -p.DwDown * Math.Pow((w - p.BMin) / range, p.SDown);
        }
    }

    private static double ExpectedSd(DeviceConfig c, DeviceArray.DeviceParams p, double mu, double w, bool up)
    {
        double s = c.DwMinStd;
        if (c.Model == DeviceModel.ExpStep && (c.DwMinStdAdd > 0 || c.DwMinStdSlope > 0))
            return s * (Math.Abs(mu) + c.DwMinStdAdd + c.DwMinStdSlope * Math.Abs(w));
        if (c.Model is DeviceModel.LinearStep or DeviceModel.SoftBounds && !c.MultNoise)
            return s * (up ? p.DwUp : p.DwDown);
        return s * Math.Abs(mu);
    }

    public static TheoryData<DeviceModel, bool, bool> Models() => new()
    {
        { DeviceModel.ConstantStep, true, false },
        { DeviceModel.LinearStep, true, false },
        { DeviceModel.LinearStep, false, false },
        { DeviceModel.SoftBounds, true, false },
        { DeviceModel.SoftBounds, false, false },
        { DeviceModel.ExpStep, true, false },
        { DeviceModel.ExpStep, true, true },
        { DeviceModel.PowStep, true, false },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void NoiselessStepFollowsTheEquation(DeviceModel model, bool mult, bool complex)
    {
        var c = Config(model, sigma: 0, mult, complex);
        var a = new DeviceArray(c, 16, seed: 11);
        for (int d = 0; d < a.DeviceCount; d++)
        {
            var p = a.ParamsOf(d);
            foreach (double frac in new[] { -0.8, -0.3, 0, 0.4, 0.9 })
            {
                float w0 = (float)(frac > 0 ? frac * p.BMax : -frac * p.BMin);
                foreach (bool up in new[] { true, false })
                {
                    a.SetDeviceWeight(d, w0);
                    double expected = Math.Clamp(w0 + ExpectedStep(c, p, w0, up), p.BMin, p.BMax);
                    Assert.Equal(expected, a.PulseDevice(d, up), 1e-6);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void StepMeanAndVarianceMatchTheEquations(DeviceModel model, bool mult, bool complex)
    {
        var c = Config(model, sigma: 0.3, mult, complex);
        var a = new DeviceArray(c, 4, seed: 5);
        const int d = 2;
        var p = a.ParamsOf(d);
        foreach (float w0 in new[] { 0.5f * p.BMin, 0.4f * p.BMax })
        {
            foreach (bool up in new[] { true, false })
            {
                double mu = ExpectedStep(c, p, w0, up), sd = ExpectedSd(c, p, mu, w0, up);
                double sum = 0, sum2 = 0;
                for (int i = 0; i < N; i++)
                {
                    a.SetDeviceWeight(d, w0);
                    double step = a.PulseDevice(d, up) - w0;
                    sum += step;
                    sum2 += step * step;
                }
                double mean = sum / N, var = (sum2 - sum * sum / N) / (N - 1);
                Assert.InRange(mean, mu - 5 * sd / Math.Sqrt(N), mu + 5 * sd / Math.Sqrt(N));
                double varTol = 5 * sd * sd * Math.Sqrt(2.0 / (N - 1)) + 1e-14;
                Assert.InRange(var, sd * sd - varTol, sd * sd + varTol);
            }
        }
        Assert.Equal(0, a.Counters.ClippedPulses); // the start points are far from the bounds
    }

    [Fact]
    public void SoftBoundsSaturateAtTheDevicesOwnBounds()
    {
        // Noiseless: after n up pulses from 0, w_n = b_max (1 - (1 - dw_up/b_max)^n) exactly.
        var c = Config(DeviceModel.SoftBounds, sigma: 0);
        var a = new DeviceArray(c, 32, seed: 3);
        for (int d = 0; d < a.DeviceCount; d++)
        {
            var p = a.ParamsOf(d);
            a.SetDeviceWeight(d, 0);
            for (int n = 1; n <= 3000; n++)
            {
                float w = a.PulseDevice(d, up: true);
                if (n % 500 == 0) Assert.Equal(p.BMax * (1 - Math.Pow(1 - p.DwUp / p.BMax, n)), w, 2e-5);
            }
            for (int n = 0; n < 40_000; n++) a.PulseDevice(d, up: true);
            // float32 stalls the approach once the step drops below half an ulp of w (|b| - w ~ 1e-5 here)
            Assert.InRange(a.DeviceWeight(d), p.BMax * (1 - 1e-4), p.BMax);
            for (int n = 0; n < 40_000; n++) a.PulseDevice(d, up: false);
            Assert.InRange(a.DeviceWeight(d), p.BMin, p.BMin * (1 - 1e-4));
        }
        Assert.Equal(0, a.Counters.ClippedPulses); // soft bounds are approached, never crossed

        // With multiplicative cycle-to-cycle noise the device still settles at its own b_max.
        var noisy = new DeviceArray(Config(DeviceModel.SoftBounds, sigma: 0.3), 32, seed: 4);
        for (int d = 0; d < noisy.DeviceCount; d++)
        {
            for (int n = 0; n < 30_000; n++) noisy.PulseDevice(d, up: true);
            var p = noisy.ParamsOf(d);
            Assert.InRange(noisy.DeviceWeight(d), p.BMax * (1 - 1e-4), p.BMax);
        }
    }

    [Fact]
    public void SoftBoundsSettleAtTheSymmetryPoint()
    {
        // Alternating up/down pulses converge to w* where dw_up (1 - w/b_max) = dw_down (1 - w/b_min).
        var a = new DeviceArray(Config(DeviceModel.SoftBounds, sigma: 0), 32, seed: 8);
        for (int d = 0; d < a.DeviceCount; d++)
        {
            var p = a.ParamsOf(d);
            double wStar = (p.DwUp - p.DwDown) / (p.DwUp / p.BMax - p.DwDown / p.BMin);
            for (int n = 0; n < 20_000; n++) { a.PulseDevice(d, true); a.PulseDevice(d, false); }
            Assert.InRange(a.DeviceWeight(d), wStar - Math.Max(p.DwUp, p.DwDown), wStar + Math.Max(p.DwUp, p.DwDown));
        }
    }

    [Fact]
    public void StepShapes()
    {
        // ExpStep (reference defaults): up steps shrink and down steps grow as w rises; LinearStep: both
        // decrease linearly towards their bound; PowStep: up vanishes at b_max, down at b_min.
        foreach (var model in new[] { DeviceModel.ExpStep, DeviceModel.LinearStep, DeviceModel.PowStep })
        {
            var c = Config(model, 0) with { DwMinDtod = 0, UpDown = 0, UpDownDtod = 0, WMaxDtod = 0, WMinDtod = 0, GammaUpDtod = 0, GammaDownDtod = 0, PowGammaDtod = 0, PowUpDownDtod = 0, PowUpDown = 0 };
            var a = new DeviceArray(c, 1, seed: 1);
            double Up(float w) { a.SetDeviceWeight(0, w); return a.PulseDevice(0, true) - w; }
            double Down(float w) { a.SetDeviceWeight(0, w); return w - a.PulseDevice(0, false); }
            float[] ws = [-0.5f, -0.25f, 0f, 0.25f, 0.5f];
            for (int i = 1; i < ws.Length; i++)
            {
                Assert.True(Up(ws[i]) < Up(ws[i - 1]), $"{model}: up step must shrink as w rises");
                Assert.True(model == DeviceModel.ExpStep ? Down(ws[i]) > Down(ws[i - 1]) : Down(ws[i]) > Down(ws[i - 1]) - 1e-12,
                    $"{model}: down step must grow as w rises");
            }
            if (model == DeviceModel.LinearStep)
            {
                Assert.Equal(0.001 * (1 - 0.4 * 0.5 / 0.6), Up(0.5f), 1e-7);   // dw (1 - γ↑ w / w_max)
                Assert.Equal(0.001 * (1 - 0.7 * 0.5 / 0.6), Down(-0.5f), 1e-7); // dw (1 + γ↓ w / |w_min|)
                Assert.Equal(0.001, Up(0f), 1e-9);
            }
            if (model == DeviceModel.PowStep)
            {
                Assert.Equal(0.001 * Math.Pow(0.1 / 1.2, 1.7), Up(0.5f), 1e-7);
                Assert.Equal(0.001 * Math.Pow(0.5, 1.7), Up(0f), 1e-7);
                Assert.Equal(0.0, Up(0.6f), 1e-12);
            }
            if (model == DeviceModel.ExpStep)
                Assert.Equal(0.001 * (1 - 0.00081 * Math.Exp(12.44625 * (2 * 0.244 * 0.25 / 1.2 + 0.2425))), Up(0.25f), 1e-7);
        }
    }

    [Fact]
    public void WeightsAreClippedAtEachDevicesOwnBounds()
    {
        var a = new DeviceArray(Config(DeviceModel.ConstantStep, sigma: 0.3), 64, seed: 21);
        var maxima = new HashSet<float>();
        for (int d = 0; d < a.DeviceCount; d++)
        {
            var p = a.ParamsOf(d);
            int n = (int)(3 * p.BMax / p.DwUp) + 10;
            for (int i = 0; i < n; i++) a.PulseDevice(d, true);
            Assert.Equal(p.BMax, a.DeviceWeight(d));
            n = (int)(3 * (p.BMax - p.BMin) / p.DwDown) + 10;
            for (int i = 0; i < n; i++) a.PulseDevice(d, false);
            Assert.Equal(p.BMin, a.DeviceWeight(d));
            maxima.Add(p.BMax);
        }
        Assert.True(maxima.Count > 60, "bounds vary from device to device");
        Assert.True(a.Counters.ClippedPulses > a.DeviceCount, "the pulses beyond the bounds are counted as clipped");
        Assert.InRange(a.Counters.ClippedFraction, 0.1, 0.9);
    }

    [Fact]
    public void StuckDevicesNeverMove()
    {
        var c = Config(DeviceModel.ConstantStep, 0.3) with { CorruptDevicesProb = 0.25, CorruptDevicesRange = 0.1 };
        const int length = 4000;
        var a = new DeviceArray(c, length, seed: 9);
        DeviceRngTests.AssertBinomial(a.StuckCount, length, 0.25);
        Assert.Equal(a.StuckCount, a.Counters.StuckDevices);
        var before = a.PeekWeights().ToArray();
        var stuck = Enumerable.Range(0, length).Where(d => a.ParamsOf(d).Stuck).ToArray();
        foreach (int d in stuck) Assert.InRange(before[d], -0.1f, 0.1f);
        Assert.True(stuck.Select(d => before[d]).Distinct().Count() > stuck.Length / 2, "stuck values are spread");

        var rng = new Random(1);
        var g = new float[length];
        for (int step = 0; step < 20; step++)
        {
            for (int j = 0; j < length; j++) g[j] = (float)(rng.NextDouble() - 0.5);
            a.ApplyGradient(g, 0.05f);
        }
        var target = Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.4f).ToArray();
        a.ProgramTo(target);
        var after = a.PeekWeights().ToArray();
        foreach (int d in stuck) Assert.Equal(before[d], after[d]);
        // Every other device moved (except the rare ones whose drawn bound was clamped to 0 and that sit on it).
        var free = Enumerable.Range(0, length).Where(d => !a.ParamsOf(d).Stuck && a.ParamsOf(d).BMax > 0 && a.ParamsOf(d).BMin < 0).ToArray();
        Assert.True(free.Length > length - stuck.Length - 20);
        Assert.All(free, d => Assert.NotEqual(before[d], after[d]));
    }

    [Fact]
    public void TheSeedDeterminesTheDevices()
    {
        var c = DeviceConfig.Load("reram-es") with { CorruptDevicesProb = 0.1 };
        var a = new DeviceArray(c, 200, seed: 77);
        var b = new DeviceArray(c, 200, seed: 77);
        var other = new DeviceArray(c, 200, seed: 78);
        int differ = 0;
        for (int d = 0; d < 200; d++)
        {
            Assert.Equal(a.ParamsOf(d), b.ParamsOf(d));
            if (!a.ParamsOf(d).Equals(other.ParamsOf(d))) differ++;
        }
        Assert.Equal(200, differ);

        // Same seed, same updates: identical weights (pulse noise comes from the same stream too).
        var x = Enumerable.Range(0, 200).Select(i => (float)Math.Sin(i)).ToArray();
        x[^1] = 1;
        foreach (var arr in new[] { a, b, other })
            for (int s = 0; s < 50; s++) arr.ApplyOuterProductUpdate(x, 0.02f * (s % 3 - 1), 0.1f);
        Assert.Equal(a.PeekWeights().ToArray(), b.PeekWeights().ToArray());
        Assert.NotEqual(a.PeekWeights().ToArray(), other.PeekWeights().ToArray());

        Assert.NotEqual(DeviceArray.UnitSeed(1, 0, 0), DeviceArray.UnitSeed(1, 0, 1));
        Assert.NotEqual(DeviceArray.UnitSeed(1, 0, 0), DeviceArray.UnitSeed(1, 1, 0));
        Assert.NotEqual(DeviceArray.UnitSeed(1, 0, 0), DeviceArray.UnitSeed(2, 0, 0));
        Assert.Equal(DeviceArray.UnitSeed(5, 2, 3), DeviceArray.UnitSeed(5, 2, 3));
    }

    [Fact]
    public void DeviceToDeviceDrawsFollowTheReference()
    {
        // b_max = w_max (1 + w_max_dtod ξ); dw_up = |gain + r| dw_min with gain = 1 + dw_min_dtod ξ, r = up_down_dtod ξ;
        // LinearStep γ_ij = |γ + γ_dtod ξ|. Spreads small enough that the clamps (b >= 0, |.|) never act.
        var c = new DeviceConfig
        {
            Model = DeviceModel.LinearStep, DwMin = 0.002, DwMinDtod = 0.1, UpDown = 0, UpDownDtod = 0.05,
            WMax = 0.8, WMin = -0.4, WMaxDtod = 0.1, WMinDtod = 0.2, GammaUp = 0.5, GammaUpDtod = 0.05, GammaDown = 0.3, GammaDownDtod = 0.02,
        };
        const int n = 20_000;
        var a = new DeviceArray(c, n, seed: 123);
        var ps = Enumerable.Range(0, n).Select(a.ParamsOf).ToArray();
        AssertMeanSd(ps.Select(p => (double)p.BMax), 0.8, 0.08);
        AssertMeanSd(ps.Select(p => (double)p.BMin), -0.4, 0.08);
        AssertMeanSd(ps.Select(p => (double)p.DwUp), 0.002, 0.002 * Math.Sqrt(0.1 * 0.1 + 0.05 * 0.05));
        AssertMeanSd(ps.Select(p => (double)(p.DwUp + p.DwDown) / 2), 0.002, 0.002 * 0.1); // the asymmetry r cancels
        AssertMeanSd(ps.Select(p => (double)p.SUp * 0.8), 0.5, 0.05);
        AssertMeanSd(ps.Select(p => (double)p.SDown * 0.4), 0.3, 0.02);

        // up_down: up_bias = min(up_down, 0), down_bias = -max(up_down, 0): dw_down = (1 - up_down) dw_up on average.
        var asym = new DeviceArray(new DeviceConfig { UpDown = 0.2, DwMinDtod = 0, UpDownDtod = 0 }, 10, seed: 1);
        Assert.Equal(0.001, asym.ParamsOf(0).DwUp, 1e-9);
        Assert.Equal(0.0008, asym.ParamsOf(0).DwDown, 1e-9);
        var asymDown = new DeviceArray(new DeviceConfig { UpDown = -0.2, DwMinDtod = 0, UpDownDtod = 0 }, 10, seed: 1);
        Assert.Equal(0.0008, asymDown.ParamsOf(0).DwUp, 1e-9);
        Assert.Equal(0.001, asymDown.ParamsOf(0).DwDown, 1e-9);
    }

    private static void AssertMeanSd(IEnumerable<double> values, double mean, double sd)
    {
        var v = values.ToArray();
        double m = v.Average();
        double s = Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / (v.Length - 1));
        Assert.InRange(m, mean - 5 * sd / Math.Sqrt(v.Length), mean + 5 * sd / Math.Sqrt(v.Length));
        Assert.InRange(s, sd * (1 - 5 / Math.Sqrt(2.0 * v.Length)), sd * (1 + 5 / Math.Sqrt(2.0 * v.Length)));
    }
}
