using Akka.Actor;
using NodeMesh.Actors.Driving;
using NodeMesh.Actors.Messages;
using NodeMesh.Core.Checkpoints;
using NodeMesh.Core.Model;
using NodeMesh.Core.Placement;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;

namespace NodeMesh.Actors.Tests;

/// <summary>
/// Continuing after a lost member (<see cref="DriverSetup.ResumeOnMemberLoss"/>) in one process:
/// members are host actors of the same system, one is stopped, and the run must end with the
/// weights of an uninterrupted run, bit for bit, wherever the loss falls.
/// </summary>
[Collection(ActorSystemsCollection.Name)]
public sealed class RecoveryTests
{
    private const string Arch = "conv3x3x4,relu,maxpool2,conv3x3x6,relu,maxpool2,dense10";
    private const int Size = 12, Samples = 32, TestSamples = 16, Batch = 8; // 4 steps per epoch

    private sealed class MemorySink : ICheckpointSink
    {
        public int Saved;
        public void Save(CheckpointPosition position, IReadOnlyList<TileState> tiles) => Saved++;
    }

    private static (NetworkPlan Plan, TrainOptions Options) Setup()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(Arch), 1, Size, Size, 10);
        var strategy = new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Tree, ReduceOp.Sum, 1);
        var options = new TrainOptions(Arch, strategy, Epochs: 2, Batch: Batch, LearningRate: 0.05f, Seed: 3, Shuffle: true, TrainLimit: Samples, TileSide: 4).Validate();
        return (plan, options);
    }

    private static Task<LocalRun> Start(int members, string name, MemorySink? sink = null)
    {
        var (plan, options) = Setup();
        var spec = RunSpecs.From(options, plan, members: members, placement: PlacementKind.RoundRobin);
        return LocalRun.StartAsync(spec, options, TestData.Random(Samples, TestSamples, Size, 5), name: name,
            configure: s => sink is null ? s : s with { Checkpoints = sink, CheckpointEvery = 3, ResumeOnMemberLoss = true });
    }

    private static async Task<float[][]> Uninterrupted()
    {
        await using var run = await Start(1, "uninterrupted");
        await run.PrepareAsync();
        await run.TrainEpochAsync(1);
        await run.EvaluateAsync();
        await run.TrainEpochAsync(2);
        return await run.FetchModelAsync();
    }

    /// <summary>
    /// The loss comes after epoch 1's four steps, whose last checkpoint is at step 3: the driver
    /// must train step 4 again before it answers anything, or step 4 is lost without a word.
    /// Requests that arrive while it recovers wait for it.
    /// </summary>
    [Theory]
    [InlineData("evaluate")]
    [InlineData("idle")]
    public async Task A_member_lost_after_the_epochs_training_costs_no_step(string when)
    {
        var expected = await Uninterrupted();
        var sink = new MemorySink();
        await using var run = await Start(3, "recovery-" + when, sink);
        await run.PrepareAsync();
        var first = await run.TrainEpochAsync(1);
        Assert.Equal(4, first.Steps);
        Assert.Equal(1, sink.Saved); // step 3 only: the loss below rolls back to it
        var victim = await run.System.ActorSelection("/user/host-2").ResolveOne(TimeSpan.FromSeconds(10));
        if (when == "evaluate")
        {
            var eval = run.EvaluateAsync();
            victim.Tell(PoisonPill.Instance);
            Assert.Equal(TestSamples, (await eval).Samples);
        }
        else
        {
            victim.Tell(PoisonPill.Instance);
            Assert.Equal(TestSamples, (await run.EvaluateAsync()).Samples); // deferred while the driver recovers, or after
        }
        var second = await run.TrainEpochAsync(2);
        var recovery = Assert.Single(second.Recoveries);
        Assert.Equal(4, recovery.LostAtStep);
        Assert.Equal(3, recovery.ResumedAtStep);
        Assert.Equal(2, recovery.Members);
        var model = await run.FetchModelAsync();
        for (int l = 0; l < expected.Length; l++) Assert.Equal(expected[l], model[l]);
    }
}
