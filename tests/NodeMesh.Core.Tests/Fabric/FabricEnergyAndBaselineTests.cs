using NodeMesh.Core.Fabric;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Core.Tests.Fabric;

/// <summary>Energy per sample of the fabric and of the conventional baseline on a tiny net, by hand.</summary>
public sealed class FabricEnergyAndBaselineTests
{
    /// <summary>conv3x3x1 on a 3x3 image (9 units, FanIn 9), then dense10 (10 units, FanIn 9).</summary>
    private static readonly NetworkPlan Tiny = NetworkPlan.Build(ArchSpec.Parse("conv3x3x1,dense10"), 1, 3, 3);

    /// <summary>
    /// Array activity per sample: conv1 forward 9·(9+1) = 90 reads, 9 conversions, no backward
    /// (first layer); dense forward 10·10 = 100 reads, 10 conversions; backward 10·9 = 90 reads and
    /// 90 conversions. Reads 280, conversions 109.
    /// </summary>
    [Fact]
    public void Array_activity_counts_reads_and_conversions()
    {
        Assert.Equal(new ArrayActivity(90, 0, 9, 0), ArrayActivity.PerSample(Tiny.Layers[0]));
        Assert.Equal(new ArrayActivity(100, 90, 10, 90), ArrayActivity.PerSample(Tiny.Layers[1]));
        var a = ArrayActivity.PerSample(Tiny);
        Assert.Equal((280L, 109L), (a.Reads, a.Conversions));
    }

    /// <summary>
    /// Batch 2. compute = 280·0.01 + 109·2 = 220.8 pJ. Transport per batch (see
    /// FabricLayoutTests): conv1 inputs 448 byte-hops, no errors; dense inputs 1680 and errors
    /// 1680, loss 0 hops: 3808 byte-hops per batch = 1904 per sample, × 8 bits × 0.3 = 4569.6 pJ.
    /// Star all-reduce every step: the 3x3 map's centre is (1,1), Σ distance = 12, up and down 24
    /// hops × S = (9+1)·4 = 40 bytes = 960 byte-hops per step = 480 per sample: 1152 pJ. With
    /// F = 4 a quarter of that: 288 pJ. Writes: 5 pulses per sample × 1 pJ.
    /// </summary>
    [Fact]
    public void Fabric_energy_per_sample_equals_the_formula_on_a_tiny_net()
    {
        var f = new FabricLayout(Tiny);
        var none = FabricEnergy.PerSample(f, new StrategyOptions(), 2, EnergyModel.Default);
        Assert.Equal(220.8, none.ComputePj, 9);
        Assert.Equal(0.0, none.WritePj);
        Assert.Equal(4569.6, none.TransportPj, 9);
        Assert.Equal(0.0, none.SyncPj);

        var star = FabricEnergy.PerSample(f, new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Star), 2, EnergyModel.Default, pulsesPerSample: 5);
        Assert.Equal(1152.0, star.SyncPj, 9);
        Assert.Equal(5.0, star.WritePj, 9);
        Assert.Equal(220.8 + 5 + 4569.6 + 1152, star.TotalPj, 9);

        var every4 = FabricEnergy.PerSample(f, new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Star, Every: 4), 2, EnergyModel.Default);
        Assert.Equal(288.0, every4.SyncPj, 9);

        var cheapLinks = FabricEnergy.PerSample(f, new StrategyOptions(), 2, EnergyModel.Default with { LinkPjPerBitHop = 0.1 });
        Assert.Equal(4569.6 / 3, cheapLinks.TransportPj, 9);
    }

    /// <summary>
    /// Batch 2. conv1: P = 9, F = 9, W = 10, I = 9, first layer: MACs 81 forward + 81 backward;
    /// SRAM (2·81 + 9) + (2·81 + 2·10) = 353 per sample; per batch DRAM 20, update 10 MACs, 30 SRAM.
    /// dense10: P = 10, F = 9, W = 100, I = 9: MACs 90 + 180; SRAM (180 + 10) + (180 + 9) + (180 + 200)
    /// = 759; per batch DRAM 200, update 100 MACs, 300 SRAM.
    /// Per sample: MACs 81 + 81 + 5 + 90 + 180 + 50 = 487; SRAM 353 + 15 + 759 + 150 = 1277 words
    /// (5108 bytes); DRAM (20 + 200)/2 = 110 words (440 bytes).
    /// Energy: 487·4.6 = 2240.2; 1277·5 = 6385; 110·640 = 70400; total 79025.2 pJ.
    /// </summary>
    [Fact]
    public void Baseline_numbers_on_a_tiny_net_match_the_hand_count()
    {
        var r = ConventionalBaseline.Compute(Tiny, 2);
        Assert.Equal(new BaselineLayer(0, "conv1", 81, 81, 353, 10, 20, 10, 30), r.Layers[0]);
        Assert.Equal(new BaselineLayer(1, "dense1", 90, 180, 759, 100, 200, 100, 300), r.Layers[1]);
        Assert.Equal(487.0, r.MacsPerSample, 9);
        Assert.Equal(1277.0, r.SramAccessesPerSample, 9);
        Assert.Equal(5108.0, r.SramBytesPerSample, 9);
        Assert.Equal(110.0, r.DramAccessesPerSample, 9);
        Assert.Equal(440.0, r.DramBytesPerSample, 9);
        Assert.Equal(2240.2, r.MacPjPerSample, 9);
        Assert.Equal(6385.0, r.SramPjPerSample, 9);
        Assert.Equal(70400.0, r.DramPjPerSample, 9);
        Assert.Equal(79025.2, r.TotalPjPerSample, 9);
    }

    [Fact]
    public void The_baseline_shares_one_kernel_per_map()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(ArchSpec.Default));
        var r = ConventionalBaseline.Compute(plan, 32);
        // conv1: 16 maps × (25 + 1), conv2: 32 × (400 + 1), dense: 10 × (1568 + 1).
        Assert.Equal([416L, 12832L, 15690L], r.Layers.Select(l => l.SharedWeights));
        Assert.Equal(2.0 * (416 + 12832 + 15690) / 32, r.DramAccessesPerSample, 9);
        // conv2 forward: 14·14·32 outputs × 400 MACs.
        Assert.Equal(196L * 32 * 400, r.Layers[1].ForwardMacs);
    }
}
