using Akka.Actor;
using Akka.Event;
using NodeMesh.Actors.Members;
using NodeMesh.Actors.Messages;
using NodeMesh.Core.Data;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Placement;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;

namespace NodeMesh.Actors.Driving;

/// <summary>What the driver of a run needs. Local to the driver's process: the dataset never leaves it.</summary>
/// <param name="Spec">The run's settings, sent to every member.</param>
/// <param name="Options">Epochs, batches, limits and shuffling (the driver's business only).</param>
/// <param name="Data">Training and test sets.</param>
/// <param name="ShippedWeights">Initial weights to ship (<c>--init</c>), or null when members derive them from the seed.</param>
/// <param name="Hosts">The host actor of every member, indexed by member.</param>
/// <param name="Progress">Receives a <see cref="StepProgress"/> after every training step (or Nobody).</param>
public sealed record DriverSetup(RunSpec Spec, TrainOptions Options, DatasetPair Data, float[][]? ShippedWeights, IReadOnlyList<IActorRef> Hosts, IActorRef Progress)
{
    /// <summary>How long the driver waits for any reply before it declares the run stalled.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// What building a region may take beyond <see cref="StallTimeout"/>, per unit actor of the net:
    /// a member creates its units and loads their weights before it answers, which for a million
    /// unit actors takes minutes (about 0.33 ms per unit on 2 busy cores). 1 ms per unit: 20 minutes for 1.2 million.
    /// </summary>
    public TimeSpan BuildTimePerUnit { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Where checkpoints go (null: none are written).</summary>
    public ICheckpointSink? Checkpoints { get; init; }

    /// <summary>Write a checkpoint after every this many steps (0: only when asked, e.g. after each epoch).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>A checkpoint to continue from: its position and every tile's state (null: a new run).</summary>
    public ResumePoint? Resume { get; init; }

    /// <summary>
    /// When a member is lost: false ends the run (the default); true re-places its tiles on the
    /// remaining members and continues from the last checkpoint (or from the start without one).
    /// </summary>
    public bool ResumeOnMemberLoss { get; init; }
}

/// <summary>Receives the checkpoints a driver takes; called on the driver's thread, between steps.</summary>
public interface ICheckpointSink
{
    void Save(CheckpointPosition position, IReadOnlyList<Core.Checkpoints.TileState> tiles);
}

/// <summary>A checkpoint to resume from.</summary>
public sealed record ResumePoint(CheckpointPosition Position, IReadOnlyList<Core.Checkpoints.TileState> Tiles);

/// <summary>
/// Drives a run: has every member build its region, injects each batch's images into the first
/// layer's tiles, computes the loss from the logits the last layer sends, sends the logits'
/// gradient back, waits for the first layer to finish the backward pass, and collects counters,
/// weights and mixing results. It holds no weights and no tile state. Each protocol has its own
/// phase and counter; a failure anywhere (an actor, a member, a stall) ends the run with a reply
/// that says what happened, never a silent hang.
/// </summary>
public sealed partial class DriverActor : UntypedActor
{
    private enum Phase { Idle, Preparing, LoadingWeights, LoadingState, Stepping, Counting, Checkpointing, FetchingModel, Mixing, Recovering, Failed, Ended }

    private readonly DriverSetup _setup;
    private readonly NetworkPlan _plan;
    private readonly TilePlan _tiles;
    private TilePlacement _placement;
    private List<IActorRef> _hosts;
    private RunSpec _spec;
    private readonly TrafficLedger _ledger;
    private readonly long _lossByteHopsPerSample;
    private Phase _phase = Phase.Idle;
    private IActorRef _client = ActorRefs.Nobody;
    private string _failure = "";

    public DriverActor(DriverSetup setup)
    {
        _setup = setup;
        _plan = setup.Spec.Plan();
        _tiles = setup.Spec.Tiles(_plan);
        _spec = setup.Spec;
        _loadOnPrepare = setup.Resume;
        // A resumed run that loses a member before its next checkpoint goes back to the one it resumed from.
        if (setup.ResumeOnMemberLoss) _lastCheckpoint = setup.Resume;
        _hosts = [.. setup.Hosts];
        _placement = TilePlacement.Build(_tiles, setup.Spec.Members, setup.Spec.Placement);
        _ledger = new TrafficLedger(_plan.Layers.Count);
        _lossByteHopsPerSample = new Core.Fabric.FabricLayout(_plan, setup.Spec.Fabric).LossTransfers(1).ByteHops;
        if (setup.Hosts.Count != setup.Spec.Members)
            throw new ArgumentException($"the spec names {setup.Spec.Members} members but {setup.Hosts.Count} hosts were given", nameof(setup));
        if (_tiles.Tiles[^1].Count != 1)
            throw new ArgumentException("the last layer must be one tile (a dense layer)", nameof(setup));
    }

    public static Props Props(DriverSetup setup) => Akka.Actor.Props.Create(() => new DriverActor(setup));

    protected override void PreStart()
    {
        foreach (var h in _hosts) Context.Watch(h);
        WaitAtMost(_setup.StallTimeout);
    }

