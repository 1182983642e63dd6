using NodeMesh.Core.Devices;
using static NodeMesh.Core.Tests.Devices.TestDevices;

namespace NodeMesh.Core.Tests.Devices;

/// <summary>
/// Device-to-device variation (<see cref="DeviceParameterDraw"/>): the draws have the reference's
/// means and spreads (bounds 5 standard errors), the seed determines the devices, each feature
/// draws from its own stream, corrupt devices are stuck at a value inside their bounds and never
/// move, and the model slopes follow each device's own drawn bounds.
/// </summary>
public sealed class DeviceParameterDrawTests
{
    [Fact]
    public void StuckDevicesNeverMove()
    {
        var c = DeviceStepTests.Config(DeviceModel.ConstantStep, 0.3) with { CorruptDevicesProb = 0.25, CorruptDevicesRange = 0.1 };
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

    [Fact]
    public void EachFeatureDrawsFromItsOwnStream()
    {
        // Switching corruption, one-sided reset, lifetime or drift on must not change the other draws.
        var plain = new DeviceConfig { Model = DeviceModel.SoftBounds };
        var all = plain with
        {
            CorruptDevicesProb = 0.3, OneSided = true, WMin = 0, Reset = 0.05, ResetDtod = 0.02,
            Lifetime = 40, LifetimeDtod = 0.1, DriftNu = 0.05, DriftNuDtod = 0.2,
        };
        const int n = 500;
        var basic = DeviceParameterDraw.Draw(plain with { WMin = 0 }, n, seed: 31);
        var full = DeviceParameterDraw.Draw(all, n, seed: 31);
        Assert.True(full.StuckCount > 100);
        for (int d = 0; d < n; d++)
            if (!full.Parameters[d].Stuck) Assert.Equal(basic.Parameters[d], full.Parameters[d]);
        Assert.Null(basic.ResetBias);
        Assert.Null(basic.Retention);
        Assert.Null(basic.DriftNu);

        var resetOnly = DeviceParameterDraw.Draw(all with { Lifetime = 0, DriftNu = 0, CorruptDevicesProb = 0 }, n, seed: 31);
        Assert.Equal(resetOnly.ResetBias, full.ResetBias);
        var driftOnly = DeviceParameterDraw.Draw(plain with { DriftNu = 0.05, DriftNuDtod = 0.2 }, n, seed: 31);
        Assert.Equal(driftOnly.DriftNu, full.DriftNu);
        var lifetimeOnly = DeviceParameterDraw.Draw(plain with { Lifetime = 40, LifetimeDtod = 0.1 }, n, seed: 31);
        Assert.Equal(lifetimeOnly.Retention, full.Retention);
        Assert.Equal(DeviceParameterDraw.UnitSeed(5, 2, 3), DeviceArray.UnitSeed(5, 2, 3));
    }

    [Fact]
    public void ResetLifetimeAndDriftDrawsFollowTheReference()
    {
        const int n = 20_000;
        var c = new DeviceConfig
        {
            OneSided = true, WMin = 0, Reset = 0.05, ResetDtod = 0.01, Lifetime = 200, LifetimeDtod = 0.1, DriftNu = 0.06, DriftNuDtod = 0.1,
        };
        var drawn = DeviceParameterDraw.Draw(c, n, seed: 8);
        AssertMeanSd(drawn.ResetBias!.Select(v => (double)v), 0.05, 0.01);
        // retention = 1 − 1/L_d with L_d = L (1 + lifetime_dtod ξ): 1/(1 − retention) recovers L_d.
        AssertMeanSd(drawn.Retention!.Select(f => 1.0 / (1.0 - f)), 200, 20);
        AssertMeanSd(drawn.DriftNu!.Select(v => (double)v), 0.06, 0.006);

        // Lifetimes below one mini-batch are clamped to 1 (retention 0), exponents at 0 (no upward drift).
        var wide = DeviceParameterDraw.Draw(c with { Lifetime = 1, LifetimeDtod = 1, DriftNuDtod = 3 }, n, seed: 8);
        Assert.All(wide.Retention!, f => Assert.InRange(f, 0f, 1f));
        Assert.Contains(0f, wide.Retention!);
        Assert.All(wide.DriftNu!, v => Assert.True(v >= 0));
        Assert.Contains(0f, wide.DriftNu!);
    }

    [Fact]
    public void ModelSlopesFollowEachDevicesOwnDraws()
    {
        const int n = 4000;
        var sb = DeviceParameterDraw.Draw(new DeviceConfig { Model = DeviceModel.SoftBounds }, n, seed: 2);
        foreach (var p in sb.Parameters)
        {
            // A bound clamped to 0 (a draw beyond −1/w_max_dtod) has no slope.
            Assert.Equal(p.BMax > 0 ? (float)(1 / (double)p.BMax) : 0f, p.SUp, 1e-6f * p.SUp);
            Assert.Equal(p.BMin < 0 ? (float)(1 / -(double)p.BMin) : 0f, p.SDown, 1e-6f * p.SDown);
        }

        var es = DeviceParameterDraw.Draw(new DeviceConfig { Model = DeviceModel.ExpStep, ExpA = 0.3 }, n, seed: 2);
        foreach (var p in es.Parameters)
        {
            Assert.Equal(2 * 0.3 / ((double)p.BMax - p.BMin), p.SUp, 1e-5 * p.SUp);
            Assert.Equal(0f, p.SDown);
        }

        // PowStep (aihwkit's C++): with β = pow_up_down > 0, γ↑ = γ (1 + g + r), γ↓ = γ (1 − β + g − r),
        // g = pow_gamma_dtod ξ, r = pow_up_down_dtod ξ: their mean carries g, their half-difference r.
        var pow = DeviceParameterDraw.Draw(new DeviceConfig { Model = DeviceModel.PowStep, PowGamma = 2, PowGammaDtod = 0.05, PowUpDown = 0.1, PowUpDownDtod = 0.02 }, n, seed: 2);
        AssertMeanSd(pow.Parameters.Select(p => (p.SUp + p.SDown) / 2.0), 2 * (1 - 0.1 / 2), 2 * 0.05);
        AssertMeanSd(pow.Parameters.Select(p => (p.SUp - p.SDown) / 2.0), 2 * 0.1 / 2, 2 * 0.02);

        // ConstantStep draws no slopes.
        Assert.All(DeviceParameterDraw.Draw(new DeviceConfig(), 100, seed: 2).Parameters, p => Assert.Equal((0f, 0f), (p.SUp, p.SDown)));
    }

    [Theory]
    [InlineData(0.2, 1.5, 1.2)]
    [InlineData(-0.2, 1.2, 1.5)]
    [InlineData(0.0, 1.5, 1.5)]
    public void PowStepUpDownBiasLowersOneExponentAsAihwkitsCppDoes(double beta, double gammaUp, double gammaDown)
    {
        // aihwkit's PowStepRPUDevice::populate treats pow_up_down like up_down: β > 0 keeps γ↑ = γ and
        // lowers γ↓ = γ (1 − β); β < 0 the mirror image. (The symmetric γ (1 ± β) of its Python
        // docstring would give 1.8 / 1.2 for γ = 1.5, β = 0.2.)
        var c = new DeviceConfig { Model = DeviceModel.PowStep, PowGamma = 1.5, PowGammaDtod = 0, PowUpDown = beta, PowUpDownDtod = 0 };
        foreach (var p in DeviceParameterDraw.Draw(c, 50, seed: 3).Parameters)
        {
            Assert.Equal(gammaUp, p.SUp, 1e-6);
            Assert.Equal(gammaDown, p.SDown, 1e-6);
        }
    }

    [Fact]
    public void CorruptDevicesAreFrozenInsideTheirOwnBounds()
    {
        // A corruption range far beyond the bounds: every stuck value is clamped to the device's drawn bounds.
        var c = new DeviceConfig { CorruptDevicesProb = 0.5, CorruptDevicesRange = 5 };
        const int n = 2000;
        var clean = DeviceParameterDraw.Draw(c with { CorruptDevicesProb = 0 }, n, seed: 4);
        var drawn = DeviceParameterDraw.Draw(c, n, seed: 4);
        Assert.Equal(drawn.Parameters.Count(p => p.Stuck), drawn.StuckCount);
        int atBound = 0;
        for (int d = 0; d < n; d++)
        {
            var p = drawn.Parameters[d];
            if (!p.Stuck) continue;
            Assert.Equal(p.BMin, p.BMax);
            Assert.InRange(p.BMin, clean.Parameters[d].BMin, clean.Parameters[d].BMax);
            if (p.BMin == clean.Parameters[d].BMin || p.BMin == clean.Parameters[d].BMax) atBound++;
        }
        Assert.True(atBound > drawn.StuckCount / 2, "most values of ±5 lie beyond the bounds of ±0.6 and are clamped");
    }
}
