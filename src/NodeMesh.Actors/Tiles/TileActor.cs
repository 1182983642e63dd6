using Akka.Actor;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Units;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Units;

namespace NodeMesh.Actors.Tiles;

/// <summary>Creates the weight store of each unit (the ideal float store, or a device array).</summary>
public delegate IWeightStore WeightStoreFactory(WeightedLayer layer, int globalUnitIndex);

/// <summary>
/// A rectangular region of one layer with all its maps. It owns its units (children), routes
/// the layer's input and error to them by sweeps, and applies the activation and pooling of its
/// region. It never reads or writes a weight.
/// </summary>
public sealed class TileActor : UntypedActor
{
    private readonly NetworkPlan _plan;
    private readonly TileCompute _compute;
    private readonly UnitSettings _settings;
    private readonly WeightStoreFactory _stores;
    private readonly TrafficLedger _ledger;
    private IActorRef[] _units = [];
    private IActorRef _client = ActorRefs.Nobody;
    private int _mixPending;

    public TileActor(NetworkPlan plan, WeightedLayer layer, Tile tile, UnitSettings settings, WeightStoreFactory stores)
    {
        _plan = plan;
        _compute = new TileCompute(layer, tile, settings.Fabric);
        _settings = settings;
        _stores = stores;
        _ledger = new TrafficLedger(settings.LayerCount);
    }

    public static Props Props(NetworkPlan plan, WeightedLayer layer, Tile tile, UnitSettings settings, WeightStoreFactory stores) =>
        Akka.Actor.Props.Create(() => new TileActor(plan, layer, tile, settings, stores));

    private WeightedLayer Layer => _compute.Layer;
    private Tile Tile => _compute.Tile;

    protected override void PreStart()
    {
        // Created last to first so that each unit knows the next one of the sweep; the last hands back to the tile.
        var units = new IActorRef[Tile.UnitCount];
        IActorRef next = Self;
        for (int i = units.Length - 1; i >= 0; i--)
        {
            var (m, u, v) = Tile.UnitAt(i);
            var store = _stores(Layer, TilePlan.GlobalUnitIndex(Layer, m, u, v));
            var state = new UnitState(Layer, Tile, i, store);
            units[i] = Context.ActorOf(UnitActor.Props(state, next, _settings, _plan), $"u{m}-{u}-{v}");
            next = units[i];
        }
        _units = units;
    }

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(_ => Directive.Escalate);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ForwardBatch f:
                _client = Sender;
                if (f.Train) _ledger.Deliver(Layer.Index, TrafficCategory.Activation);
                _units[0].Tell(new ForwardSweep(f.Step, f.Train, f.Input, _compute.ForwardBuffer(f.Input.Batch)));
                break;
            case ForwardSweep done:
                {
                    if (done.Train) _ledger.Deliver(Layer.Index, TrafficCategory.Activation);
                    var output = _compute.FinishForward(done.Output, done.Input.Batch, done.Train ? _ledger : null);
                    _client.Tell(new TileActivated(Layer.Index, Tile.Index, done.Step, output));
                    break;
                }
            case BackwardBatch b:
                {
                    _client = Sender;
                    _ledger.Deliver(Layer.Index, TrafficCategory.Error);
                    var delta = _compute.BeginBackward(b.GradOutput, _ledger);
                    _units[0].Tell(new BackwardSweep(b.Step, delta, _compute.NewInputError(b.GradOutput.Batch)));
                    break;
                }
            case BackwardSweep done:
                _ledger.Deliver(Layer.Index, TrafficCategory.Error);
                _client.Tell(new TileBackpropagated(Layer.Index, Tile.Index, done.Step, done.InputError));
                break;
            case MixRounds m:
                _client = Sender;
                _mixPending = _units.Length;
                foreach (var u in _units) u.Tell(m);
                break;
            case RoundsMixed:
                if (--_mixPending == 0) _client.Tell(new RoundsMixed(Layer.Index, Tile.Index));
                break;
            case FetchUnits:
                Sender.Tell(new UnitsResponse(Layer.Index, Tile.Index, _units));
                break;
            case ConnectTile c:
                for (int i = 0; i < _units.Length; i++) _units[i].Tell(c.Peers[i]);
                break;
            case LoadWeights l:
                _client = Sender;
                _units[0].Tell(new LoadSweep(l.Vectors));
                break;
            case LoadSweep:
                _client.Tell(new WeightsLoaded(Layer.Index, Tile.Index));
                break;
            case FetchWeights:
                _client = Sender;
                _units[0].Tell(new ReadSweep(new float[_units.Length * (Layer.FanIn + 1)]));
                break;
            case ReadSweep r:
                _client.Tell(new WeightsResponse(Layer.Index, Tile.Index, r.Vectors));
                break;
            case FetchCounters:
                _client = Sender;
                _units[0].Tell(new CounterSweep(new TrafficLedger(_settings.LayerCount)));
                break;
            case CounterSweep c:
                c.Ledger.Merge(_ledger);
                _ledger.Clear();
                _client.Tell(new CountersResponse(Layer.Index, Tile.Index, c.Ledger));
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}
