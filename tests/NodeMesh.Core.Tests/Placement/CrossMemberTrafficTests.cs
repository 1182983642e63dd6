using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Placement;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Tests.Placement;

/// <summary>
/// Cross-member projection on a net small enough to count by hand: conv3x3x2 on a 4×4×1 input
/// (one 4×4 map grid of 2×2 tiles of 2×2 positions, tiles 0 1 / 2 3) and dense10 (one tile, on
/// member 0). Batch 1; a window of step 0 only, whose step field protobuf omits. Sizes: a 1-byte
/// tag per non-zero field, small positive ints 1 byte, −1 ten bytes, a float array 2 + 4·n bytes.
/// </summary>
public sealed class CrossMemberTrafficTests
{
    private static readonly TilePlan Tiles = TilePlan.Build(NetworkPlan.Build(ArchSpec.Parse("conv3x3x2,dense10"), 1, 4, 4, 10), tileSide: 2);

    private static CrossMemberTraffic Project(int members, StrategyOptions strategy, long steps = 1) =>
        CrossMemberTraffic.Compute(TilePlacement.Build(Tiles, members, PlacementKind.Block), strategy, batch: 1, firstStep: 0, steps);

    private static readonly StrategyOptions None = new();
    private static StrategyOptions AllReduce(TopologyKind t, int every = 1) => new(StrategyKind.AllReduce, t, Every: every);

    [Fact]
    public void On_one_member_only_the_drivers_messages_cross()
    {
        var t = Project(1, None);
        // Images to the 4 conv tiles: tile (0 or 2) + from −1 (11) + train (2) + 16 floats (66) = 79, 81, 81, 81.
        Assert.Equal(new CrossCount(4, 322), t.ByKind[CrossKind.Activations]);
        // Logits: train (2) + 10 floats (42); the loss gradient: layer 1 (2) + from −1 (11) + 10 floats (42).
        Assert.Equal(new CrossCount(1, 44), t.ByKind[CrossKind.Logits]);
        Assert.Equal(new CrossCount(1, 55), t.ByKind[CrossKind.Errors]);
        // Step-done notices of the 4 first-layer tiles: tile 0 is empty, tiles 1..3 two bytes.
        Assert.Equal(new CrossCount(4, 6), t.ByKind[CrossKind.StepDone]);
        Assert.Equal(default, t.Category(TrafficCategory.Sync));
    }

    [Fact]
    public void On_two_members_in_blocks_the_lower_tiles_pieces_to_the_dense_tile_cross_both_ways()
    {
        var t = Project(2, None);
        // Tiles 2 and 3 (member B) feed the dense tile (member A) 2×2 cells × 2 maps = 8 floats:
        // ap = layer 1 (2) + from (2) + train (2) + 34 = 40; ep back = tile (2) + 34 = 36.
        Assert.Equal(new CrossCount(4 + 2, 322 + 80), t.ByKind[CrossKind.Activations]);
        Assert.Equal(new CrossCount(1 + 2, 55 + 72), t.ByKind[CrossKind.Errors]);
        Assert.Equal(new CrossCount(6 + 1 + 3 + 4, 322 + 80 + 44 + 55 + 72 + 6), t.Total);
    }

    [Fact]
    public void A_tree_crosses_once_each_way_per_map_where_the_trunk_crosses_the_cut()
    {
        var t = Project(2, AllReduce(TopologyKind.Tree));
        // The trunk is column 2; only (1,2) → (2,2) (position 6 → 10) crosses the horizontal cut.
        // Partial: to 10 (2) + from 6 (2) + 10 floats (42) = 46, map 1 adds 2; result: to 6 (2) + 42 = 44, +2.
        Assert.Equal(new CrossCount(2, 46 + 48), t.ByKind[CrossKind.SyncPartial]);
        Assert.Equal(new CrossCount(2, 44 + 46), t.ByKind[CrossKind.SyncResult]);
    }

