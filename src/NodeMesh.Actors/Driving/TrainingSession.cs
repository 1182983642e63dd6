using Akka.Actor;
using Microsoft.Extensions.Hosting;
using NodeMesh.Actors.Hosting;
using NodeMesh.Actors.Messages;
using NodeMesh.Core.Data;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Training;

namespace NodeMesh.Actors.Driving;

/// <summary>
/// A run as its client sees it: plain async calls to the driver actor. Every call ends — with
/// the reply, or with a <see cref="RunFailedException"/> that says what failed (an actor, a lost
/// member, a stall, or the driver itself stopping) — never waits forever.
/// </summary>
public class TrainingSession : IAsyncDisposable
{
    private readonly IHost? _host;
    private readonly IActorRef _driver;
    private readonly TaskCompletionSource<string> _driverStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<ValueTask>? _onDispose;

    /// <summary>Starts a driver for <paramref name="setup"/> in <paramref name="system"/> (owned by <paramref name="host"/> when given).</summary>
    public TrainingSession(ActorSystem system, DriverSetup setup, IHost? host = null, Func<ValueTask>? onDispose = null)
    {
        System = system;
        _host = host;
        _onDispose = onDispose;
        Spec = setup.Spec;
        _driver = system.ActorOf(DriverActor.Props(setup), "driver");
        system.ActorOf(Props.Create(() => new StopWatcher(_driver, _driverStopped)), "driver-watch");
    }

    public ActorSystem System { get; }

    public RunSpec Spec { get; }

    /// <summary>The driver actor (cluster watchers tell it about lost members).</summary>
    public IActorRef Driver => _driver;

    public Task<Prepared> PrepareAsync() => Ask<Prepared>(new Prepare());

    public Task<EpochTrained> TrainEpochAsync(int epoch) => Ask<EpochTrained>(new TrainEpoch(epoch));

    public Task<Evaluated> EvaluateAsync() => Ask<Evaluated>(new Evaluate());

    /// <summary>Runs gossip rounds on every conv unit without training (gossip strategy only).</summary>
    public Task<RoundsMixed> MixAsync(int rounds) => Ask<RoundsMixed>(new MixRounds(rounds));

    /// <summary>The traffic counted since the last epoch or fetch.</summary>
    public async Task<TrafficCounts> FetchTrafficAsync() => (await Ask<TrafficResponse>(new FetchTraffic())).Ledger;

    public async Task<float[][]> FetchModelAsync() => (await Ask<ModelResponse>(new FetchModel())).Layers;

    /// <summary>Writes a checkpoint now, between epochs (the run must have a checkpoint sink).</summary>
    public Task<CheckpointSaved> SaveCheckpointAsync() => Ask<CheckpointSaved>(new SaveCheckpoint());

    /// <summary>
    /// Ends the run from outside (Ctrl-C, a diverging loss): the request in flight and every later
    /// one fail with a <see cref="RunFailedException"/> carrying <paramref name="reason"/>. The actors
    /// stop when the session is disposed.
    /// </summary>
    public void Stop(string reason) => _driverStopped.TrySetResult(reason);

    private async Task<T> Ask<T>(object message)
    {
        var ask = _driver.Ask(message, Timeout.InfiniteTimeSpan);
        var first = await Task.WhenAny(ask, _driverStopped.Task).ConfigureAwait(false);
        if (first != ask) throw new RunFailedException(await _driverStopped.Task.ConfigureAwait(false));
        object reply = await ask.ConfigureAwait(false);
        return reply switch
        {
            T t => t,
            Status.Failure { Cause: RunFailedException r } => throw new RunFailedException(r.Message),
            Status.Failure f => throw new RunFailedException($"{f.Cause.GetType().Name}: {f.Cause.Message}"),
            _ => throw new InvalidOperationException($"unexpected reply {reply.GetType().Name} to {message.GetType().Name}"),
        };
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_onDispose is not null) await _onDispose().ConfigureAwait(false);
        if (_host is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _host.StopAsync(timeout.Token).ConfigureAwait(false);
            _host.Dispose();
        }
        else await System.Terminate().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    private sealed class StopWatcher : ReceiveActor
    {
        public StopWatcher(IActorRef driver, TaskCompletionSource<string> stopped)
        {
            Context.Watch(driver);
            Receive<Terminated>(_ => stopped.TrySetResult("the driver actor stopped"));
        }
    }
}

/// <summary>
/// A run in one process: an ActorSystem (built through Akka.Hosting) holding the driver, the
/// member host(s), every tile and every unit actor. With <see cref="RunSpec.Members"/> &gt; 1 the
/// tiles are placed on that many hosts in the same process, exactly as a cluster would place them
/// (useful to test placement; only the transport differs).
/// </summary>
public sealed class LocalRun : TrainingSession
{
    private LocalRun(ActorSystem system, DriverSetup setup, IHost host) : base(system, setup, host) { }

    /// <summary>Starts a local run. <paramref name="shippedWeights"/>: initial weights to load instead of the seed's.</summary>
    public static async Task<LocalRun> StartAsync(RunSpec spec, TrainOptions options, DatasetPair data, float[][]? shippedWeights = null,
        Action<StepProgress>? progress = null, bool serializeMessages = false, string name = NodeMeshHosting.SystemName,
        Func<DriverSetup, DriverSetup>? configure = null)
    {
        if (spec.ShipsWeights != shippedWeights is not null)
            throw new ArgumentException("the spec's ShipsWeights must say whether weights are shipped", nameof(shippedWeights));
        var (host, system) = await NodeMeshHosting.StartAsync(b => b.AddNodeMesh(serializeMessages, spec.Members), name).ConfigureAwait(false);
        var hosts = new IActorRef[spec.Members];
        for (int i = 0; i < hosts.Length; i++)
            hosts[i] = await system.ActorSelection(spec.Members == 1 ? "/user/host" : $"/user/host-{i}").ResolveOne(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        var progressRef = progress is null ? ActorRefs.Nobody : system.ActorOf(Props.Create(() => new ProgressRelay(progress)), "progress");
        var setup = new DriverSetup(spec, options, data, shippedWeights, hosts, progressRef);
        return new LocalRun(system, configure is null ? setup : configure(setup), host);
    }

    private sealed class ProgressRelay : ReceiveActor
    {
        public ProgressRelay(Action<StepProgress> callback) => Receive<StepProgress>(callback);
    }
}
