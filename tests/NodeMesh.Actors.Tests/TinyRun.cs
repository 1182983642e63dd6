using NodeMesh.Actors.Driving;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Training;

namespace NodeMesh.Actors.Tests;

/// <summary>A local run of a tiny net (conv3x3x4 on 8×8, tile side 4) through one epoch of two steps of 4 samples.</summary>
internal static class TinyRun
{
    /// <summary>Trains the tiny net once under <paramref name="name"/>; returns its unit count.</summary>
    public static async Task<int> TrainOneEpochAsync(string name)
    {
        const string arch = "conv3x3x4,relu,maxpool2,dense10";
        var plan = NetworkPlan.Build(ArchSpec.Parse(arch), 1, 8, 8, 10);
        var options = new TrainOptions(arch, new StrategyOptions(), Epochs: 1, Batch: 4, LearningRate: 0.05f, Seed: 3, Shuffle: true, TrainLimit: 8, TileSide: 4).Validate();
        var data = TestData.Random(8, 4, 8, 5);
        await using var run = await LocalRun.StartAsync(RunSpecs.From(options, plan, shipsWeights: true), options, data, WeightLayout.InitialVectors(plan, 3), name: name);
        await run.PrepareAsync();
        await run.TrainEpochAsync(1);
        return plan.UnitCount;
    }
}
