using Akka.Actor;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Units;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Actors.Tiles;

/// <summary>
/// A rectangular region of one layer with all its maps. It owns its units (children) and sweeps
/// them; it assembles its input region from the pieces its producer tiles (or the driver) send,
/// applies the activation and pooling of its region, sends each consumer tile the piece it reads,
/// and, backward, sums its consumers' error pieces in tile order and sends its own input error to
/// its producers. The last conv of a residual block also adds its skip layer's pieces to its
/// pre-activations after the forward sweep, and sends its deltas over the same areas back. It never
/// reads or writes a weight. All pieces for a step arrive before the driver starts the next one.
/// Piece arrays come from <see cref="PieceBuffers"/> and travel with their messages: a tile gives
/// each piece it receives back once it has copied or added it, and its own output and input-error
/// regions once it has cut them into pieces.
/// </summary>
public sealed class TileActor : UntypedActor
{
    private readonly UnitSettings _settings;
    private readonly WeightedLayer _layer;
    private readonly Tile _tile;
    private readonly TileCompute _compute;
    private readonly TrafficLedger _ledger;
    private readonly IReadOnlyList<TileLink> _inputs, _skips, _outputs;
    private readonly bool _last;
    private IActorRef[] _units = [];
    private IReadOnlyList<IActorRef> _producers = [], _skipProducers = [], _consumers = [];
    private IActorRef _driver = ActorRefs.Nobody;
    private IActorRef _client = ActorRefs.Nobody;
    private GridBuffer? _input;
    private int _inputsReceived = -1;
    private float[]?[] _errors = [];
    private int _errorsReceived;
    private int _batch;
    private int _mixPending;
    private readonly float[]?[] _skipPieces;
    private int _skipsReceived;
    private ForwardSweep? _swept; // a finished forward sweep waiting for its residual add's pieces

    public TileActor(UnitSettings settings, WeightedLayer layer, Tile tile, IReadOnlyList<TileLink> inputs, IReadOnlyList<TileLink> skips, IReadOnlyList<TileLink> outputs)
    {
        _settings = settings;
        _layer = layer;
        _tile = tile;
        _compute = new TileCompute(layer, tile, settings.Fabric);
        _ledger = new TrafficLedger(settings.LayerCount);
        _inputs = inputs;
        _skips = skips;
        _skipPieces = new float[]?[skips.Count];
        _outputs = outputs;
        _last = layer.Index == settings.LayerCount - 1;
        _errors = new float[]?[Math.Max(1, outputs.Count)];
    }

    public static Props Props(UnitSettings settings, WeightedLayer layer, Tile tile, IReadOnlyList<TileLink> inputs, IReadOnlyList<TileLink> skips, IReadOnlyList<TileLink> outputs) =>
        Akka.Actor.Props.Create(() => new TileActor(settings, layer, tile, inputs, skips, outputs));

    protected override void PreStart()
    {
        // Created last to first so that each unit knows the next one of the sweep; the last hands back to the tile.
        var units = new IActorRef[_tile.UnitCount];
        var peers = new SweepPeers(units.Length); // cache hints along the sweep (see SweepPeers)
        IActorRef next = Self;
        for (int i = units.Length - 1; i >= 0; i--)
        {
            var (m, u, v) = _tile.UnitAt(i);
            units[i] = Context.ActorOf(UnitActor.Props(_settings, _layer, _tile, i, next, peers), $"u{m}-{u}-{v}");
            next = units[i];
        }
        _units = units;
        Context.Parent.Tell(new UnitsCreated(_layer.Index, _tile.Index, units.ToArray()));
    }

