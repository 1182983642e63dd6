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

    /// <summary>Device counters per layer (<see cref="DeviceField"/>), cumulative since training started.</summary>
    public long[] Devices { get; }

    /// <summary>Number of <see cref="DeviceField"/> values per layer.</summary>
    public const int DeviceFields = 7;

    public TrafficLedger(int layers)
    {
        Layers = layers;
        Messages = new long[layers * Categories];
        Bytes = new long[layers * Categories];
        Delivered = new long[layers * Categories];
        Dropped = new long[layers * Categories];
        ByteHops = new long[layers * Categories];
        Devices = new long[layers * DeviceFields];
    }

    public TrafficLedger(int layers, long[] messages, long[] bytes, long[] delivered, long[] dropped, long[] byteHops, long[]? devices = null)
    {
        int n = layers * Categories;
        if (messages.Length != n || bytes.Length != n || delivered.Length != n || dropped.Length != n || byteHops.Length != n)
            throw new ArgumentException("ledger arrays do not match the layer count");
        devices ??= new long[layers * DeviceFields];
        if (devices.Length != layers * DeviceFields) throw new ArgumentException("device counters do not match the layer count");
        Layers = layers; Messages = messages; Bytes = bytes; Delivered = delivered; Dropped = dropped; ByteHops = byteHops; Devices = devices;
    }

    /// <summary>Device counter of a layer.</summary>
    public long DeviceOf(int layer, DeviceField f) => Devices[layer * DeviceFields + (int)f];

    /// <summary>Adds one unit's cumulative device counters (the maximum is kept as a maximum).</summary>
    public void AddDevices(int layer, long devices, long updatePulses, long programPulses, long maxPulsesPerDevice, long reads, long clippedPulses, long stuck)
    {
        int b = layer * DeviceFields;
        Devices[b + (int)DeviceField.Devices] += devices;
        Devices[b + (int)DeviceField.UpdatePulses] += updatePulses;
        Devices[b + (int)DeviceField.ProgramPulses] += programPulses;
        Devices[b + (int)DeviceField.MaxPulsesPerDevice] = Math.Max(Devices[b + (int)DeviceField.MaxPulsesPerDevice], maxPulsesPerDevice);
        Devices[b + (int)DeviceField.Reads] += reads;
        Devices[b + (int)DeviceField.ClippedPulses] += clippedPulses;
        Devices[b + (int)DeviceField.StuckDevices] += stuck;
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

    /// <summary>An immutable copy of the counters (what an actor sends).</summary>
    public TrafficCounts Snapshot() => new(Layers, Messages, Bytes, Delivered, Dropped, ByteHops, Devices);

    /// <summary>Adds a snapshot into this ledger.</summary>
    public void Merge(TrafficCounts other)
    {
        if (other.Layers != Layers) throw new ArgumentException($"cannot merge counts of {other.Layers} layers into a ledger of {Layers}", nameof(other));
        Add(Messages, other.Messages); Add(Bytes, other.Bytes); Add(Delivered, other.Delivered); Add(Dropped, other.Dropped); Add(ByteHops, other.ByteHops);
        var d = other.Devices;
        for (int i = 0; i < Devices.Length; i++)
            Devices[i] = i % DeviceFields == (int)DeviceField.MaxPulsesPerDevice ? Math.Max(Devices[i], d[i]) : Devices[i] + d[i];
    }

    private static void Add(long[] into, ReadOnlySpan<long> from)
    {
        for (int i = 0; i < into.Length; i++) into[i] += from[i];
    }

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
        for (int i = 0; i < Devices.Length; i++)
            Devices[i] = i % DeviceFields == (int)DeviceField.MaxPulsesPerDevice ? Math.Max(Devices[i], other.Devices[i]) : Devices[i] + other.Devices[i];
    }

    /// <summary>
    /// Forgets the device counters only. They are cumulative readings of each store (not
    /// increments), so a partial epoch carried across a checkpoint must not carry them: the
    /// epoch's final collection reads them again.
    /// </summary>
    public void ClearDevices() => Array.Clear(Devices);

    public void Clear()
    {
        Array.Clear(Messages); Array.Clear(Bytes); Array.Clear(Delivered); Array.Clear(Dropped); Array.Clear(ByteHops); Array.Clear(Devices);
    }

    public TrafficLedger Copy() => new(Layers, (long[])Messages.Clone(), (long[])Bytes.Clone(), (long[])Delivered.Clone(), (long[])Dropped.Clone(), (long[])ByteHops.Clone(), (long[])Devices.Clone());
}

/// <summary>Device counters kept per layer in a <see cref="TrafficLedger"/> (cumulative since training started).</summary>
public enum DeviceField
{
    /// <summary>Simulated devices (0 for the ideal float store).</summary>
    Devices = 0,
    /// <summary>Pulses written by SGD updates (pulse trains and tied-gradient writes).</summary>
    UpdatePulses = 1,
    /// <summary>Pulses written by program-to-target (weight averaging, gossip).</summary>
    ProgramPulses = 2,
    /// <summary>Largest pulse count of any single device (endurance).</summary>
    MaxPulsesPerDevice = 3,
    /// <summary>Device reads (forward and backward passes).</summary>
    Reads = 4,
    /// <summary>Pulses that hit a device's bound.</summary>
    ClippedPulses = 5,
    /// <summary>Stuck devices.</summary>
    StuckDevices = 6,
}
