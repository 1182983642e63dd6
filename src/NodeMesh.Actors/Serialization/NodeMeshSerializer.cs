using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Serialization;
using Google.Protobuf;
using NodeMesh.Actors.Messages;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Tiles;
using W = NodeMesh.Actors.Wire;

namespace NodeMesh.Actors.Serialization;

/// <summary>
/// Serialises every <see cref="INodeMeshMessage"/> as protobuf (contracts in <c>protos/</c>) with a
/// short constant manifest, and counts messages and bytes per manifest in both directions.
/// Float arrays travel as little-endian float32 bytes.
/// </summary>
public sealed class NodeMeshSerializer : SerializerWithStringManifest
{
    /// <summary>Serializer identifier (above Akka's reserved range 0..100).</summary>
    public const int Id = 731;

    private readonly Dictionary<Type, (string Manifest, Func<object, IMessage> ToProto)> _to = [];
    private readonly Dictionary<string, Func<byte[], object>> _from = [];
    private readonly ConcurrentDictionary<string, WireCount> _counts = new();

    public NodeMeshSerializer(ExtendedActorSystem system) : base(system)
    {
        // Training protocol
        Map<ForwardBatch, W.ForwardBatch>("fb", m => new W.ForwardBatch { Step = m.Step, Train = m.Train, Input = ToGrid(m.Input) },
            W.ForwardBatch.Parser, p => new ForwardBatch(p.Step, p.Train, FromGrid(p.Input)));
        Map<ForwardSweep, W.ForwardSweep>("fs", m => new W.ForwardSweep { Step = m.Step, Train = m.Train, Input = ToGrid(m.Input), Output = Bytes(m.Output) },
            W.ForwardSweep.Parser, p => new ForwardSweep(p.Step, p.Train, FromGrid(p.Input), Floats(p.Output)));
        Map<TileActivated, W.TileActivated>("ta", m => new W.TileActivated { Layer = m.Layer, Tile = m.Tile, Step = m.Step, Output = Bytes(m.Output) },
            W.TileActivated.Parser, p => new TileActivated(p.Layer, p.Tile, p.Step, Floats(p.Output)));
        Map<BackwardBatch, W.BackwardBatch>("bb", m => new W.BackwardBatch { Step = m.Step, GradOutput = ToGrid(m.GradOutput) },
            W.BackwardBatch.Parser, p => new BackwardBatch(p.Step, FromGrid(p.GradOutput)));
        Map<BackwardSweep, W.BackwardSweep>("bs", m => new W.BackwardSweep { Step = m.Step, Delta = Bytes(m.Delta), InputError = Bytes(m.InputError) },
            W.BackwardSweep.Parser, p => new BackwardSweep(p.Step, Floats(p.Delta), Floats(p.InputError)));
        Map<TileBackpropagated, W.TileBackpropagated>("tb", m => new W.TileBackpropagated { Layer = m.Layer, Tile = m.Tile, Step = m.Step, InputError = Bytes(m.InputError) },
            W.TileBackpropagated.Parser, p => new TileBackpropagated(p.Layer, p.Tile, p.Step, Floats(p.InputError)));

        // Sync protocol
        Map<ConnectPeers, W.ConnectPeers>("cp", ToPeers, W.ConnectPeers.Parser, FromPeers);
        Map<ConnectTile, W.ConnectTile>("ct", m => { var p = new W.ConnectTile(); p.Peers.AddRange(m.Peers.Select(ToPeers)); return p; },
            W.ConnectTile.Parser, p => new ConnectTile(p.Peers.Select(FromPeers).ToArray()));
        Map<ConnectReducer, W.ConnectReducer>("cr", m => { var p = new W.ConnectReducer(); p.Units.AddRange(m.Units.Select(Path)); return p; },
            W.ConnectReducer.Parser, p => new ConnectReducer(p.Units.Select(u => Ref(u)!).ToArray()));
        Map<SyncPartial, W.SyncPartial>("sp", m => new W.SyncPartial { Step = m.Step, Kind = (W.SyncKind)m.Kind, Position = m.Position, Values = Bytes(m.Values) },
            W.SyncPartial.Parser, p => new SyncPartial(p.Step, (SyncKind)p.Kind, p.Position, Floats(p.Values)));
        Map<SyncResult, W.SyncResult>("sr", m => new W.SyncResult { Step = m.Step, Kind = (W.SyncKind)m.Kind, Values = Bytes(m.Values) },
            W.SyncResult.Parser, p => new SyncResult(p.Step, (SyncKind)p.Kind, Floats(p.Values)));

        Map<GossipOffer, W.GossipOffer>("go", m => new W.GossipOffer { Round = m.Round, Position = m.Position, Values = Bytes(m.Values) },
            W.GossipOffer.Parser, p => new GossipOffer(p.Round, p.Position, Floats(p.Values)));
        Map<GossipReply, W.GossipReply>("gr", m => new W.GossipReply { Position = m.Position, Values = Bytes(m.Values) },
            W.GossipReply.Parser, p => new GossipReply(p.Position, Floats(p.Values)));
        Map<GossipDecline, W.GossipDecline>("gd", m => new W.GossipDecline { Position = m.Position }, W.GossipDecline.Parser, p => new GossipDecline(p.Position));
        Map<GossipLost, W.GossipLost>("gl", m => new W.GossipLost { Position = m.Position }, W.GossipLost.Parser, p => new GossipLost(p.Position));
        Map<MixRounds, W.MixRounds>("mx", m => new W.MixRounds { Rounds = m.Rounds }, W.MixRounds.Parser, p => new MixRounds(p.Rounds));
        Map<RoundsMixed, W.RoundsMixed>("md", m => new W.RoundsMixed { Layer = m.Layer, Tile = m.Tile }, W.RoundsMixed.Parser, p => new RoundsMixed(p.Layer, p.Tile));

        // Control protocol
        Map<FetchUnits, W.FetchUnits>("fu", m => new W.FetchUnits { Layer = m.Layer, Tile = m.Tile }, W.FetchUnits.Parser, p => new FetchUnits(p.Layer, p.Tile));
        Map<UnitsResponse, W.UnitsResponse>("ur", m => { var p = new W.UnitsResponse { Layer = m.Layer, Tile = m.Tile }; p.Units.AddRange(m.Units.Select(Path)); return p; },
            W.UnitsResponse.Parser, p => new UnitsResponse(p.Layer, p.Tile, p.Units.Select(u => Ref(u)!).ToArray()));
        Map<LoadWeights, W.LoadWeights>("lw", m => new W.LoadWeights { Vectors = Bytes(m.Vectors) }, W.LoadWeights.Parser, p => new LoadWeights(Floats(p.Vectors)));
        Map<LoadSweep, W.LoadSweep>("ls", m => new W.LoadSweep { Vectors = Bytes(m.Vectors) }, W.LoadSweep.Parser, p => new LoadSweep(Floats(p.Vectors)));
        Map<WeightsLoaded, W.WeightsLoaded>("wl", m => new W.WeightsLoaded { Layer = m.Layer, Tile = m.Tile }, W.WeightsLoaded.Parser, p => new WeightsLoaded(p.Layer, p.Tile));
        Map<FetchWeights, W.FetchWeights>("fw", _ => new W.FetchWeights(), W.FetchWeights.Parser, _ => FetchWeights.Instance);
        Map<ReadSweep, W.ReadSweep>("rs", m => new W.ReadSweep { Vectors = Bytes(m.Vectors) }, W.ReadSweep.Parser, p => new ReadSweep(Floats(p.Vectors)));
        Map<WeightsResponse, W.WeightsResponse>("wr", m => new W.WeightsResponse { Layer = m.Layer, Tile = m.Tile, Vectors = Bytes(m.Vectors) },
            W.WeightsResponse.Parser, p => new WeightsResponse(p.Layer, p.Tile, Floats(p.Vectors)));
        Map<FetchCounters, W.FetchCounters>("fc", _ => new W.FetchCounters(), W.FetchCounters.Parser, _ => FetchCounters.Instance);
        Map<CounterSweep, W.CounterSweep>("cs", m => new W.CounterSweep { Ledger = ToLedger(m.Ledger) }, W.CounterSweep.Parser, p => new CounterSweep(FromLedger(p.Ledger)));
        Map<CountersResponse, W.CountersResponse>("cn", m => new W.CountersResponse { Layer = m.Layer, Tile = m.Tile, Ledger = ToLedger(m.Ledger) },
            W.CountersResponse.Parser, p => new CountersResponse(p.Layer, p.Tile, FromLedger(p.Ledger)));

        // Driver protocol
        Map<Prepare, W.Prepare>("pr", _ => new W.Prepare(), W.Prepare.Parser, _ => new Prepare());
        Map<Prepared, W.Prepared>("pd", m => new W.Prepared { Units = m.Units, Tiles = m.Tiles, Reducers = m.Reducers }, W.Prepared.Parser, p => new Prepared(p.Units, p.Tiles, p.Reducers));
        Map<TrainEpoch, W.TrainEpoch>("te", m => new W.TrainEpoch { Epoch = m.Epoch }, W.TrainEpoch.Parser, p => new TrainEpoch(p.Epoch));
        Map<EpochTrained, W.EpochTrained>("et", m => new W.EpochTrained { Epoch = m.Epoch, Loss = m.Loss, Accuracy = m.Accuracy, Samples = m.Samples, Steps = m.Steps, Ledger = ToLedger(m.Ledger) },
            W.EpochTrained.Parser, p => new EpochTrained(p.Epoch, p.Loss, p.Accuracy, p.Samples, p.Steps, FromLedger(p.Ledger)));
        Map<Evaluate, W.Evaluate>("ev", _ => new W.Evaluate(), W.Evaluate.Parser, _ => new Evaluate());
        Map<Evaluated, W.Evaluated>("ed", m => new W.Evaluated { Loss = m.Loss, Accuracy = m.Accuracy, Samples = m.Samples }, W.Evaluated.Parser, p => new Evaluated(p.Loss, p.Accuracy, p.Samples));
        Map<FetchModel, W.FetchModel>("fm", _ => new W.FetchModel(), W.FetchModel.Parser, _ => new FetchModel());
        Map<ModelResponse, W.ModelResponse>("mr", m => { var p = new W.ModelResponse(); p.Layers.AddRange(m.Layers.Select(l => new W.FloatArray { Values = Bytes(l) })); return p; },
            W.ModelResponse.Parser, p => new ModelResponse(p.Layers.Select(l => Floats(l.Values)).ToArray()));
        Map<FetchTraffic, W.FetchTraffic>("ft", _ => new W.FetchTraffic(), W.FetchTraffic.Parser, _ => new FetchTraffic());
        Map<TrafficResponse, W.TrafficResponse>("tr", m => new W.TrafficResponse { Ledger = ToLedger(m.Ledger) }, W.TrafficResponse.Parser, p => new TrafficResponse(FromLedger(p.Ledger)));
        Map<StepProgress, W.StepProgress>("st", m => new W.StepProgress { Epoch = m.Epoch, Step = m.Step, Steps = m.Steps, MeanLoss = m.MeanLoss },
            W.StepProgress.Parser, p => new StepProgress(p.Epoch, p.Step, p.Steps, p.MeanLoss));
    }

