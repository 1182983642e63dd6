using Akka.Event;
using Akka.Remote.Transport;

namespace NodeMesh.Cluster.Transport;

/// <summary>
/// The association listener <see cref="CountingTransport"/> gives the wrapped transport: wraps
/// each inbound association in a <see cref="CountingAssociationHandle"/> and hands it to the
/// layer above. Associations that arrive before the layer above has registered its listener are
/// queued in arrival order and delivered when it does (Akka's FailureInjector drops them, which
/// would silently lose a connecting peer); if the registration fails, they are disassociated.
/// </summary>
internal sealed class InboundAssociationRelay : IAssociationEventListener
{
    private readonly WireCounters _counters;
    private readonly ILoggingAdapter _log;
    private readonly Lock _lock = new();
    private List<IAssociationEvent>? _pending = [];
    private bool _failed;
    // Set under the lock after the queue has been drained, so that an event that finds it set
    // cannot overtake a queued one.
    private volatile IAssociationEventListener? _upstream;

    public InboundAssociationRelay(WireCounters counters, ILoggingAdapter log, Task<IAssociationEventListener> upstream)
    {
        _counters = counters;
        _log = log;
        upstream.ContinueWith(
            static (task, state) => ((InboundAssociationRelay)state!).OnUpstreamListener(task),
            this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Number of events waiting for the upstream listener (for tests).</summary>
    internal int PendingCount
    {
        get { lock (_lock) return _pending?.Count ?? 0; }
    }

    public void Notify(IAssociationEvent ev)
    {
        if (ev is InboundAssociation inbound)
            ev = new InboundAssociation(new CountingAssociationHandle(inbound.Association, _counters, inbound: true));

        var upstream = _upstream;
        if (upstream is null)
        {
            lock (_lock)
            {
                upstream = _upstream;
                if (upstream is null)
                {
                    if (_failed) Reject(ev);
                    else _pending!.Add(ev);
                    return;
                }
            }
        }
        upstream.Notify(ev);
    }

    private void OnUpstreamListener(Task<IAssociationEventListener> task)
    {
        lock (_lock)
        {
            var pending = _pending!;
            _pending = null;
            if (task.IsCompletedSuccessfully)
            {
                var upstream = task.Result;
                // Notify only tells an actor: cheap and non-blocking, fine under the lock.
                foreach (var ev in pending) upstream.Notify(ev);
                _upstream = upstream;
            }
            else
            {
                _failed = true;
                foreach (var ev in pending) Reject(ev);
            }
        }
    }

    private void Reject(IAssociationEvent ev)
    {
        if (ev is InboundAssociation inbound)
            inbound.Association.Disassociate("the remoting layer never registered its association listener", _log);
    }
}