    private TimeSpan _waitBound;

    /// <summary>How long the driver waits for the next message before it declares the run stalled.</summary>
    private void WaitAtMost(TimeSpan bound)
    {
        _waitBound = bound;
        Context.SetReceiveTimeout(bound);
    }

    /// <summary>The stall bound while members build regions: the stall timeout plus the build time allowed per unit actor of the net.</summary>
    private TimeSpan BuildBound => _setup.StallTimeout + _setup.BuildTimePerUnit * _plan.UnitCount;

    protected override void OnReceive(object message)
    {
        try
        {
            Dispatch(message);
        }
        catch (Exception e)
        {
            Fail($"the driver failed: {e.GetType().Name}: {e.Message}");
        }
    }

    private void Dispatch(object message)
    {
        if (message is EndRun)
        {
            // The run is over: members leaving or stopping from now on is the plan, not a failure.
            _phase = Phase.Ended;
            foreach (var h in _hosts) Context.Unwatch(h);
            Context.SetReceiveTimeout(null);
            return;
        }
        if (_phase == Phase.Ended)
        {
            if (message is not (Terminated or MemberLost or ReceiveTimeout)) Sender.Tell(new Status.Failure(new RunFailedException("the run has ended")));
            return;
        }
        switch (message)
        {
            case RunFailed f: Fail($"member {f.Member} failed: {f.Reason}"); return;
            case MemberLost l: OnMemberLost(l); return;
            case Terminated t: OnHostStopped(t.ActorRef); return;
            case ReceiveTimeout:
                if (_phase is not (Phase.Idle or Phase.Failed))
                    Fail($"no progress for {_waitBound.TotalSeconds:0.#} s while {Waiting()}");
                return;
        }
        if (_phase == Phase.Failed)
        {
            Sender.Tell(new Status.Failure(new RunFailedException(_failure)));
            return;
        }
        // Until every remaining member has dropped its region after a loss, replies of that region
        // can still arrive (a step's logits or backward, counters, weights, states, a build): they
        // were sent before its tiles stopped, so they all precede the last RegionReset. Drop them.
        if (_resetPending > 0 && message is RegionBuilt or TileWeightsLoaded or TileStateLoaded or TileStateCaptured
            or LogitsProduced or StepBackpropagated or MemberCounters or TileWeights or RoundsMixed)
            return;
        if ((_phase == Phase.Recovering || _catchUp) && message is Prepare or SaveCheckpoint or TrainEpoch or Evaluate or FetchTraffic or FetchModel or MixRounds)
        {
            _deferred.Enqueue((message, Sender)); // answered once the run is back where the loss found it
            return;
        }
        switch (message)
        {
            case Prepare: Begin(Phase.Preparing); StartPrepare(); break;
            case RegionBuilt r: OnRegionBuilt(r); break;
            case RegionReset r: OnRegionReset(r); break;
            case TileWeightsLoaded: OnWeightsLoaded(); break;
            case TileStateLoaded: OnStateLoaded(); break;
            case SaveCheckpoint: Begin(Phase.Checkpointing); StartCheckpoint(atEpochEnd: true); break;
            case TileStateCaptured c: OnTileState(c); break;
            case TrainEpoch e: Begin(Phase.Stepping); BeginPass(true, e.Epoch); break;
            case Evaluate: Begin(Phase.Stepping); Quiesce(() => BeginPass(false, _epoch)); break;
            case LogitsProduced l: OnLogits(l); break;
            case StepBackpropagated b: OnBackpropagated(b); break;
            case FetchTraffic: Begin(Phase.Counting); StartCounting(trafficOnly: true); break;
            case MemberCounters c: OnMemberCounters(c); break;
            case FetchModel: Begin(Phase.FetchingModel); Quiesce(StartFetchModel); break;
            case TileWeights w: OnTileWeights(w); break;
            case MixRounds m: Begin(Phase.Mixing); StartMix(m); break;
            case RoundsMixed: OnRoundsMixed(); break;
            default: Unhandled(message); break;
        }
    }

    private void Begin(Phase phase)
    {
        if (_phase != Phase.Idle) throw new InvalidOperationException($"a {phase} request arrived while {_phase} is in progress");
        _phase = phase;
        _client = Sender;
    }

    private void Done(object reply)
    {
        _phase = Phase.Idle;
        _client.Tell(reply);
        ReplayDeferred();
    }

    /// <summary>Hands the requests deferred during a recovery back to the mailbox, in order.</summary>
    private void ReplayDeferred()
    {
        while (_deferred.TryDequeue(out var d)) Self.Tell(d.Message, d.Sender);
    }

    private void Fail(string reason)
    {
        if (_phase == Phase.Failed) return;
        _failure = reason;
        _phase = Phase.Failed;
        Context.System.Log.Error("NodeMesh run failed: {0}", reason);
        _client.Tell(new Status.Failure(new RunFailedException(reason)));
        while (_deferred.TryDequeue(out var d)) d.Sender.Tell(new Status.Failure(new RunFailedException(reason)));
    }

