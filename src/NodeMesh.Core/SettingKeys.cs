namespace NodeMesh.Core;

/// <summary>
/// The neutral names of the user-facing settings that a <see cref="UserInputException"/> can be
/// about (<see cref="UserInputException.Setting"/>): lower-case words joined by '-', as the settings
/// are called in the docs. A front end maps each key to its own spelling; the CLI keeps one table
/// from key to flag (most keys are their own flag name).
/// </summary>
public static class SettingKeys
{
    /// <summary>The layer list (<see cref="Model.ArchSpec"/>).</summary>
    public const string Arch = "arch";

    /// <summary>Where the dataset comes from: a directory of IDX files, "full", or nothing for the embedded subset.</summary>
    public const string Data = "data";

    /// <summary>Passes over the training set (<see cref="Training.TrainOptions.Epochs"/>).</summary>
    public const string Epochs = "epochs";

    /// <summary>Mini-batch size in samples (<see cref="Training.TrainOptions.Batch"/>).</summary>
    public const string Batch = "batch";

    /// <summary>The SGD learning rate (<see cref="Training.TrainOptions.LearningRate"/>).</summary>
    public const string LearningRate = "learning-rate";

    /// <summary>Training samples used, 0 = all (<see cref="Training.TrainOptions.TrainLimit"/>).</summary>
    public const string TrainLimit = "train-limit";

    /// <summary>Test samples used, 0 = all (<see cref="Training.TrainOptions.TestLimit"/>).</summary>
    public const string TestLimit = "test-limit";

    /// <summary>Batch size of evaluation passes in samples (<see cref="Training.TrainOptions.EvalBatch"/>).</summary>
    public const string EvalBatch = "eval-batch";

    /// <summary>Tile side in positions, 0 = automatic (<see cref="Training.TrainOptions.TileSide"/>).</summary>
    public const string Tile = "tile";

    /// <summary>Tying period in steps (<see cref="Strategies.StrategyOptions.Every"/>).</summary>
    public const string Every = "every";

    /// <summary>Communication topology of a tying group (<see cref="Strategies.StrategyOptions.Topology"/>).</summary>
    public const string Topology = "topology";

    /// <summary>Gossip peers per round (<see cref="Strategies.StrategyOptions.Fanout"/>).</summary>
    public const string Fanout = "fanout";

    /// <summary>Gossip mixing weight (<see cref="Strategies.StrategyOptions.Mix"/>).</summary>
    public const string Mix = "mix";

    /// <summary>Fraction of gossip messages lost (<see cref="Strategies.StrategyOptions.Drop"/>).</summary>
    public const string GossipDrop = "gossip-drop";

    /// <summary>Weight averaging at a ConvNet's step (<see cref="Strategies.StrategyOptions.StepParity"/>).</summary>
    public const string StepParity = "step-parity";

    /// <summary>How the maps of a layer sit on the fabric (<see cref="Fabric.FabricOptions.Layout"/>).</summary>
    public const string MapLayout = "map-layout";

    /// <summary>Hops between consecutive layers of the fabric (<see cref="Fabric.FabricOptions.LayerHops"/>).</summary>
    public const string LayerHops = "layer-hops";

    /// <summary>Unicast or multicast activation and error transport (<see cref="Fabric.FabricOptions.Cast"/>).</summary>
    public const string FabricCast = "fabric-cast";

    /// <summary>The energy model's JSON file (<see cref="Fabric.EnergyModel.Load"/>).</summary>
    public const string Energy = "energy";

    /// <summary>The latency model's JSON file (<see cref="Fabric.LatencyModel.Load"/>).</summary>
    public const string Latency = "latency";

    /// <summary>The weight store of every unit: a preset name or a JSON file (<see cref="Devices.DeviceConfig.Load"/>).</summary>
    public const string Device = "device";

    /// <summary>The input shape of the net, HxWxC (<see cref="Model.InputShape"/>); given, the run trains on synthetic data.</summary>
    public const string Input = "input";
}
