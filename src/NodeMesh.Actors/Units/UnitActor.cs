using Akka.Actor;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Serialization;
using NodeMesh.Core.Devices;
using NodeMesh.Core.Exchanges;
using NodeMesh.Core.Fabric;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Units;

namespace NodeMesh.Actors.Units;

/// <summary>
/// One feature-map unit (layer, map, u, v) or dense neuron: an actor that owns its weights. It
/// computes its pre-activations, gradient and input error, applies its own update, and takes part
/// in its map's tying through a Core exchange (<see cref="AllReduceExchange"/> or
/// <see cref="GossipExchange"/>) that decides what to send; the actor routes and counts. While an
/// exchange is open it handles only tying messages and queues everything else, so no forward pass
/// ever sees a half-updated kernel.
/// </summary>
public sealed class UnitActor : UntypedActor, ITyingOutbox, IGossipOutbox
{
    private readonly UnitState _state;
    private readonly IActorRef _next;
    private readonly UnitSettings _settings;
    private readonly UnitCounters _counters;
    private readonly int _layer;
    private readonly TransportCost _inPerSample; // this unit's share of its layer's activation transport for one sample; its error transport mirrors it
    private readonly AllReduceExchange? _allReduce;
    private GossipExchange? _gossip;
    private readonly ParityAnchor? _parity;
    private Queue<(object Message, IActorRef Sender)>? _queued; // made the first time an exchange holds work back (never under none)
    private long _reducerHops = -1; // mesh hops to the star reducer, once known
    private PeerRoutes _routes = PeerRoutes.None;
    private GridBuffer? _input;
    private long _localSteps;
    private int _mixRoundsLeft;
    private IActorRef? _mixClient;

    private readonly SweepPeers? _peers;
    private readonly UnitLines? _lines; // the layer's line records, for the tying messages' cache hints (all-reduce only)
    private readonly int _linesBase; // this map's first record
    private int _linesWritten = -1; // GC.CollectionCount(1) when this unit last wrote its record

    public UnitActor(UnitSettings settings, WeightedLayer layer, Tile tile, int indexInTile, IActorRef next, SweepPeers? peers = null)
    {
        _settings = settings;
        var (m, u, v) = tile.UnitAt(indexInTile);
        _state = new UnitState(layer, tile, indexInTile, settings.Spec.Store(layer, TilePlan.GlobalUnitIndex(layer, m, u, v)));
        _next = next;
        _layer = layer.Index;
        _counters = new UnitCounters(layer.Index);
        _inPerSample = settings.Fabric.UnitInputs(new UnitCoord(_layer, m, u, v), 1);
        var s = settings.Spec.Strategy;
        if (layer.Kind == LayerKind.Conv && s.AveragesAtParity)
            _parity = new ParityAnchor(_state.Store.Read(), layer.Positions);
        if (layer.Kind == LayerKind.Conv && s.Kind == StrategyKind.AllReduce)
            _allReduce = new AllReduceExchange(TyingWiring.AllReduce(settings.Topology(layer), _state.Position), s.Reduce);
        if (layer.Kind == LayerKind.Conv && s.Kind == StrategyKind.Gossip)
            _gossip = new GossipExchange(s, layer.OutHeight, layer.OutWidth, _state.Position, new Random(GossipPeers.UnitSeed(settings.Spec.Seed, _layer, _state.GlobalIndex)), _parity);
        _peers = peers;
        peers?.Register(indexInTile, this);
        if (_allReduce is not null)
        {
            _lines = settings.Lines(layer);
            _linesBase = _state.Map * layer.Positions;
        }
    }

    /// <summary>The props of one unit actor (with the compact mailbox); see <see cref="UnitProps"/>.</summary>
    public static Props Props(UnitSettings settings, WeightedLayer layer, Tile tile, int indexInTile, IActorRef next, SweepPeers? peers = null) =>
        new UnitProps(settings, layer, tile, indexInTile, next, peers);

