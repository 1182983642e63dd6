using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Driving;
using NodeMesh.Core.Placement;
using NodeMesh.Core.Engine;
using NodeMesh.Core.Fabric;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;
using NodeMesh.TestSupport.Reference;

namespace NodeMesh.Actors.Tests;

/// <summary>
/// The actor system computes exactly what the actor-free paths compute: the engine (same floats)
/// and the reference nets (ConvNet for exact tying, locally connected net for none).
/// </summary>
[Collection(ActorSystemsCollection.Name)]
public sealed class ActorEquivalenceTests
{
    private const string SmallArch = "conv3x3x4,relu,maxpool2,conv3x3x6,relu,maxpool2,dense10";
    private const int Size = 12, Batch = 8, Samples = 32; // 4 steps per epoch

    /// <summary>
    /// A strided net on 23×23 inputs: conv1 3×3 at stride 2, padding 1 (12×12, several tiles of
    /// strided input regions), conv2 an even 4×4 kernel with padding 1 (11×11) and an overlapping
    /// 3-by-2 max pool (5×5, one tile), conv3 3×3 valid (3×3), global average pool, dense10.
    /// </summary>
    private const string StridedArch = "conv3x3x4s2p1,relu,conv4x4x6p1,relu,maxpool3s2,conv3x3x5pvalid,relu,gap,dense10";
    private const int StridedSize = 23;

    /// <summary>
    /// A residual net on 12×12 inputs: an identity block (the stem's output added to the block's
    /// second conv) and a projection block (a 1×1 stride-2 shortcut conv added to a strided
    /// block's second conv), cut into several tiles so that skip pieces cross tile borders.
    /// </summary>
    private const string ResidualArch = "conv3x3x4,relu,res(conv3x3x4,relu,conv3x3x4),relu,res(conv3x3x6s2,relu,conv3x3x6;conv1x1x6s2pvalid),relu,maxpool2,dense10";

    private static int SizeOf(string arch) => arch == StridedArch ? StridedSize : Size;

