using Akka.Actor;
using Akka.TestKit.Xunit2;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Serialization;
using NodeMesh.Core.Exchanges;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Units;

namespace NodeMesh.Actors.Tests;

/// <summary>One unit actor at a time, driven by TestKit probes.</summary>
public sealed class UnitActorTests() : TestKit(NodeMeshConfig.Local())
{
    private const string Arch = "conv3x3x2,dense10";
    private const int Batch = 3, Index = 5;

    private static float[] Initial => Enumerable.Range(0, 10).Select(i => 0.1f * (i - 4)).ToArray();

    /// <summary>The one tile's input region: the whole padded 4x4 image grid (tile side 4 covers the layer).</summary>
    private static GridBuffer Input()
    {
        var images = Enumerable.Range(0, Batch * 16).Select(i => (float)((i * 37) % 11) / 11f).ToArray();
        var padded = GridBuffer.FromImages(images, 1, 4, 4, 1, [0, 1, 2]);
        return new GridBuffer(6, 6, 1, 0, Batch, padded.Data);
    }

    private static float[] Forward(UnitProbe u, float[] weights, GridBuffer input)
    {
        var state = new UnitState(u.Layer, u.Tile, u.Index, new IdealWeightStore(u.Length));
        var y = new float[Batch];
        UnitKernels.Forward(weights, input.Data, state.Input, Batch, y);
        return y;
    }

    /// <summary>Pairwise averaging (mix 0.5) of <paramref name="own"/> with a peer's vector, by the exchange's own arithmetic.</summary>
    private static float[] Mixed(float[] own, float[] peer)
    {
        var w = (float[])own.Clone();
        GossipPeers.Mix(w, peer, 0.5f);
        return w;
    }