    /// <summary>
    /// Props that construct their unit directly. <c>Props.Create(() => new UnitActor(...))</c> evaluated
    /// the lambda's argument expressions and then found the constructor by reflection, for every unit,
    /// and kept an argument array, a boxed index, a producer and a deployment of its own per unit
    /// (about 300 bytes with the props themselves; these are 104). These share the deployment (and so the mailbox setting) of one template.
    /// </summary>
    private sealed class UnitProps : Akka.Actor.Props
    {
        private static readonly Akka.Actor.Props Template = Akka.Actor.Props.Create<UnitActor>().WithMailbox(NodeMeshConfig.CompactMailbox);
        private readonly UnitSettings _settings;
        private readonly WeightedLayer _layer;
        private readonly Tile _tile;
        private readonly int _index;
        private readonly IActorRef _next;
        private readonly SweepPeers? _peers;

        public UnitProps(UnitSettings settings, WeightedLayer layer, Tile tile, int index, IActorRef next, SweepPeers? peers) : base(Template)
        {
            _settings = settings; _layer = layer; _tile = tile; _index = index; _next = next; _peers = peers;
        }

        private UnitProps(UnitProps copy) : base(copy)
        {
            _settings = copy._settings; _layer = copy._layer; _tile = copy._tile; _index = copy._index; _next = copy._next; _peers = copy._peers;
        }

#pragma warning disable AK1000 // this is the Props class: ActorOf calls it to make the actor
        public override ActorBase NewActor() => new UnitActor(_settings, _layer, _tile, _index, _next, _peers);
#pragma warning restore AK1000

        protected override Akka.Actor.Props Copy() => new UnitProps(this);
    }

    private bool ExchangeOpen => _allReduce is { IsOpen: true } || _gossip is { InRound: true };

    private AllReduceExchange AllReduce => _allReduce ?? throw new InvalidOperationException($"unit {Name} got an all-reduce message but its strategy does not tie it by all-reduce");

