using Akka.Actor;
using Akka.Hosting;
using NodeMesh.Actors.Hosting;
using NodeMesh.Cluster.Membership;

namespace NodeMesh.Cluster;

/// <summary>
/// <c>nodemesh node</c>: a worker member. It joins the cluster through its seeds (or, without
/// seeds, forms one that others join), waits for a driver to send it a region of a run, holds
/// those tiles until the run ends, and exits: 0 when the run ended, 1 when it failed, 3 when the
/// driver was lost, 4 when the process it was told to follow exited, 130 when stopped.
/// </summary>
public static class WorkerNode
{
    public static async Task<int> RunAsync(MemberOptions options, TextWriter log, int? exitWithPid = null, CancellationToken cancel = default)
    {
        options.Validate();
        var exit = new TaskCompletionSource<WorkerExit>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (host, system) = await NodeMeshHosting.StartAsync(b =>
        {
            b.AddNodeMesh();
            b.WithNodeMeshCluster(options, Roles.Worker);
            b.WithActors((sys, _) =>
            {
                sys.ActorOf(WireCounterActor.Props(options.MaxFrameSize), "wire");
                sys.ActorOf(WorkerMonitor.Props(exit), "monitor");
            });
        }, cancel: cancel).ConfigureAwait(false);
        var cluster = Akka.Cluster.Cluster.Get(system);
        if (options.Seeds.Count == 0) cluster.Join(cluster.SelfAddress);
        log.WriteLine($"worker {cluster.SelfAddress} started; {(options.Seeds.Count == 0 ? "no seeds: it is the cluster's first member" : $"joining via {string.Join(", ", options.Seeds)}")}; waiting for a driver");
        using var stop = cancel.Register(() => exit.TrySetResult(new WorkerExit(WorkerExit.Stopped, "stopped")));
        // A worker started by nodemesh cluster never outlives it.
        using var parent = exitWithPid is int pid
            ? ProcessWatch.WhenGone(pid, () => exit.TrySetResult(new WorkerExit(WorkerExit.ParentGone, $"process {pid}, which started this worker, exited")), ParentGoneKill)
            : null;
        var result = await exit.Task.ConfigureAwait(false);
        log.WriteLine($"worker {cluster.SelfAddress}: {result.Reason}; leaving (exit code {result.Code})");
        await Shutdown(host, system).ConfigureAwait(false);
        return result.Code;
    }

    /// <summary>
    /// How long a worker whose parent is gone may take to leave cleanly before it kills itself:
    /// the clean shutdown's own bounds (20 s + 10 s) and a margin for a busy thread pool.
    /// </summary>
    public static readonly TimeSpan ParentGoneKill = TimeSpan.FromSeconds(45);

    /// <summary>Leaves the cluster and stops the ActorSystem, within a bound.</summary>
    internal static async Task Shutdown(Microsoft.Extensions.Hosting.IHost host, ActorSystem system)
    {
        try
        {
            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance).WaitAsync(TimeSpan.FromSeconds(20)).ConfigureAwait(false);
        }
        catch (TimeoutException) { }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await host.StopAsync(timeout.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        host.Dispose();
    }
}
