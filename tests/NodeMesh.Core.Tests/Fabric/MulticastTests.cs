using NodeMesh.Core.Fabric;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;

namespace NodeMesh.Core.Tests.Fabric;

/// <summary>Multicast activation transport and in-network error reduction along XY trees.</summary>
public sealed class MulticastTests
{
    private static FabricOptions Multicast(MapLayout layout = MapLayout.Column, int layerHops = 1) => new(layout, layerHops, FabricCast.Multicast);

    /// <summary>
    /// Source (1, 1) on level 0, LayerHops 2, targets on level 1: the packet climbs 2·1 = 2 hops;
    /// X runs from column 0 to column 3 along row 1 (3 hops); column 0 spans rows 0..2 (2),
    /// column 3 rows 0..1 (1), column 1 only the source row (0). A repeated target adds nothing.
    /// </summary>
    [Fact]
    public void Tree_hops_are_the_union_of_the_XY_routes()
    {
        var f = new FabricLayout(NetworkPlan.Build(ArchSpec.Parse("conv3x3x1,dense10"), 1, 3, 3), new FabricOptions(LayerHops: 2));
        MeshPoint[] targets = [new(0, 0, 1), new(2, 0, 1), new(1, 3, 1), new(0, 3, 1), new(1, 1, 1), new(2, 0, 1)];
        Assert.Equal(2 + 3 + 2 + 1, f.TreeHops(new MeshPoint(1, 1, 0), targets));
        Assert.Equal(0, f.TreeHops(new MeshPoint(1, 1, 0), []));
        Assert.Equal(f.Hops(new MeshPoint(1, 1, 0), new MeshPoint(2, 3, 1)), f.TreeHops(new MeshPoint(1, 1, 0), [new MeshPoint(2, 3, 1)]));
        Assert.Throws<ArgumentException>(() => f.TreeHops(new MeshPoint(0, 0, 0), [new MeshPoint(0, 1, 1), new MeshPoint(0, 1, 2)]));
    }

