using NodeMesh.Core.Fabric;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Tests.Fabric;

/// <summary>Placement of units, reducers, inputs and the loss site, and XY routing.</summary>
public sealed class FabricLayoutTests
{
    private static readonly NetworkPlan Reference = NetworkPlan.Build(ArchSpec.Parse(ArchSpec.Default));

    [Fact]
    public void Strides_are_the_product_of_earlier_pool_factors()
    {
        var f = new FabricLayout(Reference);
        Assert.Equal([1, 2, 4], Enumerable.Range(0, 3).Select(f.Stride));
    }

    /// <summary>
    /// AlexNet's layout: conv1 (stride 4) units 4 hops apart; after a 3-by-2 pool conv2's input
    /// positions are 8 hops apart and so are its stride-1 units; conv3–5 16; the dense input 32.
    /// A pooled value sits at the top-left unit of its (overlapping) window.
    /// </summary>
    [Fact]
    public void Mesh_strides_multiply_conv_strides_and_pool_strides()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse("conv11x11x64s4p2,relu,maxpool3s2,conv5x5x192p2,relu,maxpool3s2,conv3x3x384p1,relu,conv3x3x256p1,relu,conv3x3x256p1,relu,maxpool3s2,dense4096,relu,dense4096,relu,dense1000"), 3, 224, 224, 1000);
        var f = new FabricLayout(plan);
        Assert.Equal([4, 8, 16, 16, 16, 32, 32, 32], Enumerable.Range(0, 8).Select(f.Stride));
        Assert.Equal([1, 8, 16, 16, 16], Enumerable.Range(0, 5).Select(f.InputSpacing));
        Assert.Equal(new MeshPoint(4 * 54, 4 * 2, 0), f.Place(new UnitCoord(0, 5, 54, 2)));    // over input pixel (216, 8)
        Assert.Equal(f.Place(new UnitCoord(0, 7, 52, 6)), f.OutputSite(0, 7, 26, 3));         // pooled (26, 3): window rows 52..54
        Assert.Equal(new MeshPoint(8 * 26, 8 * 3, 1), f.Place(new UnitCoord(1, 0, 26, 3)));   // conv2 unit over that value
        Assert.Equal(new MeshPoint(13 / 2 * 16, 13 / 2 * 16, 5), f.Place(new UnitCoord(5, 0, 0, 0))); // dense1 over the centre unit of conv5's 13x13 grid
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(3, 5, 7)]
    [InlineData(31, 13, 13)]
    public void Conv2_units_sit_at_twice_their_grid_position_one_level_up(int map, int u, int v)
    {
        var f = new FabricLayout(Reference);
        Assert.Equal(new MeshPoint(2 * u, 2 * v, 1), f.Place(new UnitCoord(1, map, u, v)));
        Assert.Equal(new MeshPoint(u, v, 0), f.Place(new UnitCoord(0, map % 16, u, v)));
    }

    [Fact]
    public void Maps_of_one_position_share_a_column_and_are_0_hops_apart()
    {
        var f = new FabricLayout(Reference);
        Assert.Equal(0, f.Hops(new UnitCoord(1, 0, 4, 9), new UnitCoord(1, 31, 4, 9)));
    }

    [Fact]
    public void Routing_is_manhattan_distance_plus_layer_hops_per_level()
    {
        var f = new FabricLayout(Reference, new FabricOptions(LayerHops: 3));
        // conv1 (1, 2) at (1, 2, 0); conv2 (3, 0) at (6, 0, 1): |6−1| + |0−2| + 3·1 = 10.
        Assert.Equal(10, f.Hops(new UnitCoord(0, 0, 1, 2), new UnitCoord(1, 5, 3, 0)));
        Assert.Equal(7, f.Hops(new MeshPoint(0, 0, 0), new MeshPoint(1, 0, 2)));
    }

    [Fact]
    public void Dense_neurons_sit_at_the_centre_of_the_previous_grid_one_level_up()
    {
        var f = new FabricLayout(Reference);
        // conv2's grid is 14x14 at stride 2: centre (7·2, 7·2) = (14, 14); dense1 is layer 2.
        Assert.Equal(new MeshPoint(14, 14, 2), f.Place(new UnitCoord(2, 0, 0, 0)));
        Assert.Equal(new MeshPoint(14, 14, 2), f.Place(new UnitCoord(2, 9, 0, 0)));
        Assert.Equal(new MeshPoint(14, 14, 2), f.LossPlace);
        Assert.Equal(TransportCost.Zero with { Messages = 10, Packets = 10, Bytes = 10 * 32 * 4 }, f.LossTransfers(32));

        var dd = NetworkPlan.Build(ArchSpec.Parse("conv3x3x2,maxpool2,dense12,relu,dense10"), 1, 8, 8);
        var g = new FabricLayout(dd);
        Assert.Equal(new MeshPoint(4, 4, 1), g.Place(new UnitCoord(1, 3, 0, 0))); // 8x8 conv grid at s = 1
        Assert.Equal(new MeshPoint(4, 4, 2), g.Place(new UnitCoord(2, 3, 0, 0))); // stacked above dense1

        var first = NetworkPlan.Build(ArchSpec.Parse("dense10"), 1, 5, 7);
        Assert.Equal(new MeshPoint(2, 3, 0), new FabricLayout(first).Place(new UnitCoord(0, 4, 0, 0)));
    }

    [Fact]
    public void Reducers_sit_at_the_map_centre_and_inputs_at_their_pixel()
    {
        var f = new FabricLayout(Reference);
        Assert.Equal(new MeshPoint(14, 14, 0), f.ReducerPlace(0, 3));
        Assert.Equal(new MeshPoint(14, 14, 1), f.ReducerPlace(1, 3)); // conv2 centre (7, 7)·2
        Assert.Equal(new MeshPoint(5, 6, 0), f.InputPlace(5, 6));
        // position 0 of conv2 is (0, 0): 14 + 14 hops from its reducer.
        Assert.Equal(28, f.HopsToReducer(1, 0, 0));
        Assert.Equal(0, f.HopsToReducer(1, 0, 7 * 14 + 7));
    }

    [Fact]
    public void Pool_outputs_live_at_the_top_left_unit_of_their_window()
    {
        var f = new FabricLayout(Reference);
        Assert.Equal(f.Place(new UnitCoord(0, 2, 6, 10)), f.OutputSite(0, 2, 3, 5));
        Assert.Equal(new MeshPoint(12, 20, 1), f.OutputSite(1, 2, 3, 5)); // conv2 unit (6, 10) at stride 2
    }

    [Fact]
    public void Spread_tiles_maps_in_blocks_of_the_layer_extent()
    {
        var f = new FabricLayout(Reference, new FabricOptions(MapLayout.Spread));
        // conv1: M = 16, c = ⌈√16⌉ = 4, blocks 28·1 hops: map 5 → block row 1, column 1.
        Assert.Equal(4, f.MapColumns(0));
        Assert.Equal((28, 28), f.MapOffset(0, 5));
        Assert.Equal(new MeshPoint(28 + 3, 28 + 4, 0), f.Place(new UnitCoord(0, 5, 3, 4)));
        // conv2: M = 32, c = ⌈√32⌉ = 6, 6 block rows, blocks 14·2 = 28 hops: map 13 → row 2, column 1.
        Assert.Equal((6, 6), (f.MapColumns(1), f.MapRows(1)));
        Assert.Equal((56, 28), f.MapOffset(1, 13));
        Assert.Equal(new MeshPoint(56 + 2, 28 + 4, 1), f.Place(new UnitCoord(1, 13, 1, 2)));
        // dense1 at the centre of conv2's 6x6 block grid: (⌊6·14/2⌋·2, ⌊6·14/2⌋·2) = (84, 84).
        Assert.Equal(new MeshPoint(84, 84, 2), f.Place(new UnitCoord(2, 0, 0, 0)));
        // the reducer of map 13 is its block's centre.
        Assert.Equal(new MeshPoint(56 + 14, 28 + 14, 1), f.ReducerPlace(1, 13));
        Assert.Equal(f.Hops(new UnitCoord(1, 0, 0, 0), new UnitCoord(1, 0, 3, 4)), f.Hops(new UnitCoord(1, 13, 0, 0), new UnitCoord(1, 13, 3, 4)));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(4, 2)]
    [InlineData(5, 3)]
    [InlineData(9, 3)]
    [InlineData(10, 4)]
    [InlineData(1024, 32)]
    public void CeilSqrt_is_the_smallest_square_side_that_holds_m(int m, int c) => Assert.Equal(c, FabricLayout.CeilSqrt(m));

    [Fact]
    public void Bad_options_are_user_errors()
    {
        var e = Assert.Throws<UserInputException>(() => new FabricLayout(Reference, new FabricOptions(LayerHops: -1)));
        Assert.Equal(SettingKeys.LayerHops, e.Setting);
        Assert.StartsWith("-1: the hop cost between consecutive layers must be 0 or more", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<UserInputException>(() => new FabricLayout(Reference, new FabricOptions((MapLayout)7)));
        Assert.Equal(SettingKeys.MapLayout, e.Setting);
        Assert.StartsWith("7: use column or spread", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// conv3x3x1 on a 3x3 image, batch 2 (8 bytes per message). The injector sits at each pixel on
    /// level 0, so a message from window offset (dy, dx) travels |dy| + |dx| hops:
    /// corner unit (0,0): window {0,1}x{0,1}: 0+1+1+2 = 4 hops, 4 messages;
    /// edge unit (0,1): {0,1}x{0,1,2}: Σ|dy|·3 + Σ|dx|·2 = 3 + 4 = 7 hops, 6 messages;
    /// centre (1,1): all 9, Σ = 2·3 + 2·3 = 12 hops.
    /// Layer: 4·4 + 4·7 + 12 = 56 hops, 4·4 + 4·6 + 9 = 49 messages, byte-hops 56·8 = 448.
    /// dense10 at (1,1) on level 1: per neuron Σ(|y−1| + |x−1| + 1) = 12 + 9 = 21 hops, 9
    /// messages; ×10 neurons: 210 hops, 90 messages, 1680 byte-hops.
    /// </summary>
    [Fact]
    public void Activation_hops_of_a_tiny_net_match_the_hand_count()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse("conv3x3x1,dense10"), 1, 3, 3);
        var f = new FabricLayout(plan);
        Assert.Equal(new TransportCost(4, 4, 32, 4, 32), f.UnitInputs(new UnitCoord(0, 0, 0, 0), 2));
        Assert.Equal(7, f.UnitInputs(new UnitCoord(0, 0, 0, 1), 2).Hops);
        Assert.Equal(12, f.UnitInputs(new UnitCoord(0, 0, 1, 1), 2).Hops);
        var t = f.PerBatch(2);
        Assert.Equal(new TransportCost(49, 49, 392, 56, 448), t[0].Inputs);
        Assert.Equal(TransportCost.Zero, t[0].InputErrors);
        Assert.Equal(new TransportCost(90, 90, 720, 210, 1680), t[1].Inputs);
        Assert.Equal(t[1].Inputs, t[1].InputErrors);
        Assert.Equal(new TransportCost(10, 10, 80, 0, 0), t[1].Loss);
        Assert.Equal(t[1].Inputs + t[1].Loss, t[1].Activation);
    }

    /// <summary>
    /// One maxpool2 on an 8x8, 3-map layer: 4·4·3 = 48 windows of 3 messages; members at (0,1),
    /// (1,0), (1,1) travel 1 + 1 + 2 = 4 hops. A second pool2 works on the pooled sites, 2 units
    /// apart: 2·2·3 = 12 windows, members (0,2), (2,0), (2,2): 8 hops each window.
    /// </summary>
    [Fact]
    public void Pool_messages_travel_to_the_window_site()
    {
        var one = NetworkPlan.Build(ArchSpec.Parse("conv3x3x3,relu,maxpool2,dense10"), 1, 8, 8);
        Assert.Equal(new TransportCost(144, 144, 144 * 8, 192, 192 * 8), new FabricLayout(one).PoolTransfers(one.Layers[0], 2));
        var two = NetworkPlan.Build(ArchSpec.Parse("conv3x3x3,maxpool2,relu,avgpool2,dense10"), 1, 8, 8);
        Assert.Equal(new TransportCost(144 + 36, 144 + 36, 180 * 8, 192 + 96, 288 * 8), new FabricLayout(two).PoolTransfers(two.Layers[0], 2));
        // conv2 of the reference net, stride 2: 7·7·32 windows, 4·2 = 8 hops each.
        var f = new FabricLayout(Reference);
        Assert.Equal(49L * 32 * 8, f.PoolTransfers(Reference.Layers[1], 1).Hops);
    }

    /// <summary>
    /// Nets for the closed-form checks: (arch, channels, height, width). The second and third
    /// use stride, explicit and valid padding, even kernels, overlapping pools and gap, so that
    /// some input rows are read by no window and some windows reach into the padding only.
    /// </summary>
    public static readonly string[] ClosedFormNets =
    [
        "conv3x3x3,relu,maxpool2,conv5x5x4,relu,maxpool2,dense6,relu,dense10;2;12;10",
        "conv4x4x3s2p1,relu,maxpool3s2,conv3x3x4p1,relu,gap,dense10;2;21;19",
        "conv5x5x3s3pvalid,maxpool2,conv3x3x4s2p2,avgpool3s1,dense6,relu,dense10;2;24;26",
        // Residual nets: an identity block; a projection block (its first conv reads the block's
        // input two levels down, beside the shortcut); a ResNet-like stem, overlapping pool, both kinds, gap.
        "conv3x3x4,relu,res(conv3x3x4,relu,conv3x3x4),relu,dense10;1;9;7",
        "conv3x3x4,relu,res(conv3x3x8s2,relu,conv3x3x8;conv1x1x8s2pvalid),relu,maxpool2,dense10;2;12;10",
        "conv3x3x4s2p1,relu,maxpool3s2,res(conv3x3x4,relu,conv3x3x4),relu,res(conv3x3x8s2,relu,conv3x3x8;conv1x1x8s2pvalid),relu,gap,dense10;3;23;21",
    ];

    public static TheoryData<MapLayout, int, string> LayoutsAndNets()
    {
        var data = new TheoryData<MapLayout, int, string>();
        foreach (var net in ClosedFormNets)
            foreach (var (layout, hops) in new[] { (MapLayout.Column, 1), (MapLayout.Column, 3), (MapLayout.Spread, 1), (MapLayout.Spread, 0) })
                data.Add(layout, hops, net);
        return data;
    }

    /// <summary>Builds a net of <see cref="ClosedFormNets"/>.</summary>
    public static NetworkPlan ClosedFormPlan(string net)
    {
        // arch;C;H;W — split from the end: a projection shortcut is written with ';' inside the arch.
        var parts = net.Split(';');
        int n = parts.Length;
        return NetworkPlan.Build(ArchSpec.Parse(string.Join(';', parts[..(n - 3)])), int.Parse(parts[n - 3], System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(parts[n - 2], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[n - 1], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(LayoutsAndNets))]
    public void Closed_form_layer_totals_equal_the_sum_over_units_and_the_logical_message_model(MapLayout layout, int layerHops, string net)
    {
        var plan = ClosedFormPlan(net);
        var f = new FabricLayout(plan, new FabricOptions(layout, layerHops));
        var tiles = TilePlan.Build(plan, 4);
        const int batch = 3;
        foreach (var l in plan.Layers)
        {
            var sum = TransportCost.Zero;
            long messages = 0, bytes = 0;
            for (int m = 0; m < l.OutMaps; m++)
                for (int u = 0; u < l.OutHeight; u++)
                    for (int v = 0; v < l.OutWidth; v++)
                    {
                        sum += f.UnitInputs(new UnitCoord(l.Index, m, u, v), batch);
                        var (msg, floats) = FabricModel.UnitInputs(plan, l, u, v);
                        messages += msg;
                        bytes += (long)msg * floats * batch * FabricModel.FloatBytes;
                    }
            var closed = f.LayerInputs(l, batch);
            Assert.Equal(sum, closed);
            Assert.Equal((messages, bytes), (closed.Messages, closed.Bytes));
            var pool = tiles.Tiles[l.Index].Aggregate(TransportCost.Zero, (a, t) => a + f.PoolTransfers(l, t, batch));
            Assert.Equal(pool, f.PoolTransfers(l, batch));
            Assert.Equal(tiles.Tiles[l.Index].Sum(t => FabricModel.PoolMessages(l, t)), pool.Messages);
        }
    }

    [Fact]
    public void Spread_sends_one_packet_per_source_map()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse("conv3x3x4,maxpool2,conv3x3x2,dense10"), 1, 6, 6);
        var f = new FabricLayout(plan, new FabricOptions(MapLayout.Spread, 0));
        // conv2 unit (map 0, 0, 0) on a 3x3 grid at stride 2 sits at (0, 0). conv1 (6x6, 4 maps,
        // c = 2) has map c's block at ((c/2)·6, (c%2)·6); the source of input (y, x) is its pooling
        // site (2y, 2x) in that block. Window of (0,0): inputs (0,0), (0,1), (1,0), (1,1).
        var cost = f.UnitInputs(new UnitCoord(1, 0, 0, 0), 1);
        long expected = 0;
        foreach (var (oy, ox) in new[] { (0, 0), (0, 6), (6, 0), (6, 6) })
            foreach (var (y, x) in new[] { (0, 0), (0, 1), (1, 0), (1, 1) })
                expected += oy + 2 * y + ox + 2 * x;
        Assert.Equal(new TransportCost(4, 16, 4 * 4 * 4, expected, expected * 4), cost);
    }
}
