using Akka.Actor;
using NodeMesh.Actors.Driving;
using NodeMesh.Actors.Messages;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Training;

namespace NodeMesh.Actors.Tests;

/// <summary>A failure inside any actor ends a local run with an error that says what failed — never a hang, never a silent restart.</summary>
[Collection(ActorSystemsCollection.Name)]
public sealed class FailureTests
{
    private const string Arch = "conv3x3x2,relu,maxpool2,dense10";

    private static async Task<LocalRun> Start(string name)
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(Arch), 1, 8, 8, 10);
        var options = new TrainOptions(Arch, new StrategyOptions(), Batch: 8, TrainLimit: 32, TileSide: 4).Validate();
        var run = await LocalRun.StartAsync(RunSpecs.From(options, plan), options, TestData.Random(32, 8, 8, 1), name: name);
        await run.PrepareAsync();
        return run;
    }

    [Fact]
    public async Task A_unit_that_throws_ends_the_run_with_the_member_and_the_reason()
    {
        await using var run = await Start("fail-unit");
        // A tying message to a unit whose strategy never ties: the unit throws; it must not be restarted with empty weights.
        var unit = await run.System.ActorSelection("/user/host/conv1-t0/u0-0-0").ResolveOne(TimeSpan.FromSeconds(10));
        unit.Tell(new SyncResult(0, 0, 0, 0, Core.Exchanges.SyncKind.Gradient, [1f]));
        var e = await Assert.ThrowsAsync<RunFailedException>(() => run.TrainEpochAsync(1).WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("member 0", e.Message);
        Assert.Contains("does not tie it by all-reduce", e.Message);
        // Every later call fails at once with the same reason.
        var again = await Assert.ThrowsAsync<RunFailedException>(() => run.EvaluateAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(e.Message, again.Message);
    }

    [Fact]
    public async Task A_stopped_member_host_ends_the_run_instead_of_leaving_the_driver_waiting()
    {
        await using var run = await Start("fail-host");
        var host = await run.System.ActorSelection("/user/host").ResolveOne(TimeSpan.FromSeconds(10));
        host.Tell(PoisonPill.Instance);
        var e = await Assert.ThrowsAsync<RunFailedException>(() => run.TrainEpochAsync(1).WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("its host actor stopped", e.Message);
    }

    private sealed class SilentHost : UntypedActor
    {
        protected override void OnReceive(object message) { } // never builds, never answers
    }

    [Fact]
    public async Task A_member_that_never_builds_its_region_fails_the_run_after_the_stall_timeout_plus_the_build_allowance_per_unit()
    {
        await using var run = await Start("fail-build");
        var plan = NetworkPlan.Build(ArchSpec.Parse(Arch), 1, 8, 8, 10); // 138 unit actors
        var options = new TrainOptions(Arch, new StrategyOptions(), Batch: 8, TrainLimit: 32, TileSide: 4).Validate();
        var silent = run.System.ActorOf(Props.Create(() => new SilentHost()), "silent-host");
        var setup = new DriverSetup(RunSpecs.From(options, plan), options, TestData.Random(32, 8, 8, 1), null, [silent], ActorRefs.Nobody)
        {
            StallTimeout = TimeSpan.FromMilliseconds(200),
            BuildTimePerUnit = TimeSpan.FromMilliseconds(5),
        };
        var driver = run.System.ActorOf(DriverActor.Props(setup), "driver-of-silent-host");
        var e = await Assert.ThrowsAsync<RunFailedException>(() => driver.Ask(new Prepare(), TimeSpan.FromSeconds(60)));
        // 0.2 s + 138 × 5 ms = 0.89 s: the bound said in the message is the one that applied.
        Assert.Contains("no progress for 0.9 s while waiting for 1 of 1 members to build their regions", e.Message);
    }
}
