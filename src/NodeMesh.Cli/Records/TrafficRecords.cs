using NodeMesh.Core.Metrics;

namespace NodeMesh.Cli.Records;

/// <summary>
/// Logical traffic of one category in one epoch, summed over the layers: messages and payload
/// bytes of the emulated fabric (the whole batch per message), byte-hops (payload × mesh hops),
/// actor messages actually delivered and messages dropped. Byte-hops are null in runs written
/// before the fabric model.
/// </summary>
public sealed record CategoryTraffic(long Messages, long PayloadBytes, long? ByteHops, double? ByteHopsPerSample, long ActorMessages, long Dropped, double BytesPerSample)
{
    /// <summary>The counts of category <paramref name="c"/> in <paramref name="counts"/>, per-sample figures over <paramref name="samples"/> (at least 1).</summary>
    public static CategoryTraffic Of(TrafficCounts counts, TrafficCategory c, int samples)
    {
        double n = Math.Max(1, samples);
        long byteHops = counts.TotalByteHops(c), bytes = counts.TotalBytes(c);
        return new(counts.TotalMessages(c), bytes, byteHops, byteHops / n, counts.TotalDelivered(c), counts.TotalDropped(c), bytes / n);
    }

    /// <summary>The key of a category in summary.json and metrics.csv: "activation", "error", "sync", "control".</summary>
    public static string NameOf(TrafficCategory c) => c.ToString().ToLowerInvariant();
}

/// <summary>Logical traffic of one layer and category in one epoch (see <see cref="CategoryTraffic"/>).</summary>
public sealed record LayerTrafficRecord(long Messages, long PayloadBytes, long? ByteHops, long ActorMessages, long Dropped)
{
    /// <summary>The counts of layer <paramref name="layer"/> and category <paramref name="c"/>.</summary>
    public static LayerTrafficRecord Of(TrafficCounts counts, int layer, TrafficCategory c) =>
        new(counts.MessagesOf(layer, c), counts.BytesOf(layer, c), counts.ByteHopsOf(layer, c), counts.DeliveredOf(layer, c), counts.DroppedOf(layer, c));
}
