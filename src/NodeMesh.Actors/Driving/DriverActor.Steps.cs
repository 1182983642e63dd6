using Akka.Actor;
using NodeMesh.Actors.Members;
using NodeMesh.Actors.Messages;
using NodeMesh.Core.Data;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;

namespace NodeMesh.Actors.Driving;

// Running passes, collecting counters and weights, and mixing.
public sealed partial class DriverActor
{
    private bool _train;
    private int _epoch;
    private long _globalStep;
    private int[] _order = [];
    private int _cursor, _end, _stepInEpoch, _stepsInEpoch;
    private int[] _batchIdx = [];
    private double _lossSum;
    private int _correct, _samples;
    private Dataset _set = null!;
    private bool _awaitingLogits;
    private int _backwardPending;

    private void BeginPass(bool train, int epoch)
    {
        _train = train;
        _epoch = epoch;
        var o = _setup.Options;
        _set = train ? _setup.Data.Train : _setup.Data.Test;
        int count = train
            ? (o.TrainLimit > 0 ? Math.Min(o.TrainLimit, _set.Count) : _set.Count)
            : (o.TestLimit > 0 ? Math.Min(o.TestLimit, _set.Count) : _set.Count);
        _order = train ? EpochOrder.Build(count, o.Shuffle, o.Seed, epoch) : Enumerable.Range(0, count).ToArray();
        int batch = train ? o.Batch : o.EvalBatch;
        _stepsInEpoch = (count + batch - 1) / batch;
        _cursor = 0; _stepInEpoch = 0;
        _lossSum = 0; _correct = 0; _samples = 0;
        if (train && _resumeAt is { } at && at.Epoch == epoch)
        {
            // Continue the epoch where the checkpoint left it: same order, same sums, its counters so far.
            _cursor = at.Cursor; _stepInEpoch = at.StepInEpoch;
            _lossSum = at.LossSum; _correct = at.Correct; _samples = at.Samples;
            Carried.Merge(at.Carried);
            _resumeAt = null;
        }
        if (train && !_catchUp) _epochStartStep = _globalStep - _stepInEpoch;
        NextBatch();
    }

    private void NextBatch()
    {
        if (_cursor >= _order.Length)
        {
            _phase = Phase.Idle;
            if (_train && _catchUp) { FinishCatchUpPass(); return; }
            if (_train) { _trainedTo = _globalStep; _phase = Phase.Counting; StartCounting(trafficOnly: false); }
            else Done(new Evaluated(_lossSum / Math.Max(1, _samples), (double)_correct / Math.Max(1, _samples), _samples));
            return;
        }
        int batch = _train ? _setup.Options.Batch : _setup.Options.EvalBatch;
        _end = Math.Min(_order.Length, _cursor + batch);
        _batchIdx = _order[_cursor.._end];
        var first = _plan.Layers[0];
        var images = GridBuffer.FromImages(_set.Images, _plan.InputChannels, _plan.InputHeight, _plan.InputWidth, first.Kind == LayerKind.Conv ? first.Padding : 0, _batchIdx);
        int cell = first.InChannels * images.Batch;
        _awaitingLogits = true;
        foreach (var t in _tiles.Tiles[0])
        {
            var r = TileLinks.InputRegion(first, t);
            var region = new float[r.Cells * cell];
            RegionCopy.Copy(images.Data, images.PaddedWidth, r.Y0, r.X0, region, r.Width, 0, 0, r.Height, r.Width, cell);
            TileRoute(0, t.Index).Tell(new ActivationsProduced(0, t.Index, -1, _globalStep, _train, region));
        }
    }

    private void OnLogits(LogitsProduced l)
    {
        Expect(Phase.Stepping, l);
        if (!_awaitingLogits || l.Train != _train) throw new InvalidOperationException($"unexpected logits of step {l.Step}");
        _awaitingLogits = false;
        int batch = _batchIdx.Length, last = _plan.Layers.Count - 1;
        var labels = new byte[batch];
        for (int b = 0; b < batch; b++) labels[b] = _set.Labels[_batchIdx[b]];
        var delta = _train ? new float[_plan.Classes * batch] : [];
        double loss = SoftmaxCrossEntropy.Evaluate(l.Logits, labels, _plan.Classes, batch, delta, out int correct);
        _lossSum += loss; _correct += correct; _samples += batch;
        if (!_train)
        {
            _cursor = _end;
            _stepInEpoch++;
            NextBatch();
            return;
        }
        _ledger.Deliver(last, TrafficCategory.Activation);
        long flows = _plan.Classes;
        long lossByteHops = _lossByteHopsPerSample * batch;
        _ledger.Add(last, TrafficCategory.Activation, flows, flows * batch * FabricModel.FloatBytes, lossByteHops);
        _ledger.Add(last, TrafficCategory.Error, flows, flows * batch * FabricModel.FloatBytes, lossByteHops);
        _backwardPending = _tiles.Tiles[0].Count;
        TileRoute(last, 0).Tell(new ErrorsProduced(last, 0, -1, _globalStep, delta));
    }

