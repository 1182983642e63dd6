using System.Text.Json;
using NodeMesh.Core.Checkpoints;
using NodeMesh.Core.Engine;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tests.Reference;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;

namespace NodeMesh.Core.Tests.Engine;

/// <summary>
/// The actor-free <see cref="UnitEngine"/> straight against PyTorch on a net with the layers of
/// issue 12 (<c>net_sgd_strided.json</c> from <c>tools/golden/make_golden.py</c>: stride 2 with
/// padding 1, an even 4×4 kernel with padding 1, an overlapping 3-by-2 max pool, an even 2×2 valid
/// conv, an overlapping 2-by-1 average pool and global average pooling): strategy none trains the
/// locally connected net (F.unfold at the same
/// stride and padding), all-reduce summing gradients every step trains nn.Conv2d. The engine
/// computes in float32 and PyTorch in float64, so the tolerance is <see cref="Tolerance.Float32Sums"/>.
/// The same two checks run on <c>net_sgd_residual.json</c>: an identity residual block and a
/// stride-2 block with a 1×1 stride-2 projection shortcut (the golden lists its parameters in
/// NodeMesh's layer order, the shortcut conv right before its block's first conv).
/// </summary>
public sealed class UnitEngineGoldenTests
{
    private const string File = "net_sgd_strided.json";
    private const string ResidualFile = "net_sgd_residual.json";

