using NodeMesh.Actors.Driving;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;

namespace NodeMesh.Actors.Tests;

/// <summary>Every strategy learns Fashion-MNIST: the embedded subset, a small net, one epoch.</summary>
[Collection(ActorSystemsCollection.Name)]
public sealed class LearningTests
{
    private const string Arch = "conv5x5x4,relu,maxpool2,conv5x5x8,relu,maxpool2,dense10";

    public static TheoryData<string, string, int> Strategies => new()
    {
        { "none", "star", 1 }, { "allreduce", "star", 1 }, { "allreduce", "tree", 1 }, { "allreduce", "ring", 1 }, { "allreduce", "ring", 10 }, { "gossip", "grid", 1 }, { "gossip", "exp", 10 },
    };

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task Each_strategy_learns_well_above_chance_on_the_embedded_subset(string kind, string topology, int every)
    {
        var data = TestData.Embedded;
        var plan = NetworkPlan.Build(ArchSpec.Parse(Arch), 1, 28, 28, 10);
        var strategy = kind switch
        {
            "none" => new StrategyOptions(),
            "gossip" => new StrategyOptions(StrategyKind.Gossip, Enum.Parse<TopologyKind>(topology, true), ReduceOp.Sum, every),
            _ => new StrategyOptions(StrategyKind.AllReduce, Enum.Parse<TopologyKind>(topology, true), ReduceOp.Sum, every),
        };
        var options = new TrainOptions(Arch, strategy, Epochs: 2, Batch: 32, LearningRate: 0.05f, Seed: 1, TrainLimit: 0, TestLimit: 500).Validate();
        await using var run = await LocalRun.StartAsync(RunSpecs.From(options, plan), options, data, name: "learn");
        await run.PrepareAsync();
        var first = await run.TrainEpochAsync(1);
        var second = await run.TrainEpochAsync(2);
        var test = await run.EvaluateAsync();
        Assert.Equal(500, test.Samples);
        Assert.True(test.Accuracy > 0.4, $"{kind}/{topology}/every{every}: test accuracy {test.Accuracy:P1} after 2 epochs of 2000 samples (chance is 10%)");
        Assert.True(second.Loss < first.Loss, $"train loss went from {first.Loss} (epoch 1) to {second.Loss} (epoch 2)");
    }
}
