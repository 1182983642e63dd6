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
        var u = UnitProbe.Create(this, Arch, 4, 4, new StrategyOptions(), Index, Initial);
        // Even when wired to every possible peer, an untied unit sends nothing to any of them.
        var peers = CreateTestProbe();
        u.Unit.Tell(new ConnectPeers(new PeerRoutes(Enumerable.Range(-1, 17).Select(p => (p, peers.Ref)))));
        var input = Input();
        u.Unit.Tell(new ForwardSweep(0, true, input, new float[32 * Batch]));
        u.Next.ExpectMsg<ForwardSweep>();
        u.Unit.Tell(new BackwardSweep(0, Enumerable.Repeat(0.1f, 32 * Batch).ToArray(), []));
        u.Next.ExpectMsg<BackwardSweep>();
        u.Unit.Tell(new ForwardSweep(1, false, input, new float[32 * Batch]));
        u.Next.ExpectMsg<ForwardSweep>(); // no exchange open, nothing queued
        peers.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.NotEqual(Initial, u.Weights()); // the unit stepped on its own gradient
    }
}