    [Fact]
    public void A_unit_writes_its_outputs_into_its_slot_of_the_forward_sweep_and_passes_it_on()
    {
        var u = UnitProbe.Create(this, Arch, 4, 4, new StrategyOptions(), Index, Initial);
        var input = Input();
        var output = new float[32 * Batch];
        u.Unit.Tell(new ForwardSweep(0, true, input, output));
        var passed = u.Next.ExpectMsg<ForwardSweep>();
        Assert.Equal(Forward(u, Initial, input), passed.Output.AsSpan(Index * Batch, Batch).ToArray());
        Assert.All(passed.Output.AsSpan(0, Index * Batch).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void A_gradient_written_into_a_callers_buffer_equals_the_one_the_state_keeps()
    {
        var u = UnitProbe.Create(this, Arch, 4, 4, new StrategyOptions(), Index, Initial);
        var input = Input();
        float[] delta = [0.3f, -0.7f, 0.11f];
        var kept = new UnitState(u.Layer, u.Tile, u.Index, new IdealWeightStore(u.Length));
        var given = new UnitState(u.Layer, u.Tile, u.Index, new IdealWeightStore(u.Length));
        kept.Store.ProgramTo(Initial);
        given.Store.ProgramTo(Initial);
        kept.Backward(input, delta, Span<float>.Empty);
        var buffer = new float[u.Length];
        given.Backward(input, delta, Span<float>.Empty, buffer);
        Assert.Equal(kept.Gradient, buffer);
        Assert.Contains(buffer, g => g != 0f);
        Assert.Throws<ArgumentException>(() => given.Backward(input, delta, Span<float>.Empty, new float[u.Length - 1]));
    }

    [Fact]
    public void A_unit_with_an_open_tying_exchange_queues_the_next_forward_pass_until_the_tied_gradient_arrives()
    {
        const float lr = 0.5f;
        var u = UnitProbe.Create(this, Arch, 4, 4, new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Star), Index, Initial, lr);
        var reducer = CreateTestProbe();
        u.Unit.Tell(new ConnectPeers(new PeerRoutes([(TyingWiring.Reducer, reducer.Ref)])));
        var input = Input();
        u.Unit.Tell(new ForwardSweep(0, true, input, new float[32 * Batch]));
        u.Next.ExpectMsg<ForwardSweep>();

        var delta = new float[32 * Batch];
        for (int b = 0; b < Batch; b++) delta[Index * Batch + b] = 0.25f * (b + 1);
        u.Unit.Tell(new BackwardSweep(0, delta, []));
        u.Next.ExpectMsg<BackwardSweep>();                       // the sweep moves on before the update
        var partial = reducer.ExpectMsg<SyncPartial>();
        Assert.Equal(SyncKind.Gradient, partial.Kind);
        int position = u.Tile.UnitAt(Index).U * 4 + u.Tile.UnitAt(Index).V;
        Assert.Equal((TyingWiring.Reducer, position), (partial.To, partial.From));

        u.Unit.Tell(new ForwardSweep(1, true, input, new float[32 * Batch]));
        u.Next.ExpectNoMsg(TimeSpan.FromMilliseconds(200));      // queued: the kernel is not updated yet

        var tied = partial.Values.Select(v => 2 * v).ToArray();
        u.Unit.Tell(new SyncResult(0, u.Tile.UnitAt(Index).Map, position, 0, SyncKind.Gradient, tied));
        var released = u.Next.ExpectMsg<ForwardSweep>();
        Assert.Equal(1, released.Step);
        var after = Initial.Select((w, i) => w - lr * tied[i]).ToArray();
        Assert.Equal(Forward(u, after, input), released.Output.AsSpan(Index * Batch, Batch).ToArray());
    }

    [Fact]
    public void A_unit_never_ties_when_the_strategy_is_none_and_applies_its_own_gradient()
    {
        const float lr = 0.1f;
        var u = UnitProbe.Create(this, Arch, 4, 4, new StrategyOptions(), Index, Initial, lr);
        // Wired to every position of its map and to the reducer: any tying message would reach the probe.
        var peers = CreateTestProbe();
        u.Unit.Tell(new ConnectPeers(new PeerRoutes(Enumerable.Range(TyingWiring.Reducer, 17).Select(p => (p, peers.Ref)))));
        var input = Input();
        var delta = Enumerable.Range(0, 32 * Batch).Select(i => 0.05f * ((i % 7) - 3)).ToArray();
        u.Unit.Tell(new ForwardSweep(0, true, input, new float[32 * Batch]));
        u.Next.ExpectMsg<ForwardSweep>();
        u.Unit.Tell(new BackwardSweep(0, delta, []));
        u.Next.ExpectMsg<BackwardSweep>();
        u.Unit.Tell(new ForwardSweep(1, false, input, new float[32 * Batch]));
        u.Next.ExpectMsg<ForwardSweep>(); // no exchange open, nothing queued
        peers.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        // Exactly one SGD step on its own gradient from its own weights (a restarted actor would hold
        // the run's initial weights instead, and a tied update another vector).
        var own = new UnitState(u.Layer, u.Tile, u.Index, new IdealWeightStore(u.Length));
        own.Store.ProgramTo(Initial);
        own.Backward(input, delta.AsSpan(Index * Batch, Batch), []);
        own.Store.ApplyGradient(own.Gradient, lr);
        Assert.Equal(own.Store.Read().ToArray(), u.Weights());
    }

    [Fact]
    public void A_gossip_unit_declines_offers_between_its_forward_and_backward_pass_and_mixes_after_it()
    {
        var u = UnitProbe.Create(this, Arch, 4, 4, new StrategyOptions(StrategyKind.Gossip, TopologyKind.Grid), Index, Initial);
        var (map, uu, vv) = u.Tile.UnitAt(Index);
        int position = uu * 4 + vv, peer = position + 1; // its right-hand grid neighbour
        var peers = CreateTestProbe();
        u.Unit.Tell(new ConnectPeers(new PeerRoutes(Enumerable.Range(0, 16).Select(p => (p, peers.Ref)))));
        var input = Input();
        u.Unit.Tell(new ForwardSweep(0, true, input, new float[32 * Batch]));
        u.Next.ExpectMsg<ForwardSweep>();
        var offer = Enumerable.Repeat(1f, u.Length).ToArray();
        // Each offer sends its own copy: an offer's array becomes the receiver's, and a declined one
        // goes back to the array pool, where the next unit to rent it (this one, computing its
        // gradient) overwrites it. Sending the same array twice would offer that gradient.
        u.Unit.Tell(new GossipOffer(0, map, position, peer, 0, offer.ToArray()));
        Assert.Equal(peer, peers.ExpectMsg<GossipDeclined>().To);

        u.Unit.Tell(new BackwardSweep(0, new float[32 * Batch], []));
        u.Next.ExpectMsg<BackwardSweep>();
        var own = peers.ExpectMsg<GossipOffer>(); // its own round after the update (F = 1)
        u.Unit.Tell(new GossipDeclined(0, map, position, own.To));
        u.Unit.Tell(new GossipOffer(0, map, position, peer, 0, offer.ToArray()));
        var reply = peers.ExpectMsg<GossipReply>();
        Assert.Equal(Initial, reply.Values); // zero delta: its weights did not change, and the reply carries them from before the mix
        Assert.Equal(Mixed(Initial, offer), u.Weights());
    }

    [Fact]
    public void A_sweep_that_reads_weights_or_counters_waits_until_the_units_gossip_round_has_ended()
    {
        var u = UnitProbe.Create(this, Arch, 4, 4, new StrategyOptions(StrategyKind.Gossip, TopologyKind.Grid), Index, Initial);
        var (map, uu, vv) = u.Tile.UnitAt(Index);
        int position = uu * 4 + vv;
        var peers = CreateTestProbe();
        u.Unit.Tell(new ConnectPeers(new PeerRoutes(Enumerable.Range(0, 16).Select(p => (p, peers.Ref)))));
        u.Unit.Tell(new ForwardSweep(0, true, Input(), new float[32 * Batch]));
        u.Next.ExpectMsg<ForwardSweep>();
        u.Unit.Tell(new BackwardSweep(0, new float[32 * Batch], []));
        u.Next.ExpectMsg<BackwardSweep>();
        var offer = peers.ExpectMsg<GossipOffer>(); // its round is open, awaiting the answer

        u.Unit.Tell(new CounterSweep(new Core.Metrics.TrafficLedger(2)));
        u.Unit.Tell(new ReadSweep(new float[u.Tile.UnitCount * u.Length]));
        u.Next.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // both wait: the unit is mid-exchange

        var peerWeights = Enumerable.Repeat(1f, u.Length).ToArray();
        u.Unit.Tell(new GossipReply(0, map, position, offer.To, peerWeights.ToArray())); // the unit owns (and gives back) what it is sent
        u.Next.ExpectMsg<CounterSweep>();
        var read = u.Next.ExpectMsg<ReadSweep>().Vectors.AsSpan(Index * u.Length, u.Length).ToArray();
        Assert.Equal(Mixed(Initial, peerWeights), read); // read after the mix, never half-way
    }
}
