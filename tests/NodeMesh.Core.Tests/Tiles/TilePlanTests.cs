using NodeMesh.Core.Model;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Tests.Tiles;

/// <summary>Geometry invariants of <see cref="TilePlan"/> over several networks, input sizes and tile sides.</summary>
public sealed class TilePlanTests
{
    /// <summary>(arch, channels, height, width, tile side) combinations, including odd sizes that pooling floors.</summary>
    public static TheoryData<string, int, int, int, int> Plans()
    {
        var data = new TheoryData<string, int, int, int, int>();
        foreach (int side in new[] { 0, 1, 2, 3, 5, 100 })
        {
            data.Add(ArchSpec.Default, 1, 28, 28, side);
            data.Add("conv3x3x2,relu,maxpool2,dense10", 1, 7, 7, side);
            data.Add("conv3x3x3,tanh,avgpool3,conv1x1x2,dense5,relu,dense10", 2, 11, 8, side);
            data.Add("conv5x5x2,maxpool2,maxpool2,conv3x3x2,dense10", 1, 13, 14, side);
            data.Add("conv3x3x2,dense10", 1, 5, 9, side);
            data.Add("conv4x4x3s2p1,relu,maxpool3s2,conv3x3x4pvalid,gap,dense10", 1, 21, 19, side); // strides, overlapping pools: one tile
            data.Add("conv5x5x2s3pvalid,maxpool2,conv3x3x2s2p2,dense10", 2, 24, 26, side);            // strided tiles, unread last row
        }
        return data;
    }

    private static TilePlan Build(string arch, int c, int h, int w, int side) =>
        TilePlan.Build(NetworkPlan.Build(ArchSpec.Parse(arch), c, h, w, 10), side);

    [Theory]
    [MemberData(nameof(Plans))]
    public void Tiles_cover_every_output_position_of_every_layer_exactly_once(string arch, int c, int h, int w, int side)
    {
        var plan = Build(arch, c, h, w, side);
        foreach (var l in plan.Network.Layers)
        {
            var count = new int[l.OutHeight, l.OutWidth];
            var tiles = plan.Tiles[l.Index];
            for (int i = 0; i < tiles.Count; i++)
            {
                var t = tiles[i];
                Assert.Equal(l.Index, t.Layer);
                Assert.Equal(i, t.Index);
                Assert.Equal(l.OutMaps, t.Maps);
                Assert.True(t.U0 >= 0 && t.U0 < t.U1 && t.U1 <= l.OutHeight, $"{l.Name} tile {t} rows out of range");
                Assert.True(t.V0 >= 0 && t.V0 < t.V1 && t.V1 <= l.OutWidth, $"{l.Name} tile {t} columns out of range");
                for (int u = t.U0; u < t.U1; u++)
                    for (int v = t.V0; v < t.V1; v++) count[u, v]++;
            }
            for (int u = 0; u < l.OutHeight; u++)
                for (int v = 0; v < l.OutWidth; v++)
                    Assert.True(count[u, v] == 1, $"{l.Name} position ({u},{v}) covered {count[u, v]} times");
        }
    }