    [Fact]
    public void A_star_reducer_lives_with_the_map_centre_and_the_other_members_units_cross_to_it()
    {
        var placement = TilePlacement.Build(Tiles, 2, PlacementKind.Block);
        Assert.Equal(1, placement.ReducerMember(0)); // centre (2,2) is in tile 3, member B
        var t = Project(2, AllReduce(TopologyKind.Star));
        // Member A's 8 units per map: to −1 (11) + from p (0 for p = 0, else 2) + 42; map 1 adds 2 each.
        Assert.Equal(new CrossCount(16, 438 + 454), t.ByKind[CrossKind.SyncPartial]);
        // Results back: to p (0 or 2) + 42.
        Assert.Equal(new CrossCount(16, 350 + 366), t.ByKind[CrossKind.SyncResult]);
    }

    [Fact]
    public void Weight_averaging_every_two_steps_crosses_on_the_second_step_with_its_kind_and_step_fields()
    {
        var t = Project(2, AllReduce(TopologyKind.Tree, every: 2), steps: 2);
        // One exchange (after step 1): the tree's messages plus kind = weights (2) and step 1 (2) each.
        Assert.Equal(new CrossCount(2, 94 + 2 * 4), t.ByKind[CrossKind.SyncPartial]);
        Assert.Equal(new CrossCount(2, 90 + 2 * 4), t.ByKind[CrossKind.SyncResult]);
        // The data plane moves on both steps; step 1's messages carry 2 bytes of step field.
        Assert.Equal(new CrossCount(2 * 6, 2 * 402 + 6 * 2), t.ByKind[CrossKind.Activations]);
        Assert.Equal(new CrossCount(8, 2 * 6 + 4 * 2), t.ByKind[CrossKind.StepDone]);
    }

    [Fact]
    public void Round_robin_on_four_members_puts_every_conv_tile_on_its_own_member()
    {
        var rr = CrossMemberTraffic.Compute(TilePlacement.Build(Tiles, 4, PlacementKind.RoundRobin), AllReduce(TopologyKind.Star), 1, 0, 1);
        // Tile i on member i; the dense tile on member 0: tiles 1, 2, 3 send their pieces across (40 bytes each).
        Assert.Equal(new CrossCount(4 + 3, 322 + 3 * 40), rr.ByKind[CrossKind.Activations]);
        // The reducer sits with tile 3: the 12 units of tiles 0..2 cross to it, per map.
        Assert.Equal(24, rr.ByKind[CrossKind.SyncPartial].Messages);
        Assert.Equal(24, rr.ByKind[CrossKind.SyncResult].Messages);
    }

    [Theory]
    [InlineData(0L, 0)]
    [InlineData(1L, 2)]
    [InlineData(127L, 2)]
    [InlineData(128L, 3)]
    [InlineData(16_383L, 3)]
    [InlineData(16_384L, 4)]
    [InlineData(2_097_151L, 4)]
    [InlineData(2_097_152L, 5)]
    public void A_step_field_takes_a_tag_and_a_varint(long step, int bytes) => Assert.Equal(bytes, ProtoSize.Int64(step));

    [Theory]
    [InlineData(0L, 1L, 1)]
    [InlineData(0L, 300L, 1)]
    [InlineData(100L, 20_000L, 1)]
    [InlineData(100L, 20_000L, 3)]
    [InlineData(16_000L, 2_090_000L, 10)]
    public void Step_fields_of_a_window_equal_the_sum_over_its_steps(long first, long count, int every)
    {
        long steps = 0, bytes = 0;
        for (long s = first; s < first + count; s++)
        {
            if ((s + 1) % every != 0) continue;
            steps++;
            bytes += ProtoSize.Int64(s);
        }
        Assert.Equal((steps, bytes), CrossMemberTraffic.StepFields(first, count, every));
    }

    [Fact]
    public void Negative_int32_fields_take_ten_varint_bytes_and_zero_fields_none()
    {
        Assert.Equal(11, ProtoSize.Int32(-1));
        Assert.Equal(0, ProtoSize.Int32(0));
        Assert.Equal(3, ProtoSize.Int32(128));
        Assert.Equal(0, ProtoSize.Floats(0));
        Assert.Equal(1 + 2 + 128, ProtoSize.Floats(32));
    }

    [Fact]
    public void Gossip_is_not_projected()
    {
        var e = Assert.Throws<ArgumentException>(() => Project(2, new StrategyOptions(StrategyKind.Gossip, TopologyKind.Grid)));
        Assert.Contains("timing", e.Message, StringComparison.Ordinal);
    }
}
