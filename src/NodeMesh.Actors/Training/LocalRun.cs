using Akka.Actor;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Serialization;
using NodeMesh.Actors.Tiles;
using NodeMesh.Core.Data;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;
using NodeMesh.Core.Units;

namespace NodeMesh.Actors.Training;

/// <summary>
/// A run in one process: an ActorSystem holding the trainer, every tile and every unit actor.
/// The driver calls are plain async methods; a failure inside any actor surfaces as an exception.
/// </summary>
public sealed class LocalRun : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly IActorRef _trainer;

    public TilePlan Tiles { get; }

    public LocalRun(TilePlan tiles, TrainOptions options, DatasetPair data, float[][] initialWeights,
        Action<StepProgress>? progress = null, bool serializeMessages = false, WeightStoreFactory? stores = null, string name = "nodemesh",
        Core.Fabric.FabricLayout? fabric = null, double stepSeconds = 0)
    {
        Tiles = tiles;
        _system = ActorSystem.Create(name, NodeMeshConfig.Local(serializeMessages));
        var progressRef = progress is null
            ? ActorRefs.Nobody
            : _system.ActorOf(Props.Create(() => new ProgressRelay(progress)), "progress");
        stores ??= (layer, _) => new IdealWeightStore(layer.FanIn + 1);
        _trainer = _system.ActorOf(TrainerActor.Props(new TrainerSetup(tiles, options, data, initialWeights, stores, progressRef) { Fabric = fabric ?? new Core.Fabric.FabricLayout(tiles.Network), StepSeconds = stepSeconds }), "trainer");
    }

    /// <summary>The ActorSystem (for serializer statistics and tests).</summary>
    public ActorSystem System => _system;

    public Task<Prepared> PrepareAsync() => Ask<Prepared>(new Prepare());

    public Task<EpochTrained> TrainEpochAsync(int epoch) => Ask<EpochTrained>(new TrainEpoch(epoch));

    public Task<Evaluated> EvaluateAsync() => Ask<Evaluated>(new Evaluate());

    /// <summary>Runs gossip rounds on every conv unit without training (gossip strategy only).</summary>
    public Task<RoundsMixed> MixAsync(int rounds) => Ask<RoundsMixed>(new MixRounds(rounds));

    /// <summary>The traffic counted since the last epoch or fetch.</summary>
    public async Task<Core.Metrics.TrafficLedger> FetchTrafficAsync() => (await Ask<TrafficResponse>(new FetchTraffic())).Ledger;

    public async Task<float[][]> FetchModelAsync() => (await Ask<ModelResponse>(new FetchModel())).Layers;

    private async Task<T> Ask<T>(object message)
    {
        object reply = await _trainer.Ask(message, Timeout.InfiniteTimeSpan);
        return reply switch
        {
            T t => t,
            Status.Failure f => throw new InvalidOperationException($"the actor system failed: {f.Cause.Message}", f.Cause),
            _ => throw new InvalidOperationException($"unexpected reply {reply.GetType().Name} to {message.GetType().Name}"),
        };
    }

    public async ValueTask DisposeAsync() => await _system.Terminate();

    private sealed class ProgressRelay : ReceiveActor
    {
        public ProgressRelay(Action<StepProgress> callback) => Receive<StepProgress>(callback);
    }
}
