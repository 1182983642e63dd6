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
    private MixRounds? _lastMix;
    private long _trainedTo;          // the global step at the end of the last completed training pass
    private bool _catchUp;            // training again, unreported, what a loss after the epoch's training rolled back
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
        foreach (var h in _hosts) h.Tell(ResetRegion.Instance);
    }

    private void OnRegionReset(RegionReset r)
    {
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
    private void Recovered()
    {
        _ledger.Clear();
        Carried.Clear();
        _globalStep = _lastCheckpoint?.Position.GlobalStep ?? 0;
        _resumeAt = _lastCheckpoint?.Position;
        bool training = _interrupted is Phase.Stepping or Phase.Checkpointing or Phase.Counting && _interruptedTrain
            && !(_interrupted == Phase.Counting && _trafficOnly) && !(_interrupted == Phase.Checkpointing && _checkpointAtEpochEnd);
        if (training)
        {
            // Train the interrupted epoch again from the checkpoint (inside it, or at its start).
            if (!CanContinueEpoch()) return;
            _phase = Phase.Stepping;
            BeginPass(true, _epoch);
            return;
        }
        if (_globalStep < _trainedTo)
        {
            // The loss came after the epoch's training (while evaluating, idle, reading the model,
            // taking the epoch's checkpoint): the checkpoint is older than the model that was
            // reported, so train the rest of the epoch again first, without reporting it, and then
            // do what was interrupted. Otherwise the steps since the checkpoint would be lost silently.
            if (!CanContinueEpoch()) return;
            _catchUp = true;
            _phase = Phase.Stepping;
            BeginPass(true, _epoch);
            return;
        }
        ContinueInterrupted();
    }

    private bool CanContinueEpoch()
    {
        if (_resumeAt is { } at && at.Epoch != _epoch)
        {
            Fail($"cannot continue epoch {_epoch} from the checkpoint of epoch {at.Epoch}");
            return false;
        }
        if (_resumeAt is null && _epoch > 1) { Fail($"cannot continue epoch {_epoch}: no checkpoint was taken"); return false; }
        return true;
    }

    /// <summary>The end of a catch-up pass: its counts were reported with the epoch, so they are collected and dropped.</summary>
    private void FinishCatchUp()
    {
        if (_globalStep != _trainedTo)
        {
            Fail($"training again after a lost member reached step {_globalStep}, not the epoch's end at step {_trainedTo}");
            return;
        }
        _phase = Phase.Stepping;
        CollectCounters(new Core.Metrics.TrafficLedger(_plan.Layers.Count), () =>
        {
            _catchUp = false;
            _ledger.Clear();
            Carried.Clear();
            ContinueInterrupted();
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
