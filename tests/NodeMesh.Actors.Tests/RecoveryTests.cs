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
        public ResumePoint? Last;
        public void Save(CheckpointPosition position, IReadOnlyList<TileState> tiles) { Saved++; Last = new ResumePoint(position, tiles.ToArray()); }
    }

    private static (NetworkPlan Plan, TrainOptions Options) Setup(int samples = Samples)
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(Arch), 1, Size, Size, 10);
        var strategy = new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Tree, ReduceOp.Sum, 1);
        var options = new TrainOptions(Arch, strategy, Epochs: 2, Batch: Batch, LearningRate: 0.05f, Seed: 3, Shuffle: true, TrainLimit: samples, TileSide: 4).Validate();
        return (plan, options);
    }

    /// <summary>
    /// Receives the driver's progress reports on the driver's own thread, before it starts the next
    /// step: a member told to stop from here has the stop in its mailbox ahead of every message of
    /// that step, so the step at which a loss lands does not depend on thread scheduling.
    /// </summary>
    private sealed class OnDriverThread(Action<StepProgress> callback, IActorRefProvider provider, ActorPath path) : MinimalActorRef
    {
        public override ActorPath Path { get; } = path;
        public override IActorRefProvider Provider { get; } = provider;
        protected override void TellInternal(object message, IActorRef sender)
        {
            if (message is StepProgress p) callback(p);
        }
    }

    private static Task<LocalRun> Start(int members, string name, MemorySink? sink = null, int samples = Samples, int every = 3,
        Action<StepProgress>? progress = null, ResumePoint? resume = null)
    {
        var (plan, options) = Setup(samples);
        var spec = RunSpecs.From(options, plan, members: members, placement: PlacementKind.RoundRobin);
        return LocalRun.StartAsync(spec, options, TestData.Random(samples, TestSamples, Size, 5), name: name,
            configure: s =>
            {
                if (sink is null) return s;
                s = s with { Checkpoints = sink, CheckpointEvery = every, ResumeOnMemberLoss = true, Resume = resume };
                if (progress is null) return s;
                var host = (IInternalActorRef)s.Hosts[0];
                return s with { Progress = new OnDriverThread(progress, host.Provider, host.Path.Root / "temp" / "progress") };
            });
    }

    /// <summary>
    /// Starts a run (checkpoints every 4 steps) whose host actors <paramref name="hosts"/> are
    /// stopped as the driver reports step <paramref name="step"/> of epoch <paramref name="epoch"/>,
    /// once: after the loss that step is trained again and reported again.
    /// </summary>
    private static async Task<LocalRun> StartKilling(int members, string name, MemorySink sink, int samples, int epoch, int step,
        string[] hosts, ResumePoint? resume = null)
    {
        IActorRef[] victims = [];
        bool killed = false;
        var run = await Start(members, name, sink, samples, every: 4, resume: resume, progress: p =>
        {
            if (killed || p.Epoch != epoch || p.Step != step) return;
            killed = true;
            foreach (var v in victims) v.Tell(PoisonPill.Instance);
        });
        victims = await Task.WhenAll(hosts.Select(h => run.System.ActorSelection("/user/" + h).ResolveOne(TimeSpan.FromSeconds(10))));
        return run;
    }

    private static async Task AssertUninterruptedWeights(float[][] expected, LocalRun run)
    {
        var model = await run.FetchModelAsync();
        for (int l = 0; l < expected.Length; l++) Assert.Equal(expected[l], model[l]);
    }

    private static async Task<float[][]> Uninterrupted(int samples = Samples)
    {
        await using var run = await Start(1, "uninterrupted", samples: samples);
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
        await AssertUninterruptedWeights(expected, run);
    }

    /// <summary>
    /// Epochs of 5 steps with a checkpoint every 4: the last checkpoint before epoch 2's second
    /// step is epoch 1's, at step 4. A loss there must train epoch 1's step 5 again, unreported,
    /// and then epoch 2 from its start, reported, ending on the uninterrupted run's weights.
    /// </summary>
    [Fact]
    public async Task A_member_lost_early_in_an_epoch_goes_back_to_the_previous_epochs_checkpoint()
    {
        const int samples = 40; // 5 steps of 8
        var expected = await Uninterrupted(samples);
        var sink = new MemorySink();
        // Killed as the driver reports epoch 2's first step, before it starts the second: the
        // next checkpoint (step 8) needs two more steps, which cannot finish without the victim.
        await using var run = await StartKilling(3, "recovery-early", sink, samples, epoch: 2, step: 1, ["host-1"]);
        await run.PrepareAsync();
        Assert.Equal(5, (await run.TrainEpochAsync(1)).Steps);
        Assert.Equal(1, sink.Saved); // step 4 only
        var second = await run.TrainEpochAsync(2);
        Assert.Equal(5, second.Steps);
        var recovery = Assert.Single(second.Recoveries);
        Assert.Equal(6, recovery.LostAtStep);
        Assert.Equal(4, recovery.ResumedAtStep);
        Assert.Equal(2, recovery.Members);
        await AssertUninterruptedWeights(expected, run);
    }

    /// <summary>
    /// A run resumed from a checkpoint that loses a member before taking one of its own goes back
    /// to the checkpoint it resumed from, not to the initial weights.
    /// </summary>
    [Fact]
    public async Task A_resumed_run_that_loses_a_member_goes_back_to_the_checkpoint_it_resumed_from()
    {
        const int samples = 40; // 5 steps of 8
        var expected = await Uninterrupted(samples);
        var first = new MemorySink();
        await using (var run = await Start(3, "recovery-resume-a", first, samples, every: 4))
        {
            await run.PrepareAsync();
            await run.TrainEpochAsync(1);
        }
        var saved = Assert.IsType<ResumePoint>(first.Last);
        Assert.Equal(4, saved.Position.GlobalStep);
        // Killed after the resumed run's first step (epoch 1's fifth), well before its next checkpoint (step 8).
        await using var resumed = await StartKilling(3, "recovery-resume-b", new MemorySink(), samples, epoch: 1, step: 5, ["host-2"], saved);
        await resumed.PrepareAsync();
        var epoch1 = await resumed.TrainEpochAsync(1);
        var recovery = Assert.Single(epoch1.Recoveries); // noticed while the epoch's counters are collected
        Assert.Equal(5, recovery.LostAtStep);
        Assert.Equal(4, recovery.ResumedAtStep);
        await resumed.TrainEpochAsync(2);
        await AssertUninterruptedWeights(expected, resumed);
    }

    /// <summary>
    /// Two members lost at once: the second loss comes while the remaining members are still
    /// dropping their regions for the first, so replies to the first reset are still on their way.
    /// The run must rebuild once more, on the two members left, and end on the uninterrupted weights.
    /// </summary>
    [Fact]
    public async Task Two_members_lost_together_are_recovered_from_in_turn()
    {
        const int samples = 40; // 5 steps of 8
        var expected = await Uninterrupted(samples);
        await using var run = await StartKilling(4, "recovery-two", new MemorySink(), samples, epoch: 2, step: 1, ["host-1", "host-2"]);
        await run.PrepareAsync();
        await run.TrainEpochAsync(1);
        var second = await run.TrainEpochAsync(2);
        Assert.Equal(2, second.Recoveries.Count);
        Assert.All(second.Recoveries, r => Assert.Equal(4, r.ResumedAtStep));
        Assert.Equal(6, second.Recoveries[0].LostAtStep);
        Assert.Equal(2, second.Recoveries[^1].Members);
        await AssertUninterruptedWeights(expected, run);
    }
}
