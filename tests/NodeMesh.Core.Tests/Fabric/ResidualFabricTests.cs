using NodeMesh.Core.Fabric;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Tests.Fabric;

/// <summary>
/// Residual nets on the fabric: inputs along <see cref="WeightedLayer.Source"/>, the level hops of
/// edges between non-adjacent layers, the skip transport of a block's add (per tile, as the tiles
/// count it, and per layer in closed form), and the step time along the layer graph.
/// </summary>
public sealed class ResidualFabricTests
{
    private const string Identity = "conv3x3x4,relu,res(conv3x3x4,relu,conv3x3x4),relu,dense10";
    private const string Projection = "conv3x3x4,relu,res(conv3x3x8s2,relu,conv3x3x8;conv1x1x8s2pvalid),relu,maxpool2,dense10";
    private const string ResNetLike = "conv3x3x4s2p1,relu,maxpool3s2,res(conv3x3x4,relu,conv3x3x4),relu,res(conv3x3x8s2,relu,conv3x3x8;conv1x1x8s2pvalid),relu,gap,dense10";

    private static readonly LatencyModel Round = LatencyModel.Default with { AdcGsps = 1 };

    public static TheoryData<string, int, MapLayout, int> NetsTilesAndLayouts()
    {
        var data = new TheoryData<string, int, MapLayout, int>();
        foreach (var net in new[] { Identity + ";1;28;28", Projection + ";1;28;28", ResNetLike + ";3;23;21" })
            foreach (int side in new[] { 0, 1, 2, 3, 5 })
                foreach (var (layout, hops) in new[] { (MapLayout.Column, 1), (MapLayout.Column, 3), (MapLayout.Spread, 1), (MapLayout.Spread, 0) })
                    data.Add(net, side, layout, hops);
        return data;
    }

    /// <summary>
    /// What the tiles add to the ledger (<see cref="FabricModel.SkipMessages"/> messages and
    /// <see cref="FabricLayout.SkipTransfers(WeightedLayer, Tile, int)"/> byte-hops, tile by tile)
    /// sums to the layer's closed form, which <see cref="FabricLayout.LayerTraffic"/> reports, for
    /// any tile side: one message of B floats per unit of a block's last conv, none elsewhere.
    /// </summary>
    [Theory]
    [MemberData(nameof(NetsTilesAndLayouts))]
    public void Summed_over_the_tiles_of_any_plan_the_skip_transfers_equal_the_layer_closed_form(string net, int side, MapLayout layout, int layerHops)
    {
        var plan = FabricLayoutTests.ClosedFormPlan(net);
        var f = new FabricLayout(plan, new FabricOptions(layout, layerHops));
        var tiles = TilePlan.Build(plan, side);
        const int batch = 3;
        Assert.Contains(plan.Layers, l => l.Skip is not null);
        foreach (var l in plan.Layers)
        {
            var closed = f.SkipTransfers(l, batch);
            var sum = tiles.Tiles[l.Index].Aggregate(TransportCost.Zero, (a, t) => a + f.SkipTransfers(l, t, batch));
            Assert.Equal(closed, sum);
            Assert.Equal(closed, f.LayerTraffic(l.Index, batch).Skip);
            long messages = tiles.Tiles[l.Index].Sum(t => FabricModel.SkipMessages(l, t));
            Assert.Equal(closed.Messages, messages);
            Assert.Equal(l.Skip is null ? 0 : l.UnitCount, messages);
            Assert.Equal(messages * batch * FabricModel.FloatBytes, closed.Bytes);
            if (l.Skip is not null) Assert.True(closed.Hops >= messages * 2L * layerHops, "a skip climbs at least two levels");
        }
    }

