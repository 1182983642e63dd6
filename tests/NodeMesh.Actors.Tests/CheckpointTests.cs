using NodeMesh.Actors.Driving;
using NodeMesh.Actors.Messages;
using NodeMesh.Core.Checkpoints;
using NodeMesh.Core.Devices;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Placement;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Training;

namespace NodeMesh.Actors.Tests;

/// <summary>
/// Checkpoints at a consistent cut and resume: for deterministic strategies a run that is stopped
/// and continued from a checkpoint — on any number of members — ends with the uninterrupted run's
/// weights and counters, bit for bit.
/// </summary>
[Collection(ActorSystemsCollection.Name)]
public sealed class CheckpointTests
{
    private const string Arch = "conv3x3x3,relu,maxpool2,conv3x3x4,relu,maxpool2,dense10";
    private const int Size = 8;

    private sealed class MemorySink : ICheckpointSink
    {
        public readonly List<ResumePoint> Saved = [];
        public void Save(CheckpointPosition position, IReadOnlyList<TileState> tiles) => Saved.Add(new ResumePoint(position, tiles.ToArray()));
    }

    private static (NetworkPlan Plan, TrainOptions Options) Setup(StrategyOptions strategy) =>
        (NetworkPlan.Build(ArchSpec.Parse(Arch), 1, Size, Size, 10),
         new TrainOptions(Arch, strategy, Epochs: 2, Batch: 8, TrainLimit: 32, Seed: 5, TileSide: 4).Validate()); // 4 steps per epoch

    private static async Task<(float[][] Weights, List<EpochTrained> Epochs)> Train(RunSpec spec, TrainOptions options, int fromEpoch,
        Func<DriverSetup, DriverSetup>? configure = null, Func<TrainingSession, int, Task>? afterEpoch = null)
    {
        await using var run = await LocalRun.StartAsync(spec, options, TestData.Random(32, 8, Size, 1), name: "ckpt", configure: configure);
        await run.PrepareAsync();
        var epochs = new List<EpochTrained>();
        for (int e = fromEpoch; e <= options.Epochs; e++)
        {
            epochs.Add(await run.TrainEpochAsync(e));
            if (afterEpoch is not null) await afterEpoch(run, e);
        }
        return (await run.FetchModelAsync(), epochs);
    }

    public static TheoryData<string, string, int, int> Cases => new()
    {
        { "none", "ideal", 3, 1 }, { "tree", "ideal", 3, 2 }, { "star", "ideal", 2, 3 }, { "ring3", "ideal", 5, 2 },
        { "none", "gokmen-vlasov", 3, 2 }, { "tree", "reram-sb", 6, 1 },
    };

    private static StrategyOptions Strategy(string name) => name switch
    {
        "none" => new StrategyOptions(),
        "ring3" => new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Ring, ReduceOp.Sum, 3),
        _ => new StrategyOptions(StrategyKind.AllReduce, Enum.Parse<TopologyKind>(name, true)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_run_resumed_from_a_mid_epoch_checkpoint_on_other_members_ends_with_the_uninterrupted_weights_and_counters(string strategy, string device, int every, int members)
    {
        var (plan, options) = Setup(Strategy(strategy));
        var spec = RunSpecs.From(options, plan, DeviceConfig.Preset(device));
        var (expected, expectedEpochs) = await Train(spec, options, 1);

        var sink = new MemorySink();
        var (checkpointed, _) = await Train(spec, options, 1, s => s with { Checkpoints = sink, CheckpointEvery = every });
        for (int l = 0; l < expected.Length; l++) Assert.Equal(expected[l], checkpointed[l]); // taking checkpoints changes nothing
        var point = sink.Saved.First(p => p.Position.Cursor > 0 && p.Position.Epoch == 2); // inside epoch 2

        var moved = spec with { Members = members, Placement = PlacementKind.RoundRobin, ShipsWeights = false };
        var (resumed, resumedEpochs) = await Train(moved, options, point.Position.Epoch, s => s with { Resume = point });
        for (int l = 0; l < expected.Length; l++) Assert.Equal(expected[l], resumed[l]);
        var a = expectedEpochs[^1];
        var b = resumedEpochs[^1];
        Assert.Equal((a.Loss, a.Accuracy, a.Samples, a.Steps), (b.Loss, b.Accuracy, b.Samples, b.Steps));
        foreach (var c in Enum.GetValues<TrafficCategory>())
            Assert.Equal((a.Ledger.TotalMessages(c), a.Ledger.TotalBytes(c), a.Ledger.TotalByteHops(c)), (b.Ledger.TotalMessages(c), b.Ledger.TotalBytes(c), b.Ledger.TotalByteHops(c)));
        Assert.Equal(a.Ledger.Devices.ToArray(), b.Ledger.Devices.ToArray());
    }

    [Fact]
    public async Task A_checkpoint_between_epochs_resumes_at_the_next_epoch()
    {
        var (plan, options) = Setup(Strategy("tree"));
        var spec = RunSpecs.From(options, plan);
        var (expected, _) = await Train(spec, options, 1);
        var sink = new MemorySink();
        await Train(spec, options, 1, s => s with { Checkpoints = sink }, async (run, e) => { if (e == 1) await run.SaveCheckpointAsync(); });
        var point = Assert.Single(sink.Saved);
        Assert.Equal((2, 0, 4L), (point.Position.Epoch, point.Position.Cursor, point.Position.GlobalStep));
        var (resumed, _) = await Train(spec, options, 2, s => s with { Resume = point });
        for (int l = 0; l < expected.Length; l++) Assert.Equal(expected[l], resumed[l]);
    }

    [Fact]
    public async Task A_checkpoint_of_another_network_is_refused_before_training()
    {
        var (plan, options) = Setup(Strategy("none"));
        var sink = new MemorySink();
        await Train(RunSpecs.From(options, plan), options, 1, s => s with { Checkpoints = sink, CheckpointEvery = 2 });
        var other = options with { TileSide = 8 };
        var spec = RunSpecs.From(other, plan);
        await using var run = await LocalRun.StartAsync(spec, other, TestData.Random(32, 8, Size, 1), name: "ckpt-other", configure: s => s with { Resume = sink.Saved[0] });
        var e = await Assert.ThrowsAsync<RunFailedException>(() => run.PrepareAsync().WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("tile states but the run has", e.Message);
    }

    [Fact]
    public async Task A_damaged_unit_record_fails_the_run_instead_of_half_loading()
    {
        var (plan, options) = Setup(Strategy("none"));
        var sink = new MemorySink();
        await Train(RunSpecs.From(options, plan), options, 1, s => s with { Checkpoints = sink, CheckpointEvery = 2 });
        var point = sink.Saved[0];
        var broken = point.Tiles.Select((t, i) => i == 0 ? t with { State = t.State[..^7] } : t).ToArray();
        await using var run = await LocalRun.StartAsync(RunSpecs.From(options, plan), options, TestData.Random(32, 8, Size, 1), name: "ckpt-broken",
            configure: s => s with { Resume = point with { Tiles = broken } });
        await Assert.ThrowsAsync<RunFailedException>(() => run.PrepareAsync().WaitAsync(TimeSpan.FromSeconds(60)));
    }
}
