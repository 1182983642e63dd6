using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Google.Protobuf;
using NodeMesh.Actors.Messages;
using NodeMesh.Core.Exchanges;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Tiles;
using W = NodeMesh.Actors.Wire;

namespace NodeMesh.Actors.Serialization;

/// <summary>
/// Serialises every <see cref="INodeMeshMessage"/> as protobuf (contracts in <c>protos/</c>) with a
/// short constant manifest, and counts messages and bytes per manifest in both directions. With
/// <c>serialize-messages = off</c> (the default) Akka calls it only for messages that cross a
/// member boundary, so its counts are the cross-member traffic. Float arrays travel as
/// little-endian float32 bytes. Bytes that do not parse — truncated, random, with lengths that do
/// not add up — raise only a <see cref="SerializationException"/>, which Akka logs and drops.
/// </summary>
public sealed partial class NodeMeshSerializer : SerializerWithStringManifest
{
    /// <summary>Serializer identifier (above Akka's reserved range 0..100).</summary>
    public const int Id = 731;

    private readonly Dictionary<Type, (string Manifest, Func<object, IMessage> ToProto)> _to = [];
    private readonly Dictionary<string, Func<byte[], object>> _from = [];
    private readonly ConcurrentDictionary<string, WireCount> _counts = new();

    public NodeMeshSerializer(ExtendedActorSystem system) : base(system)
    {
        MapTraining();
        MapSync();
        MapMember();
        MapDriver();
        MapCluster();
        MapCheckpoints();
    }

    public override int Identifier => Id;

    /// <summary>Messages and bytes serialised (out) and deserialised (in) per manifest since start.</summary>
    public IReadOnlyDictionary<string, WireCount> Counts => _counts;

    /// <summary>Every manifest this serializer knows, with its message type.</summary>
    public IReadOnlyDictionary<Type, string> Manifests => _to.ToDictionary(e => e.Key, e => e.Value.Manifest);

    /// <summary>The manifest of a message type (for reports).</summary>
    public string ManifestOf(Type t) => _to.TryGetValue(t, out var e) ? e.Manifest : "?";

    private void Map<T, TP>(string manifest, Func<T, TP> toProto, MessageParser<TP> parser, Func<TP, T> fromProto)
        where T : INodeMeshMessage where TP : IMessage<TP>
    {
        _to.Add(typeof(T), (manifest, o => toProto((T)o)));
        _from.Add(manifest, bytes => fromProto(parser.ParseFrom(bytes))!);
    }

    public override string Manifest(object o) =>
        _to.TryGetValue(o.GetType(), out var e) ? e.Manifest : throw new ArgumentException($"{o.GetType()} is not a NodeMesh wire message");

