using NodeMesh.Core.Exchanges;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Core.Tests.Exchanges;

/// <summary>The all-reduce exchanges of a whole map, run without actors by a seeded message shuffler.</summary>
public sealed class AllReduceExchangeTests
{
    private sealed record Sent(int From, int To, bool Result, long Step, SyncKind Kind, float[] Values);

    private sealed class Outbox(int from, List<Sent> sent) : ITyingOutbox
    {
        public void SendPartial(int toPosition, long step, SyncKind kind, float[] values) => sent.Add(new(from, toPosition, false, step, kind, values));
        public void SendResult(int toPosition, long step, SyncKind kind, float[] values) => sent.Add(new(from, toPosition, true, step, kind, values));
    }

    /// <summary>Runs one exchange of every unit of an h×w map, delivering messages in a seeded random order.</summary>
    private static (float[]?[] Results, int Messages) Run(TopologyKind kind, int h, int w, float[][] vectors, SyncKind syncKind, ReduceOp reduce, int seed, long step = 0, AllReduceExchange[]? units = null)
    {
        var topo = new MapTopology(kind, h, w);
        int n = h * w;
        units ??= Enumerable.Range(0, n).Select(p => new AllReduceExchange(TyingWiring.AllReduce(topo, p), reduce)).ToArray();
        var star = kind == TopologyKind.Star ? new StarReduction(n, reduce) : null;
        var pending = new List<Sent>();
        var results = new float[]?[n];
        int messages = 0;
        var rng = new Random(seed);
        // Units open in a random order, interleaved with deliveries.
        var toOpen = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToList();
        while (toOpen.Count > 0 || pending.Count > 0)
        {
            if (toOpen.Count > 0 && (pending.Count == 0 || rng.Next(2) == 0))
            {
                int p = toOpen[0]; toOpen.RemoveAt(0);
                var r = units[p].Open(step, syncKind, (float[])vectors[p].Clone(), new Outbox(p, pending));
                if (r is not null) results[p] = r;
                continue;
            }
            int i = rng.Next(pending.Count);
            var m = pending[i]; pending.RemoveAt(i);
            messages++;
            if (m.To == TyingWiring.Reducer) { star!.OnPartial(m.Step, m.Kind, m.From, m.Values, new Outbox(TyingWiring.Reducer, pending)); continue; }
            var got = m.Result
                ? units[m.To].OnResult(m.Step, m.Kind, m.Values, new Outbox(m.To, pending))
                : units[m.To].OnPartial(m.Step, m.Kind, m.From, m.Values, new Outbox(m.To, pending));
            if (got is not null) { Assert.Null(results[m.To]); results[m.To] = got; }
        }
        Assert.All(units, u => Assert.False(u.IsOpen));
        return (results, messages);
    }

