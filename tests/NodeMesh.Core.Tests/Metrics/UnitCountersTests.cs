using NodeMesh.Core.Devices;
using NodeMesh.Core.Metrics;

namespace NodeMesh.Core.Tests.Metrics;

public sealed class UnitCountersTests
{
    [Fact]
    public void A_units_counts_land_in_its_own_layer_of_a_ledger_field_by_field()
    {
        var u = new UnitCounters(layer: 1);
        u.Add(TrafficCategory.Activation, 2, 300, 900);
        u.Add(TrafficCategory.Activation, 1, 100, 0);
        u.Deliver(TrafficCategory.Activation);
        u.Add(TrafficCategory.Error, 5, 60, 70);
        u.Deliver(TrafficCategory.Error);
        u.Deliver(TrafficCategory.Error);
        u.Add(TrafficCategory.Sync, 1, 1604, 3208);
        u.Drop(TrafficCategory.Sync);
        u.CountForward(1, 4_000, 32);
        u.CountBackward(1, 3_000, 800);
        var ledger = new TrafficLedger(3);
        u.AddTo(ledger);
        u.AddTo(ledger); // adding twice doubles: nothing is moved out of the counters

        Assert.Equal(6, ledger.MessagesOf(1, TrafficCategory.Activation));
        Assert.Equal(800, ledger.BytesOf(1, TrafficCategory.Activation));
        Assert.Equal(1800, ledger.ByteHopsOf(1, TrafficCategory.Activation));
        Assert.Equal(2, ledger.DeliveredOf(1, TrafficCategory.Activation));
        Assert.Equal(10, ledger.MessagesOf(1, TrafficCategory.Error));
        Assert.Equal(120, ledger.BytesOf(1, TrafficCategory.Error));
        Assert.Equal(140, ledger.ByteHopsOf(1, TrafficCategory.Error));
        Assert.Equal(4, ledger.DeliveredOf(1, TrafficCategory.Error));
        Assert.Equal(2, ledger.MessagesOf(1, TrafficCategory.Sync));
        Assert.Equal(6416, ledger.ByteHopsOf(1, TrafficCategory.Sync));
        Assert.Equal(2, ledger.DroppedOf(1, TrafficCategory.Sync));
        Assert.Equal(0, ledger.DroppedOf(1, TrafficCategory.Activation));
        Assert.Equal(8_000, ledger.ComputeOf(1, ComputeField.ForwardReads));
        Assert.Equal(64, ledger.ComputeOf(1, ComputeField.ForwardConversions));
        Assert.Equal(6_000, ledger.ComputeOf(1, ComputeField.BackwardReads));
        Assert.Equal(1_600, ledger.ComputeOf(1, ComputeField.BackwardConversions));
        foreach (var other in new[] { 0, 2 })
            foreach (var c in Enum.GetValues<TrafficCategory>())
                Assert.Equal(0, ledger.MessagesOf(other, c) + ledger.DeliveredOf(other, c) + ledger.BytesOf(other, c));

        u.Clear();
        var empty = new TrafficLedger(3);
        u.AddTo(empty);
        Assert.Equal(0, empty.Snapshot().Messages.ToArray().Sum() + empty.Snapshot().Compute.ToArray().Sum() + empty.Snapshot().Delivered.ToArray().Sum());
    }

    [Fact]
    public void A_unit_and_its_device_counters_add_into_a_ledger_that_already_holds_counts()
    {
        var before = new TrafficLedger(2);
        before.Add(0, TrafficCategory.Sync, 3, 12, 24);
        var u = new UnitCounters(layer: 0);
        u.Add(TrafficCategory.Sync, 1, 4, 8);
        u.Deliver(TrafficCategory.Sync);
        var devices = new DeviceCounters(Weights: 401, Devices: 802, UpdatePulses: 10, ProgramPulses: 3, MaxPulsesPerDevice: 4, Reads: 7, ClippedUpdatePulses: 1, ClippedProgramPulses: 0, StuckDevices: 2, Refreshes: 0);
        u.AddTo(before, devices);
        var sum = before.Snapshot();
        Assert.Equal(4, sum.MessagesOf(0, TrafficCategory.Sync));
        Assert.Equal(32, sum.ByteHopsOf(0, TrafficCategory.Sync));
        Assert.Equal(1, sum.DeliveredOf(0, TrafficCategory.Sync));
        Assert.Equal(802, sum.DeviceOf(0, DeviceField.Devices));
        Assert.Equal(4, sum.DeviceOf(0, DeviceField.MaxPulsesPerDevice));
        Assert.Equal(0, sum.DeviceOf(1, DeviceField.Devices));
    }

    [Fact]
    public void A_unit_refuses_to_count_another_layers_passes()
    {
        var u = new UnitCounters(layer: 2);
        Assert.Throws<ArgumentException>(() => u.CountForward(1, 1, 1));
    }
}
