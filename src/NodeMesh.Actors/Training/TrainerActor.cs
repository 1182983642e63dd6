using Akka.Actor;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Tiles;
using NodeMesh.Actors.Units;
using NodeMesh.Core.Data;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;

namespace NodeMesh.Actors.Training;

/// <summary>What a trainer needs to build and drive a run. Local to the node that runs the trainer.</summary>
public sealed record TrainerSetup(
    TilePlan Tiles,
    TrainOptions Options,
    DatasetPair Data,
    float[][] InitialWeights,
    WeightStoreFactory Stores,
    IActorRef Progress)
{
    /// <summary>Placement of units on the emulated fabric (hop counts); null = no hop counting.</summary>
    public Core.Fabric.FabricLayout? Fabric { get; init; }

    /// <summary>Simulated seconds per training step for device drift (0 = none).</summary>
    public double StepSeconds { get; init; }
}

/// <summary>
/// Drives mini-batches: feeds each layer's tiles, assembles their outputs into the next layer's
/// input, computes the loss, and sends the error back down. Also builds the network (tiles,
/// units, star reducers) and wires each map's tying topology. Holds no weights.
/// </summary>
public sealed class TrainerActor : UntypedActor
{
    private readonly TrainerSetup _setup;
    private readonly NetworkPlan _plan;
    private readonly TrainOptions _options;
    private readonly TrafficLedger _ledger;
    private readonly IActorRef[][] _tiles;
    private readonly List<IActorRef> _reducers = [];
    private IActorRef _client = ActorRefs.Nobody;
    private int _awaiting;

    // Setup state.
    private IActorRef[][][] _units = [];

    // Step state.
    private bool _train;
    private int _epoch;
    private long _globalStep;
    private int[] _order = [];
    private int _cursor, _end, _stepInEpoch, _stepsInEpoch;
    private int[] _batchIdx = [];
    private int _layer;
    private GridBuffer? _next;
    private float[]?[] _errors = [];
    private double _lossSum;
    private int _correct, _samples;
    private Dataset _set = null!;
    private TrafficLedger? _collected;
    private bool _reducersFetched;
    private bool _trafficOnly;
    private List<float[]?[]>? _weights;

    public TrainerActor(TrainerSetup setup)
    {
        _setup = setup;
        _plan = setup.Tiles.Network;
        _options = setup.Options;
        _ledger = new TrafficLedger(_plan.Layers.Count);
        _tiles = new IActorRef[_plan.Layers.Count][];
    }

    public static Props Props(TrainerSetup setup) => Akka.Actor.Props.Create(() => new TrainerActor(setup));

    private UnitSettings Settings => new(_options.LearningRate, _options.Strategy, _plan.Layers.Count, _options.Seed) { Fabric = _setup.Fabric, StepSeconds = _setup.StepSeconds };

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(ex =>
        {
            _client.Tell(new Status.Failure(ex));
            return Directive.Stop;
        });