    [Theory]
    [MemberData(nameof(Plans))]
    public void Tile_sides_are_multiples_of_the_pool_factor_except_where_the_layer_ends(string arch, int c, int h, int w, int side)
    {
        var plan = Build(arch, c, h, w, side);
        foreach (var l in plan.Network.Layers.Where(l => l.Kind == LayerKind.Conv))
        {
            int p = l.PoolFactor;
            foreach (var t in plan.Tiles[l.Index])
            {
                Assert.True(t.U0 % p == 0 && t.V0 % p == 0, $"{l.Name} tile {t} does not start on a pool window (factor {p})");
                Assert.True(t.Height % p == 0 || t.U1 == l.OutHeight, $"{l.Name} tile {t} height {t.Height} is not a multiple of {p}");
                Assert.True(t.Width % p == 0 || t.V1 == l.OutWidth, $"{l.Name} tile {t} width {t.Width} is not a multiple of {p}");
                if (side > 0)
                {
                    int expectedSide = Math.Max(p, (side + p - 1) / p * p);
                    Assert.True(t.Height == expectedSide || t.U1 == l.OutHeight, $"{l.Name} tile {t}: side {side} should give {expectedSide}");
                    Assert.True(t.Width == expectedSide || t.V1 == l.OutWidth, $"{l.Name} tile {t}: side {side} should give {expectedSide}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Plans))]
    public void Output_regions_of_the_tiles_partition_the_pooled_grid(string arch, int c, int h, int w, int side)
    {
        var plan = Build(arch, c, h, w, side);
        foreach (var l in plan.Network.Layers)
        {
            int ph = l.Kind == LayerKind.Dense ? 1 : l.PostHeight, pw = l.Kind == LayerKind.Dense ? 1 : l.PostWidth;
            var count = new int[ph, pw];
            foreach (var t in plan.Tiles[l.Index])
            {
                var r = TilePlan.OutputRegion(l, t);
                Assert.True(r.Height >= 0 && r.Width >= 0);
                Assert.True(r.Y0 + r.Height <= ph && r.X0 + r.Width <= pw, $"{l.Name} tile {t} region {r} outside {ph}x{pw}");
                for (int y = r.Y0; y < r.Y0 + r.Height; y++)
                    for (int x = r.X0; x < r.X0 + r.Width; x++) count[y, x]++;
                // The tile's own post-ops must agree with the plan (TileCompute checks this in its constructor).
                var post = new TilePostOps(l.PostOps, t.Height, t.Width, t.Maps);
                Assert.Equal((r.Height, r.Width), (post.OutputHeight, post.OutputWidth));
                _ = new TileCompute(l, t);
            }
            for (int y = 0; y < ph; y++)
                for (int x = 0; x < pw; x++)
                    Assert.True(count[y, x] == 1, $"{l.Name} pooled cell ({y},{x}) covered {count[y, x]} times");
        }
    }

    [Fact]
    public void A_7x7_layer_with_maxpool2_pools_to_3x3_and_the_trailing_row_and_column_produce_nothing()
    {
        var plan = Build("conv3x3x2,relu,maxpool2,dense10", 1, 7, 7, 2);
        var l = plan.Network.Layers[0];
        Assert.Equal((3, 3), (l.PostHeight, l.PostWidth));
        Assert.Equal(16, plan.Tiles[0].Count); // starts 0,2,4,6 in each direction
        foreach (var t in plan.Tiles[0])
        {
            var r = TilePlan.OutputRegion(l, t);
            bool trailing = t.U0 == 6 || t.V0 == 6;
            Assert.Equal(trailing ? 0 : 1, r.Height * r.Width);
        }
    }

    [Fact]
    public void Automatic_tiles_cut_the_default_network_into_about_4x4_tiles_and_the_dense_layer_into_one()
    {
        var plan = Build(ArchSpec.Default, 1, 28, 28, 0);
        Assert.Equal(16, plan.Tiles[0].Count); // side 7 rounded up to 8: 8,8,8,4
        Assert.Equal(16, plan.Tiles[1].Count); // side 4: 4,4,4,2
        var dense = Assert.Single(plan.Tiles[2]);
        Assert.Equal(new Tile(2, 0, 0, 1, 0, 1, 10), dense);
    }

    [Fact]
    public void A_negative_tile_side_is_a_user_error()
    {
        var net = NetworkPlan.Build(ArchSpec.Parse(ArchSpec.Default));
        var ex = Assert.Throws<UserInputException>(() => TilePlan.Build(net, -1));
        Assert.Equal(SettingKeys.Tile, ex.Setting);
        Assert.StartsWith("-1: the tile side must be 0 (automatic) or a positive number", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Plans))]
    public void Input_geometry_rows_are_in_range_and_point_at_the_grid_rows_of_the_receptive_field(string arch, int c, int h, int w, int side)
    {
        var plan = Build(arch, c, h, w, side);
        foreach (var l in plan.Network.Layers)
        {
            var grid = new GridBuffer(l.InHeight, l.InWidth, l.InChannels, l.Padding, 1);
            int gridRows = grid.PaddedHeight * grid.PaddedWidth * l.InChannels;
            for (int u = 0; u < l.OutHeight; u++)
                for (int v = 0; v < l.OutWidth; v++)
                {
                    var g = TilePlan.InputGeometry(l, u, v);
                    Assert.Equal(l.FanIn, g.Rows);
                    Assert.True(g.FirstRow >= 0);
                    Assert.True(g.FirstRow + (g.RunCount - 1) * g.RunStride + g.RunLength <= gridRows, $"{l.Name} ({u},{v}) geometry {g} beyond {gridRows} rows");
                    // Weight i = UnitWeightIndex(c, y, x) must read the grid row of that input.
                    int ky = l.Kind == LayerKind.Conv ? l.Kernel : l.InHeight, kx = l.Kind == LayerKind.Conv ? l.Kernel : l.InWidth;
                    for (int y = 0; y < ky; y++)
                        for (int x = 0; x < kx; x++)
                            for (int ch = 0; ch < l.InChannels; ch++)
                            {
                                int i = WeightLayout.UnitWeightIndex(l, ch, y, x);
                                int row = g.FirstRow + i / g.RunLength * g.RunStride + i % g.RunLength;
                                int expected = l.Kind == LayerKind.Conv ? grid.Row(u * l.Stride - l.Padding + y, v * l.Stride - l.Padding + x, ch) : grid.Row(y, x, ch);
                                Assert.Equal(expected, row);
                            }
                }
        }
    }

    [Theory]
    [MemberData(nameof(Plans))]
    public void Error_geometry_rows_lie_inside_the_tile_error_region_which_lies_inside_the_padded_grid(string arch, int c, int h, int w, int side)
    {
        var plan = Build(arch, c, h, w, side);
        foreach (var l in plan.Network.Layers)
        {
            int ph = l.InHeight + 2 * l.Padding, pw = l.InWidth + 2 * l.Padding;
            foreach (var t in plan.Tiles[l.Index])
            {
                var r = TilePlan.ErrorRegion(l, t);
                Assert.True(r.Y0 >= 0 && r.X0 >= 0 && r.Y0 + r.Height <= ph && r.X0 + r.Width <= pw, $"{l.Name} tile {t} error region {r} outside {ph}x{pw}");
                int regionRows = r.Height * r.Width * l.InChannels;
                for (int i = 0; i < t.UnitCount; i++)
                {
                    var (_, u, v) = t.UnitAt(i);
                    var e = TilePlan.ErrorGeometry(l, t, u, v);
                    var g = TilePlan.InputGeometry(l, u, v);
                    Assert.Equal(g.Rows, e.Rows);
                    Assert.Equal((g.RunCount, g.RunLength), (e.RunCount, e.RunLength));
                    Assert.True(e.FirstRow >= 0 && e.FirstRow + (e.RunCount - 1) * e.RunStride + e.RunLength <= regionRows,
                        $"{l.Name} tile {t} unit ({u},{v}) error geometry {e} beyond {regionRows} rows");
                    // Same receptive field: the error row of the patch's first input, translated by the region origin,
                    // is the padded grid row of that input.
                    if (l.Kind == LayerKind.Conv)
                    {
                        int firstY = e.FirstRow / l.InChannels / r.Width + r.Y0, firstX = e.FirstRow / l.InChannels % r.Width + r.X0;
                        Assert.Equal(g.FirstRow, (firstY * pw + firstX) * l.InChannels);
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Plans))]
    public void UnitAt_and_GlobalUnitIndex_number_every_unit_of_a_layer_exactly_once(string arch, int c, int h, int w, int side)
    {
        var plan = Build(arch, c, h, w, side);
        foreach (var l in plan.Network.Layers)
        {
            var seen = new bool[l.UnitCount];
            foreach (var t in plan.Tiles[l.Index])
                for (int i = 0; i < t.UnitCount; i++)
                {
                    var (m, u, v) = t.UnitAt(i);
                    Assert.True(m >= 0 && m < l.OutMaps && u >= t.U0 && u < t.U1 && v >= t.V0 && v < t.V1, $"{t}.UnitAt({i}) = ({m},{u},{v})");
                    // Position-major, then map.
                    Assert.Equal(i % t.Maps, m);
                    Assert.Equal(i / t.Maps, (u - t.U0) * t.Width + (v - t.V0));
                    int g = TilePlan.GlobalUnitIndex(l, m, u, v);
                    Assert.Equal((m * l.OutHeight + u) * l.OutWidth + v, g);
                    Assert.False(seen[g], $"{l.Name} unit {g} numbered twice");
                    seen[g] = true;
                }
            Assert.All(seen, Assert.True);
        }
    }
}