    public override int Identifier => Id;

    /// <summary>Messages and bytes serialised (out) and deserialised (in) per manifest since start.</summary>
    public IReadOnlyDictionary<string, WireCount> Counts => _counts;

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
        if (!_from.TryGetValue(manifest, out var f)) throw new System.Runtime.Serialization.SerializationException($"unknown NodeMesh manifest '{manifest}' (is the other node running the same version?)");
        _counts.GetOrAdd(manifest, _ => new WireCount()).AddIn(bytes.Length);
        return f(bytes);
    }

    private static ByteString Bytes(float[] values) => ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));

    private static float[] Floats(ByteString bytes) => MemoryMarshal.Cast<byte, float>(bytes.Span).ToArray();

    private static W.Grid ToGrid(GridBuffer g) => new()
    { Height = g.Height, Width = g.Width, Channels = g.Channels, Pad = g.Pad, Batch = g.Batch, Data = Bytes(g.Data) };

    private static GridBuffer FromGrid(W.Grid g) => new(g.Height, g.Width, g.Channels, g.Pad, g.Batch, Floats(g.Data));

    private static W.Ledger ToLedger(TrafficLedger l)
    {
        var p = new W.Ledger { Layers = l.Layers };
        p.Messages.AddRange(l.Messages); p.Bytes.AddRange(l.Bytes); p.Delivered.AddRange(l.Delivered); p.Dropped.AddRange(l.Dropped); p.ByteHops.AddRange(l.ByteHops); p.Devices.AddRange(l.Devices);
        return p;
    }

    private static TrafficLedger FromLedger(W.Ledger p) =>
        new(p.Layers, p.Messages.ToArray(), p.Bytes.ToArray(), p.Delivered.ToArray(), p.Dropped.ToArray(), p.ByteHops.ToArray(), p.Devices.ToArray());

    private static string Path(IActorRef? r) => r is null || r.IsNobody() ? "" : Akka.Serialization.Serialization.SerializedActorPath(r);

    private IActorRef? Ref(string path) => path.Length == 0 ? null : system.Provider.ResolveActorRef(path);

    private W.ConnectPeers ToPeers(ConnectPeers m)
    {
        var p = new W.ConnectPeers { Up = Path(m.Up), ExpectedPartials = m.ExpectedPartials, GroupSize = m.GroupSize, HasGossip = m.Gossip is not null };
        p.Down.AddRange(m.Down.Select(Path));
        if (m.Gossip is not null) p.Gossip.AddRange(m.Gossip.Select(Path));
        return p;
    }

    private ConnectPeers FromPeers(W.ConnectPeers p) =>
        new(Ref(p.Up), p.Down.Select(d => Ref(d)!).ToArray(), p.ExpectedPartials, p.GroupSize,
            p.HasGossip ? p.Gossip.Select(g => Ref(g)!).ToArray() : null);
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
