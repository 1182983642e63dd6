using NodeMesh.Core.Model;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Tests.Tiles;

public sealed class TileLinksTests
{
    public static TheoryData<string, int, int> Nets => new()
    {
        { ArchSpec.Default, 28, 0 },
        { ArchSpec.Default, 28, 5 },
        { "conv3x3x4,relu,maxpool2,conv3x3x6,relu,maxpool2,dense10", 12, 0 },
        { "conv3x3x4,relu,conv5x5x3,tanh,avgpool2,dense7,relu,dense10", 11, 3 },
        { "conv3x3x2,maxpool2,maxpool2,dense10", 9, 2 },
    };

    [Theory]
    [MemberData(nameof(Nets))]
    public void The_pieces_a_tile_receives_tile_exactly_the_interior_cells_its_units_read(string arch, int side, int tileSide)
    {
        var tiles = TilePlan.Build(NetworkPlan.Build(ArchSpec.Parse(arch), 1, side, side, 10), tileSide);
        var links = new TileLinks(tiles);
        foreach (var l in tiles.Network.Layers.Skip(1))
            foreach (var t in tiles.Tiles[l.Index])
            {
                var need = TileLinks.InteriorNeed(l, t);
                var covered = new int[l.InHeight, l.InWidth];
                foreach (var link in links.InputsOf(l.Index, t.Index))
                    for (int y = link.Area.Y0; y < link.Area.Y1; y++)
                        for (int x = link.Area.X0; x < link.Area.X1; x++) covered[y, x]++;
                for (int y = 0; y < l.InHeight; y++)
                    for (int x = 0; x < l.InWidth; x++)
                    {
                        bool inside = y >= need.Y0 && y < need.Y1 && x >= need.X0 && x < need.X1;
                        Assert.True(covered[y, x] == (inside ? 1 : 0), $"{l.Name} tile {t.Index}: cell ({y},{x}) covered {covered[y, x]} times");
                    }
            }
    }

    [Theory]
    [MemberData(nameof(Nets))]
    public void Every_input_link_is_an_output_link_of_its_producer_and_both_lists_are_in_ascending_tile_order(string arch, int side, int tileSide)
    {
        var tiles = TilePlan.Build(NetworkPlan.Build(ArchSpec.Parse(arch), 1, side, side, 10), tileSide);
        var links = new TileLinks(tiles);
        var layers = tiles.Network.Layers;
        Assert.All(tiles.Tiles[0], t => Assert.Empty(links.InputsOf(0, t.Index)));
        Assert.All(tiles.Tiles[layers.Count - 1], t => Assert.Empty(links.OutputsOf(layers.Count - 1, t.Index)));
        int inputs = 0, outputs = 0;
        foreach (var l in layers)
            foreach (var t in tiles.Tiles[l.Index])
            {
                var ins = links.InputsOf(l.Index, t.Index);
                var outs = links.OutputsOf(l.Index, t.Index);
                Assert.Equal(ins.Select(x => x.Producer).Order(), ins.Select(x => x.Producer));
                Assert.Equal(outs.Select(x => x.Consumer).Order(), outs.Select(x => x.Consumer));
                Assert.All(ins, x => Assert.Contains(x, links.OutputsOf(l.Index - 1, x.Producer)));
                Assert.All(outs, x => Assert.Contains(x, links.InputsOf(l.Index + 1, x.Consumer)));
                // Every tile feeds the layer above, except one whose whole region is cut off by pooling.
                if (l.Index + 1 < layers.Count) Assert.Equal(TileLinks.OutputRect(l, t).IsEmpty, outs.Count == 0);
                inputs += ins.Count; outputs += outs.Count;
            }
        Assert.Equal(inputs, outputs);
    }

