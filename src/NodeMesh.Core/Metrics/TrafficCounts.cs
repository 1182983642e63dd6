namespace NodeMesh.Core.Metrics;

/// <summary>
/// An immutable snapshot of a <see cref="TrafficLedger"/>: the value that travels in messages
/// (a ledger is the mutable accumulator an actor owns; what it sends is a copy). Same layout and
/// queries as the ledger.
/// </summary>
public sealed class TrafficCounts
{
    private readonly long[] _messages, _bytes, _delivered, _dropped, _byteHops, _devices, _compute;

    public int Layers { get; }

    /// <summary>Copies the given arrays (layers × categories, layers × device fields, and layers × compute fields).</summary>
    public TrafficCounts(int layers, ReadOnlySpan<long> messages, ReadOnlySpan<long> bytes, ReadOnlySpan<long> delivered,
        ReadOnlySpan<long> dropped, ReadOnlySpan<long> byteHops, ReadOnlySpan<long> devices, ReadOnlySpan<long> compute)
    {
        int n = layers * TrafficLedger.Categories;
        if (layers < 0 || messages.Length != n || bytes.Length != n || delivered.Length != n || dropped.Length != n || byteHops.Length != n
            || devices.Length != layers * TrafficLedger.DeviceFields || compute.Length != layers * TrafficLedger.ComputeFields)
            throw new ArgumentException($"traffic counts do not match {layers} layers");
        Layers = layers;
        _messages = messages.ToArray(); _bytes = bytes.ToArray(); _delivered = delivered.ToArray();
        _dropped = dropped.ToArray(); _byteHops = byteHops.ToArray(); _devices = devices.ToArray(); _compute = compute.ToArray();
    }

    /// <summary>All zeros for <paramref name="layers"/> layers.</summary>
    public static TrafficCounts Empty(int layers) => new TrafficLedger(layers).Snapshot();

    public ReadOnlySpan<long> Messages => _messages;
    public ReadOnlySpan<long> Bytes => _bytes;
    public ReadOnlySpan<long> Delivered => _delivered;
    public ReadOnlySpan<long> Dropped => _dropped;
    public ReadOnlySpan<long> ByteHops => _byteHops;
    public ReadOnlySpan<long> Devices => _devices;
    public ReadOnlySpan<long> Compute => _compute;

    private static int At(int layer, TrafficCategory c) => layer * TrafficLedger.Categories + (int)c;

    public long MessagesOf(int layer, TrafficCategory c) => _messages[At(layer, c)];
    public long BytesOf(int layer, TrafficCategory c) => _bytes[At(layer, c)];
    public long DeliveredOf(int layer, TrafficCategory c) => _delivered[At(layer, c)];
    public long DroppedOf(int layer, TrafficCategory c) => _dropped[At(layer, c)];
    public long ByteHopsOf(int layer, TrafficCategory c) => _byteHops[At(layer, c)];
    public long DeviceOf(int layer, DeviceField f) => _devices[layer * TrafficLedger.DeviceFields + (int)f];
    public long ComputeOf(int layer, ComputeField f) => _compute[layer * TrafficLedger.ComputeFields + (int)f];

    /// <summary>A compute counter summed over the layers.</summary>
    public long TotalCompute(ComputeField f)
    {
        long s = 0;
        for (int l = 0; l < Layers; l++) s += ComputeOf(l, f);
        return s;
    }

    public long TotalMessages(TrafficCategory c) => Sum(_messages, c);
    public long TotalBytes(TrafficCategory c) => Sum(_bytes, c);
    public long TotalDelivered(TrafficCategory c) => Sum(_delivered, c);
    public long TotalDropped(TrafficCategory c) => Sum(_dropped, c);
    public long TotalByteHops(TrafficCategory c) => Sum(_byteHops, c);

    private long Sum(long[] a, TrafficCategory c)
    {
        long s = 0;
        for (int l = 0; l < Layers; l++) s += a[At(l, c)];
        return s;
    }
}
