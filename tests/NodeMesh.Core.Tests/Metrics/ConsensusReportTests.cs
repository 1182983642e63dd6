using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;

namespace NodeMesh.Core.Tests.Metrics;

/// <summary>Consensus distance Ξ² and signal-to-noise of the kernels of each map.</summary>
public sealed class ConsensusReportTests
{
    [Fact]
    public void Identical_kernels_at_every_position_have_zero_consensus_distance_and_infinite_snr()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse("conv3x3x4,relu,maxpool2,conv3x3x2,dense10"), 1, 6, 6);
        var init = WeightLayout.InitialVectors(plan, 3);
        var report = ConsensusReport.Measure(plan, init);
        Assert.Equal(2, report.Count); // conv layers only
        Assert.Equal(["conv1", "conv2"], report.Select(r => r.Layer));
        Assert.All(report, r =>
        {
            Assert.Equal(0.0, r.ConsensusDistance);
            Assert.Equal(double.PositiveInfinity, r.SignalToNoise);
        });
    }

    /// <summary>
    /// One map of two positions (a 1×1 conv over 2 channels on a 1×2 input), unit vectors
    /// [w0, w1, bias] = [1, 5, 0] and [3, 5, 2]: mean [2, 5, 1], squared deviations per weight summed
    /// over units [2, 0, 2], so Ξ² = (2 + 0 + 2) / 2 units = 2; per-weight std = √(2/2) = 1 for w0 and
    /// the bias (w1 has std 0 and is left out), SNR = (|2|/1 + |1|/1) / 2 = 1.5.
    /// </summary>
    [Fact]
    public void A_hand_computed_two_unit_map_gives_the_expected_distance_and_snr()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse("conv1x1x1,dense10"), 2, 1, 2);
        var l = plan.Layers[0];
        Assert.Equal((2, 2, 1), (l.FanIn, l.Positions, l.OutMaps));
        float[] vectors = [1, 5, 0, 3, 5, 2];
        var r = ConsensusReport.Measure(l, vectors);
        Assert.Equal("conv1", r.Layer);
        Assert.Equal(2.0, r.ConsensusDistance, 12);
        Assert.Equal(1.5, r.SignalToNoise, 12);
    }

    /// <summary>
    /// Two maps: map 0 as above, map 1 exactly tied. Ξ² averages over all 4 units: 4 / 4 = 1; the tied
    /// map's weights (std 0) do not enter the SNR mean, which stays 1.5.
    /// </summary>
    [Fact]
    public void A_tied_map_halves_the_distance_but_does_not_dilute_the_snr()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse("conv1x1x2,dense10"), 2, 1, 2);
        var l = plan.Layers[0];
        float[] vectors = [1, 5, 0, 3, 5, 2, /* map 1 */ 7, -1, 4, 7, -1, 4];
        var r = ConsensusReport.Measure(l, vectors);
        Assert.Equal(1.0, r.ConsensusDistance, 12);
        Assert.Equal(1.5, r.SignalToNoise, 12);
    }

    /// <summary>
    /// Three positions, FanIn 1: weights [0, 0, 3] (mean 1, deviations 1, 1, 4 → 6), biases [1, 1, 1].
    /// Ξ² = 6 / 3 = 2; std = √(6/3) = √2, SNR = 1/√2 (the tied bias is left out).
    /// </summary>
    [Fact]
    public void The_snr_uses_the_population_standard_deviation()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse("conv1x1x1,dense10"), 1, 1, 3);
        var r = ConsensusReport.Measure(plan.Layers[0], [0, 1, 0, 1, 3, 1]);
        Assert.Equal(2.0, r.ConsensusDistance, 12);
        Assert.Equal(1 / Math.Sqrt(2), r.SignalToNoise, 12);
    }
}
