using NodeMesh.Core.Devices;

namespace NodeMesh.Core.Tests.Devices;

/// <summary>
/// The update-once rules of every model (<see cref="DeviceStep"/>) against the reference equations,
/// evaluated with each device's own drawn parameters: the exact step without cycle-to-cycle noise,
/// and the mean and variance of the step over N = 20,000 pulses from the same weight with noise
/// (bounds: 5 standard errors of the sample mean, σ²·5·sqrt(2/(N−1)) for the sample variance of
/// Gaussian noise). Also: soft bounds saturate at b_max / b_min and settle at their symmetry point,
/// every device is clipped at its own bounds, and a step draws exactly the normals its model needs.
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
    private static double ExpectedStep(DeviceConfig c, DeviceParameters p, double w, bool up)
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

    private static double ExpectedSd(DeviceConfig c, DeviceParameters p, double mu, double w, bool up)
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
        Assert.Equal(0, a.Counters.ClippedUpdatePulses); // the start points are far from the bounds
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
        Assert.Equal(0, a.Counters.ClippedUpdatePulses); // soft bounds are approached, never crossed

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
    public void PowStepTrajectoryRunsAihwkitsExponents()
    {
        // γ = 1.5, pow_up_down = 0.2, no variation or noise. aihwkit's C++ runs γ↑ = 1.5, γ↓ = 1.2
        // (β > 0 lowers the down exponent only); the trajectory of 120 up then 80 down pulses from 0
        // is recomputed here from aihwkit's update-once rule in double precision.
        var c = new DeviceConfig
        {
            Model = DeviceModel.PowStep, DwMin = 0.01, DwMinDtod = 0, DwMinStd = 0, UpDown = 0, UpDownDtod = 0,
            WMax = 0.6, WMin = -0.6, WMaxDtod = 0, WMinDtod = 0, PowGamma = 1.5, PowGammaDtod = 0, PowUpDown = 0.2, PowUpDownDtod = 0,
        };
        var a = new DeviceArray(c, 1, seed: 1);
        double w = 0;
        for (int i = 0; i < 200; i++)
        {
            bool up = i < 120;
            w += up ? 0.01 * Math.Pow((0.6 - w) / 1.2, 1.5) : -0.01 * Math.Pow((w + 0.6) / 1.2, 1.2);
            Assert.Equal(w, a.PulseDevice(0, up), 1e-5);
        }

        // β < 0 is the mirror image: γ↑ = γ(1 + β) = 1.2, γ↓ = γ = 1.5.
        var mirror = new DeviceArray(c with { PowUpDown = -0.2 }, 1, seed: 1);
        w = 0;
        for (int i = 0; i < 200; i++)
        {
            bool up = i >= 120;
            w += up ? 0.01 * Math.Pow((0.6 - w) / 1.2, 1.2) : -0.01 * Math.Pow((w + 0.6) / 1.2, 1.5);
            Assert.Equal(w, mirror.PulseDevice(0, up), 1e-5);
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
        Assert.True(a.Counters.ClippedUpdatePulses > a.DeviceCount, "the pulses beyond the bounds are counted as clipped");
        Assert.InRange(a.Counters.ClippedUpdateFraction, 0.1, 0.9);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void ANoisyStepDrawsOneNormalAndANoiselessStepNone(DeviceModel model, bool mult, bool complex)
    {
        // The step's noise is the next normal of the array's stream, applied as the model says:
        // multiplicative dw (1 + σξ), additive dw + dw_up σξ, or ExpStep's dw + σ(|dw| + add + slope |w|)ξ.
        var p = new DeviceParameters { BMin = -0.5f, BMax = 0.7f, DwUp = 0.001f, DwDown = 0.0012f, SUp = 0.8f, SDown = 1.3f };
        const float w = 0.1f;
        var quiet = new DeviceStep(Config(model, sigma: 0, mult, complex), new DeviceNoiseSource(99));
        float dw0 = quiet.Of(w, ref p, up: true);
        Assert.NotEqual(0f, dw0);

        var noise = new DeviceNoiseSource(99);
        var reference = new DeviceNoiseSource(99);
        var noisy = new DeviceStep(Config(model, sigma: 0.3, mult, complex), noise);
        float dw = noisy.Of(w, ref p, up: true);
        float xi = reference.Normal();
        float expected = complex ? dw0 + 0.3f * (MathF.Abs(dw0) + 0.0005f + 0.002f * MathF.Abs(w)) * xi
            : !mult && model is DeviceModel.LinearStep or DeviceModel.SoftBounds ? dw0 + p.DwUp * 0.3f * xi
            : dw0 * (1f + 0.3f * xi);
        Assert.Equal(expected, dw);
        Assert.Equal(reference.Normal(), noise.Normal()); // exactly one normal was drawn

        var silent = new DeviceNoiseSource(99);
        _ = new DeviceStep(Config(model, sigma: 0, mult, complex), silent).Of(w, ref p, up: false);
        Assert.Equal(new DeviceNoiseSource(99).Normal(), silent.Normal()); // none without noise
    }

    [Fact]
    public void APowStepDeviceWithoutRangeNeitherMovesNorDraws()
    {
        var p = new DeviceParameters { BMin = 0.2f, BMax = 0.2f, DwUp = 0.001f, DwDown = 0.001f, SUp = 1.7f, SDown = 1.7f };
        var noise = new DeviceNoiseSource(5);
        var step = new DeviceStep(Config(DeviceModel.PowStep, sigma: 0.3), noise);
        Assert.Equal(0f, step.Of(0.2f, ref p, up: true));
        Assert.Equal(0f, step.Of(0.2f, ref p, up: false));
        Assert.Equal(new DeviceNoiseSource(5).Normal(), noise.Normal());
    }
}
