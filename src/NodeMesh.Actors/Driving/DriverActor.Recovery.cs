using Akka.Actor;
using Akka.Event;
using NodeMesh.Actors.Messages;
using NodeMesh.Core.Placement;

namespace NodeMesh.Actors.Driving;

/// <summary>A member lost during a run, and what it cost.</summary>
/// <param name="Member">The lost member (host:port, or the host actor's path in local mode).</param>
/// <param name="Reason">Why it was declared lost.</param>
/// <param name="LostAtStep">The run's next step when the loss was noticed.</param>
/// <param name="ResumedAtStep">The step the run continued from (the last checkpoint's).</param>
/// <param name="Members">Members holding tiles afterwards.</param>
public sealed record MemberRecovery(string Member, string Reason, long LostAtStep, long ResumedAtStep, int Members)
{
    /// <summary>Training steps computed again because of the loss.</summary>
    public long StepsRedone => LostAtStep - ResumedAtStep;
}

// Losing a member: end the run (the default), or re-place the lost member's tiles on the others
// and continue from the last checkpoint.
public sealed partial class DriverActor
{
    private Phase _interrupted;
    private bool _interruptedTrain;
    private ResumePoint? _lastCheckpoint;
    private readonly List<MemberRecovery> _recoveries = [];
    private int _resetPending;
    private int _resetRound;          // the current reset's round: replies of an earlier one are stale
    private MixRounds? _lastMix;
    private long _trainedTo;          // the global step at the end of the last completed training pass
    private long _epochStartStep;     // the global step at which the current (or last) training epoch began
    private int _interruptedEpoch;    // the epoch the lost member interrupted
    private long _interruptedEpochStart;
    private bool _catchUp;            // training again, unreported, what the loss rolled back before the interrupted work
    private long _catchUpTo;          // ... up to this global step
    private bool _resumeTraining;     // after catching up: train the interrupted epoch again, reported
    private readonly Queue<(object Message, IActorRef Sender)> _deferred = new(); // requests that came during a recovery

    private void OnMemberLost(MemberLost lost)
    {
        int index = _hosts.FindIndex(h => $"{h.Path.Address.Host}:{h.Path.Address.Port}" == lost.Address);
        if (index < 0) return; // already gone (a second notice for the same member)
        Lose(index, lost.Address, lost.Reason);
    }

    private void OnHostStopped(IActorRef host)
    {
        int index = _hosts.IndexOf(host);
        if (index < 0) return;
        Lose(index, host.Path.Address.HasGlobalScope ? $"{host.Path.Address.Host}:{host.Path.Address.Port}" : host.Path.ToString(), "its host actor stopped");
    }

    private void Lose(int index, string member, string reason)
    {
        if (_phase is Phase.Failed or Phase.Ended) return;
        if (!_setup.ResumeOnMemberLoss) { Fail($"lost member {member}: {reason}"); return; }
        if (_hosts.Count == 1) { Fail($"lost member {member}: {reason}; no member is left to continue on"); return; }
        if (_phase != Phase.Recovering && !_catchUp) // a loss during a recovery keeps what the first one interrupted
        {
            _interrupted = _phase;
            _interruptedTrain = _train;
            _interruptedEpoch = _epoch;
            _interruptedEpochStart = _epochStartStep;
        }
        long lostAt = _globalStep;
        Context.Unwatch(_hosts[index]);
        _hosts.RemoveAt(index);
        _loadOnPrepare = _lastCheckpoint;
        long resumedAt = _lastCheckpoint?.Position.GlobalStep ?? 0;
        _recoveries.Add(new MemberRecovery(member, reason, lostAt, resumedAt, _hosts.Count));
        Context.System.Log.Warning("NodeMesh lost member {0} ({1}) at step {2}; continuing on {3} member(s) from step {4}", member, reason, lostAt, _hosts.Count, resumedAt);
        // Drop every remaining region (tiles, units, reducers), then build a new one for fewer members.
        _phase = Phase.Recovering;
        _resetPending = _hosts.Count;
        _resetRound++;
        foreach (var h in _hosts) h.Tell(new ResetRegion(_resetRound));
    }

    private void OnRegionReset(RegionReset r)
    {
        // A host answers each reset round once; an answer to an earlier round (a second member
        // was lost while the remaining ones dropped their regions) would be counted twice.
        if (r.Round != _resetRound) return;
        Expect(Phase.Recovering, r);
        if (--_resetPending > 0) return;
        _spec = _spec with { Members = _hosts.Count };
        _placement = TilePlacement.Build(_tiles, _spec.Members, _spec.Placement);
        _regionsPending = _hosts.Count;
        _units = _tileCount = _reducers = 0;
        WaitAtMost(BuildBound);
        for (int m = 0; m < _hosts.Count; m++)
            _hosts[m].Tell(new BuildRegion(_spec, m, _hosts.ToArray(), Self));
    }