    // A unit that throws has lost its exchange state (and restarting it would rebuild an empty
    // store): never restart, let the member host end the run.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Escalate);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ActivationsProduced a: OnActivations(a); break;
            case ForwardSweep done: OnForwardDone(done); break;
            case ErrorsProduced e: OnErrors(e); break;
            case BackwardSweep done: OnBackwardDone(done); break;
            case ConnectTile c:
                // Producers: the input links' producers, then the skip links' producers.
                if (c.Producers.Count != _inputs.Count + _skips.Count || c.Consumers.Count != _outputs.Count)
                    throw new InvalidOperationException($"tile {_layer.Name}/{_tile.Index} wired with {c.Producers.Count}/{c.Consumers.Count} routes for {_inputs.Count + _skips.Count}/{_outputs.Count} links");
                _producers = c.Producers.Take(_inputs.Count).ToArray();
                _skipProducers = c.Producers.Skip(_inputs.Count).ToArray();
                _consumers = c.Consumers; _driver = c.Driver;
                break;
            case MixRounds m:
                _client = Sender;
                _mixPending = _units.Length;
                foreach (var u in _units) u.Tell(m);
                break;
            case RoundsMixed:
                if (--_mixPending == 0) _client.Tell(new RoundsMixed(-1));
                break;
            case LoadTileWeights l:
                _client = Sender;
                _units[0].Tell(new LoadSweep(l.Vectors));
                break;
            case LoadSweep:
                _client.Tell(new TileWeightsLoaded(_layer.Index, _tile.Index));
                break;
            case FetchTileWeights:
                _client = Sender;
                _units[0].Tell(new ReadSweep(new float[_units.Length * (_layer.FanIn + 1)]));
                break;
            case ReadSweep r:
                _client.Tell(new TileWeights(_layer.Index, _tile.Index, r.Vectors));
                break;
            case FetchTileState:
                _client = Sender;
                _units[0].Tell(new StateSweep(new byte[_units.Length][]));
                break;
            case StateSweep st:
                _client.Tell(new TileStateCaptured(_layer.Index, _tile.Index, TileStates.Pack(st.States)));
                break;
            case LoadTileState ld:
                _client = Sender;
                _units[0].Tell(new StateLoadSweep(ld.Step, TileStates.Unpack(ld.State, _units.Length, $"{_layer.Name} tile {_tile.Index}")));
                break;
            case StateLoadSweep:
                _client.Tell(new TileStateLoaded(_layer.Index, _tile.Index));
                break;
            case FetchUnitCounters:
                _client = Sender;
                _units[0].Tell(new CounterSweep(new TrafficLedger(_settings.LayerCount)));
                break;
            case CounterSweep c:
                c.Into.Merge(_ledger);
                _ledger.Clear();
                _client.Tell(c);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnActivations(ActivationsProduced a)
    {
        if (a.Train) _ledger.Deliver(_layer.Index, TrafficCategory.Activation);
        if (a.From < 0)
        {
            // The driver sends the first layer its whole input region.
            int batch = a.Data.Length / Math.Max(1, _compute.Region.Cells * _layer.InChannels);
            StartForward(a.Step, a.Train, new GridBuffer(_compute.Region.Height, _compute.Region.Width, _layer.InChannels, 0, batch, a.Data));
            return;
        }
        if (a.FromLayer == _layer.Skip)
        {
            OnSkipPiece(a);
            return;
        }
        int slot = Slot(_inputs, a.FromLayer, a.From, producer: true);
        int b = a.Data.Length / Math.Max(1, _inputs[slot].Area.Cells * _layer.InChannels);
        if (_inputsReceived < 0) { _input = _compute.InputBuffer(b); _inputsReceived = 0; }
        _compute.WriteInput(_inputs[slot], a.Data, _input!);
        PieceBuffers.Return(a.Data); // copied into the input region: the piece goes back to the pool
        if (++_inputsReceived < _inputs.Count) return;
        _inputsReceived = -1;
        StartForward(a.Step, a.Train, _input!);
    }

    private void StartForward(long step, bool train, GridBuffer input)
    {
        _batch = input.Batch;
        _units[0].Tell(new ForwardSweep(step, train, input, _compute.ForwardBuffer(input.Batch)));
    }

    private void OnSkipPiece(ActivationsProduced a)
    {
        int slot = Slot(_skips, a.FromLayer, a.From, producer: true);
        if (_skipPieces[slot] is not null) throw new InvalidOperationException($"tile {_layer.Name}/{_tile.Index} got two skip pieces from tile {a.From} in step {a.Step}");
        _skipPieces[slot] = a.Data;
        _skipsReceived++;
        if (_swept is { } done && _skipsReceived == _skips.Count) FinishForward(done);
    }

    private void OnForwardDone(ForwardSweep done)
    {
        if (done.Train) _ledger.Deliver(_layer.Index, TrafficCategory.Activation);
        if (_skipsReceived < _skips.Count)
        {
            _swept = done; // the residual add waits for the rest of its pieces
            return;
        }
        FinishForward(done);
    }

    private void FinishForward(ForwardSweep done)
    {
        if (_skips.Count > 0)
        {
            // Residual add, in skip-link order (each position gets exactly one piece).
            for (int i = 0; i < _skips.Count; i++)
            {
                _compute.AddSkip(_skips[i], _skipPieces[i], done.Output, _batch);
                PieceBuffers.Return(_skipPieces[i]);
            }
            Array.Clear(_skipPieces);
            _skipsReceived = 0;
            _swept = null;
        }
        var output = _compute.FinishForward(done.Output, _batch, done.Train ? _ledger : null);
        if (_last)
        {
            _driver.Tell(new LogitsProduced(_tile.Index, done.Step, done.Train, output), ActorRefs.NoSender);
            return;
        }
        for (int i = 0; i < _outputs.Count; i++)
        {
            var link = _outputs[i];
            _consumers[i].Tell(new ActivationsProduced(link.Layer, link.Consumer, _tile.Index, done.Step, done.Train, _compute.OutputPiece(link, output, _batch)) { FromLayer = _layer.Index }, ActorRefs.NoSender);
        }
        PieceBuffers.Return(output); // cut into pieces, each now owned by its consumer
        // A tile whose whole region is cut off by pooling feeds nobody: its gradient is zero, known now.
        if (done.Train && _outputs.Count == 0) StartBackward(done.Step, _compute.GradBuffer(_batch));
    }