    private static (TilePlan Tiles, TrainOptions Options, float[][] Weights) Setup(StrategyOptions strategy, int tile = 4, string arch = SmallArch)
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(arch), 1, SizeOf(arch), SizeOf(arch), 10);
        var tiles = TilePlan.Build(plan, tile);
        var options = new TrainOptions(arch, strategy, Epochs: 1, Batch: Batch, LearningRate: 0.05f, Seed: 3, Shuffle: true, TrainLimit: Samples, TileSide: tile).Validate();
        return (tiles, options, WeightLayout.InitialVectors(plan, 3));
    }

    private static async Task<(float[][] Weights, EpochTrained Epoch)> TrainActors(TilePlan tiles, TrainOptions options, float[][] weights, bool serialize = false,
        int members = 1, PlacementKind placement = PlacementKind.Block, FabricOptions? fabric = null)
    {
        var data = TestData.Random(Samples, 16, tiles.Network.InputHeight, 5);
        var spec = RunSpecs.From(options, tiles.Network, fabric: fabric, shipsWeights: true, placement: placement, members: members);
        await using var run = await LocalRun.StartAsync(spec, options, data, weights, serializeMessages: serialize, name: "equiv");
        await run.PrepareAsync();
        var epoch = await run.TrainEpochAsync(1);
        return (await run.FetchModelAsync(), epoch);
    }

    public static TheoryData<string, int> Strategies => new()
    {
        { "none", 1 }, { "star", 1 }, { "tree", 1 }, { "ring", 1 }, { "star", 3 }, { "tree", 2 }, { "ring", 3 }, { "tree-parity", 2 }, { "star-parity", 3 },
    };

    private static StrategyOptions Parse(string name, int every) => name == "none"
        ? new StrategyOptions()
        : new StrategyOptions(StrategyKind.AllReduce, Enum.Parse<TopologyKind>(name.Replace("-parity", ""), ignoreCase: true), ReduceOp.Sum, every,
            StepParity: name.EndsWith("-parity", StringComparison.Ordinal));

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task Actors_produce_the_same_weights_as_the_actor_free_engine(string topology, int every)
    {
        var (tiles, options, weights) = Setup(Parse(topology, every));
        var (actor, _) = await TrainActors(tiles, options, weights);
        var engine = new UnitEngine(tiles, options, weights, parallel: false);
        engine.TrainEpoch(TestData.Random(Samples, 16, Size, 5).Train, 1);
        var expected = engine.Weights();
        for (int l = 0; l < expected.Length; l++)
            Assert.Equal(expected[l], actor[l]); // bit-identical: same kernels, same summation orders
    }

    /// <summary>
    /// Residual adds forward (skip pieces added before the activation) and backward (deltas sent
    /// back to the skip layer and summed with its other consumers' errors in link order), on one
    /// member and on three with messages serialized: the actors and the engine give bit-identical weights.
    /// </summary>
    [Theory]
    [InlineData("none", 1, 1)]
    [InlineData("star", 1, 1)]
    [InlineData("ring", 3, 1)]
    [InlineData("tree", 1, 3)]
    public async Task Actors_produce_the_same_weights_as_the_engine_on_a_residual_net(string topology, int every, int members)
    {
        var (tiles, options, weights) = Setup(Parse(topology, every), arch: ResidualArch);
        Assert.True(tiles.Tiles[3].Count > 1 && tiles.Tiles[2].Count > 1, "the projection block's layers should be cut into several tiles");
        var (actor, _) = await TrainActors(tiles, options, weights, serialize: members > 1, members: members, placement: PlacementKind.RoundRobin);
        AssertEveryLayerLearnedAsTheEngine(tiles, options, weights, actor);
    }

    /// <summary>
    /// Stride, explicit and valid padding, an even kernel, an overlapping pool and gap, forward and
    /// backward: the actors (tiles routing strided input regions over their links) and the engine
    /// give bit-identical weights.
    /// </summary>
    [Theory]
    [InlineData("none", 1)]
    [InlineData("star", 1)]
    [InlineData("ring", 3)]
    public async Task Actors_produce_the_same_weights_as_the_engine_on_a_strided_net_with_overlapping_pools_and_gap(string topology, int every)
    {
        var (tiles, options, weights) = Setup(Parse(topology, every), arch: StridedArch);
        Assert.True(tiles.Tiles[0].Count > 1, "conv1 should be cut into several tiles");
        var (actor, _) = await TrainActors(tiles, options, weights);
        AssertEveryLayerLearnedAsTheEngine(tiles, options, weights, actor);
    }

    /// <summary>The engine trained on the same data gives the actors' weights bit for bit, and every layer moved.</summary>
    private static void AssertEveryLayerLearnedAsTheEngine(TilePlan tiles, TrainOptions options, float[][] weights, float[][] actor)
    {
        var engine = new UnitEngine(tiles, options, weights, parallel: false);
        engine.TrainEpoch(TestData.Random(Samples, 16, tiles.Network.InputHeight, 5).Train, 1);
        var expected = engine.Weights();
        for (int l = 0; l < expected.Length; l++)
        {
            Assert.NotEqual(weights[l], expected[l]); // every layer learned something
            Assert.Equal(expected[l], actor[l]);
        }
    }

    [Theory]
    [InlineData("star")]
    [InlineData("tree")]
    [InlineData("ring")]
    public async Task Allreduce_with_ideal_devices_matches_a_convnet_trained_on_the_same_batches(string topology)
    {
        var (tiles, options, weights) = Setup(Parse(topology, 1));
        var (actor, _) = await TrainActors(tiles, options, weights);
        var reference = Reference(tiles.Network, weights, WeightSharing.Shared, options);
        foreach (var l in tiles.Network.Layers)
        {
            var unitLayout = WeightLayout.FromUnitVectors(l, actor[l.Index]);
            if (l.Kind == LayerKind.Conv)
            {
                int kernel = l.FanIn;
                var shared = reference.Weight(l.Index);
                // Every position's kernel equals the ConvNet kernel of its map.
                for (int m = 0; m < l.OutMaps; m++)
                    for (int p = 0; p < l.Positions; p++)
                    {
                        AssertClose(shared.AsSpan(m * kernel, kernel), unitLayout.Weight.Data.AsSpan((m * l.Positions + p) * kernel, kernel), $"{l.Name} map {m} position {p}");
                        AssertClose(reference.Bias(l.Index).AsSpan(m, 1), unitLayout.Bias.Data.AsSpan(m * l.Positions + p, 1), $"{l.Name} bias {m}/{p}");
                    }
            }
            else
            {
                AssertClose(reference.Weight(l.Index), unitLayout.Weight.Data, l.Name);
                AssertClose(reference.Bias(l.Index), unitLayout.Bias.Data, l.Name + " bias");
            }
        }
    }

    [Fact]
    public async Task No_sharing_matches_a_locally_connected_net_trained_on_the_same_batches()
    {
        var (tiles, options, weights) = Setup(new StrategyOptions());
        var (actor, _) = await TrainActors(tiles, options, weights);
        var reference = Reference(tiles.Network, weights, WeightSharing.Local, options);
        foreach (var l in tiles.Network.Layers)
        {
            var unitLayout = WeightLayout.FromUnitVectors(l, actor[l.Index]);
            AssertClose(reference.Weight(l.Index), unitLayout.Weight.Data, l.Name);
            AssertClose(reference.Bias(l.Index), unitLayout.Bias.Data, l.Name + " bias");
        }
    }

    [Theory]
    [InlineData("star")]
    [InlineData("tree")]
    [InlineData("ring")]
    public async Task Sync_message_counts_equal_the_closed_form_of_each_topology(string topology)
    {
        var (tiles, options, weights) = Setup(Parse(topology, 1));
        var (_, epoch) = await TrainActors(tiles, options, weights);
        int steps = Samples / Batch;
        Assert.Equal(steps, epoch.Steps);
        foreach (var l in tiles.Network.Layers)
        {
            long expectedMessages = 0;
            if (l.Kind == LayerKind.Conv)
            {
                var topo = new MapTopology(Enum.Parse<TopologyKind>(topology, true), l.OutHeight, l.OutWidth);
                expectedMessages = steps * l.OutMaps * topo.MessagesPerReduce;
                if (topology == "star") Assert.Equal(2L * l.Positions * l.OutMaps * steps, expectedMessages); // 2 per unit per step
            }
            Assert.Equal(expectedMessages, epoch.Ledger.MessagesOf(l.Index, TrafficCategory.Sync));
            Assert.Equal(expectedMessages * FabricModel.SyncBytes(l), epoch.Ledger.BytesOf(l.Index, TrafficCategory.Sync));
            Assert.Equal(expectedMessages, epoch.Ledger.DeliveredOf(l.Index, TrafficCategory.Sync));
            long expectedByteHops = l.Kind == LayerKind.Conv
                ? steps * l.OutMaps * new FabricLayout(tiles.Network).SyncPerExchange(l, Enum.Parse<TopologyKind>(topology, true)).ByteHops
                : 0;
            Assert.Equal(expectedByteHops, epoch.Ledger.ByteHopsOf(l.Index, TrafficCategory.Sync));
        }
    }

    [Fact]
    public async Task Periodic_averaging_sends_sync_traffic_only_every_F_steps()
    {
        var (tiles, options, weights) = Setup(Parse("ring", 2));
        var (model, epoch) = await TrainActors(tiles, options, weights);
        int exchanges = epoch.Steps / 2;
        foreach (var l in tiles.Network.Layers.Where(l => l.Kind == LayerKind.Conv))
        {
            Assert.Equal((long)exchanges * l.OutMaps * 2 * (l.Positions - 1), epoch.Ledger.MessagesOf(l.Index, TrafficCategory.Sync));
            // After the last exchange (step 4 of 4) every map holds one kernel.
            var c = ConsensusReport.Measure(l, model[l.Index]);
            Assert.True(c.ConsensusDistance < 1e-12, $"{l.Name} Ξ² = {c.ConsensusDistance}");
        }
    }

    [Theory]
    [InlineData(SmallArch)]
    [InlineData(StridedArch)]
    [InlineData(ResidualArch)]
    public async Task Logical_activation_and_error_traffic_follow_the_fabric_model(string arch)
    {
        var (tiles, options, weights) = Setup(new StrategyOptions(), arch: arch);
        var (_, epoch) = await TrainActors(tiles, options, weights);
        var plan = tiles.Network;
        int steps = epoch.Steps;
        foreach (var l in plan.Layers)
        {
            long unitMsgs = 0, unitBytesPerSample = 0;
            for (int m = 0; m < l.OutMaps; m++)
                for (int u = 0; u < l.OutHeight; u++)
                    for (int v = 0; v < l.OutWidth; v++)
                    {
                        var (msgs, floats) = FabricModel.UnitInputs(plan, l, u, v);
                        unitMsgs += msgs; unitBytesPerSample += (long)msgs * floats * 4;
                    }
            long pool = tiles.Tiles[l.Index].Sum(t => FabricModel.PoolMessages(l, t));
            long loss = l.Index == plan.Layers.Count - 1 ? plan.Classes : 0;
            long skip = tiles.Tiles[l.Index].Sum(t => FabricModel.SkipMessages(l, t)); // residual add: one value per unit each way
            Assert.Equal(l.Skip is null ? 0 : l.UnitCount, skip);
            Assert.Equal(steps * (unitMsgs + pool + loss + skip), epoch.Ledger.MessagesOf(l.Index, TrafficCategory.Activation));
            Assert.Equal(Batch * steps * (unitBytesPerSample + 4 * (pool + loss + skip)), epoch.Ledger.BytesOf(l.Index, TrafficCategory.Activation));
            var fabric = new FabricLayout(plan).LayerTraffic(l.Index, Batch);
            Assert.Equal(steps * fabric.Activation.ByteHops, epoch.Ledger.ByteHopsOf(l.Index, TrafficCategory.Activation));
            Assert.Equal(steps * fabric.Error.ByteHops, epoch.Ledger.ByteHopsOf(l.Index, TrafficCategory.Error));
            long errorUnits = l.Index == 0 ? 0 : unitMsgs;
            Assert.Equal(steps * (errorUnits + pool + loss + skip), epoch.Ledger.MessagesOf(l.Index, TrafficCategory.Error));
            // Actor messages: one forward sweep hop per unit per step, every activation piece a tile
            // receives (the driver's images for the first layer), each tile's returning sweep, and
            // the logits the driver receives from the last layer.
            var links = new TileLinks(tiles);
            long pieces = l.Index == 0 ? tiles.Tiles[0].Count : tiles.Tiles[l.Index].Sum(t => links.InputsOf(l.Index, t.Index).Count + links.SkipsOf(l.Index, t.Index).Count);
            long logits = l.Index == plan.Layers.Count - 1 ? 1 : 0;
            Assert.Equal(steps * (l.UnitCount + pieces + tiles.Tiles[l.Index].Count + logits), epoch.Ledger.DeliveredOf(l.Index, TrafficCategory.Activation));
        }
    }

    [Theory]
    [InlineData(SmallArch)]
    [InlineData(StridedArch)]
    [InlineData(ResidualArch)]
    public async Task Multicast_traffic_of_a_run_equals_the_closed_form_and_moves_fewer_byte_hops_than_unicast(string arch)
    {
        var (tiles, options, weights) = Setup(new StrategyOptions(), arch: arch);
        var plan = tiles.Network;
        var multicast = new FabricOptions(Cast: FabricCast.Multicast);
        var (uniWeights, uni) = await TrainActors(tiles, options, weights);
        var (multiWeights, multi) = await TrainActors(tiles, options, weights, fabric: multicast);
        Assert.Equal(uniWeights, multiWeights); // the cast changes what is counted, not what is computed
        var layout = new FabricLayout(plan, multicast);
        long steps = multi.Steps, uniByteHops = 0, multiByteHops = 0;
        foreach (var l in plan.Layers)
        {
            var closed = layout.LayerTraffic(l.Index, Batch);
            foreach (var (category, cost) in new[] { (TrafficCategory.Activation, closed.Activation), (TrafficCategory.Error, closed.Error) })
            {
                Assert.Equal(steps * cost.Messages, multi.Ledger.MessagesOf(l.Index, category));
                Assert.Equal(steps * cost.Bytes, multi.Ledger.BytesOf(l.Index, category));
                Assert.Equal(steps * cost.ByteHops, multi.Ledger.ByteHopsOf(l.Index, category));
                uniByteHops += uni.Ledger.ByteHopsOf(l.Index, category);
                multiByteHops += multi.Ledger.ByteHopsOf(l.Index, category);
            }
        }
        Assert.True(2 * multiByteHops < uniByteHops, $"multicast {multiByteHops} byte-hops, unicast {uniByteHops}");
    }

    public static TheoryData<string, int, int, PlacementKind> Spread => new()
    {
        { "none", 1, 2, PlacementKind.Block }, { "tree", 1, 3, PlacementKind.RoundRobin }, { "star", 1, 2, PlacementKind.Stripe },
        { "ring", 1, 3, PlacementKind.Block }, { "ring", 3, 2, PlacementKind.RoundRobin }, { "star", 2, 3, PlacementKind.Block },
    };

    [Theory]
    [MemberData(nameof(Spread))]
    public async Task Tiles_spread_over_several_member_hosts_give_the_same_weights_and_counts_as_one(string topology, int every, int members, PlacementKind placement)
    {
        var (tiles, options, weights) = Setup(Parse(topology, every));
        var (one, oneEpoch) = await TrainActors(tiles, options, weights);
        var (many, manyEpoch) = await TrainActors(tiles, options, weights, members: members, placement: placement);
        for (int l = 0; l < one.Length; l++) Assert.Equal(one[l], many[l]);
        foreach (var c in Enum.GetValues<TrafficCategory>())
        {
            Assert.Equal(oneEpoch.Ledger.TotalMessages(c), manyEpoch.Ledger.TotalMessages(c));
            Assert.Equal(oneEpoch.Ledger.TotalBytes(c), manyEpoch.Ledger.TotalBytes(c));
            Assert.Equal(oneEpoch.Ledger.TotalByteHops(c), manyEpoch.Ledger.TotalByteHops(c));
        }
    }

    [Fact]
    public async Task Training_with_serialize_messages_on_gives_the_same_weights()
    {
        var (tiles, options, weights) = Setup(Parse("tree", 1), tile: 6);
        var (plain, _) = await TrainActors(tiles, options, weights);
        var (serialized, _) = await TrainActors(tiles, options, weights, serialize: true);
        for (int l = 0; l < plain.Length; l++) Assert.Equal(plain[l], serialized[l]);
    }

    private static ReferenceNet Reference(NetworkPlan plan, float[][] weights, WeightSharing sharing, TrainOptions options)
    {
        var net = new ReferenceNet(plan, sharing);
        foreach (var l in plan.Layers)
        {
            var (w, b) = WeightLayout.FromUnitVectors(l, weights[l.Index]);
            if (sharing == WeightSharing.Shared && l.Kind == LayerKind.Conv)
            {
                int kernel = l.FanIn;
                for (int m = 0; m < l.OutMaps; m++)
                {
                    w.Data.AsSpan(m * l.Positions * kernel, kernel).CopyTo(net.Weight(l.Index).AsSpan(m * kernel, kernel));
                    net.Bias(l.Index)[m] = b.Data[m * l.Positions];
                }
            }
            else
            {
                w.Data.CopyTo(net.Weight(l.Index), 0);
                b.Data.CopyTo(net.Bias(l.Index), 0);
            }
        }
        var data = TestData.Random(Samples, 16, Size, 5).Train;
        var order = EpochOrder.Build(Samples, options.Shuffle, options.Seed, 1);
        int pixels = Size * Size;
        for (int s = 0; s < Samples; s += Batch)
        {
            var images = new float[Batch * pixels];
            var labels = new byte[Batch];
            for (int b = 0; b < Batch; b++)
            {
                data.Images.AsSpan(order[s + b] * pixels, pixels).CopyTo(images.AsSpan(b * pixels));
                labels[b] = data.Labels[order[s + b]];
            }
            net.TrainStep(images, labels, Batch, options.LearningRate);
        }
        return net;
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tol = 1e-4 * Math.Abs(expected[i]) + 1e-6;
            if (Math.Abs(expected[i] - actual[i]) > tol)
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tol:G3})");
        }
    }
}
