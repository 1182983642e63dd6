using System.Numerics.Tensors;
using Akka.Actor;
using NodeMesh.Actors.Messages;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Actors.Units;

/// <summary>
/// The star topology's central point: one per map, placed at the map centre. It collects the
/// vectors of all N units of its map, sums them in position order, and sends the result back
/// to every unit — 2 messages per unit per exchange.
/// </summary>
public sealed class MapReducer : UntypedActor
{
    private readonly int _layer;
    private readonly ReduceOp _reduce;
    private readonly TrafficLedger _ledger;
    private IActorRef[] _units = [];
    private float[]?[] _received = [];
    private int _count;
    private long _step = -1;

    public MapReducer(int layer, ReduceOp reduce, int layerCount)
    {
        _layer = layer;
        _reduce = reduce;
        _ledger = new TrafficLedger(layerCount);
    }

    public static Props Props(int layer, ReduceOp reduce, int layerCount) =>
        Akka.Actor.Props.Create(() => new MapReducer(layer, reduce, layerCount));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ConnectReducer c:
                _units = c.Units;
                _received = new float[]?[c.Units.Length];
                break;
            case SyncPartial p:
                _ledger.Deliver(_layer, TrafficCategory.Sync);
                if (_count == 0) _step = p.Step;
                else if (p.Step != _step)
                    throw new InvalidOperationException($"reducer of layer {_layer} got step {p.Step} while step {_step} is open");
                if (_received[p.Position] is not null)
                    throw new InvalidOperationException($"reducer of layer {_layer} got position {p.Position} twice in step {p.Step}");
                _received[p.Position] = p.Values;
                if (++_count == _units.Length) Complete(p.Kind);
                break;
            case FetchCounters:
                Sender.Tell(new CountersResponse(_layer, -1, _ledger.Copy()));
                _ledger.Clear();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Complete(SyncKind kind)
    {
        var acc = (float[])_received[0]!.Clone();
        for (int p = 1; p < _received.Length; p++) TensorPrimitives.Add(acc, _received[p]!, acc);
        if (kind == SyncKind.Weights || _reduce == ReduceOp.Mean)
            TensorPrimitives.Multiply(acc, 1f / _units.Length, acc);
        var result = new SyncResult(_step, kind, acc);
        foreach (var u in _units) u.Tell(result);
        _ledger.Add(_layer, TrafficCategory.Sync, _units.Length, (long)_units.Length * acc.Length * FabricModel.FloatBytes);
        Array.Clear(_received);
        _count = 0;
    }
}
