using NodeMesh.Core.Fabric;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;

namespace NodeMesh.Core.Tests.Fabric;

/// <summary>Energy per sample of an epoch from its counted traffic, array reads and device pulses, by hand.</summary>
public sealed class MeasuredEnergyTests
{
    /// <summary>conv3x3x1 on a 3x3 image, then dense10: 280 reads and 109 conversions per sample (FabricEnergyAndBaselineTests).</summary>
    private static readonly NetworkPlan Tiny = NetworkPlan.Build(ArchSpec.Parse("conv3x3x1,dense10"), 1, 3, 3);

    /// <summary>
    /// Byte-hops: activation 1000 (conv1) + 500 (dense), error 300 (dense), sync 200 (conv1);
    /// bytes and messages that must not be priced. Compute counted for 10 samples of
    /// <see cref="Tiny"/>: conv1 forward 900 reads, 90 conversions; dense forward 1000 reads,
    /// 100 conversions, backward 900 reads, 900 conversions (2800 reads, 1090 conversions). Device
    /// counters cumulative: conv1 150 update + 30 program pulses, dense 40 update pulses (220 in all).
    /// </summary>
    private static TrafficCounts Epoch()
    {
        var l = new TrafficLedger(2);
        l.Add(0, TrafficCategory.Activation, messages: 9, bytes: 123, byteHops: 1000);
        l.Add(1, TrafficCategory.Activation, messages: 10, bytes: 456, byteHops: 500);
        l.Add(1, TrafficCategory.Error, messages: 10, bytes: 789, byteHops: 300);
        l.Add(0, TrafficCategory.Sync, messages: 16, bytes: 640, byteHops: 200);
        l.Add(0, TrafficCategory.Control, messages: 99, bytes: 0, byteHops: 5000);
        l.CountForward(0, reads: 900, conversions: 90);
        l.CountForward(1, reads: 1000, conversions: 100);
        l.CountBackward(1, reads: 900, conversions: 900);
        l.AddDevices(0, 9, 150, 30, 20, 0, 0, 0);
        l.AddDevices(1, 10, 40, 0, 4, 0, 0, 0);
        return l.Snapshot();
    }

    /// <summary>The counters before the epoch: conv1 100 update + 20 program pulses (120).</summary>
    private static TrafficCounts Previous()
    {
        var l = new TrafficLedger(2);
        l.AddDevices(0, 9, 100, 20, 15, 0, 0, 0);
        return l.Snapshot();
    }

    /// <summary>
    /// 10 samples, default prices. compute = 280·0.01 + 109·2 = 220.8 pJ per sample; writes =
    /// (220 − 120) pulses × 1 pJ / 10 = 10; transport = byte-hops × 8 × 0.3 / 10: activation
    /// 1500 → 360, error 300 → 72, sync 200 → 48 (control is not priced); total 710.8.
    /// </summary>
    [Fact]
    public void Energy_per_sample_prices_the_counted_traffic_and_the_pulses_of_the_epoch()
    {
        Assert.Equal(ArrayActivity.PerSample(Tiny).Times(10), ArrayActivity.Of(Epoch())); // the counts are those of 10 samples
        var e = MeasuredEnergy.PerSample(EnergyModel.Default, Epoch(), 10, Previous());
        Assert.Equal(220.8, e.Compute, 9);
        Assert.Equal(10.0, e.DeviceWrites, 9);
        Assert.Equal(360.0, e.ActivationTransport, 9);
        Assert.Equal(72.0, e.ErrorTransport, 9);
        Assert.Equal(48.0, e.SyncTransport, 9);
        Assert.Equal(710.8, e.Total, 9);
    }

    /// <summary>The first epoch has no pulses before it: 220 pulses / 10 samples = 22 pJ.</summary>
    [Fact]
    public void The_first_epoch_counts_every_pulse_since_training_started()
    {
        Assert.Equal(22.0, MeasuredEnergy.PerSample(EnergyModel.Default, Epoch(), 10).DeviceWrites, 9);
    }

    /// <summary>
    /// Prices from the model: 2 pJ per pulse and 0.5 pJ/bit/hop give writes 100·2/10 = 20 and
    /// sync 200·8·0.5/10 = 80; compute 280·0.1 + 109·1 = 137.
    /// </summary>
    [Fact]
    public void Prices_come_from_the_energy_model()
    {
        var model = new EnergyModel { WritePulsePj = 2, LinkPjPerBitHop = 0.5, DeviceReadPj = 0.1, AdcConversionPj = 1 };
        var e = MeasuredEnergy.PerSample(model, Epoch(), 10, Previous());
        Assert.Equal(20.0, e.DeviceWrites, 9);
        Assert.Equal(80.0, e.SyncTransport, 9);
        Assert.Equal(137.0, e.Compute, 9);
    }

    /// <summary>
    /// Compute is priced from the counts, not from the network: reads and conversions counted for
    /// one sample of Tiny's forward pass only (conv1 90 reads + 9 conversions, dense 100 + 10) over
    /// 10 samples cost (190·0.01 + 19·2) / 10 = 3.99 pJ per sample, not the 220.8 of the closed form;
    /// counting each backward read and conversion once more adds (90·0.01 + 90·2) / 10 = 18.09.
    /// </summary>
    [Fact]
    public void Compute_prices_the_counted_reads_and_conversions()
    {
        var l = new TrafficLedger(2);
        l.CountForward(0, reads: 90, conversions: 9);
        l.CountForward(1, reads: 100, conversions: 10);
        Assert.Equal(3.99, MeasuredEnergy.PerSample(EnergyModel.Default, l.Snapshot(), 10).Compute, 9);
        l.CountBackward(1, reads: 90, conversions: 90);
        Assert.Equal(3.99 + 18.09, MeasuredEnergy.PerSample(EnergyModel.Default, l.Snapshot(), 10).Compute, 9);
        Assert.Equal(0.0, MeasuredEnergy.PerSample(EnergyModel.Default, TrafficCounts.Empty(2), 10).Compute);
    }

    /// <summary>An epoch of no samples is priced as one sample: sync 200·8·0.3 = 480.</summary>
    [Fact]
    public void An_epoch_without_samples_stays_finite()
    {
        var e = MeasuredEnergy.PerSample(EnergyModel.Default, Epoch(), 0, Previous());
        Assert.Equal(480.0, e.SyncTransport, 9);
        Assert.True(double.IsFinite(e.Total));
    }
}