    protected override void PreStart()
    {
        var settings = Settings;
        foreach (var l in _plan.Layers)
        {
            var tiles = _setup.Tiles.Tiles[l.Index];
            _tiles[l.Index] = tiles.Select(t => Context.ActorOf(TileActor.Props(_plan, l, t, settings, _setup.Stores), $"{l.Name}-t{t.Index}")).ToArray();
        }
        Context.SetReceiveTimeout(TimeSpan.FromSeconds(300));
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Prepare:
                _client = Sender;
                BeginPrepare();
                break;
            case UnitsResponse r:
                _units[r.Layer][r.Tile] = r.Units;
                if (--_awaiting == 0) Connect();
                break;
            case WeightsLoaded:
                if (--_awaiting == 0)
                    _client.Tell(new Prepared(_plan.UnitCount, _tiles.Sum(t => t.Length), _reducers.Count));
                break;
            case TrainEpoch e:
                _client = Sender;
                _epoch = e.Epoch;
                BeginPass(train: true);
                break;
            case Evaluate:
                _client = Sender;
                BeginPass(train: false);
                break;
            case TileActivated a:
                OnActivated(a);
                break;
            case TileBackpropagated b:
                OnBackpropagated(b);
                break;
            case CountersResponse c:
                _collected!.Merge(c.Ledger);
                if (--_awaiting > 0) break;
                if (!_reducersFetched && _reducers.Count > 0)
                {
                    // Only now: a unit answers its counter sweep after its last exchange completed, so
                    // every star reducer has already sent (and counted) its last results.
                    _reducersFetched = true;
                    _awaiting = _reducers.Count;
                    foreach (var r in _reducers) r.Tell(FetchCounters.Instance);
                    break;
                }
                FinishEpoch();
                break;
            case MixRounds m:
                _client = Sender;
                _awaiting = 0;
                foreach (var l in _plan.Layers.Where(l => l.Kind == LayerKind.Conv))
                    foreach (var t in _tiles[l.Index]) { t.Tell(m); _awaiting++; }
                if (_awaiting == 0) _client.Tell(new RoundsMixed(-1, -1));
                break;
            case RoundsMixed:
                if (--_awaiting == 0) _client.Tell(new RoundsMixed(-1, -1));
                break;
            case FetchTraffic:
                _client = Sender;
                _trafficOnly = true;
                CollectCounters();
                break;
            case FetchModel:
                _client = Sender;
                _weights = _plan.Layers.Select(l => new float[]?[_tiles[l.Index].Length]).ToList();
                _awaiting = _tiles.Sum(t => t.Length);
                foreach (var layer in _tiles) foreach (var t in layer) t.Tell(FetchWeights.Instance);
                break;
            case WeightsResponse w:
                _weights![w.Layer][w.Tile] = w.Vectors;
                if (--_awaiting == 0) _client.Tell(new ModelResponse(GatherModel()));
                break;
            case ReceiveTimeout:
                if (_awaiting > 0)
                    _client.Tell(new Status.Failure(new TimeoutException($"no progress for 300 s while waiting for {_awaiting} replies (layer {_layer}, step {_stepInEpoch} of epoch {_epoch})")));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    // ---- building the network -------------------------------------------------------------

    private void BeginPrepare()
    {
        _units = _plan.Layers.Select(l => new IActorRef[_tiles[l.Index].Length][]).ToArray();
        _awaiting = _tiles.Sum(t => t.Length);
        foreach (var layer in _tiles)
            for (int t = 0; t < layer.Length; t++) layer[t].Tell(new FetchUnits(0, t));
    }

    private void Connect()
    {
        var strategy = _options.Strategy;
        foreach (var l in _plan.Layers)
        {
            var tiles = _setup.Tiles.Tiles[l.Index];
            var peers = tiles.Select(t => new ConnectPeers[t.UnitCount]).ToArray();
            var none = new ConnectPeers(null, [], 0, 1);
            if (l.Kind != LayerKind.Conv || strategy.Kind == StrategyKind.None)
            {
                foreach (var p in peers) Array.Fill(p, none);
            }
            else if (strategy.Kind == StrategyKind.Gossip)
            {
                var byPos = new IActorRef[l.OutMaps][];
                for (int m = 0; m < l.OutMaps; m++) byPos[m] = new IActorRef[l.Positions];
                foreach (var t in tiles)
                    for (int i = 0; i < t.UnitCount; i++)
                    {
                        var (m, u, v) = t.UnitAt(i);
                        byPos[m][u * l.OutWidth + v] = _units[l.Index][t.Index][i];
                    }
                foreach (var t in tiles)
                    for (int i = 0; i < t.UnitCount; i++)
                        peers[t.Index][i] = new ConnectPeers(null, [], 0, l.Positions, byPos[t.UnitAt(i).Map]);
            }
            else
            {
                // Unit refs by (map, position) and their (tile, index-in-tile).
                int n = l.Positions;
                var byPos = new IActorRef[l.OutMaps][];
                var slot = new (int Tile, int Index)[l.OutMaps][];
                for (int m = 0; m < l.OutMaps; m++) { byPos[m] = new IActorRef[n]; slot[m] = new (int, int)[n]; }
                foreach (var t in tiles)
                    for (int i = 0; i < t.UnitCount; i++)
                    {
                        var (m, u, v) = t.UnitAt(i);
                        byPos[m][u * l.OutWidth + v] = _units[l.Index][t.Index][i];
                        slot[m][u * l.OutWidth + v] = (t.Index, i);
                    }
                var topo = new MapTopology(strategy.Topology, l.OutHeight, l.OutWidth);
                for (int m = 0; m < l.OutMaps; m++)
                {
                    IActorRef? reducer = null;
                    if (strategy.Topology == TopologyKind.Star)
                    {
                        reducer = Context.ActorOf(MapReducer.Props(l.Index, m, strategy.Reduce, _plan.Layers.Count, _setup.Fabric), $"{l.Name}-m{m}-reducer");
                        reducer.Tell(new ConnectReducer(byPos[m]));
                        _reducers.Add(reducer);
                    }
                    for (int p = 0; p < n; p++)
                    {
                        ConnectPeers c = strategy.Topology switch
                        {
                            TopologyKind.Star => new ConnectPeers(reducer, [], 0, n),
                            TopologyKind.Tree => new ConnectPeers(
                                topo.Parent[p] < 0 ? null : byPos[m][topo.Parent[p]],
                                topo.Children[p].Select(c => byPos[m][c]).ToArray(), topo.Children[p].Length, n),
                            _ => RingPeers(topo, byPos[m], p, n),
                        };
                        var (ti, ii) = slot[m][p];
                        peers[ti][ii] = c;
                    }
                }
            }
            for (int t = 0; t < tiles.Count; t++) _tiles[l.Index][t].Tell(new ConnectTile(peers[t]));
        }
        // Load the initial weights, tile by tile.
        _awaiting = _tiles.Sum(t => t.Length);
        foreach (var l in _plan.Layers)
            foreach (var t in _setup.Tiles.Tiles[l.Index])
                _tiles[l.Index][t.Index].Tell(new LoadWeights(SliceForTile(l, t, _setup.InitialWeights[l.Index])));
    }

    private static ConnectPeers RingPeers(MapTopology topo, IActorRef[] byPos, int p, int n)
    {
        int k = topo.SnakeRank[p];
        IActorRef? up = k < n - 1 ? byPos[topo.Snake[k + 1]] : null;
        IActorRef[] down = k == n - 1 ? (n > 1 ? [byPos[topo.Snake[0]]] : []) : (k < n - 2 ? [byPos[topo.Snake[k + 1]]] : []);
        return new ConnectPeers(up, down, k == 0 ? 0 : 1, n);
    }

    private static float[] SliceForTile(WeightedLayer l, Tile t, float[] layerVectors)
    {
        int stride = l.FanIn + 1;
        var slice = new float[t.UnitCount * stride];
        for (int i = 0; i < t.UnitCount; i++)
        {
            var (m, u, v) = t.UnitAt(i);
            Array.Copy(layerVectors, (long)TilePlan.GlobalUnitIndex(l, m, u, v) * stride, slice, (long)i * stride, stride);
        }
        return slice;
    }

    private float[][] GatherModel()
    {
        var result = new float[_plan.Layers.Count][];
        foreach (var l in _plan.Layers)
        {
            int stride = l.FanIn + 1;
            var all = new float[(long)l.UnitCount * stride];
            foreach (var t in _setup.Tiles.Tiles[l.Index])
            {
                var v = _weights![l.Index][t.Index]!;
                for (int i = 0; i < t.UnitCount; i++)
                {
                    var (m, u, vv) = t.UnitAt(i);
                    Array.Copy(v, (long)i * stride, all, (long)TilePlan.GlobalUnitIndex(l, m, u, vv) * stride, stride);
                }
            }
            result[l.Index] = all;
        }
        _weights = null;
        return result;
    }

    // ---- running passes ---------------------------------------------------------------------

    private void BeginPass(bool train)
    {
        _train = train;
        _set = train ? _setup.Data.Train : _setup.Data.Test;
        int count = train
            ? (_options.TrainLimit > 0 ? Math.Min(_options.TrainLimit, _set.Count) : _set.Count)
            : (_options.TestLimit > 0 ? Math.Min(_options.TestLimit, _set.Count) : _set.Count);
        _order = train ? EpochOrder.Build(count, _options.Shuffle, _options.Seed, _epoch) : Enumerable.Range(0, count).ToArray();
        int batch = train ? _options.Batch : _options.EvalBatch;
        _stepsInEpoch = (count + batch - 1) / batch;
        _cursor = 0; _stepInEpoch = 0;
        _lossSum = 0; _correct = 0; _samples = 0;
        NextBatch();
    }

    private void NextBatch()
    {
        int batch = _train ? _options.Batch : _options.EvalBatch;
        if (_cursor >= _order.Length)
        {
            if (_train) CollectCounters();
            else _client.Tell(new Evaluated(_lossSum / Math.Max(1, _samples), (double)_correct / Math.Max(1, _samples), _samples));
            return;
        }
        _end = Math.Min(_order.Length, _cursor + batch);
        _batchIdx = _order[_cursor.._end];
        var first = _plan.Layers[0];
        var input = GridBuffer.FromImages(_set.Images, _plan.InputChannels, _plan.InputHeight, _plan.InputWidth, first.Kind == LayerKind.Conv ? first.Padding : 0, _batchIdx);
        SendForward(0, input);
    }

    private void SendForward(int layer, GridBuffer input)
    {
        _layer = layer;
        var l = _plan.Layers[layer];
        _next = layer + 1 < _plan.Layers.Count
            ? LayerAssembler.NewInput(_plan.Layers[layer + 1], input.Batch)
            : new GridBuffer(1, 1, l.OutMaps, 0, input.Batch);
        _awaiting = _tiles[layer].Length;
        var msg = new ForwardBatch(_globalStep, _train, input);
        foreach (var t in _tiles[layer]) t.Tell(msg);
    }

    private void OnActivated(TileActivated a)
    {
        var l = _plan.Layers[a.Layer];
        if (_train) _ledger.Deliver(a.Layer, TrafficCategory.Activation);
        LayerAssembler.WriteOutput(_next!, l, _setup.Tiles.Tiles[a.Layer][a.Tile], a.Output);
        if (--_awaiting > 0) return;
        if (a.Layer + 1 < _plan.Layers.Count)
        {
            SendForward(a.Layer + 1, _next!);
            return;
        }
        // Loss site: logits [classes][B].
        int batch = _next!.Batch;
        var labels = new byte[batch];
        for (int b = 0; b < batch; b++) labels[b] = _set.Labels[_batchIdx[b]];
        var delta = _train ? new GridBuffer(1, 1, _plan.Classes, 0, batch) : null;
        double loss = SoftmaxCrossEntropy.Evaluate(_next.Data, labels, _plan.Classes, batch, delta is null ? [] : delta.Data, out int correct);
        _lossSum += loss; _correct += correct; _samples += batch;
        if (!_train)
        {
            _cursor = _end;
            NextBatch();
            return;
        }
        int last = _plan.Layers.Count - 1;
        long flows = _plan.Classes;
        long lossByteHops = (_setup.Fabric?.LossTransfers(1).ByteHops ?? 0) * batch;
        _ledger.Add(last, TrafficCategory.Activation, flows, flows * batch * FabricModel.FloatBytes, lossByteHops);
        _ledger.Add(last, TrafficCategory.Error, flows, flows * batch * FabricModel.FloatBytes, lossByteHops);
        SendBackward(last, delta!);
    }

    private void SendBackward(int layer, GridBuffer gradOutput)
    {
        _layer = layer;
        _awaiting = _tiles[layer].Length;
        _errors = new float[]?[_tiles[layer].Length];
        var msg = new BackwardBatch(_globalStep, gradOutput);
        foreach (var t in _tiles[layer]) t.Tell(msg);
    }

    private void OnBackpropagated(TileBackpropagated b)
    {
        _ledger.Deliver(b.Layer, b.InputError.Length > 0 ? TrafficCategory.Error : TrafficCategory.Control);
        _errors[b.Tile] = b.InputError;
        if (--_awaiting > 0) return;
        if (b.Layer > 0)
        {
            // Sum the tiles' overlapping error regions in tile order (deterministic float sums).
            var l = _plan.Layers[b.Layer];
            var grid = LayerAssembler.NewInput(l, _batchIdx.Length);
            foreach (var t in _setup.Tiles.Tiles[b.Layer]) LayerAssembler.AddError(grid, l, t, _errors[t.Index]!);
            _errors = [];
            SendBackward(b.Layer - 1, grid);
            return;
        }
        _globalStep++;
        _stepInEpoch++;
        _cursor = _end;
        _setup.Progress.Tell(new StepProgress(_epoch, _stepInEpoch, _stepsInEpoch, _lossSum / _samples));
        NextBatch();
    }

    private void CollectCounters()
    {
        _collected = _ledger.Copy();
        _ledger.Clear();
        _reducersFetched = false;
        _awaiting = _tiles.Sum(t => t.Length);
        foreach (var layer in _tiles) foreach (var t in layer) t.Tell(FetchCounters.Instance);
    }

    private void FinishEpoch()
    {
        if (_trafficOnly)
        {
            _trafficOnly = false;
            _client.Tell(new TrafficResponse(_collected!));
            _collected = null;
            return;
        }
        _client.Tell(new EpochTrained(_epoch, _lossSum / Math.Max(1, _samples), (double)_correct / Math.Max(1, _samples), _samples, _stepInEpoch, _collected!));
        _collected = null;
    }
}