    /// <summary>
    /// conv3x3x4 on a 3x3 image, batch 2. The consumers of a pixel form a rows × cols rectangle
    /// around it, shared by the 4 maps (Column), so its tree has rows·cols − 1 hops: corner 3,
    /// edge 5, centre 8; layer 4·3 + 4·5 + 8 = 40 hops (closed form 9·(0 − 1) + 1·7·7), 9 messages
    /// of 1·2·4 = 8 bytes, 320 byte-hops (unicast: 4·49 messages, 4·56 hops). dense10 at (1, 1) on
    /// level 1: one path per input position carrying its 4 channels (32 bytes), |y−1| + |x−1| + 1
    /// hops: 21 hops, 9 messages, 672 byte-hops, the same back for the errors.
    /// </summary>
    [Fact]
    public void Multicast_counts_of_a_tiny_column_net_match_the_hand_count()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse("conv3x3x4,dense10"), 1, 3, 3);
        var f = new FabricLayout(plan, Multicast());
        var t = f.PerBatch(2);
        Assert.Equal(new TransportCost(9, 9, 72, 40, 320), t[0].Inputs);
        Assert.Equal(TransportCost.Zero, t[0].InputErrors);
        Assert.Equal(new TransportCost(9, 9, 288, 21, 672), t[1].Inputs);
        Assert.Equal(t[1].Inputs, t[1].InputErrors);
        Assert.Equal(new TransportCost(10, 10, 80, 0, 0), t[1].Loss); // logits are not multicast
        // Shares: the anchor (map 0, y, x) accounts for the tree of pixel (y, x); dense neuron 0 for all.
        Assert.Equal(new TransportCost(1, 1, 8, 3, 24), f.UnitInputs(new UnitCoord(0, 0, 0, 0), 2));
        Assert.Equal(new TransportCost(1, 1, 8, 8, 64), f.UnitInputs(new UnitCoord(0, 0, 1, 1), 2));
        Assert.Equal(TransportCost.Zero, f.UnitInputs(new UnitCoord(0, 3, 1, 1), 2));
        Assert.Equal(t[1].Inputs, f.UnitInputs(new UnitCoord(1, 0, 0, 0), 2));
        Assert.Equal(TransportCost.Zero, f.UnitInputs(new UnitCoord(1, 7, 0, 0), 2));
    }

    /// <summary>
    /// conv3x3x2,dense4 (4 classes) on a 3x3 image under Spread (c = 2 block columns, map 1 shifted 3 hops
    /// east). Pixel (y, x)'s consumers are a rows × cols block in each map; the trunk runs cols − 1
    /// + 3 hops along X, and each of the 2·cols columns branches rows − 1: corners 4 + 4 = 8,
    /// top/bottom edges 5 + 6 = 11, left/right edges 4 + 8 = 12, centre 5 + 12 = 17; layer
    /// 4·8 + 2·11 + 2·12 + 17 = 95 hops. dense4 at (1, 3) on level 1: every position sends one
    /// packet per source map from (y, x + 3·ch): Σ|y−1| = 6 + 6, Σ|x + 3ch − 3| = 18 + 9 and 18
    /// layer hops: 57 hops, 9 messages in 18 packets of B floats.
    /// </summary>
    [Fact]
    public void Multicast_counts_of_a_tiny_spread_net_match_the_hand_count()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse("conv3x3x2,dense4"), 1, 3, 3, classes: 4);
        var f = new FabricLayout(plan, Multicast(MapLayout.Spread));
        var t = f.PerBatch(1);
        Assert.Equal(new TransportCost(9, 9, 36, 95, 380), t[0].Inputs);
        Assert.Equal(new TransportCost(9, 18, 72, 57, 228), t[1].Inputs);
    }

    public static TheoryData<MapLayout, int> Layouts => new()
    {
        { MapLayout.Column, 1 }, { MapLayout.Column, 3 }, { MapLayout.Spread, 1 }, { MapLayout.Spread, 0 },
    };

    /// <summary>
    /// Every layer's multicast total equals (a) the sum of its units' shares, what the actors add
    /// to the ledger, and (b) a brute force that builds each tree as the set of unit links of the
    /// XY routes from the source to every consumer point (plus the level climb once), independent
    /// of the closed form and of <see cref="FabricLayout.TreeHops"/>'s span arithmetic.
    /// </summary>
    [Theory]
    [MemberData(nameof(FabricLayoutTests.LayoutsAndNets), MemberType = typeof(FabricLayoutTests))]
    public void Layer_totals_equal_the_unit_shares_and_a_link_by_link_count(MapLayout layout, int layerHops, string net)
    {
        var plan = FabricLayoutTests.ClosedFormPlan(net);
        var f = new FabricLayout(plan, Multicast(layout, layerHops));
        const int batch = 3;
        foreach (var l in plan.Layers)
        {
            var shares = TransportCost.Zero;
            for (int m = 0; m < l.OutMaps; m++)
                for (int u = 0; u < l.OutHeight; u++)
                    for (int v = 0; v < l.OutWidth; v++)
                        shares += f.UnitInputs(new UnitCoord(l.Index, m, u, v), batch);
            var closed = f.LayerInputs(l, batch);
            Assert.Equal(closed, shares);
            var (messages, packets, floats, hops, floatHops) = BruteForce(f, l);
            long perFloat = batch * FabricModel.FloatBytes;
            Assert.Equal(new TransportCost(messages, packets, floats * perFloat, hops, floatHops * perFloat), closed);
        }
    }

    /// <summary>The layer's multicast by explicit link sets: (messages, packets, floats per sample, hops, float-hops).</summary>
    private static (long, long, long, long, long) BruteForce(FabricLayout f, WeightedLayer l)
    {
        var plan = f.Plan;
        long messages = 0, packets = 0, floats = 0, hops = 0, floatHops = 0;
        void Tree(MeshPoint source, IEnumerable<MeshPoint> targets, int channels)
        {
            var links = new HashSet<(int, int, int, int)>(); // (y, x, dy, dx): the unit link leaving (y, x)
            int level = source.Level;
            foreach (var t in targets)
            {
                level = t.Level;
                for (int x = Math.Min(source.X, t.X); x < Math.Max(source.X, t.X); x++) links.Add((source.Y, x, 0, 1));
                for (int y = Math.Min(source.Y, t.Y); y < Math.Max(source.Y, t.Y); y++) links.Add((y, t.X, 1, 0));
            }
            long h = links.Count + (long)f.Options.LayerHops * Math.Abs(level - source.Level);
            packets++; floats += channels; hops += h; floatHops += h * channels;
        }
        IEnumerable<MeshPoint> Consumers(int y, int x)
        {
            if (l.Kind == LayerKind.Dense) { yield return f.Place(new UnitCoord(l.Index, 0, 0, 0)); yield break; }
            for (int m = 0; m < l.OutMaps; m++)
                for (int u = 0; u < l.OutHeight; u++)
                    for (int v = 0; v < l.OutWidth; v++)
                        if (Reads(u, y) && Reads(v, x)) yield return f.Place(new UnitCoord(l.Index, m, u, v));
        }
        bool Reads(int u, int y) => u * l.Stride - l.Padding <= y && y < u * l.Stride - l.Padding + l.Kernel; // unit row u's window holds row y
        void Position(int y, int x)
        {
            var targets = Consumers(y, x).ToList();
            if (targets.Count == 0) return; // no window reads (y, x): nothing is sent
            messages++;
            if (l.Source < 0) Tree(f.InputPlace(y, x), targets, l.InChannels);
            else if (f.Options.Layout == MapLayout.Column) Tree(f.OutputSite(l.Source, 0, y, x), targets, l.InChannels);
            else for (int ch = 0; ch < l.InChannels; ch++) Tree(f.OutputSite(l.Source, ch, y, x), targets, 1);
        }
        if (l.Source >= 0 && plan.Layers[l.Source].Kind == LayerKind.Dense)
        {
            for (int i = 0; i < l.InChannels; i++, messages++) Tree(f.Place(new UnitCoord(l.Source, i, 0, 0)), Consumers(0, 0), 1);
            return (messages, packets, floats, hops, floatHops);
        }
        for (int y = 0; y < l.InHeight; y++)
            for (int x = 0; x < l.InWidth; x++)
                Position(y, x);
        return (messages, packets, floats, hops, floatHops);
    }

    /// <summary>
    /// The reference net under Column: multicast moves each input position once instead of once
    /// per consumer unit, so its activation and error byte-hops are a small fraction of unicast's
    /// in every conv layer; the dense layer's shared point turns its OutMaps paths into one.
    /// </summary>
    [Fact]
    public void Multicast_moves_fewer_byte_hops_than_unicast_on_the_reference_net()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(ArchSpec.Default));
        var uni = new FabricLayout(plan).PerBatch(1);
        var multi = new FabricLayout(plan, Multicast()).PerBatch(1);
        for (int i = 0; i < plan.Layers.Count; i++)
        {
            var l = plan.Layers[i];
            if (l.Kind == LayerKind.Conv)
                Assert.True(multi[i].Inputs.ByteHops * 10 < uni[i].Inputs.ByteHops, $"{l.Name}: {multi[i].Inputs.ByteHops} vs {uni[i].Inputs.ByteHops}");
            else
                Assert.Equal(uni[i].Inputs.ByteHops, multi[i].Inputs.ByteHops * l.OutMaps);
            if (i > 0) Assert.Equal(multi[i].Inputs, multi[i].InputErrors); // errors reduced back along the same trees
            Assert.Equal(uni[i].Pool, multi[i].Pool);
            Assert.Equal(uni[i].Loss, multi[i].Loss);
        }
        // conv2 (14x14, p = 2, s = 2, C = 16): 196·(1 − 2) + 2·64·64 = 7,996 hops of 64 bytes.
        Assert.Equal(new TransportCost(196, 196, 196 * 64, 7996, 7996 * 64), multi[1].Inputs);
    }

    [Fact]
    public void An_unknown_cast_is_refused_naming_its_setting()
    {
        var e = Assert.Throws<UserInputException>(() => new FabricOptions(Cast: (FabricCast)5).Validate());
        Assert.Equal(SettingKeys.FabricCast, e.Setting);
        Assert.StartsWith("5: use unicast or multicast", e.Message, StringComparison.Ordinal);
    }
}
