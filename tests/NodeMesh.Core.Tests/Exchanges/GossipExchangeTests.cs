using NodeMesh.Core.Exchanges;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Units;

namespace NodeMesh.Core.Tests.Exchanges;

/// <summary>Table-driven tests of one unit's gossip state object, without actors.</summary>
public sealed class GossipExchangeTests
{
    private sealed class Box : IGossipOutbox
    {
        public readonly List<string> Log = [];
        public float[]? LastValues;
        public void SendOffer(int toPosition, long round, float[] values) { Log.Add($"offer {toPosition}"); LastValues = values; }
        public void SendReply(int toPosition, float[] values) { Log.Add($"reply {toPosition}"); LastValues = values; }
        public void SendDecline(int toPosition) => Log.Add($"decline {toPosition}");
        public void SendLost(int toPosition) => Log.Add($"lost {toPosition}");
        public void Dropped() => Log.Add("dropped");
    }

    private static IdealWeightStore Store(params float[] w)
    {
        var s = new IdealWeightStore(w.Length);
        s.ProgramTo(w);
        return s;
    }

    // A 1x2 grid map: the only peer of position 0 is 1.
    private static GossipExchange Unit(int position, float drop = 0, int seed = 1) =>
        new(new StrategyOptions(StrategyKind.Gossip, TopologyKind.Grid, Drop: drop), 1, 2, position, new Random(seed));

    [Fact]
    public void An_idle_unit_mixes_an_offer_in_and_replies_with_its_weights_from_before_the_mix()
    {
        var g = Unit(1); var box = new Box(); var store = Store(4f, 0f);
        Assert.False(g.OnOffer(0, [2f, 2f], store, box));
        Assert.Equal(["reply 0"], box.Log);
        Assert.Equal([4f, 0f], box.LastValues!);
        Assert.Equal([3f, 1f], store.Read().ToArray());
    }

    [Fact]
    public void A_round_offers_then_mixes_the_reply_and_ends()
    {
        var g = Unit(0); var box = new Box(); var store = Store(0f, 0f);
        Assert.False(g.StartRound(store, box));
        Assert.Equal(["offer 1"], box.Log);
        Assert.Equal(1, g.Awaiting);
        Assert.True(g.InRound);
        Assert.True(g.OnAnswer(1, [2f, 4f], store, box));
        Assert.Equal([1f, 2f], store.Read().ToArray());
        Assert.False(g.InRound);
        Assert.Equal(-1, g.Awaiting);
    }

    [Fact]
    public void While_awaiting_an_answer_a_unit_declines_other_offers_and_takes_a_crossing_offer_as_its_answer()
    {
        var g = new GossipExchange(new StrategyOptions(StrategyKind.Gossip, TopologyKind.Grid), 1, 3, 1, new Random(3));
        var box = new Box(); var store = Store(0f);
        g.StartRound(store, box);
        int peer = g.Awaiting, other = 2 - peer;
        Assert.False(g.OnOffer(other, [8f], store, box));
        Assert.Equal($"decline {other}", box.Log[^1]);
        Assert.Equal([0f], store.Read().ToArray());
        Assert.True(g.OnOffer(peer, [8f], store, box)); // crossing: mixed, round over
        Assert.Equal([4f], store.Read().ToArray());
        Assert.Equal(2, box.Log.Count);
    }

    [Fact]
    public void A_declined_or_lost_offer_ends_the_exchange_without_mixing()
    {
        var g = Unit(0); var box = new Box(); var store = Store(1f);
        g.StartRound(store, box);
        Assert.True(g.OnAnswer(1, null, store, box));
        Assert.Equal([1f], store.Read().ToArray());
    }

    [Fact]
    public void An_answer_from_a_unit_that_was_not_asked_is_an_error()
    {
        var g = Unit(0); var box = new Box(); var store = Store(1f);
        Assert.Throws<InvalidOperationException>(() => g.OnAnswer(1, [1f], store, box));
        g.StartRound(store, box);
        Assert.Throws<InvalidOperationException>(() => g.StartRound(store, box));
    }

    [Fact]
    public void Lost_messages_are_drawn_from_the_units_own_source_and_counted()
    {
        // With drop 0.999 nearly every offer is lost before it is sent, so the round ends at once.
        var g = Unit(0, drop: 0.999f); var box = new Box(); var store = Store(1f);
        Assert.True(g.StartRound(store, box));
        Assert.Equal(["dropped"], box.Log);
        var idle = Unit(1, drop: 0.999f); var box2 = new Box();
        idle.OnOffer(0, [3f], store, box2);
        Assert.Equal(["dropped", "lost 0"], box2.Log);
        Assert.Equal([2f], store.Read().ToArray()); // the receiver mixed; only its reply was lost
    }

    [Fact]
    public void Between_its_forward_and_backward_pass_a_unit_declines_an_offer_and_keeps_its_weights()
    {
        var g = Unit(1); var box = new Box(); var store = Store(4f, 0f);
        Assert.False(g.OnOffer(0, [2f, 2f], store, box, midStep: true));
        Assert.Equal(["decline 0"], box.Log);
        Assert.Equal([4f, 0f], store.Read().ToArray());
        Assert.False(g.InRound);
    }

    [Fact]
    public void With_step_parity_a_pair_mixes_its_anchors_plus_N_times_its_changes_and_both_take_the_mix_as_anchor()
    {
        // A 1x2 map: N = 2. Unit 0: anchor (1, 1), weights (2, 0) → z = 1 + 2·(2−1), 1 + 2·(0−1) = (3, −1).
        // Unit 1: anchor (0, 4), weights (1, 4) → z = (2, 4). Pairwise average: (2.5, 1.5); the mean of
        // the z's, mean(anchor) + Σ(w − a) = (0.5, 2.5) + (2, −1) = (2.5, 1.5), is kept.
        var strategy = new StrategyOptions(StrategyKind.Gossip, TopologyKind.Grid, StepParity: true);
        var a0 = new ParityAnchor([1f, 1f], 2); var a1 = new ParityAnchor([0f, 4f], 2);
        var g0 = new GossipExchange(strategy, 1, 2, 0, new Random(1), a0);
        var g1 = new GossipExchange(strategy, 1, 2, 1, new Random(2), a1);
        var s0 = Store(2f, 0f); var s1 = Store(1f, 4f);
        var box0 = new Box(); var box1 = new Box();
        Assert.False(g0.StartRound(s0, box0));
        Assert.Equal([3f, -1f], box0.LastValues!);
        Assert.False(g1.OnOffer(0, box0.LastValues!, s1, box1));
        Assert.Equal([2f, 4f], box1.LastValues!); // the reply carries unit 1's contribution from before the mix
        Assert.True(g0.OnAnswer(1, box1.LastValues!, s0, box0));
        Assert.Equal([2.5f, 1.5f], s0.Read().ToArray());
        Assert.Equal([2.5f, 1.5f], s1.Read().ToArray());
        Assert.Equal([2.5f, 1.5f], a0.Anchor.ToArray());
        Assert.Equal([2.5f, 1.5f], a1.Anchor.ToArray());
    }
}
