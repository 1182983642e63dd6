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
public sealed class TrafficLedger : IComputeCounter
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
    public const int DeviceFields = 8;

    /// <summary>
    /// Compute counters per layer (<see cref="ComputeField"/>): device reads and ADC conversions of
    /// the training passes, counted in the epoch like the traffic (not cumulative), for every
    /// store, ideal or not.
    /// </summary>
    public long[] Compute { get; }

    /// <summary>Number of <see cref="ComputeField"/> values per layer.</summary>
    public const int ComputeFields = 4;

    public TrafficLedger(int layers)
    {
        Layers = layers;
        Messages = new long[layers * Categories];
        Bytes = new long[layers * Categories];
        Delivered = new long[layers * Categories];
        Dropped = new long[layers * Categories];
        ByteHops = new long[layers * Categories];
        Devices = new long[layers * DeviceFields];
        Compute = new long[layers * ComputeFields];
    }

    public TrafficLedger(int layers, long[] messages, long[] bytes, long[] delivered, long[] dropped, long[] byteHops, long[]? devices = null, long[]? compute = null)
    {
        int n = layers * Categories;
        if (messages.Length != n || bytes.Length != n || delivered.Length != n || dropped.Length != n || byteHops.Length != n)
            throw new ArgumentException("ledger arrays do not match the layer count");
        devices ??= new long[layers * DeviceFields];
        if (devices.Length != layers * DeviceFields) throw new ArgumentException("device counters do not match the layer count");
        compute ??= new long[layers * ComputeFields];
        if (compute.Length != layers * ComputeFields) throw new ArgumentException("compute counters do not match the layer count");
        Layers = layers; Messages = messages; Bytes = bytes; Delivered = delivered; Dropped = dropped; ByteHops = byteHops; Devices = devices; Compute = compute;
    }

    /// <summary>Device counter of a layer.</summary>
    public long DeviceOf(int layer, DeviceField f) => Devices[layer * DeviceFields + (int)f];

    /// <summary>Adds one unit's cumulative device counters (the maximum is kept as a maximum).</summary>
    public void AddDevices(int layer, Devices.DeviceCounters d) =>
        AddDevices(layer, d.Devices, d.UpdatePulses, d.ProgramPulses, d.MaxPulsesPerDevice, d.Reads, d.ClippedUpdatePulses, d.StuckDevices, d.ClippedProgramPulses);

    /// <summary>Adds one unit's cumulative device counters (the maximum is kept as a maximum).</summary>
    public void AddDevices(int layer, long devices, long updatePulses, long programPulses, long maxPulsesPerDevice, long reads, long clippedUpdatePulses, long stuck, long clippedProgramPulses = 0)
    {
        int b = layer * DeviceFields;
        Devices[b + (int)DeviceField.Devices] += devices;
        Devices[b + (int)DeviceField.UpdatePulses] += updatePulses;
        Devices[b + (int)DeviceField.ProgramPulses] += programPulses;
        Devices[b + (int)DeviceField.MaxPulsesPerDevice] = Math.Max(Devices[b + (int)DeviceField.MaxPulsesPerDevice], maxPulsesPerDevice);
        Devices[b + (int)DeviceField.Reads] += reads;
        Devices[b + (int)DeviceField.ClippedUpdatePulses] += clippedUpdatePulses;
        Devices[b + (int)DeviceField.StuckDevices] += stuck;
        Devices[b + (int)DeviceField.ClippedProgramPulses] += clippedProgramPulses;
    }

    /// <summary>Compute counter of a layer.</summary>
    public long ComputeOf(int layer, ComputeField f) => Compute[layer * ComputeFields + (int)f];

    /// <summary>
    /// Counts a forward pass of one unit over a batch: <paramref name="reads"/> device reads and
    /// <paramref name="conversions"/> ADC conversions (plain increments, once per batch).
    /// </summary>
    public void CountForward(int layer, long reads, long conversions)
    {
        int b = layer * ComputeFields;
        Compute[b + (int)ComputeField.ForwardReads] += reads;
        Compute[b + (int)ComputeField.ForwardConversions] += conversions;
    }

    /// <summary>Counts a backward (input-error) pass of one unit over a batch, like <see cref="CountForward"/>.</summary>
    public void CountBackward(int layer, long reads, long conversions)
    {
        int b = layer * ComputeFields;
        Compute[b + (int)ComputeField.BackwardReads] += reads;
        Compute[b + (int)ComputeField.BackwardConversions] += conversions;
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
    public TrafficCounts Snapshot() => new(Layers, Messages, Bytes, Delivered, Dropped, ByteHops, Devices, Compute);

    /// <summary>Adds a snapshot into this ledger.</summary>
    public void Merge(TrafficCounts other)
    {
        if (other.Layers != Layers) throw new ArgumentException($"cannot merge counts of {other.Layers} layers into a ledger of {Layers}", nameof(other));
        Add(Messages, other.Messages); Add(Bytes, other.Bytes); Add(Delivered, other.Delivered); Add(Dropped, other.Dropped); Add(ByteHops, other.ByteHops);
        Add(Compute, other.Compute);
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
        for (int i = 0; i < Compute.Length; i++) Compute[i] += other.Compute[i];
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
        Array.Clear(Messages); Array.Clear(Bytes); Array.Clear(Delivered); Array.Clear(Dropped); Array.Clear(ByteHops); Array.Clear(Devices); Array.Clear(Compute);
    }

    public TrafficLedger Copy() => new(Layers, (long[])Messages.Clone(), (long[])Bytes.Clone(), (long[])Delivered.Clone(), (long[])Dropped.Clone(), (long[])ByteHops.Clone(), (long[])Devices.Clone(), (long[])Compute.Clone());
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
    /// <summary>
    /// Device reads the store counted itself: one per device each time the whole array is read
    /// (once per pass of a batch, snapshots for tying) plus program-and-verify and refresh reads.
    /// The per-sample reads that compute energy prices are the <see cref="ComputeField"/> counters.
    /// </summary>
    Reads = 4,
    /// <summary>Update pulses that hit a device's bound (part of <see cref="UpdatePulses"/>).</summary>
    ClippedUpdatePulses = 5,
    /// <summary>Stuck devices.</summary>
    StuckDevices = 6,
    /// <summary>Program-and-verify pulses that hit a device's bound (part of <see cref="ProgramPulses"/>).</summary>
    ClippedProgramPulses = 7,
}

/// <summary>
/// Compute counters kept per layer in a <see cref="TrafficLedger"/>, counted per epoch: what the
/// arrays do in the training passes (evaluation is not counted). A device read is one device
/// taking part in one multiply-accumulate of one sample; a conversion is one array output
/// digitised by an ADC.
/// </summary>
public enum ComputeField
{
    /// <summary>Device reads of the forward pass: per sample and unit, each device of its FanIn + 1 weights.</summary>
    ForwardReads = 0,
    /// <summary>Device reads of the backward (transposed, input-error) pass: per sample and unit, each device of its FanIn weights.</summary>
    BackwardReads = 1,
    /// <summary>ADC conversions of the forward pass: one per sample and unit.</summary>
    ForwardConversions = 2,
    /// <summary>ADC conversions of the backward pass: one per sample and input error value (FanIn per unit).</summary>
    BackwardConversions = 3,
}
