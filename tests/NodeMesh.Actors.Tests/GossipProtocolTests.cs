using Akka.Actor;
using Akka.TestKit.Xunit2;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Serialization;
using NodeMesh.Actors.Units;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Units;

namespace NodeMesh.Actors.Tests;

/// <summary>The gossip exchange of one unit actor, with probes as its peers.</summary>
public sealed class GossipProtocolTests() : TestKit(NodeMeshConfig.Local())
{
    // A 1x2 map: the unit at position 0 has exactly one grid neighbour, position 1.
    private static readonly NetworkPlan Plan = NetworkPlan.Build(ArchSpec.Parse("conv1x1x1,dense10"), 1, 1, 2, 10);

    private (Akka.Actor.IActorRef Unit, UnitState State, Akka.TestKit.TestProbe Peer) Make(float[] initial)
    {
        var layer = Plan.Layers[0];
        var tile = TilePlan.Build(Plan, 2).Tiles[0][0];
        var store = new IdealWeightStore(2);
        store.ProgramTo(initial);
        var state = new UnitState(layer, tile, 0, store);
        var peer = CreateTestProbe();
        var strategy = new StrategyOptions(StrategyKind.Gossip, TopologyKind.Grid, ReduceOp.Sum, 1, 1, 0.5f);
        var unit = Sys.ActorOf(UnitActor.Props(state, CreateTestProbe().Ref, new UnitSettings(0.1f, strategy, 2, 1), Plan));
        unit.Tell(new ConnectPeers(null, [], 0, 2, [unit, peer.Ref]));
        return (unit, state, peer);
    }

    [Fact]
    public void An_idle_unit_answers_an_offer_with_its_old_weights_and_mixes_in_the_offer()
    {
        var (unit, state, peer) = Make([1f, 3f]);
        unit.Tell(new GossipOffer(0, 1, [3f, -1f]), peer.Ref);
        var reply = peer.ExpectMsg<GossipReply>();
        Assert.Equal(new[] { 1f, 3f }, reply.Values);
        AwaitAssert(() => Assert.Equal(new[] { 2f, 1f }, state.Store.Read().ToArray()));
    }

    [Fact]
    public void A_unit_mixes_the_reply_to_its_own_offer_and_finishes_its_round()
    {
        var (unit, state, peer) = Make([1f, 3f]);
        unit.Tell(new MixRounds(1));
        var offer = peer.ExpectMsg<GossipOffer>();
        Assert.Equal(new[] { 1f, 3f }, offer.Values);
        unit.Tell(new GossipReply(1, [5f, 5f]), peer.Ref);
        ExpectMsg<RoundsMixed>();
        Assert.Equal(new[] { 3f, 4f }, state.Store.Read().ToArray());
    }

    [Fact]
    public void Crossing_offers_answer_each_other_without_a_reply()
    {
        var (unit, state, peer) = Make([1f, 3f]);
        unit.Tell(new MixRounds(1));
        peer.ExpectMsg<GossipOffer>();
        unit.Tell(new GossipOffer(0, 1, [3f, 1f]), peer.Ref); // the peer's own offer crosses ours
        ExpectMsg<RoundsMixed>();
        peer.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Equal(new[] { 2f, 2f }, state.Store.Read().ToArray());
    }

    [Fact]
    public void A_unit_waiting_for_its_peer_declines_a_third_units_offer()
    {
        var (unit, state, peer) = Make([1f, 3f]);
        var third = CreateTestProbe();
        unit.Tell(new MixRounds(1));
        peer.ExpectMsg<GossipOffer>();
        unit.Tell(new GossipOffer(0, 0, [9f, 9f]), third.Ref);
        Assert.Equal(0, third.ExpectMsg<GossipDecline>().Position);
        unit.Tell(new GossipDecline(1), peer.Ref); // our own offer is declined too: nobody mixes
        ExpectMsg<RoundsMixed>();
        Assert.Equal(new[] { 1f, 3f }, state.Store.Read().ToArray());
    }
}
