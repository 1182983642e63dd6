using System.Runtime.CompilerServices;

namespace NodeMesh.Core.Metrics;

/// <summary>Counts the array work of a unit's passes (device reads, ADC conversions); see <see cref="ComputeField"/>.</summary>
public interface IComputeCounter
{
    /// <summary>Counts a forward pass of one unit of <paramref name="layer"/> over a batch.</summary>
    void CountForward(int layer, long reads, long conversions);

    /// <summary>Counts a backward (input-error) pass of one unit of <paramref name="layer"/> over a batch.</summary>
    void CountBackward(int layer, long reads, long conversions);
}

/// <summary>
/// One unit's own counters: the messages it counts on the fabric and the actor messages it gets,
/// by category, and its passes' device reads and ADC conversions — all of its one layer, in a
/// single 200-byte object. A unit actor updates these on every sweep hop and tying message;
/// a <see cref="TrafficLedger"/> of every layer (seven arrays) would make each hop touch five or six
/// cache lines instead of two or three, and would grow with the depth of the net. <see cref="AddTo"/>
/// adds them into a ledger when the counters are collected.
/// </summary>
public sealed class UnitCounters(int layer) : IComputeCounter
{
    private const int Fields = 5; // per category: messages, bytes, byte-hops, delivered, dropped
    private const int Traffic = TrafficLedger.Categories * Fields;

    [InlineArray(Traffic + TrafficLedger.ComputeFields)]
    private struct Values
    {
        private long _first;
    }

    private Values _values;

    /// <summary>The layer every count belongs to.</summary>
    public int Layer { get; } = layer;

    /// <summary>Counts <paramref name="messages"/> logical messages of <paramref name="bytes"/> payload bytes and <paramref name="byteHops"/> byte-hops.</summary>
    public void Add(TrafficCategory c, long messages, long bytes, long byteHops = 0)
    {
        int b = (int)c * Fields;
        _values[b] += messages;
        _values[b + 1] += bytes;
        _values[b + 2] += byteHops;
    }

    /// <summary>Counts one actor message delivered to the unit.</summary>
    public void Deliver(TrafficCategory c) => _values[(int)c * Fields + 3]++;

    /// <summary>Counts one message lost on the way.</summary>
    public void Drop(TrafficCategory c) => _values[(int)c * Fields + 4]++;

    public void CountForward(int layer, long reads, long conversions)
    {
        CheckLayer(layer);
        _values[Traffic + (int)ComputeField.ForwardReads] += reads;
        _values[Traffic + (int)ComputeField.ForwardConversions] += conversions;
    }

    public void CountBackward(int layer, long reads, long conversions)
    {
        CheckLayer(layer);
        _values[Traffic + (int)ComputeField.BackwardReads] += reads;
        _values[Traffic + (int)ComputeField.BackwardConversions] += conversions;
    }

    /// <summary>
    /// Adds every count into <paramref name="ledger"/> at this unit's layer, and, for a device store,
    /// its <paramref name="devices"/> counters there too.
    /// </summary>
    public void AddTo(TrafficLedger ledger, Devices.DeviceCounters? devices = null)
    {
        for (int c = 0; c < TrafficLedger.Categories; c++)
        {
            var category = (TrafficCategory)c;
            int b = c * Fields;
            ledger.Add(Layer, category, _values[b], _values[b + 1], _values[b + 2]);
            ledger.Deliver(Layer, category, _values[b + 3]);
            ledger.Drop(Layer, category, _values[b + 4]);
        }
        ledger.CountForward(Layer, _values[Traffic + (int)ComputeField.ForwardReads], _values[Traffic + (int)ComputeField.ForwardConversions]);
        ledger.CountBackward(Layer, _values[Traffic + (int)ComputeField.BackwardReads], _values[Traffic + (int)ComputeField.BackwardConversions]);
        if (devices is { } d) ledger.AddDevices(Layer, d);
    }

    public void Clear() => ((Span<long>)_values).Clear();

    private void CheckLayer(int layer)
    {
        if (layer != Layer) throw new ArgumentException($"counters of layer {Layer} asked to count layer {layer}", nameof(layer));
    }
}
