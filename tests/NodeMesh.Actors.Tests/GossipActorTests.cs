using NodeMesh.Actors.Driving;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;

namespace NodeMesh.Actors.Tests;

/// <summary>Gossip between real unit actors, without training (mix-only rounds) and with training.</summary>
[Collection(ActorSystemsCollection.Name)]
public sealed class GossipActorTests
{
    private const string Arch = "conv3x3x3,relu,maxpool2,conv3x3x4,relu,maxpool2,dense10";
    private const int Size = 8;

    private static (TilePlan Tiles, TrainOptions Options) Setup(TopologyKind topology, int fanout = 1, float drop = 0f)
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(Arch), 1, Size, Size, 10);
        var strategy = new StrategyOptions(StrategyKind.Gossip, topology, ReduceOp.Sum, 1, fanout, 0.5f, drop);
        var options = new TrainOptions(Arch, strategy, Batch: 8, TrainLimit: 32, Seed: 4, TileSide: 4).Validate();
        return (TilePlan.Build(plan, 4), options);
    }

    private static float[][] DistinctKernels(NetworkPlan plan, int seed)
    {
        var rng = new Random(seed);
        return plan.Layers.Select(l => Enumerable.Range(0, l.UnitCount * (l.FanIn + 1)).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray()).ToArray();
    }

    private static long ExpectedOffers(WeightedLayer l, TopologyKind kind, int fanout, int rounds)
    {
        long offers = 0;
        for (int p = 0; p < l.Positions; p++)
        {
            int candidates = kind == TopologyKind.Random ? l.Positions - 1 : GossipPeers.Candidates(kind, l.OutHeight, l.OutWidth, p).Length;
            offers += Math.Min(fanout, candidates);
        }
        return offers * l.OutMaps * rounds;
    }

    [Theory]
    [InlineData(TopologyKind.Grid)]
    [InlineData(TopologyKind.Random)]
    [InlineData(TopologyKind.Exp)]
    public async Task Gossip_on_identical_kernels_without_training_keeps_them_identical(TopologyKind topology)
    {
        var (tiles, options) = Setup(topology, fanout: 2);
        var weights = WeightLayout.InitialVectors(tiles.Network, 9); // one kernel per map, copied to every position
        await using var run = await LocalRun.StartAsync(RunSpecs.From(options, tiles.Network, shipsWeights: true), options, TestData.Random(32, 8, Size, 1), weights, name: "gossip-same");
        await run.PrepareAsync();
        await run.MixAsync(3);
        var model = await run.FetchModelAsync();
        for (int l = 0; l < weights.Length; l++) Assert.Equal(weights[l], model[l]);
    }

    [Theory]
    [InlineData(TopologyKind.Grid, 1)]
    [InlineData(TopologyKind.Random, 2)]
    [InlineData(TopologyKind.Exp, 1)]
    public async Task Gossip_without_training_never_raises_consensus_distance_and_sends_two_messages_per_exchange(TopologyKind topology, int fanout)
    {
        var (tiles, options) = Setup(topology, fanout);
        var plan = tiles.Network;
        var weights = DistinctKernels(plan, 11);
        await using var run = await LocalRun.StartAsync(RunSpecs.From(options, tiles.Network, shipsWeights: true), options, TestData.Random(32, 8, Size, 1), weights, name: "gossip-mix");
        await run.PrepareAsync();
        var conv = plan.Layers.Where(l => l.Kind == LayerKind.Conv).ToList();
        var previous = conv.Select(l => ConsensusReport.Measure(l, weights[l.Index]).ConsensusDistance).ToArray();
        double[] start = (double[])previous.Clone();
        const int rounds = 6;
        for (int r = 0; r < rounds; r++)
        {
            await run.MixAsync(1);
            var model = await run.FetchModelAsync();
            for (int i = 0; i < conv.Count; i++)
            {
                double xi = ConsensusReport.Measure(conv[i], model[conv[i].Index]).ConsensusDistance;
                Assert.True(xi <= previous[i] * (1 + 1e-6), $"{conv[i].Name}: Ξ² rose from {previous[i]} to {xi} in round {r + 1}");
                previous[i] = xi;
            }
        }
        for (int i = 0; i < conv.Count; i++) Assert.True(previous[i] < start[i], $"{conv[i].Name}: Ξ² did not shrink ({start[i]} -> {previous[i]})");
        var traffic = await run.FetchTrafficAsync();
        foreach (var l in conv)
        {
            // Every offer gets exactly one answer (reply or decline): 2 messages per exchange, except two
            // offers that cross, which answer each other: 2 messages for the pair's 2 exchanges.
            long offers = ExpectedOffers(l, topology, fanout, rounds);
            long messages = traffic.MessagesOf(l.Index, TrafficCategory.Sync);
            long crossedPairs = (2 * offers - messages) / 2;
            Assert.Equal(0, (2 * offers - messages) % 2);
            Assert.InRange(crossedPairs, 0, offers / 2);
            Assert.True(crossedPairs < offers / 4, $"{crossedPairs} of {offers} exchanges crossed");
            Assert.Equal(messages, traffic.DeliveredOf(l.Index, TrafficCategory.Sync));
            Assert.Equal(0, traffic.DroppedOf(l.Index, TrafficCategory.Sync));
        }
    }

    [Fact]
    public async Task A_run_with_gossip_drops_completes_and_reports_the_drops()
    {
        var (tiles, options) = Setup(TopologyKind.Grid, fanout: 2, drop: 0.3f);
        var weights = DistinctKernels(tiles.Network, 5);
        await using var run = await LocalRun.StartAsync(RunSpecs.From(options, tiles.Network, shipsWeights: true), options, TestData.Random(32, 8, Size, 1), weights, name: "gossip-drop");
        await run.PrepareAsync();
        var epoch = await run.TrainEpochAsync(1);
        Assert.Equal(4, epoch.Steps);
        long dropped = epoch.Ledger.TotalDropped(TrafficCategory.Sync);
        long messages = epoch.Ledger.TotalMessages(TrafficCategory.Sync);
        Assert.True(dropped > 0, "no gossip message was dropped at p = 0.3");
        long attempted = tiles.Network.Layers.Where(l => l.Kind == LayerKind.Conv).Sum(l => ExpectedOffers(l, TopologyKind.Grid, 2, epoch.Steps));
        long delivered = epoch.Ledger.TotalDelivered(TrafficCategory.Sync);
        // Senders count what they send, receivers what arrives: a dropped message is never sent, so
        // every message sent arrives.
        Assert.Equal(messages, delivered);
        // Every offer drawn is sent or dropped, and each one sent brings at most one answer.
        Assert.True(messages + dropped >= attempted, $"offers drawn {attempted}, but only {messages} sent and {dropped} dropped");
        Assert.True(messages <= 2 * attempted, $"{messages} messages for {attempted} offers");
        // Offers and replies are each lost with p = 0.3 (declines are never lost), so the dropped share
        // of everything that was sent or lost lies near 0.3 (between 0.15, when half were declines, and 0.3).
        double share = (double)dropped / (messages + dropped);
        Assert.InRange(share, 0.12, 0.36);
        var test = await run.EvaluateAsync();
        Assert.Equal(8, test.Samples);
    }

    [Fact]
    public async Task After_a_gossip_epoch_evaluations_and_model_fetches_see_one_settled_model()
    {
        var (tiles, options) = Setup(TopologyKind.Grid, fanout: 2);
        var weights = DistinctKernels(tiles.Network, 6);
        await using var run = await LocalRun.StartAsync(RunSpecs.From(options, tiles.Network, shipsWeights: true), options, TestData.Random(32, 8, Size, 1), weights, name: "gossip-quiet");
        await run.PrepareAsync();
        await run.TrainEpochAsync(1);
        var first = await run.EvaluateAsync();
        var model = await run.FetchModelAsync();
        var second = await run.EvaluateAsync();
        var again = await run.FetchModelAsync();
        Assert.Equal(first.Loss, second.Loss); // no exchange moved a weight in between
        for (int l = 0; l < model.Length; l++) Assert.Equal(model[l], again[l]);
    }
}