    [Theory]
    [InlineData(12, 4)]
    [InlineData(12, 3)]
    [InlineData(12, 0)]
    public void In_a_residual_net_skip_links_tile_each_add_exactly_and_every_link_is_listed_by_its_producer(int side, int tileSide)
    {
        const string arch = "conv3x3x4,relu,res(conv3x3x4,relu,conv3x3x4),relu,res(conv3x3x6s2,relu,conv3x3x6;conv1x1x6s2pvalid),relu,maxpool2,dense10";
        var tiles = TilePlan.Build(NetworkPlan.Build(ArchSpec.Parse(arch), 1, side, side, 10), tileSide);
        var links = new TileLinks(tiles);
        var layers = tiles.Network.Layers;
        Assert.Equal([null, null, 0, null, null, 3, null], layers.Select(l => l.Skip));
        int inputs = 0, outputs = 0;
        foreach (var l in layers)
            foreach (var t in tiles.Tiles[l.Index])
            {
                var skips = links.SkipsOf(l.Index, t.Index);
                Assert.All(links.InputsOf(l.Index, t.Index), x => Assert.Equal((l.Source, LinkKind.Input), (x.ProducerLayer, x.Kind)));
                Assert.All(skips, x => Assert.Equal((l.Skip!.Value, LinkKind.Skip), (x.ProducerLayer, x.Kind)));
                Assert.Equal(l.Skip is null, skips.Count == 0);
                // The skip pieces cover the tile's own positions exactly once.
                var covered = new int[l.OutHeight, l.OutWidth];
                foreach (var link in skips)
                    for (int y = link.Area.Y0; y < link.Area.Y1; y++)
                        for (int x = link.Area.X0; x < link.Area.X1; x++) covered[y, x]++;
                for (int y = 0; y < l.OutHeight; y++)
                    for (int x = 0; x < l.OutWidth; x++)
                        if (l.Skip is not null) Assert.Equal(y >= t.U0 && y < t.U1 && x >= t.V0 && x < t.V1 ? 1 : 0, covered[y, x]);
                foreach (var x in links.InputsOf(l.Index, t.Index).Concat(skips)) Assert.Contains(x, links.OutputsOf(x.ProducerLayer, x.Producer));
                var outs = links.OutputsOf(l.Index, t.Index);
                Assert.Equal(outs.OrderBy(x => x.Layer).ThenBy(x => x.Consumer), outs); // the order errors are summed in
                inputs += links.InputsOf(l.Index, t.Index).Count + skips.Count; outputs += outs.Count;
            }
        Assert.Equal(inputs, outputs);
        // The stem feeds the identity block's first conv and its add; the projection block's input feeds its shortcut and first conv.
        Assert.Equal([1, 2], links.OutputsOf(0, 0).Select(x => x.Layer).Distinct());
        Assert.Equal([3, 4], links.OutputsOf(2, 0).Select(x => x.Layer).Distinct());
    }

    [Fact]
    public void The_reference_net_moves_halos_between_neighbouring_tiles_only()
    {
        var tiles = TilePlan.Build(NetworkPlan.Build(ArchSpec.Parse(ArchSpec.Default)));
        var links = new TileLinks(tiles);
        // conv2 tile (0,0) reads conv1's pooled output rows/cols -2..5 (clipped to 0..5): conv1 tiles 0, 1, 4, 5.
        Assert.Equal([0, 1, 4, 5], links.InputsOf(1, 0).Select(x => x.Producer));
        // The dense tile reads all of conv2's outputs.
        Assert.Equal(Enumerable.Range(0, tiles.Tiles[1].Count), links.InputsOf(2, 0).Select(x => x.Producer));
    }

    [Fact]
    public void RegionCopy_moves_and_adds_a_block_between_buffers_of_different_widths()
    {
        // src 3x4 cells of 2 floats; copy the 2x2 block at (1,1) to (0,2) of a 2x5 destination.
        var src = Enumerable.Range(0, 3 * 4 * 2).Select(i => (float)i).ToArray();
        var dst = new float[2 * 5 * 2];
        RegionCopy.Copy(src, 4, 1, 1, dst, 5, 0, 2, 2, 2, 2);
        Assert.Equal(new float[] { 10, 11, 12, 13 }, dst[4..8]);
        Assert.Equal(new float[] { 18, 19, 20, 21 }, dst[14..18]);
        Assert.Equal(0f, dst[0]);
        RegionCopy.Add(src, 4, 1, 1, dst, 5, 0, 2, 2, 2, 2);
        Assert.Equal(new float[] { 20, 22, 24, 26 }, dst[4..8]);
    }

    [Fact]
    public void Rect_intersection_is_empty_for_disjoint_rectangles()
    {
        Assert.True(new Rect(0, 0, 2, 2).Intersect(new Rect(2, 0, 2, 2)).IsEmpty);
        Assert.Equal(new Rect(1, 1, 1, 1), new Rect(0, 0, 2, 2).Intersect(new Rect(1, 1, 5, 5)));
    }
}
