using Akka.Actor;
using NodeMesh.Actors.Messages;
using NodeMesh.Core.Exchanges;
using NodeMesh.Core.Metrics;

namespace NodeMesh.Actors.Units;

/// <summary>
/// The star topology's central point of one map, placed on the member that holds the map's
/// centre: a thin shell around <see cref="StarReduction"/> that routes the results to the map's
/// units (local actors or their members' hosts) and counts them on the emulated fabric.
/// </summary>
public sealed class ReducerActor : UntypedActor, ITyingOutbox
{
    private readonly int _layer, _map;
    private readonly StarReduction _reduction;
    private readonly TrafficLedger _ledger;
    private readonly long[] _hopsToUnit;
    private PeerRoutes _routes = PeerRoutes.None;
    private readonly UnitLines _lines; // the layer's line records: each send hints the next unit's (see UnitLines)
    private readonly int _linesBase, _positions;

    public ReducerActor(UnitSettings settings, int layer, int map)
    {
        _layer = layer;
        _map = map;
        var l = settings.Plan.Layers[layer];
        _reduction = new StarReduction(l.Positions, settings.Spec.Strategy.Reduce);
        _ledger = new TrafficLedger(settings.LayerCount);
        _hopsToUnit = new long[l.Positions];
        for (int p = 0; p < l.Positions; p++) _hopsToUnit[p] = settings.Fabric.HopsToReducer(layer, map, p);
        _lines = settings.Lines(l);
        _positions = l.Positions;
        _linesBase = map * l.Positions;
    }

    public static Props Props(UnitSettings settings, int layer, int map) =>
        Akka.Actor.Props.Create(() => new ReducerActor(settings, layer, map));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ConnectPeers c:
                _routes = c.Routes;
                break;
            case SyncPartial p:
                _ledger.Deliver(_layer, TrafficCategory.Sync);
                _reduction.OnPartial(p.Step, p.Kind, p.From, p.Values, this);
                break;
            case FetchReducerCounters:
                Sender.Tell(new CounterSweep(_ledger.Copy()));
                _ledger.Clear();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    void ITyingOutbox.SendPartial(int toPosition, long step, SyncKind kind, float[] values) =>
        throw new InvalidOperationException("a star reducer sends results only");

    void ITyingOutbox.SendResult(int toPosition, long step, SyncKind kind, float[] values)
    {
        long bytes = (long)values.Length * FabricModel.FloatBytes;
        _ledger.Add(_layer, TrafficCategory.Sync, 1, bytes, bytes * _hopsToUnit[toPosition]);
        // The results go out in position order: hint this receiver's lines (for the first) and the next one's.
        if (toPosition == 0) _lines.Hint(_linesBase);
        if (toPosition + 1 < _positions) _lines.Hint(_linesBase + toPosition + 1);
        _routes.To(toPosition).Tell(new SyncResult(_layer, _map, toPosition, step, kind, values), ActorRefs.NoSender);
    }
}
