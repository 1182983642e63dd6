namespace NodeMesh.Core.Metrics;

/// <summary>What a message is for.</summary>
public enum TrafficCategory
{
    /// <summary>Forward values (inputs, outputs, pooled features, logits).</summary>
    Activation = 0,
    /// <summary>Backward errors (deltas and input-error contributions).</summary>
    Error = 1,
    /// <summary>Weight-tying traffic (gradients or weights between units of a map).</summary>
    Sync = 2,
    /// <summary>Orchestration without data (commands, acknowledgements).</summary>
    Control = 3,
}

/// <summary>
/// Counters of one epoch, per layer and category: logical messages and payload bytes on the
/// emulated fabric (float32 values × 4 plus any indices), actor messages actually delivered,
/// and lost (dropped) messages. A plain value: actors fill their own copy and send it on.
/// </summary>
public sealed class TrafficLedger
{
    public const int Categories = 4;

    public int Layers { get; }
    public long[] Messages { get; }
    public long[] Bytes { get; }
    public long[] Delivered { get; }
    public long[] Dropped { get; }

    /// <summary>Payload bytes × mesh hops of the logical messages (see <c>Fabric.FabricLayout</c>).</summary>
    public long[] ByteHops { get; }

    public TrafficLedger(int layers)
    {
        Layers = layers;
        Messages = new long[layers * Categories];
        Bytes = new long[layers * Categories];
        Delivered = new long[layers * Categories];
        Dropped = new long[layers * Categories];
        ByteHops = new long[layers * Categories];
    }

    public TrafficLedger(int layers, long[] messages, long[] bytes, long[] delivered, long[] dropped, long[] byteHops)
    {
        int n = layers * Categories;
        if (messages.Length != n || bytes.Length != n || delivered.Length != n || dropped.Length != n || byteHops.Length != n)
            throw new ArgumentException("ledger arrays do not match the layer count");
        Layers = layers; Messages = messages; Bytes = bytes; Delivered = delivered; Dropped = dropped; ByteHops = byteHops;
    }

    private static int At(int layer, TrafficCategory c) => layer * Categories + (int)c;

    /// <summary>Counts <paramref name="messages"/> logical messages carrying <paramref name="bytes"/> payload bytes in total.</summary>
    public void Add(int layer, TrafficCategory c, long messages, long bytes, long byteHops = 0)
    {
        int i = At(layer, c);
        Messages[i] += messages;
        Bytes[i] += bytes;
        ByteHops[i] += byteHops;
    }

    /// <summary>Counts one actor message actually delivered.</summary>
    public void Deliver(int layer, TrafficCategory c, long count = 1) => Delivered[At(layer, c)] += count;

    /// <summary>Counts messages lost on the way.</summary>
    public void Drop(int layer, TrafficCategory c, long count = 1) => Dropped[At(layer, c)] += count;

    public long MessagesOf(int layer, TrafficCategory c) => Messages[At(layer, c)];
    public long BytesOf(int layer, TrafficCategory c) => Bytes[At(layer, c)];
    public long DeliveredOf(int layer, TrafficCategory c) => Delivered[At(layer, c)];
    public long DroppedOf(int layer, TrafficCategory c) => Dropped[At(layer, c)];
    public long ByteHopsOf(int layer, TrafficCategory c) => ByteHops[At(layer, c)];
    public long TotalByteHops(TrafficCategory c) => Enumerable.Range(0, Layers).Sum(l => ByteHopsOf(l, c));

    public long TotalMessages(TrafficCategory c) => Enumerable.Range(0, Layers).Sum(l => MessagesOf(l, c));
    public long TotalBytes(TrafficCategory c) => Enumerable.Range(0, Layers).Sum(l => BytesOf(l, c));
    public long TotalDelivered(TrafficCategory c) => Enumerable.Range(0, Layers).Sum(l => DeliveredOf(l, c));
    public long TotalDropped(TrafficCategory c) => Enumerable.Range(0, Layers).Sum(l => DroppedOf(l, c));

    /// <summary>Adds another ledger into this one.</summary>
    public void Merge(TrafficLedger other)
    {
        for (int i = 0; i < Messages.Length; i++)
        {
            Messages[i] += other.Messages[i];
            Bytes[i] += other.Bytes[i];
            Delivered[i] += other.Delivered[i];
            Dropped[i] += other.Dropped[i];
            ByteHops[i] += other.ByteHops[i];
        }
    }

    public void Clear()
    {
        Array.Clear(Messages); Array.Clear(Bytes); Array.Clear(Delivered); Array.Clear(Dropped); Array.Clear(ByteHops);
    }

    public TrafficLedger Copy() => new(Layers, (long[])Messages.Clone(), (long[])Bytes.Clone(), (long[])Delivered.Clone(), (long[])Dropped.Clone(), (long[])ByteHops.Clone());
}
