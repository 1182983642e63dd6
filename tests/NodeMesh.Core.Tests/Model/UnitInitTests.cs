using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;

namespace NodeMesh.Core.Tests.Model;

/// <summary>
/// The distributions of <c>--unit-init</c>: tied, PyTorch Conv2d's default drawn per position, and
/// He-normal with zero biases drawn per position.
/// </summary>
public sealed class UnitInitTests
{
    private static readonly NetworkPlan Small = NetworkPlan.Build(ArchSpec.Parse("conv3x3x2,relu,maxpool2,dense10"), 1, 6, 6, 10);

    // 32 maps × 28×28 positions × 25 weights = 627,200 weights: enough for tight moment checks.
    private static readonly NetworkPlan Big = NetworkPlan.Build(ArchSpec.Parse("conv5x5x32,relu,maxpool2,dense10"), 1, 28, 28, 10);

    private static (float[] Weights, float[] Biases) Split(WeightedLayer l, float[] v)
    {
        int stride = l.FanIn + 1;
        var w = new float[(long)l.UnitCount * l.FanIn];
        var b = new float[l.UnitCount];
        for (int u = 0; u < l.UnitCount; u++)
        {
            v.AsSpan(u * stride, l.FanIn).CopyTo(w.AsSpan(u * l.FanIn));
            b[u] = v[u * stride + l.FanIn];
        }
        return (w, b);
    }

    private static (double Mean, double Std) Moments(float[] xs)
    {
        double mean = xs.Average(x => (double)x);
        double var = xs.Sum(x => (x - mean) * (x - mean)) / (xs.Length - 1);
        return (mean, Math.Sqrt(var));
    }

    [Fact]
    public void Tied_initialisation_copies_one_kernel_per_map_to_every_position()
    {
        var v = WeightLayout.InitialVectors(Small, 5, UnitInit.Tied);
        Assert.Equal(0, ConsensusReport.Measure(Small.Layers[0], v[0]).ConsensusDistance);
    }

    [Fact]
    public void Conv2d_initialisation_draws_every_position_uniformly_within_the_pytorch_bound_for_weights_and_bias()
    {
        var conv = Big.Layers[0];
        var v = WeightLayout.InitialVectors(Big, 5, UnitInit.Conv2d);
        Assert.True(ConsensusReport.Measure(conv, v[0]).ConsensusDistance > 0); // positions differ
        var (w, b) = Split(conv, v[0]);
        double bound = 1 / Math.Sqrt(conv.FanIn); // kaiming-uniform a=√5: √(6/((1+5)·fan_in)) = 1/√fan_in
        Assert.All(w, x => Assert.InRange(x, -bound, bound));
        Assert.All(b, x => Assert.InRange(x, -bound, bound));
        // Uniform on ±bound: the extremes are reached and the variance is bound²/3.
        Assert.True(w.Max() > 0.999 * bound && w.Min() < -0.999 * bound);
        Assert.True(b.Max() > 0.99 * bound && b.Min() < -0.99 * bound);
        var (mean, std) = Moments(w);
        Assert.InRange(mean, -0.005 * bound, 0.005 * bound);
        Assert.InRange(std, 0.99 * bound / Math.Sqrt(3), 1.01 * bound / Math.Sqrt(3));
        Assert.Equal(v[0], WeightLayout.InitialVectors(Big, 5, UnitInit.Conv2d)[0]); // seeded
        Assert.NotEqual(v[0], WeightLayout.InitialVectors(Big, 6, UnitInit.Conv2d)[0]);
    }

    [Fact]
    public void He_normal_initialisation_draws_every_position_from_a_normal_of_std_sqrt_2_over_fan_in_with_zero_biases()
    {
        var conv = Big.Layers[0];
        var v = WeightLayout.InitialVectors(Big, 5, UnitInit.HeNormal);
        Assert.True(ConsensusReport.Measure(conv, v[0]).ConsensusDistance > 0); // positions differ
        var (w, b) = Split(conv, v[0]);
        Assert.All(b, x => Assert.Equal(0f, x));
        double sigma = Math.Sqrt(2.0 / conv.FanIn);
        var (mean, std) = Moments(w);
        // The sample mean's own std is σ/√627,200 ≈ 0.0013σ; allow 4 of those.
        Assert.InRange(mean, -0.005 * sigma, 0.005 * sigma);
        Assert.InRange(std, 0.99 * sigma, 1.01 * sigma);
        // Normal, not uniform of the same std: 68.3 % within one σ (a uniform would give 57.7 %),
        // and values beyond 3σ (impossible for a uniform, whose edge is at 1.73σ) at about 0.27 %.
        double within1 = w.Count(x => Math.Abs(x) <= sigma) / (double)w.Length;
        double beyond3 = w.Count(x => Math.Abs(x) > 3 * sigma) / (double)w.Length;
        Assert.InRange(within1, 0.678, 0.688);
        Assert.InRange(beyond3, 0.0020, 0.0034);
        Assert.Equal(v[0], WeightLayout.InitialVectors(Big, 5, UnitInit.HeNormal)[0]); // seeded
    }

    [Fact]
    public void Dense_neurons_keep_the_pytorch_linear_default_under_every_unit_initialisation()
    {
        var dense = Small.Layers[^1];
        float bound = 1f / MathF.Sqrt(dense.FanIn);
        foreach (var init in Enum.GetValues<UnitInit>())
        {
            var (w, b) = Split(dense, WeightLayout.InitialVectors(Small, 5, init)[dense.Index]);
            Assert.All(w, x => Assert.InRange(x, -bound, bound));
            Assert.All(b, x => Assert.InRange(x, -bound, bound));
            Assert.Contains(b, x => x != 0);
        }
    }
}
