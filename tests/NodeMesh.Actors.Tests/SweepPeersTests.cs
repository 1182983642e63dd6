using Akka.Actor;
using Akka.TestKit.Xunit2;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Serialization;
using NodeMesh.Actors.Units;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Actors.Tests;

/// <summary>
/// The table behind the sweep's cache hints: each unit enters itself at its sweep index as it is
/// constructed, and a unit finds the ones after it there. The hints change no result (the
/// equivalence and closed-form tests run with them); this checks that they point where the sweep goes.
/// </summary>
public sealed class SweepPeersTests() : TestKit(NodeMeshConfig.Local())
{
    private const string Arch = "conv3x3x2,dense10";

    private static (UnitSettings Settings, WeightedLayer Layer, Tile Tile) FirstTile() =>
        UnitProbe.FirstTile(Arch, 4, 4, new StrategyOptions(StrategyKind.None));

    [Fact]
    public void Each_unit_finds_the_units_after_it_in_sweep_order_and_none_past_the_tiles_end()
    {
        var (settings, layer, tile) = FirstTile();
        var peers = new SweepPeers(tile.UnitCount);
        var units = Enumerable.Range(0, tile.UnitCount)
            .Select(i => ActorOfAsTestActorRef<UnitActor>(UnitActor.Props(settings, layer, tile, i, TestActor, peers)))
            .ToArray();
        for (int i = 0; i < units.Length; i++)
        {
            Assert.Same(units[i].UnderlyingActor, peers.After(i, 0));
            Assert.Same(i + 1 < units.Length ? units[i + 1].UnderlyingActor : null, peers.After(i, 1));
            Assert.Same(i + 2 < units.Length ? units[i + 2].UnderlyingActor : null, peers.After(i, 2));
        }
        Assert.Null(peers.After(units.Length - 1, 1));
    }

    [Fact]
    public void A_second_unit_at_one_sweep_index_or_one_outside_the_tile_is_refused()
    {
        var (settings, layer, tile) = FirstTile();
        var peers = new SweepPeers(tile.UnitCount);
        var unit = ActorOfAsTestActorRef<UnitActor>(UnitActor.Props(settings, layer, tile, 3, TestActor, peers)).UnderlyingActor;
        Assert.Contains("two units claimed sweep index 3", Assert.Throws<InvalidOperationException>(() => peers.Register(3, unit)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => peers.Register(tile.UnitCount, unit));
        Assert.Throws<ArgumentOutOfRangeException>(() => peers.Register(-1, unit));
    }

    [Fact]
    public void A_unit_that_hints_its_successors_sweeps_on_as_before()
    {
        // The hints run at the start of every forward and backward pass: with a successor and
        // without one (the tile's last unit) the unit passes the sweep on.
        var (settings, layer, tile) = FirstTile();
        var peers = new SweepPeers(tile.UnitCount);
        var last = tile.UnitCount - 1;
        var a = Sys.ActorOf(UnitActor.Props(settings, layer, tile, last - 1, TestActor, peers));
        var b = Sys.ActorOf(UnitActor.Props(settings, layer, tile, last, TestActor, peers));
        var input = new GridBuffer(6, 6, 1, 0, 2, new float[6 * 6 * 2]);
        foreach (var u in new[] { a, b })
        {
            u.Tell(new ForwardSweep(0, true, input, new float[tile.UnitCount * 2]));
            ExpectMsg<ForwardSweep>();
        }
        SweepPeers.Floats([]);
        SweepPeers.Object(null);
    }
}
