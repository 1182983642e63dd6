using NodeMesh.Core.Fabric;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Core.Tests.Fabric;

/// <summary>Hops and byte-hops of the tying protocols on small maps, against hand counts.</summary>
public sealed class SyncTrafficTests
{
    /// <summary>A single conv layer whose map is side×side at stride 1: conv3x3x2, FanIn 9, S = (9+1)·4 = 40 bytes.</summary>
    private static (FabricLayout Layout, WeightedLayer Layer) Map(int side)
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse("conv3x3x2,dense10"), 1, side, side);
        return (new FabricLayout(plan), plan.Layers[0]);
    }

    /// <summary>The same maps one pool deeper: conv2 on a side×side grid at stride 2 (FanIn 3·3·2 = 18, S = 76).</summary>
    private static (FabricLayout Layout, WeightedLayer Layer) StrideTwoMap(int side)
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse("conv3x3x2,maxpool2,conv3x3x3,dense10"), 1, 2 * side, 2 * side);
        return (new FabricLayout(plan), plan.Layers[1]);
    }

    // Star: each unit sends to the reducer at the centre (⌊H/2⌋, ⌊W/2⌋) and receives back.
    //   4x4, centre (2,2): Σ_u |u−2| = 2+1+0+1 = 4 per column, so Σ distance = 4·4 + 4·4 = 32;
    //   up and down: 64 hops, 2·16 = 32 messages.
    //   5x5, centre (2,2): Σ_u |u−2| = 2+1+0+1+2 = 6, Σ distance = 6·5 + 6·5 = 60; 120 hops, 50 messages.
    // Tree: every edge of MapTopology's spanning tree joins grid neighbours (1 hop), N−1 edges up and down:
    //   4x4: 30 messages, 30 hops; 5x5: 48 messages, 48 hops.
    // Ring: reduce along the snake, N−1 one-hop messages; broadcast: the wrap link from the snake's end
    //   back to (0,0), then N−2 one-hop messages along the snake.
    //   4x4: H even, the snake ends at (3,0): wrap 3 hops. 15 + 3 + 14 = 32 hops, 30 messages.
    //   5x5: H odd, the snake ends at (4,4): wrap 4 + 4 = 8 hops. 24 + 8 + 23 = 55 hops, 48 messages.
    // Gossip grid, one round: each unit push-pulls with one neighbour (2 one-hop messages):
    //   4x4: 32 messages, 32 hops; 5x5: 50 messages, 50 hops.
    [Theory]
    [InlineData(TopologyKind.Star, 4, 32, 64)]
    [InlineData(TopologyKind.Star, 5, 50, 120)]
    [InlineData(TopologyKind.Tree, 4, 30, 30)]
    [InlineData(TopologyKind.Tree, 5, 48, 48)]
    [InlineData(TopologyKind.Ring, 4, 30, 32)]
    [InlineData(TopologyKind.Ring, 5, 48, 55)]
    [InlineData(TopologyKind.Grid, 4, 32, 32)]
    [InlineData(TopologyKind.Grid, 5, 50, 50)]
    public void One_exchange_of_a_small_map_has_the_hand_counted_hops(TopologyKind kind, int side, long messages, long hops)
    {
        var (f, l) = Map(side);
        var cost = f.SyncPerExchange(l, kind);
        Assert.Equal(messages, cost.Messages);
        Assert.Equal(hops, cost.Hops);
        Assert.Equal(hops, f.SyncHopsPerExchange(l, kind));
        Assert.Equal(messages * 40, cost.Bytes);
        Assert.Equal(hops * 40, cost.ByteHops); // e.g. star 4x4: 64 hops × 40 bytes = 2560 byte-hops
        if (kind != TopologyKind.Grid) Assert.Equal(new MapTopology(kind, side, side).MessagesPerReduce, cost.Messages);

        // One pool deeper the same map sits at stride 2: every hop count doubles.
        var (g, l2) = StrideTwoMap(side);
        var deep = g.SyncPerExchange(l2, kind);
        Assert.Equal((messages, 2 * hops, 2 * hops * 76), (deep.Messages, deep.Hops, deep.ByteHops));
    }

    [Fact]
    public void The_ring_protocol_wraps_from_the_snake_end_to_its_start_during_the_broadcast()
    {
        var edges = FabricLayout.SyncEdges(TopologyKind.Ring, 2, 3);
        // snake: 0 1 2 | 5 4 3. Reduce 0→1→2→5→4→3; broadcast 3→0 (wrap), 0→1→2→5→4.
        Assert.Equal([(0, 1), (1, 2), (2, 5), (5, 4), (4, 3), (3, 0), (0, 1), (1, 2), (2, 5), (5, 4)], edges.Select(e => (e.From, e.To)));
        Assert.Equal([(0, 1), (1, 0)], FabricLayout.SyncEdges(TopologyKind.Ring, 1, 2).Select(e => (e.From, e.To)));
        Assert.Empty(FabricLayout.SyncEdges(TopologyKind.Ring, 1, 1));
        Assert.Equal([(0, SyncEdge.Reducer), (SyncEdge.Reducer, 0)], FabricLayout.SyncEdges(TopologyKind.Star, 1, 1).Select(e => (e.From, e.To)));
    }

    [Fact]
    public void Tree_edges_follow_the_topology_parents()
    {
        var topo = new MapTopology(TopologyKind.Tree, 5, 5);
        var edges = FabricLayout.SyncEdges(TopologyKind.Tree, 5, 5);
        Assert.All(edges.Take(24), e => Assert.Equal(topo.Parent[e.From], e.To));
        Assert.All(edges.Skip(24), e => Assert.Equal(topo.Parent[e.To], e.From));
    }

    /// <summary>
    /// Exponential gossip on 4x4 (snake 0..3 on row 0, 4..7 right to left on row 1, …):
    /// offset 1 pairs snake neighbours (1 hop) except rank 15 (3,0) → rank 0 (0,0), 3 hops: Σ = 15 + 3 = 18;
    /// offset 8 pairs row r with row r ± 2 in the same column: 2 hops each, Σ = 32. Push-pull doubles.
    /// </summary>
    [Fact]
    public void Exponential_gossip_rounds_pair_snake_ranks()
    {
        var (f, l) = Map(4);
        Assert.Equal(new TransportCost(32, 32, 32 * 40, 36, 36 * 40), f.GossipRound(l, 1));
        Assert.Equal(64, f.GossipRound(l, 8).Hops);
        Assert.Equal(TransportCost.Zero, f.GossipRound(l, 16));
        var expected = f.ExpectedGossipRound(l, TopologyKind.Exp);
        double mean = new[] { 1, 2, 4, 8 }.Average(d => (double)f.GossipRound(l, d).Hops);
        Assert.Equal(mean, expected.Hops, 9);
        Assert.Equal(32, expected.Messages, 9);
        Assert.Equal(2 * mean, f.ExpectedGossipRound(l, TopologyKind.Exp, fanout: 2).Hops, 9);
    }

    [Theory]
    [InlineData(1, 1, 0.0)]
    [InlineData(1, 2, 1.0)]
    [InlineData(2, 2, 4.0 / 3)] // 8 ordered neighbour pairs at 1, 4 diagonal at 2: 16 / 12
    [InlineData(1, 3, 4.0 / 3)] // pairs (0,1) (1,2) at 1 and (0,2) at 2, each twice: 8 / 6
    public void Mean_peer_distance_matches_enumeration(int h, int w, double mean)
    {
        Assert.Equal(mean, FabricLayout.MeanPeerDistance(h, w), 12);
        double sum = 0; int pairs = 0;
        for (int a = 0; a < h * w; a++)
            for (int b = 0; b < h * w; b++)
                if (a != b) { sum += Math.Abs(a / w - b / w) + Math.Abs(a % w - b % w); pairs++; }
        Assert.Equal(pairs == 0 ? 0 : sum / pairs, FabricLayout.MeanPeerDistance(h, w), 12);
    }

    [Fact]
    public void Random_gossip_expects_the_mean_peer_distance_per_message()
    {
        var (f, l) = Map(4);
        var c = f.ExpectedGossipRound(l, TopologyKind.Random);
        Assert.Equal(32, c.Messages, 9);
        Assert.Equal(32 * FabricLayout.MeanPeerDistance(4, 4), c.Hops, 9);
        Assert.Equal(c.Hops * 40, c.ByteHops, 9);
    }

    [Fact]
    public void Sync_over_steps_counts_one_exchange_per_map_every_F_steps()
    {
        var (f, l) = Map(4); // 2 maps
        var star = f.SyncPerExchange(l, TopologyKind.Star);
        var every1 = f.SyncOverSteps(l, new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Star), 10);
        Assert.Equal(ExpectedCost.From(star.Times(20)), every1);
        var every4 = f.SyncOverSteps(l, new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Star, Every: 4), 10);
        Assert.Equal(ExpectedCost.From(star.Times(4)), every4); // ⌊10/4⌋ = 2 exchanges × 2 maps
        var gossip = f.SyncOverSteps(l, new StrategyOptions(StrategyKind.Gossip, TopologyKind.Grid, Every: 5), 10);
        Assert.Equal(ExpectedCost.From(f.SyncPerExchange(l, TopologyKind.Grid).Times(4)), gossip);
        Assert.Equal(ExpectedCost.Zero, f.SyncOverSteps(l, new StrategyOptions(), 10));
    }

    [Fact]
    public void Random_and_exp_gossip_have_no_fixed_exchange()
    {
        var (f, l) = Map(4);
        Assert.Throws<ArgumentException>(() => f.SyncPerExchange(l, TopologyKind.Random));
        Assert.Throws<ArgumentException>(() => f.SyncPerExchange(l, TopologyKind.Exp));
    }
}
