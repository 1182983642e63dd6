using System.Numerics.Tensors;
using Akka.Actor;
using NodeMesh.Actors.Messages;
using NodeMesh.Core.Devices;
using NodeMesh.Core.Fabric;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Units;

namespace NodeMesh.Actors.Units;

/// <summary>What every unit of a run shares: learning rate, strategy, and the total layer count for its ledger.</summary>
public sealed record UnitSettings(float LearningRate, StrategyOptions Strategy, int LayerCount, int Seed = 1)
{
    /// <summary>Where units sit on the emulated fabric (for hop counts); read-only, shared.</summary>
    public FabricLayout? Fabric { get; init; }

    /// <summary>Simulated seconds that pass per training step for device drift (0 = no drift clock).</summary>
    public double StepSeconds { get; init; }
}

/// <summary>
/// One feature-map unit (layer, map, u, v) or dense neuron: an actor that owns its weights.
/// It computes its own outputs and gradient, applies its own update, and takes part in its
/// map's weight tying. While a tying exchange is open it handles only tying messages and
/// queues everything else, so no forward pass ever sees a half-updated kernel.
/// </summary>
public sealed class UnitActor : UntypedActor
{
    private readonly UnitState _state;
    private readonly IActorRef _next;
    private readonly UnitSettings _settings;
    private readonly TrafficLedger _ledger;
    private readonly int _layer;
    private readonly int _inMessages, _inFloats;
    private readonly long _inByteHopsPerSample;
    private readonly MapTopology? _topology;
    private readonly bool _ties;
    private readonly bool _gossips;
    private readonly Random _rng;
    private readonly int[] _gossipCandidates;
    private readonly int[] _roundPeers;
    private long _localSteps, _rounds;
    private int _roundCount, _roundNext;
    private int _awaiting = -1;
    private int _mixRoundsLeft;
    private IActorRef? _mixClient;
    private readonly Queue<(object Message, IActorRef Sender)> _queued = new();
    private readonly List<SyncPartial> _partials = [];
    private readonly Dictionary<int, long> _hops = [];

    private Core.Tiles.GridBuffer? _input;
    private ConnectPeers? _peers;
    private bool _syncOpen;
    private long _syncStep = -1;
    private SyncKind _syncKind;
    private float[]? _own;

    public UnitActor(UnitState state, IActorRef next, UnitSettings settings, NetworkPlan plan)
    {
        _state = state;
        _next = next;
        _settings = settings;
        _layer = state.Layer.Index;
        _ledger = new TrafficLedger(settings.LayerCount);
        (_inMessages, _inFloats) = FabricModel.UnitInputs(plan, state.Layer, state.U, state.V);
        _inByteHopsPerSample = settings.Fabric?.UnitInputs(new UnitCoord(_layer, state.Map, state.U, state.V), 1).ByteHops ?? 0;
        var s = settings.Strategy;
        _ties = state.Layer.Kind == LayerKind.Conv && s.Kind == StrategyKind.AllReduce;
        _gossips = state.Layer.Kind == LayerKind.Conv && s.Kind == StrategyKind.Gossip;
        _rng = new Random(GossipPeers.UnitSeed(settings.Seed, _layer, state.GlobalIndex));
        if (_ties && s.Topology is TopologyKind.Tree or TopologyKind.Ring)
            _topology = new MapTopology(s.Topology, state.Layer.OutHeight, state.Layer.OutWidth);
        _gossipCandidates = _gossips ? GossipPeers.Candidates(s.Topology, state.Layer.OutHeight, state.Layer.OutWidth, state.Position) : [];
        _roundPeers = new int[Math.Max(1, s.Fanout)];
    }