    private static float[][] Vectors(int n, int length, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() * 2 - 0.7)).ToArray()).ToArray();
    }

    public static TheoryData<TopologyKind, int, int> Maps => new()
    {
        { TopologyKind.Star, 1, 1 }, { TopologyKind.Tree, 1, 1 }, { TopologyKind.Ring, 1, 1 },
        { TopologyKind.Star, 3, 4 }, { TopologyKind.Tree, 3, 4 }, { TopologyKind.Ring, 3, 4 },
        { TopologyKind.Tree, 7, 7 }, { TopologyKind.Ring, 7, 7 }, { TopologyKind.Tree, 2, 9 }, { TopologyKind.Ring, 1, 2 },
    };

    [Theory]
    [MemberData(nameof(Maps))]
    public void Every_unit_gets_the_sum_MapTopology_computes_bit_for_bit_in_any_delivery_order(TopologyKind kind, int h, int w)
    {
        var vectors = Vectors(h * w, 7, 3);
        var expected = new float[7];
        new MapTopology(kind, h, w).Sum(p => vectors[p], expected);
        for (int seed = 0; seed < 5; seed++)
        {
            var (results, messages) = Run(kind, h, w, vectors, SyncKind.Gradient, ReduceOp.Sum, seed);
            Assert.All(results, r => Assert.Equal(expected, r));
            Assert.Equal(new MapTopology(kind, h, w).MessagesPerReduce, messages);
        }
    }

    [Theory]
    [InlineData(TopologyKind.Star)]
    [InlineData(TopologyKind.Tree)]
    [InlineData(TopologyKind.Ring)]
    public void Weights_and_mean_gradients_are_divided_by_the_group_size_at_the_end_of_the_reduction(TopologyKind kind)
    {
        var vectors = Vectors(6, 4, 9);
        var sum = new float[4];
        new MapTopology(kind, 2, 3).Sum(p => vectors[p], sum);
        var mean = sum.Select(x => x * (1f / 6)).ToArray();
        Assert.All(Run(kind, 2, 3, vectors, SyncKind.Weights, ReduceOp.Sum, 1).Results, r => Assert.Equal(mean, r));
        Assert.All(Run(kind, 2, 3, vectors, SyncKind.Gradient, ReduceOp.Mean, 2).Results, r => Assert.Equal(mean, r));
        Assert.All(Run(kind, 2, 3, vectors, SyncKind.Gradient, ReduceOp.Sum, 3).Results, r => Assert.Equal(sum, r));
    }

    [Fact]
    public void Consecutive_exchanges_keep_a_partial_that_arrives_before_its_unit_opened_the_next_step()
    {
        var topo = new MapTopology(TopologyKind.Tree, 1, 3); // root 1, leaves 0 and 2
        var units = Enumerable.Range(0, 3).Select(p => new AllReduceExchange(TyingWiring.AllReduce(topo, p), ReduceOp.Sum)).ToArray();
        for (long step = 0; step < 3; step++)
        {
            var vectors = Vectors(3, 2, (int)step);
            var (results, _) = Run(TopologyKind.Tree, 1, 3, vectors, SyncKind.Gradient, ReduceOp.Sum, 7, step, units);
            var expected = new float[2];
            topo.Sum(p => vectors[p], expected);
            Assert.All(results, r => Assert.Equal(expected, r));
        }
        // A leaf's partial for step 4 reaches the root before the root opens step 4.
        var sent = new List<Sent>();
        Assert.Null(units[0].Open(4, SyncKind.Gradient, [1f], new Outbox(0, sent)));
        Assert.Null(units[1].OnPartial(4, SyncKind.Gradient, 0, sent[0].Values, new Outbox(1, sent)));
        Assert.False(units[1].IsOpen);
        Assert.Null(units[2].Open(4, SyncKind.Gradient, [2f], new Outbox(2, sent)));
        Assert.Null(units[1].OnPartial(4, SyncKind.Gradient, 2, sent[1].Values, new Outbox(1, sent)));
        var done = units[1].Open(4, SyncKind.Gradient, [4f], new Outbox(1, sent));
        Assert.Equal([7f], done!);
        Assert.Equal([0, 2], sent.Where(s => s.Result).Select(s => s.To));
    }

    [Fact]
    public void A_partial_from_a_position_that_is_not_an_input_or_sent_twice_or_late_is_refused()
    {
        var topo = new MapTopology(TopologyKind.Tree, 1, 3);
        var root = new AllReduceExchange(TyingWiring.AllReduce(topo, 1), ReduceOp.Sum);
        var sent = new List<Sent>();
        root.Open(0, SyncKind.Gradient, [1f], new Outbox(1, sent));
        Assert.Throws<InvalidOperationException>(() => root.OnPartial(0, SyncKind.Gradient, 1, [1f], new Outbox(1, sent)));
        root.OnPartial(0, SyncKind.Gradient, 0, [1f], new Outbox(1, sent));
        Assert.Throws<InvalidOperationException>(() => root.OnPartial(0, SyncKind.Gradient, 0, [1f], new Outbox(1, sent)));
        Assert.Throws<InvalidOperationException>(() => root.OnPartial(0, SyncKind.Weights, 2, [1f], new Outbox(1, sent)));
        root.OnPartial(0, SyncKind.Gradient, 2, [1f], new Outbox(1, sent));
        Assert.False(root.IsOpen);
        Assert.Throws<InvalidOperationException>(() => root.OnPartial(0, SyncKind.Gradient, 0, [1f], new Outbox(1, sent)));
        Assert.Throws<InvalidOperationException>(() => root.OnResult(0, SyncKind.Gradient, [1f], new Outbox(1, sent)));
    }

    [Fact]
    public void The_star_reducer_refuses_a_second_vector_from_one_position_and_a_vector_of_another_step()
    {
        var r = new StarReduction(3, ReduceOp.Sum);
        var sent = new List<Sent>();
        var box = new Outbox(TyingWiring.Reducer, sent);
        Assert.False(r.OnPartial(5, SyncKind.Gradient, 0, [1f], box));
        Assert.Throws<InvalidOperationException>(() => r.OnPartial(5, SyncKind.Gradient, 0, [1f], box));
        Assert.Throws<InvalidOperationException>(() => r.OnPartial(6, SyncKind.Gradient, 1, [1f], box));
        Assert.Throws<InvalidOperationException>(() => r.OnPartial(5, SyncKind.Gradient, 3, [1f], box));
        Assert.False(r.OnPartial(5, SyncKind.Gradient, 1, [2f], box));
        Assert.True(r.OnPartial(5, SyncKind.Gradient, 2, [4f], box));
        Assert.Equal([0, 1, 2], sent.Select(s => s.To));
        Assert.All(sent, s => Assert.Equal([7f], s.Values));
    }

    [Fact]
    public void Wiring_of_a_ring_of_four_reduces_along_the_snake_and_broadcasts_from_the_tail()
    {
        // 2x2 snake: positions 0, 1, 3, 2.
        var topo = new MapTopology(TopologyKind.Ring, 2, 2);
        var w = Enumerable.Range(0, 4).Select(p => TyingWiring.AllReduce(topo, p)).ToArray();
        void Is(UnitTying t, int up, int[] inputs, int[] down)
        {
            Assert.Equal(up, t.Up);
            Assert.Equal(inputs, t.Inputs);
            Assert.Equal(down, t.Down);
        }
        Is(w[0], 1, [], [1]);
        Is(w[1], 3, [0], [3]);
        Is(w[3], 2, [1], []);
        Is(w[2], TyingWiring.None, [3], [0]);
        Assert.True(w[2].EndsReduction);
    }

    [Theory]
    [InlineData(TopologyKind.Grid, 3, 3, 4, new[] { 1, 3, 5, 7 })]
    [InlineData(TopologyKind.Grid, 3, 3, 0, new[] { 1, 3 })]
    [InlineData(TopologyKind.Random, 2, 2, 1, new[] { 0, 2, 3 })]
    public void Gossip_routes_are_the_peers_a_unit_can_meet(TopologyKind kind, int h, int w, int p, int[] expected) =>
        Assert.Equal(expected, TyingWiring.GossipRoutes(kind, h, w, p));

    [Fact]
    public void Exponential_gossip_routes_include_the_units_that_offer_to_this_one()
    {
        const int h = 3, w = 5;
        for (int p = 0; p < h * w; p++)
        {
            var routes = TyingWiring.GossipRoutes(TopologyKind.Exp, h, w, p);
            Assert.Subset(routes.ToHashSet(), GossipPeers.Candidates(TopologyKind.Exp, h, w, p).ToHashSet());
            for (int q = 0; q < h * w; q++)
                if (GossipPeers.Candidates(TopologyKind.Exp, h, w, q).Contains(p)) Assert.Contains(q, routes);
        }
    }
}
