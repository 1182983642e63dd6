using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;
using NodeMesh.Actors.Driving;
using NodeMesh.Actors.Hosting;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Serialization;
using NodeMesh.Cluster.Membership;
using NodeMesh.Core;
using NodeMesh.Core.Data;
using NodeMesh.Core.Training;

namespace NodeMesh.Cluster;

/// <summary>A member of a cluster run: its index in the placement (−1 for the driver), address and role.</summary>
public sealed record ClusterMember(int Index, string Address, string Role);

/// <summary>
/// The driver side of a cluster run: this process joins the cluster as the driver (holding no
/// tiles), waits — bounded — until the run's workers are Up, checks that every member's frame
/// size fits the run's largest message, and starts the same driver actor as local mode with the
/// workers' hosts. A worker that becomes unreachable or leaves ends the run (see
/// <see cref="MemberWatch"/>). <see cref="EndAsync"/> tells the workers to exit.
/// </summary>
public sealed class ClusterRun : TrainingSession
{
    private readonly IReadOnlyList<IActorRef> _wires;
    private readonly IReadOnlyList<IActorRef> _hosts;
    private readonly IActorRef _watch;
    private readonly IHost _host;
    private readonly MemberOptions _options;
    private readonly HashSet<Address> _workers;
    private readonly WireReport?[] _lastReports;
    private bool _ended;

    private ClusterRun(ActorSystem system, DriverSetup setup, IHost host, MemberOptions options, IReadOnlyList<ClusterMember> members,
        IReadOnlyList<IActorRef> wires, IReadOnlyList<Address> workers)
        : base(system, setup)
    {
        _host = host;
        _options = options;
        _hosts = setup.Hosts;
        _wires = wires;
        Members = members;
        _workers = workers.ToHashSet();
        _lastReports = new WireReport?[wires.Count];
        _watch = system.ActorOf(MemberWatch.Props(workers.ToArray(), Driver), "member-watch");
    }

    /// <summary>The driver (index −1) and the workers in placement order.</summary>
    public IReadOnlyList<ClusterMember> Members { get; }

