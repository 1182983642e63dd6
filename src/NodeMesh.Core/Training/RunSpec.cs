using NodeMesh.Core.Devices;
using NodeMesh.Core.Fabric;
using NodeMesh.Core.Model;
using NodeMesh.Core.Placement;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Training;

/// <summary>
/// Everything a member needs to build its share of a run, and nothing else: every structure a
/// member holds (network plan, tiles, fabric layout, placement, wiring, weight stores and, unless
/// <see cref="ShipsWeights"/>, the initial weights) is a pure function of these settings. The
/// driver sends it to every member as one protobuf message; members never receive object graphs.
/// </summary>
/// <param name="Arch">Layer list (see <see cref="ArchSpec"/>).</param>
/// <param name="InputChannels">Input channels of the data.</param>
/// <param name="InputHeight">Input rows.</param>
/// <param name="InputWidth">Input columns.</param>
/// <param name="Classes">Classes of the data (outputs of the last layer).</param>
/// <param name="Strategy">Weight-tying strategy.</param>
/// <param name="LearningRate">SGD learning rate.</param>
/// <param name="Seed">Seed of every random draw.</param>
/// <param name="TileSide">Tile side in positions (0 = automatic).</param>
/// <param name="UnitInit">How the conv units' initial weights are drawn (tied per map, or per position).</param>
/// <param name="ShipsWeights">True when the driver ships the initial weights (from a checkpoint) instead of members deriving them from the seed.</param>
/// <param name="Device">Device configuration of every unit's weight store.</param>
/// <param name="StepSeconds">Simulated seconds per step for device drift (0 = none).</param>
/// <param name="Fabric">Fabric placement options (hop counting).</param>
/// <param name="Placement">How tiles are spread over members.</param>
/// <param name="Members">Members holding tiles (1 in local mode).</param>
public sealed record RunSpec(
    string Arch,
    int InputChannels,
    int InputHeight,
    int InputWidth,
    int Classes,
    StrategyOptions Strategy,
    float LearningRate,
    int Seed,
    int TileSide,
    UnitInit UnitInit,
    bool ShipsWeights,
    DeviceConfig Device,
    double StepSeconds,
    FabricOptions Fabric,
    PlacementKind Placement,
    int Members)
{
    /// <summary>The network plan.</summary>
    public NetworkPlan Plan() => NetworkPlan.Build(ArchSpec.Parse(Arch), InputChannels, InputHeight, InputWidth, Classes);

    /// <summary>The tile plan.</summary>
    public TilePlan Tiles(NetworkPlan plan) => TilePlan.Build(plan, TileSide);

    /// <summary>Initial weights derived from the seed (when not shipped).</summary>
    public float[][] InitialWeights(NetworkPlan plan) => WeightLayout.InitialVectors(plan, Seed, UnitInit);

    /// <summary>The weight store of one unit (global unit index within its layer), drawn from the run seed.</summary>
    public Units.IWeightStore Store(WeightedLayer layer, int unit) =>
        Device.CreateStore(layer.FanIn + 1, DeviceArray.UnitSeed(Seed, layer.Index, unit));
}

/// <summary>Builds run specs from the options a user gives.</summary>
public static class RunSpecs
{
    /// <summary>
    /// The spec of a run of <paramref name="options"/> on data shaped like <paramref name="plan"/>'s
    /// input. <paramref name="stepSeconds"/> only matters for devices that drift.
    /// </summary>
    public static RunSpec From(TrainOptions options, NetworkPlan plan, DeviceConfig? device = null, FabricOptions? fabric = null,
        double stepSeconds = 0, UnitInit unitInit = UnitInit.Tied, bool shipsWeights = false, PlacementKind placement = PlacementKind.Block, int members = 1)
    {
        device ??= DeviceConfig.Preset("ideal");
        return new RunSpec(options.Arch, plan.InputChannels, plan.InputHeight, plan.InputWidth, plan.Classes, options.Strategy,
            options.LearningRate, options.Seed, options.TileSide, unitInit, shipsWeights, device,
            device.DriftNu > 0 ? stepSeconds : 0, fabric ?? FabricOptions.Default, placement, members);
    }
}
