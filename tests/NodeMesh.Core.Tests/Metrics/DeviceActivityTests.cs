using NodeMesh.Core.Metrics;

namespace NodeMesh.Core.Tests.Metrics;

/// <summary>Device activity read from the cumulative device counters of a snapshot, by hand.</summary>
public sealed class DeviceActivityTests
{
    /// <summary>
    /// Layer 0: 10 devices, 30 update + 5 program pulses, at most 7 on one device, 100 reads,
    /// 6 clipped update and 1 clipped program pulse, 1 stuck. Layer 1: 20 devices, 10 + 15 pulses,
    /// at most 9, 50 reads, 0 clipped update and 3 clipped program pulses, 2 stuck.
    /// </summary>
    private static TrafficCounts TwoLayers()
    {
        var l = new TrafficLedger(2);
        l.AddDevices(0, devices: 10, updatePulses: 30, programPulses: 5, maxPulsesPerDevice: 7, reads: 100, clippedUpdatePulses: 6, stuck: 1, clippedProgramPulses: 1);
        l.AddDevices(1, devices: 20, updatePulses: 10, programPulses: 15, maxPulsesPerDevice: 9, reads: 50, clippedUpdatePulses: 0, stuck: 2, clippedProgramPulses: 3);
        return l.Snapshot();
    }

    /// <summary>
    /// Both layers: sums, except the maximum (9, not 16). 60 pulses over 30 devices = 2 per
    /// device; 6 of 40 update pulses clipped, 4 of 20 program pulses, each over its own pulses.
    /// </summary>
    [Fact]
    public void All_layers_sum_the_counters_and_keep_the_largest_maximum()
    {
        var a = DeviceActivity.Of(TwoLayers());
        Assert.Equal(new DeviceActivity(30, 40, 20, 9, 150, 6, 4, 3), a);
        Assert.Equal(60, a.TotalPulses);
        Assert.Equal(2.0, a.MeanPulsesPerDevice, 12);
        Assert.Equal(6.0 / 40, a.ClippedUpdateFraction, 12);
        Assert.Equal(4.0 / 20, a.ClippedProgramFraction, 12);
    }

    /// <summary>Layer 0 alone: 35 pulses over 10 devices = 3.5; 6 of 30 update pulses clipped = 0.2, 1 of 5 program pulses = 0.2.</summary>
    [Fact]
    public void One_layer_reads_only_its_own_counters()
    {
        var a = DeviceActivity.Of(TwoLayers(), 0);
        Assert.Equal(new DeviceActivity(10, 30, 5, 7, 100, 6, 1, 1), a);
        Assert.Equal(3.5, a.MeanPulsesPerDevice, 12);
        Assert.Equal(0.2, a.ClippedUpdateFraction, 12);
        Assert.Equal(0.2, a.ClippedProgramFraction, 12);
        Assert.Equal(new DeviceActivity(20, 10, 15, 9, 50, 0, 3, 2), DeviceActivity.Of(TwoLayers(), [1]));
    }

    [Fact]
    public void The_ideal_store_has_no_activity_and_no_division_by_zero()
    {
        var a = DeviceActivity.Of(TrafficCounts.Empty(3));
        Assert.Equal(new DeviceActivity(0, 0, 0, 0, 0, 0, 0, 0), a);
        Assert.Equal(0.0, a.MeanPulsesPerDevice);
        Assert.Equal(0.0, a.ClippedUpdateFraction);
        Assert.Equal(0.0, a.ClippedProgramFraction);
    }
}
