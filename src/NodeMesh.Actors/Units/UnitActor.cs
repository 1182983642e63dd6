using System.Numerics.Tensors;
using Akka.Actor;
using NodeMesh.Actors.Messages;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Units;

namespace NodeMesh.Actors.Units;

/// <summary>What every unit of a run shares: learning rate, strategy, and the total layer count for its ledger.</summary>
public sealed record UnitSettings(float LearningRate, StrategyOptions Strategy, int LayerCount);

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
    private readonly bool _ties;
    private readonly Queue<(object Message, IActorRef Sender)> _queued = new();
    private readonly List<SyncPartial> _partials = [];

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
        _ties = state.Layer.Kind == LayerKind.Conv && settings.Strategy.Kind == StrategyKind.AllReduce;
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
                _next.Tell(l);
                break;
            case ReadSweep r:
                _state.Store.Read().CopyTo(r.Vectors.AsSpan(_state.IndexInTile * _state.Store.Length, _state.Store.Length));
                _next.Tell(r);
                break;
            case CounterSweep c:
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
        _state.Forward(f.Input, f.Output.AsSpan(_state.IndexInTile * batch, batch));
        if (f.Train)
        {
            _input = f.Input;
            _ledger.Deliver(_layer, TrafficCategory.Activation);
            _ledger.Add(_layer, TrafficCategory.Activation, _inMessages, (long)_inMessages * _inFloats * batch * FabricModel.FloatBytes);
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
            _ledger.Add(_layer, TrafficCategory.Error, _inMessages, (long)_inMessages * _inFloats * batch * FabricModel.FloatBytes);
        _next.Tell(b); // the input error used the pre-update weights; the sweep moves on while this unit updates
        _input = null;

        var strategy = _settings.Strategy;
        if (_ties && strategy.TiesGradients)
        {
            OpenSync(b.Step, SyncKind.Gradient, (float[])_state.Gradient.Clone());
            return;
        }
        _state.Store.ApplyGradient(_state.Gradient, _settings.LearningRate);
        if (_ties && strategy.AveragesWeightsAfter(b.Step))
            OpenSync(b.Step, SyncKind.Weights, _state.Store.Read().ToArray());
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
            Send(_peers.Up!, new SyncPartial(_syncStep, _syncKind, _state.Position, _own));
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
            var mine = _partials.Where(p => p.Step == _syncStep).OrderBy(p => p.Position).ToList();
            acc = new float[_own.Length];
            if (_settings.Strategy.Topology == TopologyKind.Ring)
                TensorPrimitives.Add(mine[0].Values, _own, acc);
            else
            {
                _own.CopyTo(acc, 0);
                foreach (var p in mine) TensorPrimitives.Add(acc, p.Values, acc);
            }
            _partials.RemoveAll(p => p.Step == _syncStep);
        }
        _own = null;
        if (_peers.Up is not null)
        {
            Send(_peers.Up, new SyncPartial(_syncStep, _syncKind, _state.Position, acc));
            return;
        }
        // End of the reduction: finalise, apply, and start the broadcast.
        if (_syncKind == SyncKind.Weights || _settings.Strategy.Reduce == ReduceOp.Mean)
            TensorPrimitives.Multiply(acc, 1f / _peers.GroupSize, acc);
        var result = new SyncResult(_syncStep, _syncKind, acc);
        foreach (var d in _peers.Down) Send(d, result);
        Apply(result);
    }

    private void OnResult(SyncResult r)
    {
        if (!_syncOpen || r.Step != _syncStep)
            throw new InvalidOperationException($"unit {_state.Layer.Name}({_state.Map},{_state.U},{_state.V}) got a tying result for step {r.Step} while {(_syncOpen ? $"waiting for step {_syncStep}" : "not tying")}");
        foreach (var d in _peers!.Down) Send(d, r);
        Apply(r);
    }

    private void Send(IActorRef to, INodeMeshMessage m)
    {
        int floats = m is SyncPartial p ? p.Values.Length : ((SyncResult)m).Values.Length;
        _ledger.Add(_layer, TrafficCategory.Sync, 1, (long)floats * FabricModel.FloatBytes);
        to.Tell(m);
    }

    private void Apply(SyncResult r)
    {
        if (r.Kind == SyncKind.Gradient) _state.Store.ApplyGradient(r.Values, _settings.LearningRate);
        else _state.Store.ProgramTo(r.Values);
        _syncOpen = false;
        _own = null;
        while (!_syncOpen && _queued.Count > 0)
        {
            var (m, s) = _queued.Dequeue();
            Handle(m, s);
        }
    }
}
