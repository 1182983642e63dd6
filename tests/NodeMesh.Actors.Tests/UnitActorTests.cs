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

/// <summary>One unit actor at a time, driven by TestKit probes.</summary>
public sealed class UnitActorTests() : TestKit(NodeMeshConfig.Local())
{
    private static readonly NetworkPlan Plan = NetworkPlan.Build(ArchSpec.Parse("conv3x3x2,dense10"), 1, 4, 4, 10);
    private const int Batch = 3;

    private static (UnitState State, GridBuffer Input) MakeUnit(int indexInTile = 5)
    {
        var layer = Plan.Layers[0];
        var tile = TilePlan.Build(Plan, 4).Tiles[0][0];
        var store = new IdealWeightStore(layer.FanIn + 1);
        store.ProgramTo(Enumerable.Range(0, layer.FanIn + 1).Select(i => 0.1f * (i - 4)).ToArray());
        var state = new UnitState(layer, tile, indexInTile, store);
        var images = Enumerable.Range(0, Batch * 16).Select(i => (float)((i * 37) % 11) / 11f).ToArray();
        var input = GridBuffer.FromImages(images, 1, 4, 4, layer.Padding, [0, 1, 2]);
        return (state, input);
    }

    private static float[] Expected(UnitState s, GridBuffer input)
    {
        var y = new float[Batch];
        UnitKernels.Forward(s.Store.Read(), input.Data, s.Input, Batch, y);
        return y;
    }

    [Fact]
    public void A_unit_writes_its_outputs_into_its_slot_of_the_forward_sweep_and_passes_it_on()
    {
        var (state, input) = MakeUnit();
        var expected = Expected(state, input);
        var next = CreateTestProbe();
        var unit = Sys.ActorOf(UnitActor.Props(state, next.Ref, new UnitSettings(0.1f, new StrategyOptions(), 2), Plan));
        var output = new float[32 * Batch];
        unit.Tell(new ForwardSweep(0, true, input, output));
        var passed = next.ExpectMsg<ForwardSweep>();
        Assert.Equal(expected, passed.Output.AsSpan(5 * Batch, Batch).ToArray());
        Assert.All(passed.Output.AsSpan(0, 5 * Batch).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void A_unit_with_an_open_tying_exchange_queues_the_next_forward_pass_until_the_tied_gradient_arrives()
    {
        var (state, input) = MakeUnit();
        var next = CreateTestProbe();
        var reducer = CreateTestProbe();
        const float lr = 0.5f;
        var unit = Sys.ActorOf(UnitActor.Props(state, next.Ref, new UnitSettings(lr, new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Star), 2), Plan));
        unit.Tell(new ConnectPeers(reducer.Ref, [], 0, 16));
        unit.Tell(new ForwardSweep(0, true, input, new float[32 * Batch]));
        next.ExpectMsg<ForwardSweep>();

        var delta = new float[32 * Batch];
        for (int b = 0; b < Batch; b++) delta[5 * Batch + b] = 0.25f * (b + 1);
        unit.Tell(new BackwardSweep(0, delta, []));
        next.ExpectMsg<BackwardSweep>();                       // the sweep moves on before the update
        var partial = reducer.ExpectMsg<SyncPartial>();
        Assert.Equal(SyncKind.Gradient, partial.Kind);
        Assert.Equal(state.Position, partial.Position);

        unit.Tell(new ForwardSweep(1, true, input, new float[32 * Batch]));
        next.ExpectNoMsg(TimeSpan.FromMilliseconds(200));      // queued: the kernel is not updated yet

        var tied = partial.Values.Select(v => 2 * v).ToArray();
        var before = state.Store.Read().ToArray();
        unit.Tell(new SyncResult(0, SyncKind.Gradient, tied), reducer.Ref);
        var released = next.ExpectMsg<ForwardSweep>();
        Assert.Equal(1, released.Step);
        var after = before.Select((w, i) => w - lr * tied[i]).ToArray();
        var probeStore = new IdealWeightStore(after.Length);
        probeStore.ProgramTo(after);
        var y = new float[Batch];
        UnitKernels.Forward(probeStore.Read(), input.Data, state.Input, Batch, y);
        Assert.Equal(y, released.Output.AsSpan(5 * Batch, Batch).ToArray());
    }

    [Fact]
    public void A_unit_never_ties_when_the_strategy_is_none()
    {
        var (state, input) = MakeUnit();
        var next = CreateTestProbe();
        var unit = Sys.ActorOf(UnitActor.Props(state, next.Ref, new UnitSettings(0.1f, new StrategyOptions(), 2), Plan));
        unit.Tell(new ForwardSweep(0, true, input, new float[32 * Batch]));
        next.ExpectMsg<ForwardSweep>();
        unit.Tell(new BackwardSweep(0, Enumerable.Repeat(0.1f, 32 * Batch).ToArray(), []));
        next.ExpectMsg<BackwardSweep>();
        unit.Tell(new ForwardSweep(1, false, input, new float[32 * Batch]));
        next.ExpectMsg<ForwardSweep>(); // no exchange open, nothing queued
    }
}
