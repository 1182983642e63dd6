using NodeMesh.Core.Model;
using NodeMesh.Core.Placement;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Tests.Placement;

/// <summary>
/// Cross-member projection of residual nets on 2 members, batch 1, step 0 (no step field): the
/// tile pieces along each layer's <see cref="WeightedLayer.Source"/> and a block's skip pieces,
/// which carry <c>from_layer</c> (2 bytes here) when the other end is not the neighbouring layer.
/// Each residual net is compared with its plain twin (the same layers without the add), whose
/// messages have the same sizes otherwise.
/// </summary>
public sealed class ResidualCrossMemberTrafficTests
{
    private static CrossMemberTraffic Project(string arch, int height, int side, PlacementKind kind) =>
        CrossMemberTraffic.Compute(TilePlacement.Build(TilePlan.Build(NetworkPlan.Build(ArchSpec.Parse(arch), 1, height, height, 10), side), 2, kind),
            new StrategyOptions(), batch: 1, firstStep: 0, steps: 1);

    /// <summary>
    /// conv1 (8×8, 2 maps, tiles of 2×2 pooled to one cell each: 16 tiles, tile 4y + x owns cell
    /// (y, x)) → identity block on 4×4 (tiles of 2×2), round-robin: conv1's tile on member x mod 2,
    /// the block's tiles 0 1 / 2 3 on A B / A B. Each conv3 tile takes 4 one-cell skip pieces, two
    /// from the other member: cells (0..1, 1) → tile 0, (0..1, 2) → 1, (2..3, 1) → 2, (2..3, 2) → 3.
    /// A piece of 1 cell × 2 maps: ap = layer 2 (2) + tile (0 for tile 0, else 2) + from (2) +
    /// train (2) + 2 floats (10) + from_layer 1 (2) = 18 or 20; ep = layer 0 (0) + tile (2) + from
    /// (0 or 2) + 10 + from_layer 3 (2) = 14 or 16.
    /// </summary>
    [Fact]
    public void Skip_pieces_from_tiles_on_the_other_member_cross_both_ways_with_their_from_layer()
    {
        var residual = Project("conv3x3x2,relu,maxpool2,res(conv3x3x2,relu,conv3x3x2),relu,dense10", 8, 2, PlacementKind.RoundRobin);
        var plain = Project("conv3x3x2,relu,maxpool2,conv3x3x2,relu,conv3x3x2,relu,dense10", 8, 2, PlacementKind.RoundRobin);
        Assert.Equal(plain.ByKind[CrossKind.Activations] + new CrossCount(8, 2 * 18 + 6 * 20), residual.ByKind[CrossKind.Activations]);
        Assert.Equal(plain.ByKind[CrossKind.Errors] + new CrossCount(8, 2 * 14 + 6 * 16), residual.ByKind[CrossKind.Errors]);
        Assert.Equal(plain.ByKind[CrossKind.Logits], residual.ByKind[CrossKind.Logits]);
        Assert.Equal(plain.ByKind[CrossKind.StepDone], residual.ByKind[CrossKind.StepDone]);
    }

    /// <summary>
    /// A projection block with a 1×1 stride-1 shortcut on 4×4 (every conv 4 tiles of 2×2, blocks
    /// 0 1 on A, 2 3 on B): the shortcut's and the skip's pieces stay on their member (same tiles),
    /// the first conv's input from conv1 crosses where the plain net's conv2 input does (8 pieces of
    /// the 3×3 halo) but from two layers down, so each ap carries from_layer 1 and each ep
    /// from_layer 3: 2 bytes more each.
    /// </summary>
    [Fact]
    public void The_input_of_a_projection_blocks_first_conv_names_its_producer_layer()
    {
        var residual = Project("conv3x3x2,res(conv3x3x2,relu,conv3x3x2;conv1x1x2),dense10", 4, 2, PlacementKind.Block);
        var plain = Project("conv3x3x2,conv3x3x2,relu,conv3x3x2,dense10", 4, 2, PlacementKind.Block);
        Assert.Equal(plain.ByKind[CrossKind.Activations] + new CrossCount(0, 8 * 2), residual.ByKind[CrossKind.Activations]);
        Assert.Equal(plain.ByKind[CrossKind.Errors] + new CrossCount(0, 8 * 2), residual.ByKind[CrossKind.Errors]);
    }

    [Fact]
    public void A_from_layer_field_is_absent_for_the_neighbouring_layer()
    {
        Assert.Equal(0, CrossMemberTraffic.FromLayer(2, 2));
        Assert.Equal(1, CrossMemberTraffic.FromLayer(0, 2));
        Assert.Equal(ProtoSize.Activations(3, 1, 1, true, 4) + 2, ProtoSize.Activations(3, 1, 1, true, 4, CrossMemberTraffic.FromLayer(0, 2)));
    }
}
