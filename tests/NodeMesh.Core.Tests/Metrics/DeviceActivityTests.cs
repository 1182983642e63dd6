using NodeMesh.Core.Metrics;

namespace NodeMesh.Core.Tests.Metrics;

/// <summary>Device activity read from the cumulative device counters of a snapshot, by hand.</summary>
public sealed class DeviceActivityTests
{
    /// <summary>
    /// Layer 0: 10 devices, 30 update + 5 program pulses, at most 7 on one device, 100 reads,
    /// 7 clipped pulses, 1 stuck. Layer 1: 20 devices, 10 + 15 pulses, at most 9, 50 reads, 0
    /// clipped, 2 stuck.
    /// </summary>
    private static TrafficCounts TwoLayers()
    {
        var l = new TrafficLedger(2);
        l.AddDevices(0, devices: 10, updatePulses: 30, programPulses: 5, maxPulsesPerDevice: 7, reads: 100, clippedPulses: 7, stuck: 1);
        l.AddDevices(1, devices: 20, updatePulses: 10, programPulses: 15, maxPulsesPerDevice: 9, reads: 50, clippedPulses: 0, stuck: 2);
        return l.Snapshot();
    }

    /// <summary>
    /// Both layers: sums, except the maximum (9, not 16). 60 pulses over 30 devices = 2 per
    /// device; 7 of 60 pulses clipped.
    /// </summary>
    [Fact]
    public void All_layers_sum_the_counters_and_keep_the_largest_maximum()
    {
        var a = DeviceActivity.Of(TwoLayers());
        Assert.Equal(new DeviceActivity(30, 40, 20, 9, 150, 7, 3), a);
        Assert.Equal(60, a.TotalPulses);
        Assert.Equal(2.0, a.MeanPulsesPerDevice, 12);
        Assert.Equal(7.0 / 60, a.ClippedFraction, 12);
    }

    /// <summary>Layer 0 alone: 35 pulses over 10 devices = 3.5; 7 of 35 clipped = 0.2.</summary>
    [Fact]
    public void One_layer_reads_only_its_own_counters()
    {
        var a = DeviceActivity.Of(TwoLayers(), 0);
        Assert.Equal(new DeviceActivity(10, 30, 5, 7, 100, 7, 1), a);
        Assert.Equal(3.5, a.MeanPulsesPerDevice, 12);
        Assert.Equal(0.2, a.ClippedFraction, 12);
        Assert.Equal(new DeviceActivity(20, 10, 15, 9, 50, 0, 2), DeviceActivity.Of(TwoLayers(), [1]));
    }

    [Fact]
    public void The_ideal_store_has_no_activity_and_no_division_by_zero()
    {
        var a = DeviceActivity.Of(TrafficCounts.Empty(3));
        Assert.Equal(new DeviceActivity(0, 0, 0, 0, 0, 0, 0), a);
        Assert.Equal(0.0, a.MeanPulsesPerDevice);
        Assert.Equal(0.0, a.ClippedFraction);
    }
}
