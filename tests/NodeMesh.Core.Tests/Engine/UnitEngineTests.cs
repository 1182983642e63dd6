using NodeMesh.Core.Engine;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;
using NodeMesh.TestSupport.Reference;

namespace NodeMesh.Core.Tests.Engine;

/// <summary>
/// The actor-free <see cref="UnitEngine"/> against the obviously-correct <see cref="ReferenceNet"/>:
/// from the same initial weights and the same batches, strategy none must train exactly a locally
/// connected network and all-reduce (sum, every step) exactly a ConvNet.
/// </summary>
public sealed class UnitEngineTests
{
    private const string SmallArch = "conv3x3x4,relu,maxpool2,conv3x3x6,relu,maxpool2,dense10";
    private const double RelTol = 1e-4;
    private const double AbsTol = 1e-6;
    private const float Lr = 0.1f;
    private const int Steps = 3;

    /// <summary>A fixed problem: plan, images [N][C][H][W], labels, and the batches (sample indices) of each step.</summary>
    private sealed record Problem(NetworkPlan Plan, float[] Images, byte[] Labels, int[][] Batches)
    {
        public int PerImage => Plan.InputChannels * Plan.InputHeight * Plan.InputWidth;
    }

    private static Problem MakeProblem(string arch, int c, int h, int w, int batch, int seed)
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(arch), c, h, w, 10);
        var rng = new Random(seed);
        int n = batch * Steps + 3;
        var images = new float[n * c * h * w];
        for (int i = 0; i < images.Length; i++) images[i] = (float)rng.NextDouble();
        var labels = Enumerable.Range(0, n).Select(_ => (byte)rng.Next(10)).ToArray();
        // Shuffled, so that FromImages' index list matters.
        var order = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
        var batches = Enumerable.Range(0, Steps).Select(s => order.Skip(s * batch).Take(batch).ToArray()).ToArray();
        return new Problem(plan, images, labels, batches);
    }

    private static GridBuffer Input(Problem p, int[] batch)
    {
        var first = p.Plan.Layers[0];
        return GridBuffer.FromImages(p.Images, p.Plan.InputChannels, p.Plan.InputHeight, p.Plan.InputWidth,
            first.Kind == LayerKind.Conv ? first.Padding : 0, batch);
    }

    private static (float[] Images, byte[] Labels) ReferenceBatch(Problem p, int[] batch)
    {
        var images = new float[batch.Length * p.PerImage];
        for (int b = 0; b < batch.Length; b++) p.Images.AsSpan(batch[b] * p.PerImage, p.PerImage).CopyTo(images.AsSpan(b * p.PerImage));
        return (images, batch.Select(i => p.Labels[i]).ToArray());
    }

    /// <summary>A reference net holding the engine's initial weights (Shared: position 0's kernel of each map).</summary>
    private static ReferenceNet ReferenceFrom(NetworkPlan plan, float[][] init, WeightSharing sharing)
    {
        var net = new ReferenceNet(plan, sharing);
        foreach (var l in plan.Layers)
        {
            var (w, b) = WeightLayout.FromUnitVectors(l, init[l.Index]);
            if (l.Kind == LayerKind.Conv && sharing == WeightSharing.Shared)
            {
                for (int m = 0; m < l.OutMaps; m++)
                {
                    w.Data.AsSpan(m * l.Positions * l.FanIn, l.FanIn).CopyTo(net.Weight(l.Index).AsSpan(m * l.FanIn));
                    net.Bias(l.Index)[m] = b.Data[m * l.Positions];
                }
            }
            else
            {
                Assert.Equal(net.Weight(l.Index).Length, w.Data.Length);
                Assert.Equal(net.Bias(l.Index).Length, b.Data.Length);
                w.Data.CopyTo(net.Weight(l.Index), 0);
                b.Data.CopyTo(net.Bias(l.Index), 0);
            }
        }
        return net;
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tol = Math.Max(AbsTol, RelTol * Math.Abs(expected[i]));
            if (!(Math.Abs(expected[i] - actual[i]) <= tol))
                Assert.Fail($"{what}[{i}]: reference {expected[i]:R}, engine {actual[i]:R}, |diff| {Math.Abs(expected[i] - actual[i]):E3} > {tol:E3}");
        }
    }

    /// <summary>Runs <see cref="Steps"/> steps on both; checks the loss of every step; returns the engine.</summary>
    private static UnitEngine TrainBoth(Problem p, StrategyOptions strategy, int tileSide, bool parallel, ReferenceNet? reference, float[][] init)
    {
        var options = new TrainOptions(Arch: p.Plan.Arch.Text, Strategy: strategy, LearningRate: Lr, TileSide: tileSide).Validate();
        var engine = new UnitEngine(TilePlan.Build(p.Plan, tileSide), options, init, parallel);
        foreach (var batch in p.Batches)
        {
            var (loss, correct) = engine.TrainStep(Input(p, batch), batch.Select(i => p.Labels[i]).ToArray());
            Assert.InRange(correct, 0, batch.Length);
            if (reference is null) continue;
            var (images, labels) = ReferenceBatch(p, batch);
            float refLoss = reference.TrainStep(images, labels, batch.Length, Lr);
            double expected = (double)refLoss * batch.Length;
            Assert.True(Math.Abs(loss - expected) <= 1e-4 * Math.Abs(expected) + 1e-6, $"step loss: reference {expected}, engine {loss}");
        }
        return engine;
    }

    private static void AssertMatchesLocal(NetworkPlan plan, float[][] engineWeights, ReferenceNet local)
    {
        foreach (var l in plan.Layers)
        {
            var (w, b) = WeightLayout.FromUnitVectors(l, engineWeights[l.Index]);
            AssertClose(local.Weight(l.Index), w.Data, $"{l.Name}.weight");
            AssertClose(local.Bias(l.Index), b.Data, $"{l.Name}.bias");
        }
    }

    private static void AssertMatchesShared(NetworkPlan plan, float[][] engineWeights, ReferenceNet shared)
    {
        foreach (var l in plan.Layers)
        {
            var (w, b) = WeightLayout.FromUnitVectors(l, engineWeights[l.Index]);
            if (l.Kind == LayerKind.Dense)
            {
                AssertClose(shared.Weight(l.Index), w.Data, $"{l.Name}.weight");
                AssertClose(shared.Bias(l.Index), b.Data, $"{l.Name}.bias");
                continue;
            }
            for (int m = 0; m < l.OutMaps; m++)
                for (int pos = 0; pos < l.Positions; pos++)
                {
                    int unit = m * l.Positions + pos;
                    AssertClose(shared.Weight(l.Index).AsSpan(m * l.FanIn, l.FanIn), w.Data.AsSpan(unit * l.FanIn, l.FanIn), $"{l.Name}.weight map {m} position {pos}");
                    AssertClose(shared.Bias(l.Index).AsSpan(m, 1), b.Data.AsSpan(unit, 1), $"{l.Name}.bias map {m} position {pos}");
                }
        }
    }

    /// <summary>(arch, channels, height, width, batch, tile side, parallel).</summary>
    public static TheoryData<string, int, int, int, int, int, bool> LocalCases() => new()
    {
        { SmallArch, 1, 12, 12, 5, 0, true },
        { SmallArch, 1, 12, 12, 5, 1, false },
        { SmallArch, 1, 12, 12, 9, 3, true },
        { SmallArch, 1, 12, 12, 1, 100, true },
        { "conv3x3x3,tanh,avgpool2,conv5x5x4,relu,maxpool3,dense10", 2, 13, 11, 6, 0, true }, // odd sizes, floors
        { "conv3x3x3,relu,dense8,tanh,dense10", 1, 5, 6, 4, 2, true },                           // dense after dense
        { "dense10", 2, 4, 3, 7, 0, true },                                                      // dense only
    };

    [Theory]
    [MemberData(nameof(LocalCases))]
    public void Strategy_none_trains_exactly_the_locally_connected_reference(string arch, int c, int h, int w, int batch, int tileSide, bool parallel)
    {
        var p = MakeProblem(arch, c, h, w, batch, seed: h * 100 + batch + tileSide);
        var init = WeightLayout.InitialVectors(p.Plan, 17);
        var local = ReferenceFrom(p.Plan, init, WeightSharing.Local);
        var engine = TrainBoth(p, new StrategyOptions(StrategyKind.None), tileSide, parallel, local, init);
        AssertMatchesLocal(p.Plan, engine.Weights(), local);
    }

    [Fact]
    public void Strategy_none_on_the_default_network_trains_exactly_the_locally_connected_reference()
    {
        var p = MakeProblem(ArchSpec.Default, 1, 28, 28, 4, seed: 28);
        var init = WeightLayout.InitialVectors(p.Plan, 1);
        var local = ReferenceFrom(p.Plan, init, WeightSharing.Local);
        var engine = TrainBoth(p, new StrategyOptions(StrategyKind.None), 0, true, local, init);
        AssertMatchesLocal(p.Plan, engine.Weights(), local);
    }

    public static TheoryData<TopologyKind, int> AllReduceCases()
    {
        var data = new TheoryData<TopologyKind, int>();
        foreach (var t in new[] { TopologyKind.Star, TopologyKind.Tree, TopologyKind.Ring })
            foreach (int side in new[] { 0, 2 })
                data.Add(t, side);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllReduceCases))]
    public void All_reduce_summing_gradients_every_step_trains_exactly_the_shared_weight_reference(TopologyKind topology, int tileSide)
    {
        var p = MakeProblem(SmallArch, 1, 12, 12, 8, seed: 3 + tileSide);
        var init = WeightLayout.InitialVectors(p.Plan, 5);
        var shared = ReferenceFrom(p.Plan, init, WeightSharing.Shared);
        var engine = TrainBoth(p, new StrategyOptions(StrategyKind.AllReduce, topology, ReduceOp.Sum, Every: 1), tileSide, true, shared, init);
        AssertMatchesShared(p.Plan, engine.Weights(), shared);
    }

    [Theory]
    [InlineData(TopologyKind.Star)]
    [InlineData(TopologyKind.Tree)]
    [InlineData(TopologyKind.Ring)]
    public void All_reduce_on_the_default_network_trains_exactly_the_shared_weight_reference(TopologyKind topology)
    {
        var p = MakeProblem(ArchSpec.Default, 1, 28, 28, 4, seed: 29);
        var init = WeightLayout.InitialVectors(p.Plan, 2);
        var shared = ReferenceFrom(p.Plan, init, WeightSharing.Shared);
        var engine = TrainBoth(p, new StrategyOptions(StrategyKind.AllReduce, topology), 0, true, shared, init);
        AssertMatchesShared(p.Plan, engine.Weights(), shared);
    }

    [Fact]
    public void All_reduce_every_step_keeps_all_kernels_of_a_map_bit_identical_for_every_topology()
    {
        foreach (var topology in new[] { TopologyKind.Star, TopologyKind.Tree, TopologyKind.Ring })
        {
            var p = MakeProblem(SmallArch, 1, 12, 12, 8, seed: 9);
            var init = WeightLayout.InitialVectors(p.Plan, 9);
            var engine = TrainBoth(p, new StrategyOptions(StrategyKind.AllReduce, topology), 0, true, null, init);
            AssertMapsTied(p.Plan, engine.Weights(), $"{topology}");
        }
    }

    private static void AssertMapsTied(NetworkPlan plan, float[][] weights, string what)
    {
        foreach (var l in plan.Layers.Where(l => l.Kind == LayerKind.Conv))
        {
            int stride = l.FanIn + 1;
            for (int m = 0; m < l.OutMaps; m++)
            {
                var first = weights[l.Index].AsSpan(m * l.Positions * stride, stride);
                for (int pos = 1; pos < l.Positions; pos++)
                    Assert.True(first.SequenceEqual(weights[l.Index].AsSpan((m * l.Positions + pos) * stride, stride)),
                        $"{what}: {l.Name} map {m} position {pos} differs from position 0");
            }
        }
    }

    private static bool AnyMapUntied(NetworkPlan plan, float[][] weights)
    {
        foreach (var l in plan.Layers.Where(l => l.Kind == LayerKind.Conv))
        {
            int stride = l.FanIn + 1;
            for (int m = 0; m < l.OutMaps; m++)
                for (int pos = 1; pos < l.Positions; pos++)
                    if (!weights[l.Index].AsSpan(m * l.Positions * stride, stride).SequenceEqual(weights[l.Index].AsSpan((m * l.Positions + pos) * stride, stride)))
                        return true;
        }
        return false;
    }

    [Theory]
    [InlineData(TopologyKind.Star)]
    [InlineData(TopologyKind.Tree)]
    [InlineData(TopologyKind.Ring)]
    public void All_reduce_every_2_steps_trains_locally_then_averages_the_kernels_of_each_map_after_step_2(TopologyKind topology)
    {
        var p = MakeProblem(SmallArch, 1, 12, 12, 6, seed: 12);
        var init = WeightLayout.InitialVectors(p.Plan, 4);
        var options = new TrainOptions(Arch: SmallArch, Strategy: new StrategyOptions(StrategyKind.AllReduce, topology, Every: 2), LearningRate: Lr).Validate();
        var engine = new UnitEngine(TilePlan.Build(p.Plan), options, init);
        var local = ReferenceFrom(p.Plan, init, WeightSharing.Local);

        for (int s = 0; s < 2; s++)
        {
            var batch = p.Batches[s];
            engine.TrainStep(Input(p, batch), batch.Select(i => p.Labels[i]).ToArray());
            var (images, labels) = ReferenceBatch(p, batch);
            local.TrainStep(images, labels, batch.Length, Lr);
            if (s == 0)
            {
                // Step 1: no averaging yet, so the engine is still the locally connected network.
                Assert.True(AnyMapUntied(p.Plan, engine.Weights()), "after step 1 the kernels should have drifted apart");
                AssertMatchesLocal(p.Plan, engine.Weights(), local);
            }
        }

        // After step 2 every map's kernels are identical, and equal to the mean of the local kernels.
        var weights = engine.Weights();
        AssertMapsTied(p.Plan, weights, $"{topology} every 2");
        foreach (var l in p.Plan.Layers)
        {
            var (w, b) = WeightLayout.FromUnitVectors(l, weights[l.Index]);
            if (l.Kind == LayerKind.Dense)
            {
                AssertClose(local.Weight(l.Index), w.Data, $"{l.Name}.weight");
                AssertClose(local.Bias(l.Index), b.Data, $"{l.Name}.bias");
                continue;
            }
            var lw = local.Weight(l.Index);
            var lb = local.Bias(l.Index);
            for (int m = 0; m < l.OutMaps; m++)
            {
                var meanW = new float[l.FanIn];
                double meanB = 0;
                for (int i = 0; i < l.FanIn; i++)
                {
                    double s = 0;
                    for (int pos = 0; pos < l.Positions; pos++) s += lw[(m * l.Positions + pos) * l.FanIn + i];
                    meanW[i] = (float)(s / l.Positions);
                }
                for (int pos = 0; pos < l.Positions; pos++) meanB += lb[m * l.Positions + pos];
                AssertClose(meanW, w.Data.AsSpan(m * l.Positions * l.FanIn, l.FanIn), $"{l.Name}.weight map {m}");
                AssertClose([(float)(meanB / l.Positions)], b.Data.AsSpan(m * l.Positions, 1), $"{l.Name}.bias map {m}");
            }
        }

        // Step 3 trains locally again: the maps drift apart.
        engine.TrainStep(Input(p, p.Batches[2]), p.Batches[2].Select(i => p.Labels[i]).ToArray());
        Assert.True(AnyMapUntied(p.Plan, engine.Weights()), "after step 3 the kernels should have drifted apart again");
    }

    [Fact]
    public void Training_is_deterministic_whether_tiles_run_in_parallel_or_not()
    {
        var p = MakeProblem(SmallArch, 1, 12, 12, 7, seed: 21);
        var init = WeightLayout.InitialVectors(p.Plan, 8);
        foreach (var strategy in new[] { new StrategyOptions(StrategyKind.None), new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Tree) })
        {
            var a = TrainBoth(p, strategy, 0, true, null, init).Weights();
            var b = TrainBoth(p, strategy, 0, false, null, init).Weights();
            for (int l = 0; l < a.Length; l++) Assert.Equal(a[l], b[l]);
        }
    }

    [Fact]
    public void The_engine_does_not_modify_the_initial_weights_it_was_given()
    {
        var p = MakeProblem(SmallArch, 1, 12, 12, 4, seed: 2);
        var init = WeightLayout.InitialVectors(p.Plan, 6);
        var copy = init.Select(a => (float[])a.Clone()).ToArray();
        TrainBoth(p, new StrategyOptions(StrategyKind.None), 0, true, null, init);
        for (int l = 0; l < init.Length; l++) Assert.Equal(copy[l], init[l]);
    }

    [Fact]
    public void EvaluateBatch_gives_the_reference_loss_and_changes_no_weight()
    {
        var p = MakeProblem(SmallArch, 1, 12, 12, 6, seed: 30);
        var init = WeightLayout.InitialVectors(p.Plan, 30);
        var options = new TrainOptions(Arch: SmallArch, LearningRate: Lr);
        var engine = new UnitEngine(TilePlan.Build(p.Plan), options, init);
        var local = ReferenceFrom(p.Plan, init, WeightSharing.Local);
        var batch = p.Batches[0];
        var (loss, correct) = engine.EvaluateBatch(Input(p, batch), batch.Select(i => p.Labels[i]).ToArray());
        var (images, labels) = ReferenceBatch(p, batch);
        var logits = local.Forward(images, batch.Length); // [B, classes]
        double expected = 0;
        int expectedCorrect = 0;
        for (int b = 0; b < batch.Length; b++)
        {
            var z = logits.AsSpan(b * 10, 10).ToArray().Select(v => (double)v).ToArray();
            double max = z.Max();
            expected += Math.Log(z.Sum(v => Math.Exp(v - max))) + max - z[labels[b]];
            if (Array.IndexOf(z, max) == labels[b]) expectedCorrect++;
        }
        Assert.True(Math.Abs(loss - expected) <= 1e-4 * expected, $"reference {expected}, engine {loss}");
        Assert.Equal(expectedCorrect, correct);
        var after = engine.Weights();
        for (int l = 0; l < init.Length; l++) Assert.Equal(init[l], after[l]);
    }

    [Fact]
    public void The_engine_refuses_gossip()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(SmallArch), 1, 12, 12);
        var options = new TrainOptions(Arch: SmallArch, Strategy: new StrategyOptions(StrategyKind.Gossip, TopologyKind.Grid));
        Assert.Throws<NotSupportedException>(() => new UnitEngine(TilePlan.Build(plan), options, WeightLayout.InitialVectors(plan, 1)));
    }

    [Fact]
    public void With_step_parity_an_averaging_all_reduce_moves_each_map_by_the_sum_of_its_units_changes()
    {
        // Two local steps, then (F = 2) the first agreement. The same two steps without tying give each
        // unit's change Δ = w − a; with parity every unit of a map must then hold a + ΣΔ (the tied
        // initial kernel a plus the sum of the map's changes), where plain averaging holds a + mean Δ.
        var p = MakeProblem(SmallArch, 1, 8, 8, batch: 4, seed: 11);
        var init = WeightLayout.InitialVectors(p.Plan, 5);
        UnitEngine Run(StrategyOptions strategy)
        {
            var options = new TrainOptions(Arch: p.Plan.Arch.Text, Strategy: strategy, LearningRate: Lr, TileSide: 4).Validate();
            var engine = new UnitEngine(TilePlan.Build(p.Plan, 4), options, init, parallel: false);
            foreach (var batch in p.Batches.Take(2))
                engine.TrainStep(Input(p, batch), batch.Select(i => p.Labels[i]).ToArray());
            return engine;
        }
        var local = Run(new StrategyOptions()).Weights();
        var parity = Run(new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Tree, ReduceOp.Sum, 2, StepParity: true)).Weights();
        foreach (var l in p.Plan.Layers.Where(l => l.Kind == LayerKind.Conv))
        {
            int len = l.FanIn + 1;
            for (int m = 0; m < l.OutMaps; m++)
            {
                var expected = new float[len];
                var anchor = init[l.Index].AsSpan(m * l.Positions * len, len); // tied init: every position holds it
                for (int i = 0; i < len; i++)
                {
                    double sum = anchor[i];
                    for (int pos = 0; pos < l.Positions; pos++) sum += local[l.Index][(m * l.Positions + pos) * len + i] - anchor[i];
                    expected[i] = (float)sum;
                }
                for (int pos = 0; pos < l.Positions; pos++)
                    AssertClose(expected, parity[l.Index].AsSpan((m * l.Positions + pos) * len, len), $"{l.Name} map {m} position {pos}");
            }
        }
    }
}