    /// <summary>The golden's plan and its initial parameters as unit vectors (each conv kernel broadcast to every position).</summary>
    private static (NetworkPlan Plan, float[][] Init) Load(JsonElement gold, string file = File)
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(gold.GetProperty("arch").GetString()!),
            gold.GetProperty("channels").GetInt32(), gold.GetProperty("height").GetInt32(),
            gold.GetProperty("width").GetInt32(), gold.GetProperty("classes").GetInt32());
        var initial = gold.GetProperty("initial");
        var init = plan.Layers.Select(l =>
        {
            var (wn, bn) = WeightLayout.Names(l);
            var w = initial[l.Index].Tensor("weight");
            var b = initial[l.Index].Tensor("bias");
            return WeightLayout.ToUnitVectors(l, new NamedTensor(wn, w.Shape, w.Data), new NamedTensor(bn, b.Shape, b.Data), file);
        }).ToArray();
        return (plan, init);
    }

    /// <summary>Trains the golden's steps (batch s = images[s], labels[s]); checks every step's mean loss; returns the engine.</summary>
    private static UnitEngine Train(JsonElement gold, NetworkPlan plan, float[][] init, StrategyOptions strategy, int tileSide, string mode)
    {
        int batch = gold.GetProperty("batch").GetInt32(), steps = gold.GetProperty("steps").GetInt32();
        float lr = gold.GetProperty("lr").GetSingle();
        var options = new TrainOptions(Arch: plan.Arch.Text, Strategy: strategy, LearningRate: lr, TileSide: tileSide).Validate();
        var tiles = TilePlan.Build(plan, tileSide);
        var engine = new UnitEngine(tiles, options, init);
        var losses = new float[steps];
        var all = Enumerable.Range(0, batch).ToArray();
        for (int s = 0; s < steps; s++)
        {
            var images = GoldenTensor.From(gold.GetProperty("images")[s]).Data;
            var labels = gold.GetProperty("labels")[s].EnumerateArray().Select(v => checked((byte)v.GetInt32())).ToArray();
            var input = GridBuffer.FromImages(images, plan.InputChannels, plan.InputHeight, plan.InputWidth, plan.Layers[0].Padding, all);
            losses[s] = (float)(engine.TrainStep(input, labels).Loss / batch);
        }
        var expected = gold.GetProperty(mode).GetProperty("loss").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Tolerance.Float32Sums.AssertClose(expected, losses, $"{mode} losses (tile side {tileSide})");
        return engine;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Strategy_none_trains_pytorchs_locally_connected_strided_net(int tileSide) => CheckLocal(File, tileSide);

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Strategy_none_trains_pytorchs_locally_connected_residual_net(int tileSide) => CheckLocal(ResidualFile, tileSide);

    [Theory]
    [InlineData(TopologyKind.Star, 0)]
    [InlineData(TopologyKind.Ring, 2)]
    public void All_reduce_summing_gradients_every_step_trains_pytorchs_strided_convnet(TopologyKind topology, int tileSide) =>
        CheckShared(File, topology, tileSide);

    [Theory]
    [InlineData(TopologyKind.Star, 0)]
    [InlineData(TopologyKind.Ring, 2)]
    public void All_reduce_summing_gradients_every_step_trains_pytorchs_residual_convnet(TopologyKind topology, int tileSide) =>
        CheckShared(ResidualFile, topology, tileSide);

    [Fact]
    public void The_residual_golden_has_both_kinds_of_block_in_nodemeshs_layer_order()
    {
        var gold = Golden.Load(ResidualFile);
        var (plan, _) = Load(gold, ResidualFile);
        Assert.Equal(plan.Layers.Count, gold.GetProperty("initial").GetArrayLength());
        Assert.Equal([null, null, 0, null, null, 3, null], plan.Layers.Select(l => l.Skip)); // identity add, then the shortcut's
        Assert.Equal([false, false, false, true, false, false, false], plan.Layers.Select(l => l.Shortcut));
        Assert.Equal([6, 4, 1, 1], gold.GetProperty("initial")[3].Tensor("weight").Shape); // conv4 = the 1x1 projection
    }

    private static void CheckLocal(string file, int tileSide)
    {
        var gold = Golden.Load(file);
        var (plan, init) = Load(gold, file);
        var engine = Train(gold, plan, init, new StrategyOptions(StrategyKind.None), tileSide, "local");
        var weights = engine.Weights();
        var final = gold.GetProperty("local").GetProperty("final");
        foreach (var l in plan.Layers)
        {
            var (w, b) = WeightLayout.FromUnitVectors(l, weights[l.Index]);
            Assert.Equal(final[l.Index].Tensor("weight").Shape, w.Shape); // [Cout, OH, OW, Cin, k, k]: OH, OW at the stride
            Tolerance.Float32Sums.AssertClose(final[l.Index].Tensor("weight"), w.Data, $"local final {l.Name}.weight");
            Tolerance.Float32Sums.AssertClose(final[l.Index].Tensor("bias"), b.Data, $"local final {l.Name}.bias");
        }
    }

    private static void CheckShared(string file, TopologyKind topology, int tileSide)
    {
        var gold = Golden.Load(file);
        var (plan, init) = Load(gold, file);
        var engine = Train(gold, plan, init, new StrategyOptions(StrategyKind.AllReduce, topology, ReduceOp.Sum, Every: 1), tileSide, "shared");
        var weights = engine.Weights();
        var final = gold.GetProperty("shared").GetProperty("final");
        foreach (var l in plan.Layers)
        {
            var (w, b) = WeightLayout.FromUnitVectors(l, weights[l.Index]);
            var expectedW = final[l.Index].Tensor("weight").Data;
            var expectedB = final[l.Index].Tensor("bias").Data;
            if (l.Kind == LayerKind.Dense)
            {
                Tolerance.Float32Sums.AssertClose(expectedW, w.Data, $"shared final {l.Name}.weight");
                Tolerance.Float32Sums.AssertClose(expectedB, b.Data, $"shared final {l.Name}.bias");
                continue;
            }
            for (int m = 0; m < l.OutMaps; m++)
                for (int p = 0; p < l.Positions; p++)
                {
                    int unit = m * l.Positions + p;
                    Tolerance.Float32Sums.AssertClose(expectedW.AsSpan(m * l.FanIn, l.FanIn), w.Data.AsSpan(unit * l.FanIn, l.FanIn), $"shared final {l.Name}.weight map {m} position {p}");
                    Tolerance.Float32Sums.AssertClose(expectedB.AsSpan(m, 1), b.Data.AsSpan(unit, 1), $"shared final {l.Name}.bias map {m} position {p}");
                }
        }
    }
}
