using NodeMesh.Core.Fabric;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Core.Tests.Fabric;

/// <summary>Closed-form minimum tying traffic and the measured/minimum ratios.</summary>
public sealed class SyncLowerBoundsTests
{
    [Fact]
    public void Bounds_follow_the_closed_forms()
    {
        // N = 16, S = 40: 2·15/16·40 = 75 bytes per unit; 2·15·40 = 1200 bytes; 1200 byte-hops at 1 hop per link.
        Assert.Equal(75.0, SyncLowerBounds.MinBytesPerUnit(16, 40), 12);
        Assert.Equal(1200L, SyncLowerBounds.MinBytes(16, 40));
        Assert.Equal(1200L, SyncLowerBounds.MinByteHops(16, 40));
        Assert.Equal(2400L, SyncLowerBounds.MinByteHops(16, 40, linkHops: 2));
        Assert.Equal(0.0, SyncLowerBounds.MinBytesPerUnit(1, 40));
        Assert.Equal(0L, SyncLowerBounds.MinByteHops(1, 40));
    }

    [Fact]
    public void Ratios_handle_zero_bounds()
    {
        Assert.Equal(2.0, SyncLowerBounds.Ratio(10, 5));
        Assert.Equal(1.0, SyncLowerBounds.Ratio(0, 0));
        Assert.Equal(double.PositiveInfinity, SyncLowerBounds.Ratio(3, 0));
    }

    /// <summary>
    /// 4x4 map, S = 40 (conv3x3x2 on 4x4): bound 1200 bytes and 1200 byte-hops.
    /// star: 32 messages = 1280 bytes (16/15), 64 hops = 2560 byte-hops (32/15);
    /// tree: 30 messages and 30 hops = 1200 and 1200 (1, 1);
    /// ring: 30 messages = 1200 bytes (1), 32 hops = 1280 byte-hops (16/15).
    /// </summary>
    [Theory]
    [InlineData(TopologyKind.Star, 16.0 / 15, 32.0 / 15)]
    [InlineData(TopologyKind.Tree, 1.0, 1.0)]
    [InlineData(TopologyKind.Ring, 1.0, 16.0 / 15)]
    public void Measured_exchanges_of_a_4x4_map_compare_with_the_bound(TopologyKind kind, double bytesRatio, double byteHopsRatio)
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse("conv3x3x2,dense10"), 1, 4, 4);
        var f = new FabricLayout(plan);
        var l = plan.Layers[0];
        var bound = SyncLowerBounds.ForLayer(f, l);
        Assert.Equal(new SyncLowerBound(16, 40, 1, 75, 1200, 1200), bound);
        var eff = SyncLowerBounds.Compare(f, l, f.SyncPerExchange(l, kind));
        Assert.Equal(bytesRatio, eff.BytesRatio, 12);
        Assert.Equal(byteHopsRatio, eff.ByteHopsRatio, 12);
    }

    [Fact]
    public void The_byte_hop_bound_scales_with_the_layer_stride()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(ArchSpec.Default));
        var f = new FabricLayout(plan);
        var conv2 = plan.Layers[1];
        var b = SyncLowerBounds.ForLayer(f, conv2);
        // N = 196, S = 401·4 = 1604, s = 2.
        Assert.Equal((196, 1604L, 2), (b.Units, b.PayloadBytes, b.LinkHops));
        Assert.Equal(2L * 195 * 1604, b.MinBytes);
        Assert.Equal(2L * 195 * 1604 * 2, b.MinByteHops);
        // The tree over conv2's grid meets it exactly.
        var tree = SyncLowerBounds.Compare(f, conv2, f.SyncPerExchange(conv2, TopologyKind.Tree));
        Assert.Equal((1.0, 1.0), (tree.BytesRatio, tree.ByteHopsRatio));
    }
}
