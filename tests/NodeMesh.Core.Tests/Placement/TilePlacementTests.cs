using NodeMesh.Core.Model;
using NodeMesh.Core.Placement;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Tests.Placement;

public sealed class TilePlacementTests
{
    private static readonly TilePlan Reference = TilePlan.Build(NetworkPlan.Build(ArchSpec.Parse(ArchSpec.Default)));

    [Fact]
    public void Block_placement_of_the_reference_net_on_two_and_four_members_cuts_each_layer_into_contiguous_blocks()
    {
        // conv1 and conv2 have 4x4 tiles; the dense layer is one tile, on member 0.
        Assert.Equal("AAAA\nAAAA\nBBBB\nBBBB\n", TilePlacement.Build(Reference, 2, PlacementKind.Block).Picture(0));
        Assert.Equal("AABB\nAABB\nCCDD\nCCDD\n", TilePlacement.Build(Reference, 4, PlacementKind.Block).Picture(1));
        Assert.Equal("A\n", TilePlacement.Build(Reference, 4, PlacementKind.Block).Picture(2));
    }

    [Fact]
    public void Stripe_and_round_robin_follow_row_major_tile_order()
    {
        Assert.Equal("AAAA\nAABB\nBBBC\nCCCC\n", TilePlacement.Build(Reference, 3, PlacementKind.Stripe).Picture(0));
        Assert.Equal("ABCA\nBCAB\nCABC\nABCA\n", TilePlacement.Build(Reference, 3, PlacementKind.RoundRobin).Picture(0));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void Every_tile_is_on_exactly_one_member_and_the_members_hold_every_unit(int members)
    {
        foreach (var kind in Enum.GetValues<PlacementKind>())
        {
            var p = TilePlacement.Build(Reference, members, kind);
            var seen = Enumerable.Range(0, members).SelectMany(p.TilesOf).ToList();
            Assert.Equal(Reference.Tiles.Sum(t => t.Count), seen.Count);
            Assert.Equal(seen.Count, seen.Distinct().Count());
            Assert.Equal(Reference.Network.UnitCount, Enumerable.Range(0, members).Sum(p.UnitsOf));
            Assert.All(seen, t => Assert.InRange(p.MemberOf(t.Layer, t.Index), 0, members - 1));
        }
    }

    [Fact]
    public void Block_placement_keeps_more_grid_neighbours_together_than_round_robin()
    {
        int Split(TilePlacement p)
        {
            int cut = 0;
            foreach (var l in Reference.Network.Layers)
            {
                var (rows, cols) = TilePlacement.Grid(Reference.Tiles[l.Index]);
                for (int i = 0; i < Reference.Tiles[l.Index].Count; i++)
                {
                    if (i % cols + 1 < cols && p.MemberOf(l.Index, i) != p.MemberOf(l.Index, i + 1)) cut++;
                    if (i + cols < Reference.Tiles[l.Index].Count && p.MemberOf(l.Index, i) != p.MemberOf(l.Index, i + cols)) cut++;
                }
            }
            return cut;
        }
        Assert.True(Split(TilePlacement.Build(Reference, 2, PlacementKind.Block)) < Split(TilePlacement.Build(Reference, 2, PlacementKind.RoundRobin)));
    }

    [Fact]
    public void A_star_reducer_goes_to_the_member_holding_its_maps_centre()
    {
        // conv1's centre (14, 14) lies in tile row 1 (rows 8..15), column 1 (columns 8..15): tile 5,
        // which round-robin over 3 members puts on member 5 mod 3 = 2.
        var p = TilePlacement.Build(Reference, 3, PlacementKind.RoundRobin);
        Assert.Equal(5, p.TileOf(0, 14, 14));
        Assert.Equal(2, p.ReducerMember(0));
        Assert.Equal(p.MemberOfPosition(1, 7, 7), p.ReducerMember(1));
    }

    [Fact]
    public void Zero_members_is_a_clear_error() =>
        Assert.Throws<UserInputException>(() => TilePlacement.Build(Reference, 0, PlacementKind.Block));
}