    private GossipExchange Gossip => _gossip ?? throw new InvalidOperationException($"unit {Name} got a gossip message but its strategy does not gossip");

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SyncPartial p:
                _counters.Deliver(TrafficCategory.Sync);
                Apply(AllReduce.OnPartial(p.Step, p.Kind, p.From, p.Values, this));
                return;
            case SyncResult r:
                _counters.Deliver(TrafficCategory.Sync);
                Apply(AllReduce.OnResult(r.Step, r.Kind, r.Values, this));
                return;
            case GossipOffer o:
                _counters.Deliver(TrafficCategory.Sync);
                // Between its training forward and backward pass (_input held) a unit declines.
                if (Gossip.OnOffer(o.From, o.Values, _state.Store, this, midStep: _input is not null)) RoundEnded();
                return;
            case GossipReply r:
                _counters.Deliver(TrafficCategory.Sync);
                if (Gossip.OnAnswer(r.From, r.Values, _state.Store, this)) RoundEnded();
                return;
            case GossipDeclined d:
                _counters.Deliver(TrafficCategory.Sync);
                if (Gossip.OnAnswer(d.From, null, _state.Store, this)) RoundEnded();
                return;
            case GossipLost l:
                if (Gossip.OnAnswer(l.From, null, _state.Store, this)) RoundEnded();
                return;
        }
        if (ExchangeOpen) (_queued ??= new()).Enqueue((message, Sender));
        else Handle(message, Sender);
    }

    private void Handle(object message, IActorRef sender)
    {
        switch (message)
        {
            case ForwardSweep f: OnForward(f); break;
            case BackwardSweep b: OnBackward(b); break;
            case ConnectPeers c: _routes = c.Routes; break;
            case LoadSweep l:
                _state.Store.ProgramTo(l.Vectors.AsSpan(_state.IndexInTile * _state.Store.Length, _state.Store.Length));
                _parity?.Agreed(l.Vectors.AsSpan(_state.IndexInTile * _state.Store.Length, _state.Store.Length));
                (_state.Store as IPulsedWeightStore)?.ResetCounters(); // report training activity, not the initial programming
                _next.Tell(l);
                break;
            case ReadSweep r:
                Peek(_state.Store).CopyTo(r.Vectors.AsSpan(_state.IndexInTile * _state.Store.Length, _state.Store.Length));
                _next.Tell(r);
                break;
            case MixRounds m:
                if (_gossip is null || m.Rounds <= 0) { sender.Tell(new RoundsMixed(-1)); break; }
                _mixClient = sender;
                _mixRoundsLeft = m.Rounds;
                StartRound();
                break;
            case StateSweep st:
                st.States[_state.IndexInTile] = CaptureState();
                _next.Tell(st);
                break;
            case StateLoadSweep ld:
                RestoreState(ld.States[_state.IndexInTile], ld.Step);
                _next.Tell(ld);
                break;
            case CounterSweep c:
                _counters.AddTo(c.Into, (_state.Store as IPulsedWeightStore)?.Counters);
                _counters.Clear();
                _next.Tell(c);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// Cache hints for the sweep's next units (<see cref="SweepPeers"/>): the next unit's state,
    /// counters, weights and mailbox, and the actor of the one after. Addresses only; no value of a
    /// peer is used. Its weights are located with <see cref="Peek"/>, which counts no device read.
    /// </summary>
    private void HintNextUnits()
    {
        if (_peers is not { } peers) return;
        int i = _state.IndexInTile;
        if (peers.After(i, 1) is { } next)
        {
            SweepPeers.Object(next._state);
            SweepPeers.Object(next._counters);
            SweepPeers.Floats(Peek(next._state.Store));
            if (_next is LocalActorRef local && local.Cell is { } cell)
            {
                var mailbox = cell.Mailbox;
                SweepPeers.Object(cell);
                SweepPeers.Object(mailbox);
                SweepPeers.Object(mailbox?.MessageQueue);
            }
        }
        SweepPeers.Object(peers.After(i, 2));
    }

    /// <summary>A store's weights as a read returns them, without counting a device read (for a read sweep and the cache hints).</summary>
    private static ReadOnlySpan<float> Peek(IWeightStore store) => store is DeviceArray d ? d.PeekWeights() : store.Read();

    private void OnForward(ForwardSweep f)
    {
        HintNextUnits();
        int batch = f.Input.Batch;
        var y = f.Output.AsSpan(_state.IndexInTile * batch, batch);
        var ledger = f.Train ? _counters : null;
        if (_state.Store is IPulsedWeightStore pulsed)
        {
            // The input scales of the read noise and of a training step's update, taken in the forward pass.
            var scales = pulsed.InputScales(batch);
            _state.Forward(f.Input, y, scales, ledger);
            pulsed.AddOutputNoise(y, scales);
        }
        else _state.Forward(f.Input, y, ledger);
        if (f.Train)
        {
            _input = f.Input;
            _counters.Deliver(TrafficCategory.Activation);
            _counters.Add(TrafficCategory.Activation, _inPerSample.Messages, _inPerSample.Bytes * batch, _inPerSample.ByteHops * batch);
        }
        _next.Tell(f);
    }

    private void OnBackward(BackwardSweep b)
    {
        HintNextUnits();
        var input = _input ?? throw new InvalidOperationException($"unit {Name} got a backward sweep before any training forward pass");
        int batch = input.Batch;
        var delta = b.Delta.AsSpan(_state.IndexInTile * batch, batch);
        var strategy = _settings.Spec.Strategy;
        bool tiesGradient = _allReduce is not null && strategy.TiesGradients;
        // The gradient goes into a pooled array: the exchange's own copy when it is tied (the
        // exchange owns it and gives it back once combined), else a scratch array given back right
        // after the update, which the next unit on this thread rents again while it is still in cache.
        // A device store's own update takes its pulses from the input and delta: without tying it
        // needs no gradient, only the input error.
        var pulsed = tiesGradient ? null : _state.Store as IPulsedWeightStore;
        float[]? gradient = null;
        if (pulsed is not null) _state.InputError(batch, delta, b.InputError, _counters);
        else
        {
            gradient = PieceBuffers.Rent(_state.Store.Length);
            _state.Backward(input, delta, b.InputError, gradient, _counters);
        }
        _counters.Deliver(TrafficCategory.Error);
        if (b.InputError.Length > 0)
            _counters.Add(TrafficCategory.Error, _inPerSample.Messages, _inPerSample.Bytes * batch, _inPerSample.ByteHops * batch);
        _next.Tell(b); // the input error used the pre-update weights; the sweep moves on while this unit updates
        _input = null;

        if (_lines is not null) WriteLines();
        if (tiesGradient)
        {
            // The update (and the step's device clock, see Apply) waits for the tied gradient.
            Apply(_allReduce!.Open(b.Step, SyncKind.Gradient, gradient!, this));
            return;
        }
        if (pulsed is not null)
            pulsed.ApplyBatchUpdate(input.Data, _state.Input, delta, batch, _settings.Spec.LearningRate, pulsed.InputScales(batch));
        else
        {
            _state.Store.ApplyGradient(gradient!, _settings.Spec.LearningRate);
            PieceBuffers.Return(gradient!);
        }
        StepTime();
        if (_allReduce is not null && strategy.AveragesWeightsAfter(b.Step))
            Apply(_allReduce.Open(b.Step, SyncKind.Weights, _parity?.Contribution(_state.Store.Read()) ?? _state.Store.Read().ToArray(), this));
        else if (_gossip is not null && ++_localSteps % strategy.Every == 0)
            StartRound();
    }

    /// <summary>
    /// The unit's state record: its gossip step count and its store's complete state (weights,
    /// device state, random streams). Taken between steps, when no exchange is open.
    /// </summary>
    private byte[] CaptureState()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms))
        {
            w.Write(_localSteps);
            _state.Store.WriteState(w);
            _parity?.WriteState(w);
        }
        return ms.ToArray();
    }

    private void RestoreState(byte[] record, long step)
    {
        using var r = new BinaryReader(new MemoryStream(record));
        long localSteps = r.ReadInt64();
        _state.Store.ReadState(r);
        _parity?.ReadState(r);
        if (r.BaseStream.Position != record.Length)
            throw new InvalidDataException($"unit {Name}: {record.Length - r.BaseStream.Position} bytes left over in its state record");
        _localSteps = localSteps;
        if (_gossip is not null)
        {
            // A gossip unit's peer draws come from System.Random, whose state cannot be saved:
            // after a resume they are reseeded from the run seed, the unit and the step (gossip
            // resumes and completes, but is not bit-identical to an uninterrupted run).
            var s = _settings.Spec.Strategy;
            var layer = _state.Layer;
            _gossip = new GossipExchange(s, layer.OutHeight, layer.OutWidth, _state.Position,
                new Random(unchecked(GossipPeers.UnitSeed(_settings.Spec.Seed, _layer, _state.GlobalIndex) ^ (int)(step * 2654435761L))), _parity);
        }
        _input = null;
    }

    private string Name => $"{_state.Layer.Name}({_state.Map},{_state.U},{_state.V})";

    /// <summary>Applies a finished all-reduce (null: still open) and releases queued work.</summary>
    private void Apply(float[]? result)
    {
        if (result is null) return;
        if (_allReduce!.Kind == SyncKind.Gradient)
        {
            _state.Store.ApplyGradient(result, _settings.Spec.LearningRate);
            StepTime();
        }
        else
        {
            _state.Store.ProgramTo(result);
            _parity?.Agreed(result);
        }
        Release();
    }

    /// <summary>The step's simulated time passes on this unit's devices (drift), once per training step under every strategy, after its update.</summary>
    private void StepTime()
    {
        if (_settings.Spec.StepSeconds > 0) (_state.Store as IPulsedWeightStore)?.AdvanceTime(_settings.Spec.StepSeconds);
    }

    private void StartRound()
    {
        if (_routes.Count == 0) throw new InvalidOperationException($"unit {Name} must gossip but was never connected to its peers");
        if (_gossip!.StartRound(_state.Store, this)) RoundEnded();
    }

    private void RoundEnded()
    {
        if (_mixRoundsLeft > 0 && --_mixRoundsLeft > 0)
        {
            StartRound();
            return;
        }
        if (_mixClient is not null)
        {
            _mixClient.Tell(new RoundsMixed(-1));
            _mixClient = null;
        }
        Release();
    }

    private void Release()
    {
        while (!ExchangeOpen && _queued is { Count: > 0 })
        {
            var (m, s) = _queued!.Dequeue();
            Handle(m, s);
        }
    }

    // ---- outboxes: route by position, count on the emulated fabric ---------------------------

    void ITyingOutbox.SendPartial(int toPosition, long step, SyncKind kind, float[] values) =>
        Send(toPosition, new SyncPartial(_layer, _state.Map, toPosition, _state.Position, step, kind, values), values.Length);

    void ITyingOutbox.SendResult(int toPosition, long step, SyncKind kind, float[] values) =>
        Send(toPosition, new SyncResult(_layer, _state.Map, toPosition, step, kind, values), values.Length);

    void IGossipOutbox.SendOffer(int toPosition, long round, float[] values) =>
        Send(toPosition, new GossipOffer(_layer, _state.Map, toPosition, _state.Position, round, values), values.Length);

    void IGossipOutbox.SendReply(int toPosition, float[] values) =>
        Send(toPosition, new GossipReply(_layer, _state.Map, toPosition, _state.Position, values), values.Length);

    void IGossipOutbox.SendDecline(int toPosition) =>
        Send(toPosition, new GossipDeclined(_layer, _state.Map, toPosition, _state.Position), 0);

    void IGossipOutbox.SendLost(int toPosition) =>
        _routes.To(toPosition).Tell(new GossipLost(_layer, _state.Map, toPosition, _state.Position), ActorRefs.NoSender);

    void IGossipOutbox.Dropped() => _counters.Drop(TrafficCategory.Sync);

    /// <summary>Sends a tying message to a position of this map (or the star reducer) and counts it; no sender travels with it.</summary>
    private void Send(int toPosition, INodeMeshMessage m, int floats)
    {
        long bytes = (long)floats * FabricModel.FloatBytes;
        _counters.Add(TrafficCategory.Sync, 1, bytes, bytes * HopsTo(toPosition));
        if (_lines is not null && (uint)toPosition < (uint)_state.Layer.Positions) _lines.Hint(_linesBase + toPosition);
        _routes.To(toPosition).Tell(m, ActorRefs.NoSender);
    }

    /// <summary>
    /// Writes the addresses of the lines a tying message to this unit reaches into its record (see
    /// <see cref="UnitLines"/>), unless it is current: written since the last collection that can move objects.
    /// </summary>
    private void WriteLines()
    {
        int collections = GC.CollectionCount(1);
        if (collections == _linesWritten) return;
        _linesWritten = collections;
        _lines!.Write(_linesBase + _state.Position, Context as ActorCell, this, _counters, _allReduce!, Peek(_state.Store));
    }

    /// <summary>
    /// Mesh hops to a peer position of this map (a few integer operations, computed per message: a
    /// per-unit table cost a cold lookup per message and memory per unit), or to the star reducer.
    /// </summary>
    private long HopsTo(int toPosition)
    {
        if (toPosition != TyingWiring.Reducer) return _settings.Fabric.SyncHops(_layer, _state.Position, toPosition);
        if (_reducerHops < 0) _reducerHops = _settings.Fabric.HopsToReducer(_layer, _state.Map, _state.Position);
        return _reducerHops;
    }
}
