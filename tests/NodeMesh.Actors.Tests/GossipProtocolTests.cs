using Akka.Actor;
using Akka.TestKit.Xunit2;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Serialization;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Actors.Tests;

/// <summary>The gossip exchange of one unit actor, with probes as its peers.</summary>
public sealed class GossipProtocolTests() : TestKit(NodeMeshConfig.Local())
{
    // A 1x2 map: the unit at position 0 has exactly one grid neighbour, position 1.
    private (UnitProbe Unit, Akka.TestKit.TestProbe Peer) Make(float[] initial)
    {
        var strategy = new StrategyOptions(StrategyKind.Gossip, TopologyKind.Grid, ReduceOp.Sum, 1, 1, 0.5f);
        var unit = UnitProbe.Create(this, "conv1x1x1,dense10", 1, 2, strategy, 0, initial);
        var peer = CreateTestProbe();
        unit.Unit.Tell(new ConnectPeers(new PeerRoutes([(1, peer.Ref)])));
        return (unit, peer);
    }

    [Fact]
    public void An_idle_unit_answers_an_offer_with_its_old_weights_and_mixes_in_the_offer()
    {
        var (unit, peer) = Make([1f, 3f]);
        unit.Unit.Tell(new GossipOffer(0, 0, 0, 1, 0, [3f, -1f]));
        var reply = peer.ExpectMsg<GossipReply>();
        Assert.Equal((1, 0), (reply.To, reply.From));
        Assert.Equal(new[] { 1f, 3f }, reply.Values);
        Assert.Equal(new[] { 2f, 1f }, unit.Weights());
    }

    [Fact]
    public void A_unit_mixes_the_reply_to_its_own_offer_and_finishes_its_round()
    {
        var (unit, peer) = Make([1f, 3f]);
        unit.Unit.Tell(new MixRounds(1));
        var offer = peer.ExpectMsg<GossipOffer>();
        Assert.Equal((1, 0), (offer.To, offer.From));
        Assert.Equal(new[] { 1f, 3f }, offer.Values);
        unit.Unit.Tell(new GossipReply(0, 0, 0, 1, [5f, 5f]));
        ExpectMsg<RoundsMixed>();
        Assert.Equal(new[] { 3f, 4f }, unit.Weights());
    }

    [Fact]
    public void Crossing_offers_answer_each_other_without_a_reply()
    {
        var (unit, peer) = Make([1f, 3f]);
        unit.Unit.Tell(new MixRounds(1));
        peer.ExpectMsg<GossipOffer>();
        unit.Unit.Tell(new GossipOffer(0, 0, 0, 1, 0, [3f, 1f])); // the peer's own offer crosses ours
        ExpectMsg<RoundsMixed>();
        peer.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Equal(new[] { 2f, 2f }, unit.Weights());
    }

    [Fact]
    public void A_unit_waiting_for_its_peer_queues_other_work_and_declines_an_offer_from_another_position()
    {
        var strategy = new StrategyOptions(StrategyKind.Gossip, TopologyKind.Random, ReduceOp.Sum, 1, 1, 0.5f);
        var unit = UnitProbe.Create(this, "conv1x1x1,dense10", 1, 3, strategy, 0, [1f, 3f]);
        var peers = new[] { CreateTestProbe(), CreateTestProbe() };
        unit.Unit.Tell(new ConnectPeers(new PeerRoutes([(1, peers[0].Ref), (2, peers[1].Ref)])));
        unit.Unit.Tell(new MixRounds(1));
        // The unit draws its peer from its own seeded source (run seed 1, layer 0, unit 0): replay the draw.
        Span<int> chosen = stackalloc int[1];
        GossipPeers.Choose(TopologyKind.Random, [], 3, 0, 1, 0, new Random(GossipPeers.UnitSeed(1, 0, 0)), chosen);
        int asked = chosen[0], other = 3 - asked;
        var offer = peers[asked - 1].ExpectMsg<GossipOffer>();
        Assert.Equal((asked, 0), (offer.To, offer.From));
        unit.Unit.Tell(new ReadSweep(new float[3 * 2]));                // queued behind the open exchange
        unit.Next.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        unit.Unit.Tell(new GossipOffer(0, 0, 0, other, 0, [9f, 9f]));
        var declined = peers[other - 1].ExpectMsg<GossipDeclined>();
        Assert.Equal((other, 0), (declined.To, declined.From));
        unit.Unit.Tell(new GossipDeclined(0, 0, 0, asked));             // our own offer is declined too: nobody mixes
        ExpectMsg<RoundsMixed>();
        Assert.Equal(new[] { 1f, 3f }, unit.Next.ExpectMsg<ReadSweep>().Vectors.AsSpan(0, 2).ToArray());
    }
}
