using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Core.Fabric;

/// <summary>The counted all-reduce traffic of one conv layer, per map exchange, next to its closed-form minimum.</summary>
/// <param name="Layer">The conv layer.</param>
/// <param name="ExchangesPerMap">All-reduces each map of the layer ran in the counted window.</param>
/// <param name="MeasuredBytesPerUnit">Sync payload bytes of one exchange of one map, per unit of the map.</param>
/// <param name="MinBytesPerUnit">2(N−1)/N·S, the minimum bytes per unit (<see cref="SyncLowerBound.MinBytesPerUnit"/>).</param>
/// <param name="BytesRatio">Measured bytes of one map exchange / the minimum bytes of the map.</param>
/// <param name="MeasuredByteHops">Sync byte-hops of one exchange of one map.</param>
/// <param name="MinByteHops">2(N−1)·S·s, the minimum byte-hops of one map exchange.</param>
/// <param name="ByteHopsRatio">Measured / minimum byte-hops.</param>
public sealed record MeasuredSyncBound(WeightedLayer Layer, long ExchangesPerMap, double MeasuredBytesPerUnit, double MinBytesPerUnit, double BytesRatio,
    double MeasuredByteHops, long MinByteHops, double ByteHopsRatio);

/// <summary>Counted tying traffic against <see cref="SyncLowerBounds"/>.</summary>
public static class MeasuredSyncBounds
{
    /// <summary>
    /// For an all-reduce strategy, every conv layer that ran at least one exchange in
    /// <paramref name="counts"/>: exchanges per map = sync messages / (maps × messages of one
    /// all-reduce of the topology), then the sync bytes and byte-hops of one map exchange
    /// (sync bytes / (exchanges × maps)) compared with <see cref="SyncLowerBounds.ForLayer"/>.
    /// Empty for the other strategies: gossip and none have no all-reduce to bound.
    /// </summary>
    public static IReadOnlyList<MeasuredSyncBound> Of(FabricLayout layout, StrategyOptions strategy, TrafficCounts counts)
    {
        if (strategy.Kind != StrategyKind.AllReduce) return [];
        var result = new List<MeasuredSyncBound>();
        foreach (var layer in layout.Plan.Layers.Where(x => x.Kind == LayerKind.Conv))
        {
            long messages = counts.MessagesOf(layer.Index, TrafficCategory.Sync);
            long perExchange = layer.OutMaps * new MapTopology(strategy.Topology, layer.OutHeight, layer.OutWidth).MessagesPerReduce;
            long exchanges = perExchange == 0 ? 0 : messages / perExchange;
            if (exchanges == 0) continue;
            double mapExchanges = exchanges * (double)layer.OutMaps;
            double bytesPerMap = counts.BytesOf(layer.Index, TrafficCategory.Sync) / mapExchanges;
            double byteHopsPerMap = counts.ByteHopsOf(layer.Index, TrafficCategory.Sync) / mapExchanges;
            var bound = SyncLowerBounds.ForLayer(layout, layer);
            var eff = SyncLowerBounds.Compare(bound, bytesPerMap, byteHopsPerMap);
            result.Add(new MeasuredSyncBound(layer, exchanges, bytesPerMap / layer.Positions, bound.MinBytesPerUnit, eff.BytesRatio,
                byteHopsPerMap, bound.MinByteHops, eff.ByteHopsRatio));
        }
        return result;
    }
}