    /// <summary>
    /// conv3x3x4 → identity block on 4×4×1 (Column): conv3's 4 maps × 16 units each receive one
    /// value from conv1's output two levels below, at the same (y, x): 64 messages of B = 2 floats
    /// (8 bytes), 2 hops each (6 with 3 hops between layers).
    /// </summary>
    [Fact]
    public void An_identity_blocks_skip_climbs_two_levels_straight_up()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(Identity), 1, 4, 4);
        var conv3 = plan.Layers[2];
        Assert.Equal(new TransportCost(64, 64, 512, 128, 1024), new FabricLayout(plan).SkipTransfers(conv3, 2));
        Assert.Equal(new TransportCost(64, 64, 512, 384, 3072), new FabricLayout(plan, new FabricOptions(LayerHops: 3)).SkipTransfers(conv3, 2));
        var tile = TilePlan.Build(plan, 2).Tiles[2][3]; // rows 2–3, columns 2–3, 4 maps
        Assert.Equal(16, FabricModel.SkipMessages(conv3, tile));
        Assert.Equal(new TransportCost(16, 16, 64, 32, 128), new FabricLayout(plan).SkipTransfers(conv3, tile, 1));
        Assert.Equal(0, FabricModel.SkipMessages(plan.Layers[1], TilePlan.Build(plan, 2).Tiles[1][0]));
    }

    /// <summary>
    /// Spread layout after an overlapping pool: conv1 (7×7, 2 maps side by side, map 1's block 7
    /// hops east) pooled 3-by-2 to 3×3; the block's convs sit 2 hops apart, map 1's block 3·2 = 6
    /// hops east. The value (m, u, v) leaves its pooling site (2u, 2v + 7m) on level 0 for unit
    /// (2u, 2v + 6m) on level 2: 2 + m hops. 9 units a map: 9·2 + 9·3 = 45 hops.
    /// </summary>
    [Fact]
    public void Under_spread_a_skip_also_crosses_the_offset_between_the_map_blocks()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse("conv3x3x2,relu,maxpool3s2,res(conv3x3x2,relu,conv3x3x2),relu,dense3"), 1, 7, 7, 3);
        var f = new FabricLayout(plan, new FabricOptions(MapLayout.Spread));
        Assert.Equal(new TransportCost(18, 18, 72, 45, 180), f.SkipTransfers(plan.Layers[2], 1));
        var tiles = TilePlan.Build(plan, 1).Tiles[2];
        Assert.Equal(45, tiles.Sum(t => f.SkipTransfers(plan.Layers[2], t, 1).Hops));
    }

    /// <summary>
    /// A projection block's shortcut (layer 1) and first conv (layer 2) both read conv1's output:
    /// the same input spacing (1 hop) and stride (2 hops), the first conv from two levels down.
    /// Its input traffic is the plain net's same conv plus one level per message.
    /// </summary>
    [Fact]
    public void A_projection_blocks_first_conv_reads_the_blocks_input_from_two_levels_down()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(Projection));
        var f = new FabricLayout(plan);
        Assert.Equal([1, 2, 2, 2, 4], Enumerable.Range(0, 5).Select(f.Stride));
        Assert.Equal([1, 1, 1, 2], Enumerable.Range(0, 4).Select(f.InputSpacing));
        Assert.Equal([0L, 1, 2, 1, 1], plan.Layers.Select(f.InputLevelHops));
        var plain = NetworkPlan.Build(ArchSpec.Parse("conv3x3x4,relu,conv3x3x8s2,relu,conv3x3x8,relu,maxpool2,dense10"));
        var reference = new FabricLayout(plain).LayerInputs(plain.Layers[1], 2);
        var first = f.LayerInputs(plan.Layers[2], 2);
        Assert.Equal(reference with { Hops = reference.Hops + reference.Packets, ByteHops = reference.ByteHops + reference.Bytes }, first);
        // The dense layer sits over the centre of its source, the block's last conv (14×14 at 2 hops).
        Assert.Equal(new MeshPoint(14, 14, 4), f.Place(new UnitCoord(4, 0, 0, 0)));
    }

    /// <summary>
    /// Skip transfer time on 4×4×1 (3 ns a hop, 16 bytes a cycle): the farthest of conv3's units is
    /// 2 levels from its value, 6 ns; its point takes 4 maps × B = 2 floats = 32 bytes, 2 ns.
    /// </summary>
    [Fact]
    public void A_skip_transfer_takes_its_level_hops_and_one_float_per_map_through_the_units_port()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(Identity), 1, 4, 4);
        Assert.Equal(8, FabricLatency.SkipNs(new FabricLayout(plan), plan.Layers[2], 2, Round));
        Assert.Equal(20, FabricLatency.SkipNs(new FabricLayout(plan, new FabricOptions(LayerHops: 3)), plan.Layers[2], 2, Round));
        Assert.Equal(0, FabricLatency.SkipNs(new FabricLayout(plan), plan.Layers[1], 2, Round));
    }

    /// <summary>
    /// The waves follow the longest path through the layer graph. In a projection block the
    /// shortcut (layer 1) runs beside the first conv (layer 2) and its short 1×1 read and the skip
    /// transfer end before the first conv's path does, so each wave is that of the chain conv1 →
    /// first conv → last conv → dense, the shortcut hidden (the old sequential model added it).
    /// </summary>
    [Fact]
    public void The_shortcut_runs_beside_the_blocks_first_conv_on_both_waves()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(Projection), 2, 12, 10);
        var f = new FabricLayout(plan);
        const int batch = 2;
        var step = FabricLatency.Step(f, new StrategyOptions(), batch, Round);
        double Input(int i) => FabricLatency.InputNs(f, plan.Layers[i], batch, Round);
        double Pool(int i) => FabricLatency.PoolNs(f, plan.Layers[i], batch, Round);
        double read = batch * (Round.CrossbarReadNs + Round.ConversionNs);
        double BackRead(int i) => batch * (Round.CrossbarReadNs + Math.Ceiling(plan.Layers[i].FanIn / Round.AdcsPerUnit) * Round.ConversionNs);
        double loss = FabricLatency.LossNs(f, batch, Round), skip = FabricLatency.SkipNs(f, plan.Layers[3], batch, Round);
        int[] chain = [0, 2, 3, 4];
        Assert.Equal(chain.Sum(i => Input(i) + read + Pool(i)) + loss, step.ForwardNs, 9);
        // The shortcut's branch really is shorter: shortcut input, read and skip vs first conv and last conv.
        Assert.True(Input(1) + read + skip < Input(2) + read + Input(3) + read);
        double backward = loss + Pool(4) + BackRead(4) + Input(4) + Pool(3) + BackRead(3) + Input(3) + Pool(2) + BackRead(2) + Input(2) + Pool(0);
        Assert.Equal(backward, step.BackwardNs, 9);
        Assert.True(skip + Pool(1) + BackRead(1) + Input(1) < BackRead(3) + Input(3) + Pool(2) + BackRead(2) + Input(2));
        double sequential = plan.Layers.Sum(l => Input(l.Index) + read + Pool(l.Index)) + loss;
        Assert.True(step.ForwardNs < sequential);
    }

    /// <summary>
    /// The identity net and its plain twin (the same layers without the add) differ in traffic by
    /// the skip alone: 64 messages of 4 bytes × B per direction, 2 hops each, in activation and in
    /// error; energy by 2 × 64 × 4 bytes × 2 hops × 8 bits × 0.3 pJ per sample.
    /// </summary>
    [Fact]
    public void A_residual_projection_counts_the_skip_in_activation_error_and_energy()
    {
        var residual = Assert.Single(NodeMesh.Core.Fabric.Projection.Compute(NetworkPlan.Build(ArchSpec.Parse(Identity), 1, 4, 4), [new StrategyOptions()], [FabricOptions.Default], 2));
        var plain = Assert.Single(NodeMesh.Core.Fabric.Projection.Compute(NetworkPlan.Build(ArchSpec.Parse("conv3x3x4,relu,conv3x3x4,relu,conv3x3x4,relu,dense10"), 1, 4, 4),
            [new StrategyOptions()], [FabricOptions.Default], 2));
        Assert.Equal(new ExpectedCost(32, 256, 64, 512), residual.SkipPerSample);
        Assert.Equal(ExpectedCost.Zero, plain.SkipPerSample);
        Assert.Equal(plain.ActivationPerSample + residual.SkipPerSample, residual.ActivationPerSample);
        Assert.Equal(plain.ErrorPerSample + residual.SkipPerSample, residual.ErrorPerSample);
        Assert.Equal(2 * 256 * 2 * 8 * 0.3, residual.Energy.TransportPj - plain.Energy.TransportPj, 9);
        Assert.Equal(plain.Energy.ComputePj, residual.Energy.ComputePj);
        Assert.Equal(plain.Baseline.TotalPjPerSample, residual.Baseline.TotalPjPerSample);
    }
}