    public override byte[] ToBinary(object obj)
    {
        if (!_to.TryGetValue(obj.GetType(), out var e)) throw new ArgumentException($"{obj.GetType()} is not a NodeMesh wire message");
        var bytes = e.ToProto(obj).ToByteArray();
        _counts.GetOrAdd(e.Manifest, _ => new WireCount()).AddOut(bytes.Length);
        return bytes;
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!_from.TryGetValue(manifest, out var f))
            throw new SerializationException($"unknown NodeMesh manifest '{Printable(manifest)}' (is the other member running the same version?)");
        object message;
        try
        {
            message = f(bytes);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new SerializationException($"malformed NodeMesh '{manifest}' message ({bytes.Length} bytes): {e.Message}", e);
        }
        _counts.GetOrAdd(manifest, _ => new WireCount()).AddIn(bytes.Length);
        return message;
    }

    private static string Printable(string s) => s.Length > 32 ? s[..32] + "…" : s;

    /// <summary>The traffic category of a manifest's messages: activation, error, sync or control.</summary>
    public static TrafficCategory CategoryOf(string manifest) => manifest switch
    {
        "ap" or "lp" => TrafficCategory.Activation,
        "ep" => TrafficCategory.Error,
        "sp" or "sr" or "go" or "gr" or "gd" or "gl" => TrafficCategory.Sync,
        _ => TrafficCategory.Control,
    };

    // ---- value conversions (each checks what it reads) ---------------------------------------

    private static ByteString Bytes(float[] values) => ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));

    private static float[] Floats(ByteString bytes)
    {
        if (bytes.Length % sizeof(float) != 0) throw new InvalidDataException($"a float array of {bytes.Length} bytes is not a whole number of float32 values");
        return MemoryMarshal.Cast<byte, float>(bytes.Span).ToArray();
    }

    private static W.Grid ToGrid(GridBuffer g) => new()
    { Height = g.Height, Width = g.Width, Channels = g.Channels, Pad = g.Pad, Batch = g.Batch, Data = Bytes(g.Data) };

    private static GridBuffer FromGrid(W.Grid? g)
    {
        if (g is null) throw new InvalidDataException("missing grid");
        if (g.Height < 0 || g.Width < 0 || g.Channels < 0 || g.Pad < 0 || g.Batch < 0) throw new InvalidDataException("negative grid dimension");
        long n = checked((long)(g.Height + 2L * g.Pad) * (g.Width + 2L * g.Pad) * g.Channels * g.Batch);
        if (n * sizeof(float) != g.Data.Length) throw new InvalidDataException($"grid {g.Height}x{g.Width}x{g.Channels} pad {g.Pad} batch {g.Batch} needs {n} floats, the message holds {g.Data.Length} bytes");
        return new GridBuffer(g.Height, g.Width, g.Channels, g.Pad, g.Batch, Floats(g.Data));
    }

    private static W.Counts ToCounts(TrafficCounts l)
    {
        var p = new W.Counts { Layers = l.Layers };
        foreach (var v in l.Messages) p.Messages.Add(v);
        foreach (var v in l.Bytes) p.Bytes.Add(v);
        foreach (var v in l.Delivered) p.Delivered.Add(v);
        foreach (var v in l.Dropped) p.Dropped.Add(v);
        foreach (var v in l.ByteHops) p.ByteHops.Add(v);
        foreach (var v in l.Devices) p.Devices.Add(v);
        foreach (var v in l.Compute) p.Compute.Add(v);
        return p;
    }

    private static TrafficLedger LedgerOf(TrafficCounts counts)
    {
        var ledger = new TrafficLedger(counts.Layers);
        ledger.Merge(counts);
        return ledger;
    }

    private static TrafficCounts FromCounts(W.Counts? p)
    {
        if (p is null) throw new InvalidDataException("missing counters");
        return new(p.Layers, p.Messages.ToArray(), p.Bytes.ToArray(), p.Delivered.ToArray(), p.Dropped.ToArray(), p.ByteHops.ToArray(), p.Devices.ToArray(), p.Compute.ToArray());
    }

    private static SyncKind Kind(W.SyncKind k) => k switch
    {
        W.SyncKind.Gradient => SyncKind.Gradient,
        W.SyncKind.Weights => SyncKind.Weights,
        _ => throw new InvalidDataException($"unknown sync kind {(int)k}"),
    };

    private static string Path(IActorRef? r) => r is null || r.IsNobody() ? "" : Akka.Serialization.Serialization.SerializedActorPath(r);

    private IActorRef Ref(string path) => path.Length == 0 ? ActorRefs.Nobody : system.Provider.ResolveActorRef(path);
}

/// <summary>Thread-safe message and byte counters of one manifest.</summary>
public sealed class WireCount
{
    private long _outMessages, _outBytes, _inMessages, _inBytes;
    public long OutMessages => Interlocked.Read(ref _outMessages);
    public long OutBytes => Interlocked.Read(ref _outBytes);
    public long InMessages => Interlocked.Read(ref _inMessages);
    public long InBytes => Interlocked.Read(ref _inBytes);
    internal void AddOut(int bytes) { Interlocked.Increment(ref _outMessages); Interlocked.Add(ref _outBytes, bytes); }
    internal void AddIn(int bytes) { Interlocked.Increment(ref _inMessages); Interlocked.Add(ref _inBytes, bytes); }
}
