using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Serialization;
using NodeMesh.Actors.Units;
using NodeMesh.Core.Exchanges;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Actors.Tests;

/// <summary>
/// The line records behind the tying messages' cache hints (<see cref="UnitLines"/>). The hints
/// change no result (the equivalence and closed-form tests run with them); these check that a
/// tied unit's record points at its own objects, that the table keeps records apart and in whole
/// cache lines, and that a record with a wrong address costs nothing but the hint.
/// </summary>
public sealed class UnitLinesTests() : TestKit(NodeMeshConfig.Local())
{
    private const string Arch = "conv3x3x2,dense10";
    private const int Batch = 2;

    private static readonly StrategyOptions Star = new(StrategyKind.AllReduce, TopologyKind.Star);

    [Fact]
    public void Records_are_whole_cache_lines_apart_and_a_unit_outside_the_table_is_refused()
    {
        var lines = new UnitLines(5);
        for (int u = 0; u < 5; u++)
        {
            var r = lines.Record(u);
            Assert.Equal(UnitLines.Slots, r.Length);
            Assert.Equal(0, Address(r) % 64);
            Assert.All(r.ToArray(), a => Assert.Equal(0, a));
        }
        Assert.Equal(UnitLines.Slots * sizeof(long), Address(lines.Record(1)) - Address(lines.Record(0)));
        lines.Record(2)[3] = 42;
        Assert.Equal(42, lines.Record(2)[3]);
        Assert.All(new[] { 0, 1, 3, 4 }, u => Assert.DoesNotContain(42, lines.Record(u).ToArray()));
        Assert.Throws<ArgumentOutOfRangeException>(() => lines.Record(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => lines.Record(-1));
        lines.Hint(-1); // outside the table: no hint, no exception
        lines.Hint(5);
        lines.Hint(0);  // an empty record: nothing to hint
    }

    [Fact]
    public void A_tied_unit_writes_its_own_lines_into_its_record_in_its_backward_pass()
    {
        var (settings, layer, tile) = UnitProbe.FirstTile(Arch, 4, 4, Star);
        const int index = 5;
        var (m, u, v) = tile.UnitAt(index);
        var record = settings.Lines(layer).Record(m * layer.Positions + u * layer.OutWidth + v);
        var next = CreateTestProbe();
        var reducer = CreateTestProbe();
        // A TestActorRef runs each message on this thread as it is sent: with no collection in
        // the region, the addresses the unit wrote are still its objects' addresses below.
        Assert.True(GC.TryStartNoGCRegion(64L << 20));
        try
        {
            var unit = ActorOfAsTestActorRef<UnitActor>(UnitActor.Props(settings, layer, tile, index, next.Ref));
            unit.Tell(new ConnectPeers(new PeerRoutes([(TyingWiring.Reducer, reducer.Ref)])));
            var input = new GridBuffer(6, 6, 1, 0, Batch, new float[6 * 6 * Batch]);
            unit.Tell(new ForwardSweep(0, true, input, new float[tile.UnitCount * Batch]));
            Assert.All(record.ToArray(), a => Assert.Equal(0, a)); // not before its first backward pass
            unit.Tell(new BackwardSweep(0, new float[tile.UnitCount * Batch], []));

            nint actor = UnitLines.Address(unit.UnderlyingActor);
            Assert.Equal(UnitLines.Address(unit.Ref), record[0]);
            Assert.Equal([actor, actor + 64, actor + 128], record[8..11].ToArray());
            Assert.All(record[..15].ToArray(), a => Assert.NotEqual(0, a)); // cell, mailbox, queue, counters, exchange, weights
            Assert.Equal(0, record[15]); // a 10-weight kernel has no second line of weights
        }
        finally
        {
            GC.EndNoGCRegion();
        }
        reducer.ExpectMsg<SyncPartial>();
        // The other units' records stay empty.
        for (int i = 0; i < layer.UnitCount; i++)
            if (i != m * layer.Positions + u * layer.OutWidth + v)
                Assert.All(settings.Lines(layer).Record(i).ToArray(), a => Assert.Equal(0, a));
    }

    [Fact]
    public void A_unit_sends_its_tying_message_when_the_receivers_record_holds_addresses_of_nothing()
    {
        // A record may be stale (its unit's objects moved by a collection) or another member's
        // units' records empty: a hint of a wrong address must not fault or change what is sent.
        var (settings, layer, tile) = UnitProbe.FirstTile(Arch, 4, 4, new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Tree));
        var topology = settings.Topology(layer);
        int index = Enumerable.Range(0, tile.UnitCount).First(i =>
        {
            var (_, uu, vv) = tile.UnitAt(i);
            return TyingWiring.AllReduce(topology, uu * layer.OutWidth + vv) is { Inputs.Length: 0, EndsReduction: false };
        });
        var (m, u, v) = tile.UnitAt(index);
        int up = TyingWiring.AllReduce(topology, u * layer.OutWidth + v).Up;
        var garbage = settings.Lines(layer).Record(m * layer.Positions + up);
        for (int i = 0; i < garbage.Length; i++) garbage[i] = 8 + 4096 * i; // unmapped, unaligned
        var parent = CreateTestProbe();
        var unit = Sys.ActorOf(UnitActor.Props(settings, layer, tile, index, CreateTestProbe().Ref));
        unit.Tell(new ConnectPeers(new PeerRoutes([(up, parent.Ref)])));
        var input = new GridBuffer(6, 6, 1, 0, Batch, new float[6 * 6 * Batch]);
        unit.Tell(new ForwardSweep(0, true, input, new float[tile.UnitCount * Batch]));
        unit.Tell(new BackwardSweep(0, new float[tile.UnitCount * Batch], []));
        var partial = parent.ExpectMsg<SyncPartial>();
        Assert.Equal((up, u * layer.OutWidth + v), (partial.To, partial.From));
    }

    private static unsafe nint Address(Span<nint> record) => (nint)Unsafe.AsPointer(ref record[0]);
}
