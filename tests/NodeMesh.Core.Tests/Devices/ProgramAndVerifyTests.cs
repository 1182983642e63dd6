using NodeMesh.Core.Devices;
using static NodeMesh.Core.Tests.Devices.TestDevices;

namespace NodeMesh.Core.Tests.Devices;

/// <summary>
/// Program-to-target (<see cref="ProgramAndVerify"/>): closed loop, counted pulses and reads, the
/// adaptive burst rule and budget, saturation and the cap, stuck devices, and one-sided pairs
/// (signed weights from up pulses only; reset and one more attempt after saturation).
/// </summary>
public sealed class ProgramAndVerifyTests
{
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

    /// <summary>
    /// Program-and-verify pulses that hit a bound are counted as clipped program pulses, exactly as
    /// many as the same pulses given one by one clip (a noiseless twin), and apart from the clipped
    /// update pulses, which count only the updates' own clips.
    /// </summary>
    [Fact]
    public void ClippedProgramPulsesAreCountedApartFromClippedUpdatePulses()
    {
        var hard = new DeviceArray(Exact(), 1, seed: 1);
        hard.ProgramTo([1.5f]); // beyond b_max = 1: the last burst runs into the bound
        var c = hard.Counters;
        var twin = new DeviceArray(Exact(), 1, seed: 1);
        for (long i = 0; i < c.ProgramPulses; i++) twin.PulseDevice(0, up: true);
        Assert.True(c.ClippedProgramPulses > 0, "the pulses past b_max are clipped program pulses");
        Assert.Equal(twin.Counters.ClippedUpdatePulses, c.ClippedProgramPulses);
        Assert.Equal((0L, 0L), (c.UpdatePulses, c.ClippedUpdatePulses));
        Assert.Equal((double)c.ClippedProgramPulses / c.ProgramPulses, c.ClippedProgramFraction, 12);

        hard.ApplyGradient([-0.1f], 1f); // +0.1 on a weight at its bound: every update pulse clips
        var after = hard.Counters;
        Assert.True(after.UpdatePulses > 0);
        Assert.Equal(after.UpdatePulses, after.ClippedUpdatePulses);
        Assert.Equal(1.0, after.ClippedUpdateFraction);
        Assert.Equal(c.ClippedProgramPulses, after.ClippedProgramPulses);

        // A one-sided pair that saturates is reset and programmed again: both attempts' clips count.
        var pair = new DeviceArray(Exact() with { WMin = 0, OneSided = true, Reset = 0, ResetDtod = 0, ResetStd = 0 }, 1, seed: 1);
        pair.ProgramTo([1.5f]);
        Assert.True(pair.Counters.ClippedProgramPulses >= 2, "each attempt stops on a clipped pulse");
        Assert.Equal(0, pair.Counters.ClippedUpdatePulses);
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
    public void NextBurstAdaptsToTheObservedStep()
    {
        // Powers of two keep the arithmetic exact: moved 0.25 in 8 pulses, half of the remaining 0.25 → 4 pulses.
        Assert.Equal(4, ProgramAndVerify.NextBurst(0.25f, 0.5f, 8, flipped: false));
        Assert.Equal(4, ProgramAndVerify.NextBurst(-0.25f, -0.5f, 8, flipped: false)); // either direction
        Assert.Equal(3, ProgramAndVerify.NextBurst(0.75f, 1f, 2, flipped: false));     // 0.5·0.75 / 0.125
        Assert.Equal(4, ProgramAndVerify.NextBurst(0.96875f, 1f, 2, flipped: false));  // 31 wanted: at most twice the last burst
        Assert.Equal(1, ProgramAndVerify.NextBurst(0.0078125f, 1f, 4, flipped: false)); // at least one pulse
        Assert.Equal(16, ProgramAndVerify.NextBurst(0.5f, 0.5f, 8, flipped: false));   // no progress (read noise): double
        Assert.Equal(16, ProgramAndVerify.NextBurst(0.625f, 0.5f, 8, flipped: false)); // moved away: double
        Assert.Equal(1, ProgramAndVerify.NextBurst(-0.25f, 0.5f, 8, flipped: true));   // overshoot: one pulse again
    }

    [Fact]
    public void TheBudgetIsFourTimesTheNominalPulsesCappedByProgramMaxPulses()
    {
        var c = Exact(0.25) with { ProgramMaxPulses = 100 };
        var cells = new DeviceCells(c, 1, DeviceParameterDraw.Draw(c, 1, seed: 1), new DeviceNoiseSource(1));
        var program = new ProgramAndVerify(c, cells);
        Assert.Equal(16, program.Budget(1f));    // 4·ceil(1/0.25)
        Assert.Equal(20, program.Budget(1.1f));  // 4·ceil(4.4)
        Assert.Equal(16, program.Budget(-1f));
        Assert.Equal(100, program.Budget(1000f)); // program_max_pulses
        Assert.Equal(1, program.Budget(0f));      // at least one pulse
    }

    [Fact]
    public void ASaturatedPairIsResetAndProgrammedOnceMore()
    {
        var c = Exact(0.01) with { WMin = 0, OneSided = true, Reset = 0, ResetDtod = 0, ResetStd = 0 };
        var a = new DeviceArray(c, 1, seed: 1);
        a.SetDeviceWeight(0, 0.9f);
        a.SetDeviceWeight(1, 0.5f);
        a.ResetCounters();
        a.ProgramTo([0.6f]); // g⁺ would need 1.1 > b_max = 1: it clips, both devices are reset, the pair starts over from 0
        Assert.Equal(0.6f, a.PeekWeights()[0], 0.006f);
        Assert.Equal(0.6f, a.DeviceWeight(0), 0.006f);
        Assert.Equal(0f, a.DeviceWeight(1));
        Assert.Equal(1, a.DevicePulses(1)); // g⁻ only received its RESET
        Assert.InRange(a.Counters.ProgramPulses, 2 + 60 + 1, 2 + 60 + 20);
        Assert.Equal(0, a.Counters.Refreshes); // a re-program, not a refresh

        // A second saturation ends the attempt: the pair is reset only once.
        var twice = new DeviceArray(c, 1, seed: 1);
        twice.ProgramTo([1.5f]);
        Assert.Equal(1f, twice.PeekWeights()[0]);
        Assert.Equal(1, twice.DevicePulses(1));
    }

    [Fact]
    public void AStuckDeviceStopsAfterOneBurst()
    {
        var c = Exact() with { CorruptDevicesProb = 1, CorruptDevicesRange = 0.1 };
        var a = new DeviceArray(c, 5, seed: 2);
        var before = a.PeekWeights().ToArray();
        a.ProgramTo([0.5f, -0.5f, 0.5f, -0.5f, 0.5f]);
        Assert.Equal(before, a.PeekWeights().ToArray());
        Assert.Equal(5, a.Counters.ProgramPulses); // one pulse each, then the loop gives up
        Assert.Equal(5, a.Counters.Reads);         // the first read only: no verify of a stuck device
    }
}
