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
    private long[] _hopsToUnit = [];
    private float[]?[] _received = [];
    private int _count;
    private long _step = -1;

    private readonly int _map;
    private readonly Core.Fabric.FabricLayout? _fabric;

    public MapReducer(int layer, int map, ReduceOp reduce, int layerCount, Core.Fabric.FabricLayout? fabric)
    {
        _layer = layer;
        _map = map;
        _fabric = fabric;
        _reduce = reduce;
        _ledger = new TrafficLedger(layerCount);
    }

    public static Props Props(int layer, int map, ReduceOp reduce, int layerCount, Core.Fabric.FabricLayout? fabric) =>
        Akka.Actor.Props.Create(() => new MapReducer(layer, map, reduce, layerCount, fabric));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ConnectReducer c:
                _units = c.Units;
                _received = new float[]?[c.Units.Length];
                _hopsToUnit = Enumerable.Range(0, c.Units.Length).Select(p => (long)(_fabric?.HopsToReducer(_layer, _map, p) ?? 0)).ToArray();
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
        long bytes = (long)acc.Length * FabricModel.FloatBytes, byteHops = 0;
        for (int p = 0; p < _units.Length; p++)
        {
            _units[p].Tell(result);
            byteHops += bytes * _hopsToUnit[p];
        }
        _ledger.Add(_layer, TrafficCategory.Sync, _units.Length, _units.Length * bytes, byteHops);
        Array.Clear(_received);
        _count = 0;
    }
}
