using NodeMesh.Core.Fabric;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Core.Tests.Fabric;

/// <summary>Counted all-reduce traffic per map exchange against the closed-form minimum, by hand.</summary>
public sealed class MeasuredSyncBoundsTests
{
    /// <summary>conv3x3x2 on 4x4: 2 maps of N = 16 units, S = 40 bytes, 1-hop links; bound 75 B/unit, 1200 B and 1200 byte-hops per map.</summary>
    private static readonly NetworkPlan Plan = NetworkPlan.Build(ArchSpec.Parse("conv3x3x2,dense10"), 1, 4, 4);

    private static TrafficCounts Sync(long messages, long bytes, long byteHops, long denseMessages = 0)
    {
        var l = new TrafficLedger(2);
        l.Add(0, TrafficCategory.Sync, messages, bytes, byteHops);
        l.Add(1, TrafficCategory.Sync, denseMessages, denseMessages * 10, denseMessages * 10);
        return l.Snapshot();
    }

    /// <summary>
    /// Tree: one all-reduce of a map is 2(16 − 1) = 30 messages, 60 for both maps. 180 messages =
    /// 3 exchanges per map; 7680 bytes / (3 × 2) = 1280 per map exchange = 80 per unit (ratio
    /// 1280/1200 = 16/15); 14400 byte-hops / 6 = 2400 per map exchange (ratio 2). The dense
    /// layer's sync messages are not an all-reduce of a map and are left out.
    /// </summary>
    [Fact]
    public void Tree_exchanges_are_counted_per_map_and_compared_with_the_bound()
    {
        var tree = new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Tree);
        var b = Assert.Single(MeasuredSyncBounds.Of(new FabricLayout(Plan), tree, Sync(180, 7680, 14400, denseMessages: 50)));
        Assert.Equal("conv1", b.Layer.Name);
        Assert.Equal(3, b.ExchangesPerMap);
        Assert.Equal(80.0, b.MeasuredBytesPerUnit, 12);
        Assert.Equal(75.0, b.MinBytesPerUnit, 12);
        Assert.Equal(16.0 / 15, b.BytesRatio, 12);
        Assert.Equal(2400.0, b.MeasuredByteHops, 12);
        Assert.Equal(1200, b.MinByteHops);
        Assert.Equal(2.0, b.ByteHopsRatio, 12);
    }

    /// <summary>
    /// Star: 2·16 = 32 messages per map, 64 for both. 128 messages = 2 exchanges per map; 5120
    /// bytes / 4 = 1280 per map exchange; 10240 byte-hops / 4 = 2560 (ratio 32/15).
    /// </summary>
    [Fact]
    public void Star_exchanges_use_the_star_message_count()
    {
        var star = new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Star);
        var b = Assert.Single(MeasuredSyncBounds.Of(new FabricLayout(Plan), star, Sync(128, 5120, 10240)));
        Assert.Equal(2, b.ExchangesPerMap);
        Assert.Equal(80.0, b.MeasuredBytesPerUnit, 12);
        Assert.Equal(32.0 / 15, b.ByteHopsRatio, 12);
    }

    [Fact]
    public void Layers_without_a_whole_exchange_and_other_strategies_have_no_bound()
    {
        var f = new FabricLayout(Plan);
        var tree = new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Tree);
        Assert.Empty(MeasuredSyncBounds.Of(f, tree, Sync(0, 0, 0)));
        Assert.Empty(MeasuredSyncBounds.Of(f, tree, Sync(59, 2000, 2000))); // fewer than one exchange of both maps
        Assert.Empty(MeasuredSyncBounds.Of(f, new StrategyOptions(StrategyKind.Gossip, TopologyKind.Grid), Sync(180, 7680, 14400)));
        Assert.Empty(MeasuredSyncBounds.Of(f, new StrategyOptions(), Sync(180, 7680, 14400)));
    }
}