    private void OnErrors(ErrorsProduced e)
    {
        _ledger.Deliver(_layer.Index, TrafficCategory.Error);
        if (e.From < 0)
        {
            StartBackward(e.Step, e.Data); // the loss gradient of the last layer, as computed by the driver
            PieceBuffers.Return(e.Data);
            return;
        }
        int slot = Slot(_outputs, e.FromLayer, e.From, producer: false);
        if (_errors[slot] is not null) throw new InvalidOperationException($"tile {_layer.Name}/{_tile.Index} got two error pieces from tile {e.From} in step {e.Step}");
        _errors[slot] = e.Data;
        if (++_errorsReceived < _outputs.Count) return;
        // Sum the consumers' pieces in consumer order, as one process summing whole error grids would.
        var grad = _compute.GradBuffer(_batch);
        for (int i = 0; i < _outputs.Count; i++)
        {
            _compute.AddGradPiece(_outputs[i], _errors[i], grad, _batch);
            PieceBuffers.Return(_errors[i]);
        }
        Array.Clear(_errors);
        _errorsReceived = 0;
        StartBackward(e.Step, grad);
    }

    private void StartBackward(long step, float[] gradOutput)
    {
        var delta = _compute.BeginBackward(gradOutput, _batch, _ledger);
        // The residual add's gradient: the deltas over each skip link's area go back to its producer now.
        for (int i = 0; i < _skips.Count; i++)
        {
            var link = _skips[i];
            _skipProducers[i].Tell(new ErrorsProduced(link.ProducerLayer, link.Producer, _tile.Index, step, _compute.SkipErrorPiece(link, delta, _batch)) { FromLayer = _layer.Index }, ActorRefs.NoSender);
        }
        _units[0].Tell(new BackwardSweep(step, delta, _compute.NewInputError(_batch)));
    }

    private void OnBackwardDone(BackwardSweep done)
    {
        _ledger.Deliver(_layer.Index, TrafficCategory.Error);
        if (_layer.Index == 0)
        {
            _driver.Tell(new StepBackpropagated(_tile.Index, done.Step), ActorRefs.NoSender);
            return;
        }
        for (int i = 0; i < _inputs.Count; i++)
        {
            var link = _inputs[i];
            _producers[i].Tell(new ErrorsProduced(link.ProducerLayer, link.Producer, _tile.Index, done.Step, _compute.ErrorPiece(link, done.InputError, _batch)) { FromLayer = _layer.Index }, ActorRefs.NoSender);
        }
        PieceBuffers.Return(done.InputError);
    }

    private int Slot(IReadOnlyList<TileLink> links, int layer, int tile, bool producer)
    {
        for (int i = 0; i < links.Count; i++)
            if (producer ? links[i].ProducerLayer == layer && links[i].Producer == tile : links[i].Layer == layer && links[i].Consumer == tile) return i;
        throw new InvalidOperationException($"tile {_layer.Name}/{_tile.Index} got a piece from layer {layer} tile {tile}, which is not linked to it");
    }
}

/// <summary>A tile's state: its units' state records, each length-prefixed, in sweep order.</summary>
public static class TileStates
{
    public static byte[] Pack(byte[][] units)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms))
        {
            w.Write(units.Length);
            foreach (var u in units)
            {
                w.Write(u.Length);
                w.Write(u);
            }
        }
        return ms.ToArray();
    }

    public static byte[][] Unpack(byte[] state, int units, string tile)
    {
        using var r = new BinaryReader(new MemoryStream(state));
        try
        {
            int count = r.ReadInt32();
            if (count != units) throw new InvalidDataException($"{tile}: the checkpoint holds {count} units, the tile has {units} (was it made for another --tile or --arch?)");
            var result = new byte[count][];
            for (int i = 0; i < count; i++)
            {
                int length = r.ReadInt32();
                if (length < 0 || length > state.Length - r.BaseStream.Position) throw new InvalidDataException($"{tile}: unit {i}'s state record runs past the end");
                result[i] = r.ReadBytes(length);
            }
            if (r.BaseStream.Position != state.Length) throw new InvalidDataException($"{tile}: bytes left over after its last unit");
            return result;
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{tile}: its state is truncated");
        }
    }
}
