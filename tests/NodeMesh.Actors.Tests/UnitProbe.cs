using Akka.Actor;
using Akka.TestKit;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Units;
using NodeMesh.Core.Devices;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;

namespace NodeMesh.Actors.Tests;

/// <summary>One unit actor of a one-tile layer, with a probe as the next hop of its sweeps.</summary>
internal sealed class UnitProbe
{
    public required IActorRef Unit { get; init; }
    public required TestProbe Next { get; init; }
    public required WeightedLayer Layer { get; init; }
    public required Tile Tile { get; init; }
    public required int Index { get; init; }

    public int Length => Layer.FanIn + 1;

    /// <summary>Creates the unit at <paramref name="index"/> of the single tile of <paramref name="arch"/>'s first layer and programs its weights.</summary>
    public static UnitProbe Create(TestKitBase kit, string arch, int height, int width, StrategyOptions strategy, int index, float[] weights, float lr = 0.1f, DeviceConfig? device = null)
    {
        var (settings, layer, tile) = FirstTile(arch, height, width, strategy, lr, device);
        var next = kit.CreateTestProbe();
        var unit = kit.Sys.ActorOf(UnitActor.Props(settings, layer, tile, index, next.Ref));
        var p = new UnitProbe { Unit = unit, Next = next, Layer = layer, Tile = tile, Index = index };
        var vectors = new float[tile.UnitCount * p.Length];
        weights.CopyTo(vectors, index * p.Length);
        unit.Tell(new LoadSweep(vectors));
        next.ExpectMsg<LoadSweep>();
        return p;
    }

    /// <summary>The settings (ideal stores unless <paramref name="device"/> is given), first layer and its single tile of <paramref name="arch"/> on a one-channel <paramref name="height"/>×<paramref name="width"/> input.</summary>
    public static (UnitSettings Settings, WeightedLayer Layer, Tile Tile) FirstTile(string arch, int height, int width, StrategyOptions strategy, float lr = 0.1f, DeviceConfig? device = null)
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(arch), 1, height, width, 10);
        var options = new TrainOptions(arch, strategy, LearningRate: lr, TileSide: Math.Max(height, width)).Validate();
        var settings = UnitSettings.From(RunSpecs.From(options, plan, device ?? DeviceConfig.Preset("ideal")));
        return (settings, plan.Layers[0], TilePlan.Build(plan, options.TileSide).Tiles[0][0]);
    }

    /// <summary>The unit's weights, read by a sweep (queued behind any open exchange).</summary>
    public float[] Weights()
    {
        Unit.Tell(new ReadSweep(new float[Tile.UnitCount * Length]));
        return Next.ExpectMsg<ReadSweep>().Vectors.AsSpan(Index * Length, Length).ToArray();
    }
}
