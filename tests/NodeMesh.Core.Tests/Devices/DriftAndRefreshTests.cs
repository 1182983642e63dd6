using NodeMesh.Core.Devices;
using static NodeMesh.Core.Tests.Devices.TestDevices;

namespace NodeMesh.Core.Tests.Devices;

/// <summary>
/// Retention loss and its repair (<see cref="DeviceDrift"/>, <see cref="PairRefresh"/>): lifetime
/// decay per mini-batch (towards the reset value of one-sided devices), power-law drift after t0
/// with a clock restarted by every write, stuck devices exempt, write noise kept, and the one-sided
/// refresh criterion (larger device above the upper, smaller above the lower threshold).
/// </summary>
public sealed class DriftAndRefreshTests
{
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
    public void StuckDevicesNeitherDecayNorDrift()
    {
        var c = Exact() with { CorruptDevicesProb = 0.5, Lifetime = 10, DriftNu = 0.2, DriftT0 = 1 };
        const int n = 200;
        var a = new DeviceArray(c, n, seed: 3);
        a.ProgramTo(Targets(n, 0.5, 1));
        var before = a.PeekWeights().ToArray();
        a.EndMiniBatch();
        a.AdvanceTime(100);
        var after = a.PeekWeights().ToArray();
        Assert.InRange(a.StuckCount, 60, 140);
        for (int d = 0; d < n; d++)
        {
            if (a.ParamsOf(d).Stuck) Assert.Equal(before[d], after[d]);
            else if (before[d] != 0) Assert.True(Math.Abs(after[d]) < Math.Abs(before[d]), $"device {d} should relax");
        }
    }

    [Fact]
    public void OneSidedDecayRelaxesTowardsTheResetValue()
    {
        // Thresholds at w_max: no refresh can interfere.
        var c = Exact() with { WMin = 0, OneSided = true, Reset = 0.1, ResetDtod = 0, ResetStd = 0, Lifetime = 10, RefreshUpperThres = 1, RefreshLowerThres = 1 };
        var a = new DeviceArray(c, 2, seed: 1);
        a.SetDeviceWeight(0, 0.6f);
        a.SetDeviceWeight(1, 0.2f);
        a.EndMiniBatch();
        Assert.Equal((0.6f - 0.1f) * 0.9f + 0.1f, a.DeviceWeight(0)); // retention 1 − 1/lifetime
        Assert.Equal((0.2f - 0.1f) * 0.9f + 0.1f, a.DeviceWeight(1));
        Assert.Equal(a.DeviceWeight(0) - a.DeviceWeight(1), a.PeekWeights()[0]); // the pair's read follows
        Assert.Equal((0.1f, 0.1f), (a.DeviceWeight(2), a.DeviceWeight(3)));    // at the reset value: nothing to lose
        Assert.Equal(0, a.Counters.Refreshes);
    }

    [Fact]
    public void DriftKeepsEachDevicesWriteNoise()
    {
        var c = DeviceConfig.Load("reram-sb") with { DriftNu = 0.1, DriftT0 = 1 };
        const int n = 50;
        var a = new DeviceArray(c, n, seed: 4);
        a.ProgramTo(Targets(n, 0.5, 2));
        var noise = Enumerable.Range(0, n).Select(d => a.DeviceApparent(d) - a.DeviceWeight(d)).ToArray();
        var before = a.PersistentWeights();
        a.AdvanceTime(1000);
        Assert.Contains(noise, v => v != 0);
        for (int d = 0; d < n; d++)
        {
            Assert.Equal(noise[d], a.DeviceApparent(d) - a.DeviceWeight(d), 1e-6f);
            if (before[d] != 0) Assert.NotEqual(before[d], a.DeviceWeight(d));
        }
    }

    [Fact]
    public void TimeChangesNothingWithoutDriftOrWhenItDoesNotAdvance()
    {
        var still = new DeviceArray(DeviceConfig.Load("reram-sb"), 10, seed: 1);
        still.ProgramTo(Targets(10, 0.5, 3));
        var before = still.PeekWeights().ToArray();
        still.AdvanceTime(1e6);
        Assert.Equal(before, still.PeekWeights().ToArray());

        var drifting = new DeviceArray(DeviceConfig.Load("reram-sb") with { DriftNu = 0.1, DriftT0 = 1 }, 10, seed: 1);
        drifting.ProgramTo(Targets(10, 0.5, 3));
        before = drifting.PeekWeights().ToArray();
        drifting.AdvanceTime(0);
        drifting.AdvanceTime(-5);          // time never runs backwards (the ages stay put)
        drifting.AdvanceTime(double.NaN);  // nor becomes undefined
        drifting.AdvanceTime(0.5);         // still before t0 = 1
        Assert.Equal(before, drifting.PeekWeights().ToArray());
        drifting.AdvanceTime(0.75);
        Assert.NotEqual(before, drifting.PeekWeights().ToArray());
    }

    [Fact]
    public void RefreshNeedsTheLargerDeviceAboveTheUpperAndTheSmallerAboveTheLowerThreshold()
    {
        var c = Exact(0.01) with { WMin = 0, OneSided = true, Reset = 0, ResetDtod = 0, ResetStd = 0 };
        var a = new DeviceArray(c, 3, seed: 7);
        a.SetDeviceWeight(0, 0.9f); a.SetDeviceWeight(1, 0.2f); // g_lo below 0.25·w_max: kept
        a.SetDeviceWeight(2, 0.7f); a.SetDeviceWeight(3, 0.6f); // g_hi below 0.75·w_max: kept
        a.SetDeviceWeight(4, 0.3f); a.SetDeviceWeight(5, 0.8f); // g⁻ is the larger one: refreshed
        a.ResetCounters();
        a.EndMiniBatch();
        Assert.Equal(1, a.Counters.Refreshes);
        Assert.Equal((0.9f, 0.2f, 0.7f, 0.6f), (a.DeviceWeight(0), a.DeviceWeight(1), a.DeviceWeight(2), a.DeviceWeight(3)));
        Assert.Equal(-0.5f, a.PeekWeights()[2], 0.006f);
        Assert.Equal(0f, a.DeviceWeight(4)); // reset; the negative value went back onto g⁻ alone
        Assert.Equal(0.5f, a.DeviceWeight(5), 0.006f);
        Assert.True(a.Counters.Reads >= a.DeviceCount, "the check reads every device");
    }
}