    private void OnBackpropagated(StepBackpropagated b)
    {
        Expect(Phase.Stepping, b);
        if (b.Step != _globalStep) throw new InvalidOperationException($"tile {b.Tile} finished step {b.Step} during step {_globalStep}");
        _ledger.Deliver(0, TrafficCategory.Control);
        if (--_backwardPending > 0) return;
        _globalStep++;
        _stepInEpoch++;
        _cursor = _end;
        _setup.Progress.Tell(new StepProgress(_epoch, _stepInEpoch, _stepsInEpoch, _lossSum / _samples));
        // No checkpoint while catching up: the epoch was reported as trained, a mid-epoch one would go back.
        if (_setup.Checkpoints is not null && _setup.CheckpointEvery > 0 && _globalStep % _setup.CheckpointEvery == 0 && _cursor < _order.Length && !_catchUp)
        {
            _phase = Phase.Checkpointing;
            StartCheckpoint(atEpochEnd: false);
            return;
        }
        NextBatch();
    }

    // ---- counters: units and tiles of every member first, then the star reducers -----------

    private int _countersPending;
    private bool _reducersAsked, _trafficOnly;
    private TrafficLedger? _collected, _countersInto;
    private Action? _countersDone;

    // Under gossip a unit swept early can still answer an offer from a unit whose round is open;
    // what it counts then would land in the next collection while its peer's side lands in this
    // one. The quiescence sweep ends every round first, so this collection holds both sides.
    private void StartCounting(bool trafficOnly) => Quiesce(() => CountAll(trafficOnly));

    private void CountAll(bool trafficOnly)
    {
        _trafficOnly = trafficOnly;
        _collected = new TrafficLedger(_plan.Layers.Count);
        _collected.Merge(_ledger);
        _ledger.Clear();
        if (!trafficOnly) { _collected.Merge(Carried.Snapshot()); Carried.Clear(); }
        CollectCounters(_collected, FinishCounting);
    }

    private void FinishCounting()
    {
        var counts = _collected!.Snapshot();
        _collected = null;
        Done(_trafficOnly
            ? new TrafficResponse(counts)
            : new EpochTrained(_epoch, _lossSum / Math.Max(1, _samples), (double)_correct / Math.Max(1, _samples), _samples, _stepInEpoch, counts, TakeRecoveries()));
    }

    /// <summary>Asks every member for its units' and tiles' counters, then (once all have answered)
    /// for its reducers' counters, merges them all into <paramref name="into"/> and calls <paramref name="done"/>.</summary>
    private void CollectCounters(TrafficLedger into, Action done)
    {
        _countersInto = into;
        _countersDone = done;
        _reducersAsked = false;
        _countersPending = _hosts.Count;
        foreach (var h in _hosts) h.Tell(FetchUnitCounters.Instance);
    }

    private void OnMemberCounters(MemberCounters c)
    {
        if (_countersInto is null) throw new InvalidOperationException($"member counters arrived while {_phase} collects none");
        if (_phase is not (Phase.Checkpointing or Phase.Stepping or Phase.FetchingModel)) Expect(Phase.Counting, c);
        _countersInto!.Merge(c.Counts);
        if (--_countersPending > 0) return;
        if (!_reducersAsked)
        {
            _reducersAsked = true;
            _countersPending = _hosts.Count;
            foreach (var h in _hosts) h.Tell(FetchReducerCounters.Instance);
            return;
        }
        var done = _countersDone!;
        _countersInto = null;
        _countersDone = null;
        done();
    }

    // ---- quiescence: no gossip exchange open before evaluating or reading the model --------