    public static Props Props(UnitState state, IActorRef next, UnitSettings settings, NetworkPlan plan) =>
        Akka.Actor.Props.Create(() => new UnitActor(state, next, settings, plan));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SyncPartial p:
                _ledger.Deliver(_layer, TrafficCategory.Sync);
                OnPartial(p);
                return;
            case SyncResult r:
                _ledger.Deliver(_layer, TrafficCategory.Sync);
                OnResult(r);
                return;
            case GossipOffer o:
                _ledger.Deliver(_layer, TrafficCategory.Sync);
                OnOffer(o);
                return;
            case GossipReply r:
                _ledger.Deliver(_layer, TrafficCategory.Sync);
                OnAnswer(r.Position, r.Values);
                return;
            case GossipDecline d:
                _ledger.Deliver(_layer, TrafficCategory.Sync);
                OnAnswer(d.Position, null);
                return;
            case GossipLost l:
                OnAnswer(l.Position, null);
                return;
        }
        if (_syncOpen)
        {
            _queued.Enqueue((message, Sender));
            return;
        }
        Handle(message, Sender);
    }

    private void Handle(object message, IActorRef sender)
    {
        switch (message)
        {
            case ForwardSweep f:
                OnForward(f);
                break;
            case BackwardSweep b:
                OnBackward(b);
                break;
            case ConnectPeers c:
                _peers = c;
                break;
            case LoadSweep l:
                _state.Store.ProgramTo(l.Vectors.AsSpan(_state.IndexInTile * _state.Store.Length, _state.Store.Length));
                (_state.Store as IPulsedWeightStore)?.ResetCounters(); // report training activity, not the initial programming
                _next.Tell(l);
                break;
            case ReadSweep r:
                (_state.Store is DeviceArray da ? da.PeekWeights() : _state.Store.Read()).CopyTo(r.Vectors.AsSpan(_state.IndexInTile * _state.Store.Length, _state.Store.Length));
                _next.Tell(r);
                break;
            case MixRounds m:
                if (!_gossips || m.Rounds <= 0) { sender.Tell(new RoundsMixed(_layer, -1)); break; }
                _mixClient = sender;
                _mixRoundsLeft = m.Rounds;
                StartRound();
                break;
            case CounterSweep c:
                if (_state.Store is IPulsedWeightStore p)
                {
                    var d = p.Counters;
                    _ledger.AddDevices(_layer, d.Devices, d.UpdatePulses, d.ProgramPulses, d.MaxPulsesPerDevice, d.Reads, d.ClippedPulses, d.StuckDevices);
                }
                c.Ledger.Merge(_ledger);
                _ledger.Clear();
                _next.Tell(c);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnForward(ForwardSweep f)
    {
        int batch = f.Input.Batch;
        var y = f.Output.AsSpan(_state.IndexInTile * batch, batch);
        _state.Forward(f.Input, y);
        (_state.Store as IPulsedWeightStore)?.AddOutputNoise(y, f.Input.Data, _state.Input, batch);
        if (f.Train)
        {
            _input = f.Input;
            _ledger.Deliver(_layer, TrafficCategory.Activation);
            _ledger.Add(_layer, TrafficCategory.Activation, _inMessages, (long)_inMessages * _inFloats * batch * FabricModel.FloatBytes, _inByteHopsPerSample * batch);
        }
        _next.Tell(f);
    }

    private void OnBackward(BackwardSweep b)
    {
        var input = _input ?? throw new InvalidOperationException($"unit {_state.Layer.Name}({_state.Map},{_state.U},{_state.V}) got a backward sweep before any training forward pass");
        int batch = input.Batch;
        _state.Backward(input, b.Delta.AsSpan(_state.IndexInTile * batch, batch), b.InputError);
        _ledger.Deliver(_layer, TrafficCategory.Error);
        if (b.InputError.Length > 0)
            _ledger.Add(_layer, TrafficCategory.Error, _inMessages, (long)_inMessages * _inFloats * batch * FabricModel.FloatBytes, _inByteHopsPerSample * batch);
        _next.Tell(b); // the input error used the pre-update weights; the sweep moves on while this unit updates
        _input = null;

        var strategy = _settings.Strategy;
        if (_ties && strategy.TiesGradients)
        {
            OpenSync(b.Step, SyncKind.Gradient, (float[])_state.Gradient.Clone());
            return;
        }
        if (_state.Store is IPulsedWeightStore pulsed)
            pulsed.ApplyBatchUpdate(input.Data, _state.Input, b.Delta.AsSpan(_state.IndexInTile * batch, batch), batch, _settings.LearningRate);
        else
            _state.Store.ApplyGradient(_state.Gradient, _settings.LearningRate);
        if (_settings.StepSeconds > 0) (_state.Store as IPulsedWeightStore)?.AdvanceTime(_settings.StepSeconds);
        if (_ties && strategy.AveragesWeightsAfter(b.Step))
            OpenSync(b.Step, SyncKind.Weights, _state.Store.Read().ToArray());
        else if (_gossips && ++_localSteps % strategy.Every == 0)
            StartRound();
    }

    // ---- gossip: asynchronous pairwise averaging with peers of the same map -------------------
    // A round is up to `fanout` sequential push-pull exchanges. While its own exchange is open a
    // unit changes no weight except by that exchange, so both ends of a pair average the same two
    // vectors; offers from other units meanwhile are declined (no waiting, so no deadlock), and two
    // offers that cross are each taken as the other's answer.

    private void StartRound()
    {
        if (_peers?.Gossip is null) throw new InvalidOperationException($"unit {_state.Layer.Name}({_state.Map},{_state.U},{_state.V}) must gossip but was never connected to its peers");
        var s = _settings.Strategy;
        _roundCount = GossipPeers.Choose(s.Topology, _gossipCandidates, _state.Layer.Positions, _state.Position, s.Fanout, _rounds++, _rng, _roundPeers);
        _roundNext = 0;
        _syncOpen = true;
        NextExchange();
    }

    private void NextExchange()
    {
        var s = _settings.Strategy;
        while (_roundNext < _roundCount)
        {
            int peer = _roundPeers[_roundNext++];
            if (s.Drop > 0 && _rng.NextDouble() < s.Drop)
            {
                _ledger.Drop(_layer, TrafficCategory.Sync); // the offer is lost on the fabric: no exchange
                continue;
            }
            _awaiting = peer;
            Send(_peers!.Gossip![peer], new GossipOffer(_rounds, _state.Position, _state.Store.Read().ToArray()), peer);
            return;
        }
        _awaiting = -1;
        if (_mixRoundsLeft > 0 && --_mixRoundsLeft > 0)
        {
            StartRound();
            return;
        }
        if (_mixClient is not null)
        {
            _mixClient.Tell(new RoundsMixed(_layer, -1));
            _mixClient = null;
        }
        Release();
    }

    private void OnOffer(GossipOffer o)
    {
        var s = _settings.Strategy;
        if (_awaiting == o.Position)
        {
            // Crossing offers: each side takes the other's offer as its answer.
            MixWith(o.Values);
            NextExchange();
            return;
        }
        if (_awaiting >= 0)
        {
            Send(Sender, new GossipDecline(_state.Position), o.Position);
            return;
        }
        var mine = _state.Store.Read().ToArray();
        MixWith(o.Values);
        if (s.Drop > 0 && _rng.NextDouble() < s.Drop)
        {
            _ledger.Drop(_layer, TrafficCategory.Sync);
            Sender.Tell(new GossipLost(_state.Position));
            return;
        }
        Send(Sender, new GossipReply(_state.Position, mine), o.Position);
    }

    private void OnAnswer(int position, float[]? values)
    {
        if (_awaiting != position)
            throw new InvalidOperationException($"unit {_state.Layer.Name}({_state.Map},{_state.U},{_state.V}) got a gossip answer from position {position} while waiting for {_awaiting}");
        if (values is not null) MixWith(values);
        NextExchange();
    }

    private void MixWith(float[] peer)
    {
        var w = _state.Store.Read().ToArray();
        GossipPeers.Mix(w, peer, _settings.Strategy.Mix);
        _state.Store.ProgramTo(w);
    }

    // ---- all-reduce over the map's topology -------------------------------------------------

    private void OpenSync(long step, SyncKind kind, float[] own)
    {
        if (_peers is null) throw new InvalidOperationException($"unit {_state.Layer.Name}({_state.Map},{_state.U},{_state.V}) must tie weights but was never connected to its peers");
        _syncOpen = true;
        _syncStep = step;
        _syncKind = kind;
        _own = own;
        TryReduce();
    }

    private void OnPartial(SyncPartial p)
    {
        _partials.Add(p);
        TryReduce();
    }

    private void TryReduce()
    {
        if (!_syncOpen || _own is null || _peers is null) return;
        if (_settings.Strategy.Topology == TopologyKind.Star)
        {
            Send(_peers.Up!, new SyncPartial(_syncStep, _syncKind, _state.Position, _own), SyncEdge.Reducer);
            _own = null;
            return;
        }
        int expected = _peers.ExpectedPartials;
        int have = 0;
        foreach (var p in _partials) if (p.Step == _syncStep) have++;
        if (have < expected) return;
        // Sum in the topology's fixed order: own vector, then partials by ascending position.
        float[] acc;
        if (expected == 0) acc = _own;
        else
        {
            // Partials of this step, summed by ascending position (the order MapTopology.Sum uses).
            _partials.Sort(static (a, b) => a.Step != b.Step ? a.Step.CompareTo(b.Step) : a.Position.CompareTo(b.Position));
            acc = (float[])_own.Clone();
            foreach (var p in _partials)
                if (p.Step == _syncStep) TensorPrimitives.Add(acc, p.Values, acc);
            _partials.RemoveAll(p => p.Step == _syncStep);
        }
        _own = null;
        if (_peers.Up is not null)
        {
            Send(_peers.Up, new SyncPartial(_syncStep, _syncKind, _state.Position, acc), UpPosition());
            return;
        }
        // End of the reduction: finalise, apply, and start the broadcast.
        if (_syncKind == SyncKind.Weights || _settings.Strategy.Reduce == ReduceOp.Mean)
            TensorPrimitives.Multiply(acc, 1f / _peers.GroupSize, acc);
        var result = new SyncResult(_syncStep, _syncKind, acc);
        SendDown(result);
        Apply(result);
    }

    private void OnResult(SyncResult r)
    {
        if (!_syncOpen || r.Step != _syncStep)
            throw new InvalidOperationException($"unit {_state.Layer.Name}({_state.Map},{_state.U},{_state.V}) got a tying result for step {r.Step} while {(_syncOpen ? $"waiting for step {_syncStep}" : "not tying")}");
        SendDown(r);
        Apply(r);
    }

    private int UpPosition() => _settings.Strategy.Topology == TopologyKind.Tree
        ? _topology!.Parent[_state.Position]
        : _topology!.Snake[_topology.SnakeRank[_state.Position] + 1];

    private void SendDown(SyncResult r)
    {
        var down = _peers!.Down;
        if (down.Length == 0) return;
        if (_settings.Strategy.Topology == TopologyKind.Tree)
        {
            var children = _topology!.Children[_state.Position];
            for (int i = 0; i < down.Length; i++) Send(down[i], r, children[i]);
        }
        else
        {
            int k = _topology!.SnakeRank[_state.Position];
            Send(down[0], r, _topology.Snake[(k + 1) % _topology.Count]);
        }
    }

    /// <summary>Sends a tying message to the unit at <paramref name="toPosition"/> of this map (or the star reducer) and counts it.</summary>
    private void Send(IActorRef to, INodeMeshMessage m, int toPosition)
    {
        int floats = m switch
        {
            SyncPartial p => p.Values.Length,
            SyncResult r => r.Values.Length,
            GossipOffer o => o.Values.Length,
            GossipReply r => r.Values.Length,
            _ => 0,
        };
        long bytes = (long)floats * FabricModel.FloatBytes;
        _ledger.Add(_layer, TrafficCategory.Sync, 1, bytes, bytes * HopsTo(toPosition));
        to.Tell(m);
    }

    /// <summary>Mesh hops to a peer position of this map (or the star reducer), computed once per peer.</summary>
    private long HopsTo(int toPosition)
    {
        var fabric = _settings.Fabric;
        if (fabric is null) return 0;
        if (_hops.TryGetValue(toPosition, out long h)) return h;
        h = toPosition == SyncEdge.Reducer
            ? fabric.HopsToReducer(_layer, _state.Map, _state.Position)
            : fabric.SyncHops(_layer, _state.Position, toPosition);
        _hops[toPosition] = h;
        return h;
    }


    private void Apply(SyncResult r)
    {
        if (r.Kind == SyncKind.Gradient) _state.Store.ApplyGradient(r.Values, _settings.LearningRate);
        else _state.Store.ProgramTo(r.Values);
        _own = null;
        Release();
    }

    private void Release()
    {
        _syncOpen = false;
        while (!_syncOpen && _queued.Count > 0)
        {
            var (m, s) = _queued.Dequeue();
            Handle(m, s);
        }
    }
}
