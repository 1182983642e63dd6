using Akka.Actor;
using Akka.Cluster;
using NodeMesh.Actors.Messages;

namespace NodeMesh.Cluster.Membership;

/// <summary>Why a worker process ends, and its exit code.</summary>
public sealed record WorkerExit(int Code, string Reason)
{
    public const int Success = 0, RunFailed = 1, DriverLost = 3, ParentGone = 4, Stopped = 130;
}

/// <summary>
/// Decides when a worker's process ends: when the driver ends the run (exit 0, or 1 if the run
/// failed) — after the driver has left, so that the driver is the first member to exit (what
/// <c>docker compose up --abort-on-container-exit --exit-code-from driver</c> needs), at most
/// <see cref="LeaveGrace"/> later — when the driver of the run it joined becomes unreachable or
/// leaves the cluster (exit 3, within the failure detector's bound), or when it is stopped.
/// Before a run starts it waits.
/// </summary>
public sealed class WorkerMonitor : ReceiveActor, IWithTimers
{
    /// <summary>How long a worker waits for the driver to leave after the end of the run.</summary>
    public static readonly TimeSpan LeaveGrace = TimeSpan.FromSeconds(20);

    private sealed record GraceOver;

    private Address? _driver;
    private WorkerExit? _ended;

    public ITimerScheduler Timers { get; set; } = null!;

    public WorkerMonitor(TaskCompletionSource<WorkerExit> exit)
    {
        Receive<BuildRegion>(b =>
        {
            _driver = b.Driver.Path.Address;
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.MemberRemoved));
        });
        Receive<EndRun>(e =>
        {
            _ended = new WorkerExit(e.Success ? WorkerExit.Success : WorkerExit.RunFailed, e.Success ? "the run ended" : $"the run failed: {e.Reason}");
            if (_driver is null) { exit.TrySetResult(_ended); return; } // never joined a run: nothing to wait for
            Timers.StartSingleTimer("grace", new GraceOver(), LeaveGrace);
        });
        Receive<GraceOver>(_ => exit.TrySetResult(_ended!));
        Receive<ClusterEvent.UnreachableMember>(u =>
        {
            if (u.Member.Address.Equals(_driver)) exit.TrySetResult(_ended ?? new WorkerExit(WorkerExit.DriverLost, $"the driver {_driver} became unreachable"));
        });
        Receive<ClusterEvent.MemberRemoved>(r =>
        {
            if (r.Member.Address.Equals(_driver)) exit.TrySetResult(_ended ?? new WorkerExit(WorkerExit.DriverLost, $"the driver {_driver} left the cluster"));
        });
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
    }

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(BuildRegion));
        Context.System.EventStream.Subscribe(Self, typeof(EndRun));
    }

    public static Props Props(TaskCompletionSource<WorkerExit> exit) => Akka.Actor.Props.Create(() => new WorkerMonitor(exit));
}

/// <summary>
/// Driver side: tells the driver actor when one of the run's workers becomes unreachable or is
/// removed, so that the run ends within the failure detector's bound instead of waiting.
/// </summary>
public sealed class MemberWatch : ReceiveActor
{
    public MemberWatch(IReadOnlyCollection<Address> workers, IActorRef driver)
    {
        var watched = workers.ToHashSet();
        Receive<ClusterEvent.UnreachableMember>(u =>
        {
            if (!watched.Contains(u.Member.Address)) return;
            driver.Tell(new MemberLost($"{u.Member.Address.Host}:{u.Member.Address.Port}", "it became unreachable (no heartbeat within the failure detector's pause)"));
            // The run is over for this member: down it, so that the others can leave the cluster
            // promptly instead of waiting for a convergence that cannot come.
            Akka.Cluster.Cluster.Get(Context.System).Down(u.Member.Address);
        });
        Receive<ClusterEvent.MemberRemoved>(r =>
        {
            if (watched.Contains(r.Member.Address)) driver.Tell(new MemberLost($"{r.Member.Address.Host}:{r.Member.Address.Port}", "it left the cluster"));
        });
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
    }

    protected override void PreStart() =>
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.MemberRemoved));

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    public static Props Props(IReadOnlyCollection<Address> workers, IActorRef driver) => Akka.Actor.Props.Create(() => new MemberWatch(workers, driver));
}