    /// <summary>
    /// Gossip runs asynchronously beside the steps. Before an evaluation or a model fetch the driver
    /// sweeps every unit once (the counter sweep): a unit passes a sweep only when it has no exchange
    /// open, and exchanges start only after a training update, so when the sweep has passed every
    /// unit no round is open and no gossip message is in flight; the evaluation and the weights then
    /// see one state of the model. The traffic counts collected go back into the driver's ledger, so the next report has them.
    /// A unit swept early may still answer an offer after its sweep: what it counts then is collected by the next sweep.
    /// </summary>
    private void Quiesce(Action then)
    {
        if (_setup.Spec.Strategy.Kind != Core.Strategies.StrategyKind.Gossip) { then(); return; }
        var swept = new TrafficLedger(_plan.Layers.Count);
        CollectCounters(swept, () =>
        {
            swept.ClearDevices(); // device counters are cumulative in the stores; the epoch's collection reports them
            _ledger.Merge(swept);  // the traffic counted so far goes into the next report, as if never collected
            then();
        });
    }

    // ---- model ----------------------------------------------------------------------------

    private float[][] _model = [];

    private void StartFetchModel()
    {
        _model = _plan.Layers.Select(l => new float[(long)l.UnitCount * (l.FanIn + 1)]).ToArray();
        _weightsPending = _tiles.Tiles.Sum(t => t.Count);
        foreach (var l in _plan.Layers)
            foreach (var t in _tiles.Tiles[l.Index])
                TileRoute(l.Index, t.Index).Tell(new FetchTileWeights(l.Index, t.Index));
    }

    private void OnTileWeights(TileWeights w)
    {
        Expect(Phase.FetchingModel, w);
        var l = _plan.Layers[w.Layer];
        WeightSlices.IntoLayer(l, _tiles.Tiles[w.Layer][w.Tile], w.Vectors, _model[w.Layer]);
        if (--_weightsPending > 0) return;
        var model = _model;
        _model = [];
        Done(new ModelResponse(model));
    }

    // ---- gossip mixing without training -------------------------------------------------

    private int _mixPending;

    private void StartMix(MixRounds m)
    {
        _lastMix = m;
        _mixPending = _hosts.Count;
        foreach (var h in _hosts) h.Tell(m);
    }

    private void OnRoundsMixed()
    {
        Expect(Phase.Mixing, "RoundsMixed");
        if (--_mixPending == 0) Done(new RoundsMixed(-1));
    }

    // ---- checkpoints: counters so far, then every tile's state, at a cut between steps ----

    private int _statesPending;
    private bool _checkpointAtEpochEnd;
    private List<Core.Checkpoints.TileState> _states = [];

    private void StartCheckpoint(bool atEpochEnd)
    {
        if (_setup.Checkpoints is null) throw new InvalidOperationException("this run keeps no checkpoints");
        _checkpointAtEpochEnd = atEpochEnd;
        _states = [];
        _statesPending = 0;
        // The epoch's counters so far are part of the state.
        CollectCounters(Carried, FetchTileStates);
    }

    private void FetchTileStates()
    {
        Carried.Merge(_ledger.Snapshot());
        Carried.ClearDevices();
        _ledger.Clear();
        _statesPending = _tiles.Tiles.Sum(t => t.Count);
        foreach (var l in _plan.Layers)
            foreach (var t in _tiles.Tiles[l.Index])
                TileRoute(l.Index, t.Index).Tell(new FetchTileState(l.Index, t.Index));
    }

    private TrafficLedger Carried => _carriedLedger ??= new TrafficLedger(_plan.Layers.Count);

    private TrafficLedger? _carriedLedger;

    private void OnTileState(TileStateCaptured c)
    {
        Expect(Phase.Checkpointing, c);
        _states.Add(new Core.Checkpoints.TileState(c.Layer, c.Tile, c.State));
        if (--_statesPending > 0) return;
        _states.Sort((a, b) => a.Layer != b.Layer ? a.Layer.CompareTo(b.Layer) : a.Tile.CompareTo(b.Tile));
        var position = _checkpointAtEpochEnd
            ? new CheckpointPosition(_epoch + 1, 0, 0, _globalStep, 0, 0, 0, TrafficCounts.Empty(_plan.Layers.Count))
            : new CheckpointPosition(_epoch, _cursor, _stepInEpoch, _globalStep, _lossSum, _correct, _samples, Carried.Snapshot());
        if (_checkpointAtEpochEnd) Carried.Clear();
        _setup.Checkpoints!.Save(position, _states);
        Remember(position, _states);
        _states = [];
        if (_checkpointAtEpochEnd) { Done(new CheckpointSaved(_globalStep)); return; }
        _phase = Phase.Stepping;
        NextBatch();
    }

    private MemberRecovery[] TakeRecoveries()
    {
        var r = _recoveries.ToArray();
        _recoveries.Clear();
        return r;
    }
}