    private int IndexOf(IActorRef host)
    {
        for (int i = 0; i < _hosts.Count; i++) if (_hosts[i].Equals(host)) return i;
        return -1;
    }

    private IActorRef TileRoute(int layer, int tile) => _hosts[_placement.MemberOf(layer, tile)];

    // ---- preparing ------------------------------------------------------------------------

    private int _regionsPending, _weightsPending, _statePending, _units, _tileCount, _reducers;
    private CheckpointPosition? _resumeAt;
    private ResumePoint? _loadOnPrepare;

    private void StartPrepare()
    {
        _regionsPending = _hosts.Count;
        _units = _tileCount = _reducers = 0;
        WaitAtMost(BuildBound);
        for (int m = 0; m < _hosts.Count; m++)
            _hosts[m].Tell(new BuildRegion(_spec, m, _hosts.ToArray(), Self));
    }

    private void OnRegionBuilt(RegionBuilt r)
    {
        if (_phase != Phase.Recovering) Expect(Phase.Preparing, r);
        _units += r.Units; _tileCount += r.Tiles; _reducers += r.Reducers;
        if (--_regionsPending > 0) return;
        if (_setup.ShippedWeights is null || _loadOnPrepare is not null) { LoadStateOrDone(); return; }
        if (_phase != Phase.Recovering) _phase = Phase.LoadingWeights;
        _weightsPending = _tiles.Tiles.Sum(t => t.Count);
        foreach (var l in _plan.Layers)
            foreach (var t in _tiles.Tiles[l.Index])
                TileRoute(l.Index, t.Index).Tell(new LoadTileWeights(l.Index, t.Index, WeightSlices.ForTile(l, t, _setup.ShippedWeights[l.Index])));
    }

    private void OnWeightsLoaded()
    {
        if (_phase != Phase.Recovering) Expect(Phase.LoadingWeights, "TileWeightsLoaded");
        if (--_weightsPending == 0) Prepared(done: true);
    }

    /// <summary>On resume, loads every tile's saved state before the run is prepared.</summary>
    private void LoadStateOrDone()
    {
        if (_loadOnPrepare is not { } resume) { Prepared(done: true); return; }
        var expected = _tiles.Tiles.SelectMany(l => l.Select(t => (t.Layer, t.Index))).ToHashSet();
        var given = resume.Tiles.Select(t => (t.Layer, t.Tile)).ToList();
        if (given.Count != expected.Count || !given.ToHashSet().SetEquals(expected))
            throw new InvalidOperationException($"the checkpoint holds {given.Count} tile states but the run has {expected.Count} tiles (was it made with another --arch or --tile?)");
        if (_phase != Phase.Recovering) _phase = Phase.LoadingState;
        _statePending = resume.Tiles.Count;
        _globalStep = resume.Position.GlobalStep;
        _resumeAt = resume.Position;
        foreach (var t in resume.Tiles) TileRoute(t.Layer, t.Tile).Tell(new LoadTileState(t.Layer, t.Tile, _globalStep, t.State));
    }

    private void OnStateLoaded()
    {
        if (_phase != Phase.Recovering) Expect(Phase.LoadingState, "TileStateLoaded");
        if (--_statePending == 0) Prepared(done: true);
    }

    /// <summary>The region is built and loaded: answer the client, or go back to the work a lost member interrupted.</summary>
    private void Prepared(bool done)
    {
        _ = done;
        WaitAtMost(_setup.StallTimeout);
        if (_phase == Phase.Recovering) { Recovered(); return; }
        Done(Prepared());
    }

    private Prepared Prepared() => new(_units, _tileCount, _reducers, _hosts.Count);

    private void Expect(Phase phase, object what)
    {
        if (_phase != phase) throw new InvalidOperationException($"{(what is string s ? s : what.GetType().Name)} arrived while {_phase}");
    }

    private string Waiting() => _phase switch
    {
        Phase.Preparing => $"waiting for {_regionsPending} of {_hosts.Count} members to build their regions",
        Phase.LoadingWeights => $"waiting for {_weightsPending} tiles to load their weights",
        Phase.LoadingState => $"waiting for {_statePending} tiles to load their checkpointed state",
        Phase.Checkpointing => $"waiting for {(_statesPending > 0 ? $"the state of {_statesPending} tiles" : $"the counters of {_countersPending} members")} for a checkpoint",
        Phase.Stepping => $"waiting for step {_stepInEpoch + 1} of {_stepsInEpoch} ({(_train ? $"epoch {_epoch}" : "evaluation")}; {(_awaitingLogits ? "logits" : $"{_backwardPending} first-layer tiles to finish the backward pass")})",
        Phase.Counting => $"waiting for the counters of {_countersPending} members",
        Phase.FetchingModel => $"waiting for the weights of {_weightsPending} tiles",
        Phase.Mixing => $"waiting for {_mixPending} members to finish their gossip rounds",
        _ => _phase.ToString(),
    };
}

/// <summary>A run ended because of a failure (an actor, a lost member, a stall); the message says which.</summary>
public sealed class RunFailedException(string message) : Exception(message);