    /// <summary>Starts the driver member and waits for <paramref name="workers"/> workers.</summary>
    public static async Task<ClusterRun> StartAsync(MemberOptions options, int workers, TimeSpan joinTimeout, RunSpec spec, TrainOptions train,
        DatasetPair data, float[][]? shippedWeights, Action<StepProgress>? progress, TextWriter log, Func<Address, Task>? onDriverUp = null,
        Func<DriverSetup, DriverSetup>? configure = null, CancellationToken cancel = default)
    {
        if (workers < 1) throw new UserInputException($"--workers {workers}: a cluster run needs at least one worker (0 runs locally).");
        if (spec.Members != workers) throw new ArgumentException("the spec must place the tiles on the workers", nameof(spec));
        var (largest, what) = WireLimits.Largest(spec, train.Batch, train.EvalBatch);
        long needed = WireLimits.FrameFor(largest);
        if (needed > options.MaxFrameSize)
            throw new UserInputException($"the largest message of this run is {what}, {largest:N0} bytes; this driver accepts frames up to {options.MaxFrameSize:N0} bytes. Give every member --max-frame-size {RoundUp(needed)} (or NODEMESH_MAX_FRAME_SIZE), or use a smaller --batch, --eval-batch or --tile.");
        var (host, system) = await NodeMeshHosting.StartAsync(b =>
        {
            b.AddNodeMesh(hosts: 0);
            b.WithNodeMeshCluster(options, Roles.Driver);
            b.WithActors((sys, _) => sys.ActorOf(WireCounterActor.Props(options.MaxFrameSize), "wire"));
        }, cancel: cancel).ConfigureAwait(false);
        var resolved = new List<IActorRef>();
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            if (options.Seeds.Count == 0) cluster.Join(cluster.SelfAddress);
            if (onDriverUp is not null) await onDriverUp(cluster.SelfAddress).ConfigureAwait(false);
            log.WriteLine($"driver {cluster.SelfAddress}: waiting up to {joinTimeout.TotalSeconds:F0} s for {workers} worker(s) (start them with: nodemesh node --seeds {(options.Seeds.Count == 0 ? cluster.SelfAddress.ToString() : options.Seeds[0])})");
            var found = await WaitForWorkers(cluster, workers, joinTimeout, options, cancel).ConfigureAwait(false);
            var hosts = new IActorRef[workers];
            var wires = new IActorRef[workers];
            for (int i = 0; i < workers; i++)
            {
                var root = new RootActorPath(found[i]);
                hosts[i] = await Resolve(system, root / "user" / "host", found[i]).ConfigureAwait(false);
                resolved.Add(hosts[i]);
                wires[i] = await Resolve(system, root / "user" / "wire", found[i]).ConfigureAwait(false);
            }
            for (int i = 0; i < workers; i++)
            {
                var report = await wires[i].Ask<WireReport>(FetchWireReport.Instance, TimeSpan.FromSeconds(15)).ConfigureAwait(false);
                if (report.MaxFrameSize < needed)
                    throw new UserInputException($"the largest message of this run is {what}, {largest:N0} bytes; worker {report.Address} accepts frames up to {report.MaxFrameSize:N0} bytes. Restart the workers with --max-frame-size {RoundUp(needed)} (or NODEMESH_MAX_FRAME_SIZE), or use a smaller --batch, --eval-batch or --tile.");
            }
            var members = new List<ClusterMember> { new(-1, $"{cluster.SelfAddress.Host}:{cluster.SelfAddress.Port}", Roles.Driver) };
            members.AddRange(found.Select((a, i) => new ClusterMember(i, $"{a.Host}:{a.Port}", Roles.Worker)));
            var progressRef = progress is null ? ActorRefs.Nobody : system.ActorOf(Props.Create(() => new ProgressRelay(progress)), "progress");
            var setup = new DriverSetup(spec, train, data, shippedWeights, hosts, progressRef);
            if (configure is not null) setup = configure(setup);
            return new ClusterRun(system, setup, host, options, members, wires, found);
        }
        catch (Exception e)
        {
            // Workers that already joined for this run are told it will not happen, so they exit.
            foreach (var h in resolved) h.Tell(new EndRun(false, e.Message));
            await WorkerNode.Shutdown(host, system).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A frame size to suggest: <paramref name="bytes"/> rounded up to a whole MiB, in bytes (what --max-frame-size takes).</summary>
    private static string RoundUp(long bytes) => (((bytes + (1 << 20) - 1) >> 20) << 20).ToString(global::System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<IActorRef> Resolve(ActorSystem system, ActorPath path, Address worker)
    {
        try { return await system.ActorSelection(path).ResolveOne(TimeSpan.FromSeconds(15)).ConfigureAwait(false); }
        catch (ActorNotFoundException)
        {
            throw new UserInputException($"member {worker} joined as a worker but has no {path.Name} actor: is it a NodeMesh worker of the same version?");
        }
    }

    /// <summary>Polls the cluster state until enough workers are Up; a clear error naming what is missing when the deadline passes.</summary>
    private static async Task<Address[]> WaitForWorkers(Akka.Cluster.Cluster cluster, int workers, TimeSpan timeout, MemberOptions options, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var state = cluster.State;
            var up = state.Members.Where(m => m.Status == Akka.Cluster.MemberStatus.Up && m.HasRole(Roles.Worker) && !state.Unreachable.Contains(m))
                .Select(m => m.Address).OrderBy(a => a.Host, StringComparer.Ordinal).ThenBy(a => a.Port).ToArray();
            bool selfUp = state.Members.Any(m => m.Address.Equals(cluster.SelfAddress) && m.Status == Akka.Cluster.MemberStatus.Up);
            if (selfUp && up.Length >= workers) return up[..workers];
            if (DateTime.UtcNow > deadline)
            {
                if (!selfUp)
                    throw new UserInputException($"the driver {cluster.SelfAddress} did not join a cluster within {timeout.TotalSeconds:F0} s: no seed answered ({string.Join(", ", options.Seeds)}). Check the --seeds addresses and that the seed process runs.");
                var joining = state.Members.Where(m => m.HasRole(Roles.Worker) && m.Status != Akka.Cluster.MemberStatus.Up).Select(m => $"{m.Address} ({m.Status})");
                throw new UserInputException($"waited {timeout.TotalSeconds:F0} s for {workers} worker(s); {up.Length} Up ({string.Join(", ", up.Select(a => a.ToString()))})" +
                    $"{(joining.Any() ? $", not yet Up: {string.Join(", ", joining)}" : "")}; missing {workers - up.Length}. Start each with: nodemesh node --seeds {cluster.SelfAddress} (or raise --join-timeout).");
            }
            await Task.Delay(200, cancel).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Every member's transport and serializer counters now (workers in member order, then the
    /// driver). A member that does not answer within 5 s — one that was lost — keeps its last
    /// report, so the traffic it carried before it was lost is still counted.
    /// </summary>
    public async Task<IReadOnlyList<WireReport>> FetchWireReportsAsync()
    {
        var asks = _wires.Select(w => w.Ask<WireReport>(FetchWireReport.Instance, TimeSpan.FromSeconds(5))).ToArray();
        try { await Task.WhenAll(asks).ConfigureAwait(false); }
        catch (AskTimeoutException) { }
        var reports = new List<WireReport>();
        for (int i = 0; i < asks.Length; i++)
        {
            if (asks[i].IsCompletedSuccessfully) _lastReports[i] = asks[i].Result;
            if (_lastReports[i] is { } r) reports.Add(r);
        }
        reports.Add(WireCounterActor.Report(System, _options.MaxFrameSize));
        return reports;
    }

    /// <summary>Tells every worker that the run is over (they leave and exit); idempotent.</summary>
    public Task EndAsync(bool success, string reason)
    {
        if (_ended) return Task.CompletedTask;
        _ended = true;
        System.Stop(_watch); // workers leaving now is the plan, not a failure
        Driver.Tell(new EndRun(success, reason));
        foreach (var h in _hosts) h.Tell(new EndRun(success, reason));
        return Task.CompletedTask;
    }

    public override async ValueTask DisposeAsync()
    {
        await EndAsync(false, "the driver stopped before the run ended").ConfigureAwait(false);
        // The driver leaves first; the workers exit when they see it gone (WorkerMonitor).
        await WorkerNode.Shutdown(_host, System).ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    private sealed class ProgressRelay : ReceiveActor
    {
        public ProgressRelay(Action<StepProgress> callback) => Receive<StepProgress>(callback);
    }
}