    /// <summary>Rebuilt and reloaded: go back to what the lost member interrupted, from the checkpoint.</summary>
    /// <remarks>
    /// The checkpoint can be older than the interrupted work's start: a loss while evaluating, idle,
    /// reading the model or taking the epoch's checkpoint comes after the epoch's training, and a loss
    /// early in an epoch can find the last checkpoint in an earlier one (the epoch boundary falls
    /// between two checkpoint steps). The steps from the checkpoint to that start are trained again
    /// first, unreported (<see cref="_catchUp"/>), across as many epoch boundaries as they span;
    /// otherwise they would be lost silently. Then the interrupted work starts again: an interrupted
    /// training epoch from its checkpoint or its first step, reported, and anything else as asked.
    /// </remarks>
    private void Recovered()
    {
        _ledger.Clear();
        Carried.Clear();
        _globalStep = _lastCheckpoint?.Position.GlobalStep ?? 0;
        _resumeAt = _lastCheckpoint?.Position;
        _resumeTraining = _interrupted is Phase.Stepping or Phase.Checkpointing or Phase.Counting && _interruptedTrain
            && !(_interrupted == Phase.Counting && _trafficOnly) && !(_interrupted == Phase.Checkpointing && _checkpointAtEpochEnd);
        long target = _resumeTraining ? _interruptedEpochStart : _trainedTo;
        if (_globalStep < target)
        {
            _catchUp = true;
            _catchUpTo = target;
            _phase = Phase.Stepping;
            BeginPass(true, _resumeAt?.Epoch ?? 1);
            return;
        }
        AfterCatchUp();
    }

    /// <summary>The model is back where the interrupted work found it: start that work again.</summary>
    private void AfterCatchUp()
    {
        _epoch = _interruptedEpoch;
        if (_resumeTraining)
        {
            // Train the interrupted epoch again from the checkpoint inside it, or from its start.
            if (_resumeAt is { } at && at.Epoch != _epoch) _resumeAt = null; // consumed by the catch-up, or an epoch-end one before it
            _phase = Phase.Stepping;
            BeginPass(true, _epoch);
            return;
        }
        _resumeAt = null; // the model is at the end of the last training pass: the next epoch starts at its first step
        ContinueInterrupted();
    }

    /// <summary>The end of a catch-up pass: go on into the next epoch, or collect (and drop) its counters, which were reported with the epochs they belong to.</summary>
    private void FinishCatchUpPass()
    {
        if (_globalStep < _catchUpTo)
        {
            _phase = Phase.Stepping;
            BeginPass(true, _epoch + 1);
            return;
        }
        if (_globalStep != _catchUpTo)
        {
            Fail($"training again after a lost member reached step {_globalStep}, past step {_catchUpTo} where the interrupted work began");
            return;
        }
        _phase = Phase.Stepping;
        CollectCounters(new Core.Metrics.TrafficLedger(_plan.Layers.Count), () =>
        {
            _catchUp = false;
            _ledger.Clear();
            Carried.Clear();
            AfterCatchUp();
        });
    }

    /// <summary>Starts again what the lost member interrupted (other than training), on the rebuilt regions.</summary>
    private void ContinueInterrupted()
    {
        _phase = _interrupted;
        switch (_interrupted)
        {
            case Phase.Stepping:
                Quiesce(() => BeginPass(false, _epoch));
                break;
            case Phase.Counting:
                StartCounting(trafficOnly: true);
                break;
            case Phase.Checkpointing:
                StartCheckpoint(atEpochEnd: true);
                break;
            case Phase.FetchingModel:
                Quiesce(StartFetchModel);
                break;
            case Phase.Mixing:
                StartMix(_lastMix!);
                break;
            case Phase.Preparing or Phase.LoadingWeights or Phase.LoadingState:
                Done(Prepared());
                break;
            default:
                _phase = Phase.Idle;
                ReplayDeferred();
                break;
        }
    }

    /// <summary>Remembers a checkpoint (for recovery) as it is handed to the sink.</summary>
    private void Remember(CheckpointPosition position, IReadOnlyList<Core.Checkpoints.TileState> tiles)
    {
        if (_setup.ResumeOnMemberLoss) _lastCheckpoint = new ResumePoint(position, tiles.ToArray());
    }
}
