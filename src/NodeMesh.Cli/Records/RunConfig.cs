using System.Text.Json;
using NodeMesh.Core.Fabric;

namespace NodeMesh.Cli.Records;

/// <summary>
/// <c>config.json</c>, also embedded as <c>config</c> in summary.json: what was trained and how.
/// Required members are in every run directory ever written; the nullable ones were added later
/// (fabric and energy models, devices, cluster) and are null when an older run did not record them.
/// </summary>
public sealed record RunConfig
{
    /// <summary>The command that wrote the run ("nodemesh train").</summary>
    public required string Tool { get; init; }

    /// <summary>The tool's version ("0.5.0"); null in runs made before it was recorded.</summary>
    public string? Version { get; init; }

    /// <summary>The commit the tool was built from, when its build knew it; null otherwise and in runs made before it was recorded.</summary>
    public string? Commit { get; init; }

    /// <summary>"local" (one process) or "cluster" (a driver and worker processes).</summary>
    public required string Mode { get; init; }

    /// <summary>Worker members of a cluster run; 0 for a local run.</summary>
    public int? Workers { get; init; }

    /// <summary>How the tiles were placed on the workers (block, stripe, round-robin); null for a local run.</summary>
    public string? Placement { get; init; }

    /// <summary>The architecture, e.g. "conv5x5x16,relu,maxpool2,conv5x5x32,relu,maxpool2,dense10".</summary>
    public required string Arch { get; init; }

    /// <summary>none, allreduce or gossip.</summary>
    public required string Strategy { get; init; }

    /// <summary>The strategy's topology (star, tree, ring, grid, random, exp); null for none.</summary>
    public string? Topology { get; init; }

    /// <summary>sum or mean: how an all-reduce combines gradients.</summary>
    public required string Reduce { get; init; }

    /// <summary>Tying period F, in training steps.</summary>
    public required int Every { get; init; }

    /// <summary>Weight averaging at a ConvNet's step (strategy suffix -parity); null in runs made before the option.</summary>
    public bool? StepParity { get; init; }

    /// <summary>Training epochs asked for.</summary>
    public required int Epochs { get; init; }

    /// <summary>Training samples per step.</summary>
    public required int Batch { get; init; }

    /// <summary>Learning rate (float32, as trained).</summary>
    public required float Lr { get; init; }

    /// <summary>Seed of the initialisation and the shuffle.</summary>
    public required int Seed { get; init; }

    /// <summary>Whether the training samples were shuffled every epoch.</summary>
    public required bool Shuffle { get; init; }

    /// <summary>Training samples used (0 = all).</summary>
    public required int TrainLimit { get; init; }

    /// <summary>Test samples used (0 = all).</summary>
    public required int TestLimit { get; init; }

    /// <summary>Training samples actually used per epoch: min(--train-limit, the dataset's size), the whole set for limit 0; null in older runs.</summary>
    public int? TrainSamples { get; init; }

    /// <summary>Test samples actually evaluated: min(--test-limit, the dataset's size), the whole set for limit 0; null in older runs.</summary>
    public int? TestSamples { get; init; }

    /// <summary>Tile side in units (0 = automatic).</summary>
    public required int TileSide { get; init; }

    /// <summary>Gossip: peers per round.</summary>
    public int? Fanout { get; init; }

    /// <summary>Gossip: mixing weight of a peer's weights.</summary>
    public float? Mix { get; init; }

    /// <summary>Gossip: probability that a message is lost.</summary>
    public float? GossipDrop { get; init; }

    /// <summary>Fabric map layout (column or spread).</summary>
    public string? MapLayout { get; init; }

    /// <summary>Fabric hops between consecutive layers.</summary>
    public int? LayerHops { get; init; }

    /// <summary>Fabric activation and error transport: unicast or multicast (older runs, which do not record it, were unicast).</summary>
    public string? FabricCast { get; init; }

    /// <summary>The energy prices of the run, in pJ.</summary>
    public EnergyModel? EnergyModel { get; init; }

    /// <summary>The latency constants of the run's projected step time (<c>--latency</c>); null in runs written before they were recorded.</summary>
    public LatencyModel? LatencyModel { get; init; }

    /// <summary>Device preset name ("ideal" for float32 stores).</summary>
    public string? Device { get; init; }

    /// <summary>
    /// The device parameters as a JSON object, named as in a --device JSON file (dw_min, w_max, …;
    /// numbers as numbers, <see cref="DeviceJson"/>); null for the ideal store. Runs written before
    /// hold a string here (the text listing of the parameters), which still reads.
    /// </summary>
    public JsonElement? DeviceParameters { get; init; }

    /// <summary>The --data argument ("embedded" without one).</summary>
    public required string Data { get; init; }

    /// <summary>Where the training data came from, as the loader describes it.</summary>
    public required string DataSource { get; init; }

    /// <summary>The checkpoint the weights started from; null for a fresh initialisation.</summary>
    public string? Init { get; init; }

    /// <summary>
    /// How the conv units' initial weights were drawn (--unit-init): tied, conv2d or he-normal; null
    /// in runs written before it was recorded (tied unless they were started with --unit-init independent).
    /// </summary>
    public string? UnitInit { get; init; }

    /// <summary>The net's input shape HxWxC given with --input (e.g. "32x32x3"); null when the data set it (Fashion-MNIST's 28x28x1).</summary>
    public string? Input { get; init; }

    /// <summary>
    /// True when the run trained on synthetic data (--input): a cost-only run whose traffic, energy
    /// and samples/s are meaningful and whose accuracy is not; null otherwise.
    /// </summary>
    public bool? Synthetic { get; init; }

    /// <summary>Unit actors.</summary>
    public required int Units { get; init; }

    /// <summary>Tiles (groups of units an actor hosts) over all layers.</summary>
    public required int Tiles { get; init; }

    /// <summary>Trainable parameters of the unit network (one kernel per position).</summary>
    public required long UnitParameters { get; init; }

    /// <summary>Trainable parameters of the equivalent shared-weight network.</summary>
    public required long SharedParameters { get; init; }

    /// <summary>The weighted layers, in order.</summary>
    public required IReadOnlyList<LayerConfig> Layers { get; init; }

    /// <summary>When the run started, ISO 8601 UTC.</summary>
    public required string StartedUtc { get; init; }
}

/// <summary>One weighted layer of <see cref="RunConfig"/>.</summary>
/// <param name="Name">conv1, conv2, …, dense.</param>
/// <param name="Kind">conv or dense.</param>
/// <param name="Input">Channels, height, width of its input.</param>
/// <param name="Output">Maps, height, width of its output.</param>
/// <param name="Kernel">Kernel side (conv).</param>
/// <param name="Units">Unit actors of the layer.</param>
/// <param name="FanIn">Weights per unit, without the bias.</param>
/// <param name="Tiles">Tiles of the layer.</param>
public sealed record LayerConfig(string Name, string Kind, IReadOnlyList<int> Input, IReadOnlyList<int> Output, int Kernel, int Units, int FanIn, int Tiles);
