using System.Globalization;
using NodeMesh.Cli.Records;
using NodeMesh.Core;
using NodeMesh.Core.Checkpoints;
using NodeMesh.Core.Data;
using NodeMesh.Core.Devices;
using NodeMesh.Core.Fabric;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;

namespace NodeMesh.Cli.Commands;

/// <summary><c>nodemesh train</c>: trains the unit-actor network in one process and writes a run directory.</summary>
public static class TrainCommand
{
    /// <summary>The --arch description, the same in every command that takes a layer list.</summary>
    internal const string ArchHelp =
        "layer list: convKxKxC[sS][pP|psame|pvalid] (stride S, default 1; padding P, default K/2 for odd K), denseN, relu, tanh, maxpoolK[sS], avgpoolK[sS] (window K, stride S, default K), gap (global average pool), residual blocks res(conv3x3x16,relu,conv3x3x16) or res(conv3x3x32s2,relu,conv3x3x32;conv1x1x32s2pvalid) (projection shortcut)";

    public static readonly OptionDef[] Options =
    [
        new("arch", "LAYERS", ArchSpec.Default, ArchHelp),
        new("strategy", "NAME", "none", "weight tying: none (locally connected), allreduce (exact), gossip (asynchronous); may name topology, period and step parity too: allreduce-tree-every10, gossip-exp, gossip-grid-every10-parity"),
        new("topology", "NAME", "star (allreduce), grid (gossip)", "allreduce: star|tree|ring; gossip: grid|random|exp"),
        new("reduce", "sum|mean", "sum", "how allreduce combines gradients (sum equals a ConvNet at the same lr)"),
        new("every", "F", "1", "tie every F steps: F=1 ties gradients each step; F>1 averages weights every F steps"),
        new("step-parity", null, null, "weight averaging (allreduce F>1, gossip) combines the units' changes since the last agreement by their sum, not their mean: a map moves at a ConvNet's step (same as the strategy suffix -parity)"),
        new("fanout", "K", "1", "gossip: peers per round (sequential push-pull exchanges)"),
        new("mix", "A", "0.5", "gossip: mixing weight, w <- (1-a)*w + a*w_peer (0.5 = pairwise averaging)"),
        new("gossip-drop", "P", "0", "gossip: fraction of gossip messages lost (seeded per unit); losses are counted"),
        new("epochs", "N", "1", "passes over the training set"),
        new("batch", "B", "32", "mini-batch size"),
        new("lr", "RATE", "0.05", "SGD learning rate (no momentum; loss is the batch mean)"),
        new("seed", "N", "1", "seed of every random draw (init, shuffling)"),
        new("shuffle", "on|off", "on", "shuffle each epoch; off = dataset order"),
        new("train-limit", "N", "0", "use only the first N training samples (0 = all)"),
        new("test-limit", "N", "0", "use only the first N test samples (0 = all)"),
        new("input", "HxWxC", null, "train a net of this input size (e.g. 32x32x3, 224x224x3) on synthetic data: seeded uniform pixels and labels, --train-limit/--test-limit samples (default 512/128); a cost-only run: traffic, energy and samples/s as usual, accuracy not meaningful (not shown)"),
        new("data", "DIR|full", null, "IDX files (Fashion-MNIST or MNIST); 'full' = /usr/share/datasets/fashion-mnist; default: embedded 2000/500 subset"),
        new("out", "DIR", "runs/<time>-<strategy>-<device>-seed<N>-<xxxx>", "run directory (new or empty) for config.json, metrics.csv, summary.json, report.md and its PNG plots; the default is a new folder per run"),
        new("save", "FILE", null, "write the final weights as safetensors"),
        new("init", "FILE", null, "start from safetensors weights (per-position or shared Conv2d kernels)"),
        new("unit-init", "tied|conv2d|he-normal", "tied", "initial conv kernels: tied = one per map (PyTorch Conv2d default) copied to every position, so every strategy starts from the same ConvNet; drawn for every position on its own: conv2d = PyTorch Conv2d's default (weights and bias uniform in ±1/√fan_in), he-normal = weights N(0, 2/fan_in), biases 0 ('independent' is a deprecated name of conv2d)"),
        new("tile", "N", "0", "tile side in positions (0 = about 4x4 tiles per layer; a layer with overlapping pools is one tile)"),
        new("device", "PRESET|FILE", "ideal", "weight store of every unit: ideal (exact SGD) or a memristor preset (idealized, gokmen-vlasov, reram-es, reram-sb, ecram, capacitor, pcm), or a JSON file; see 'nodemesh devices'"),
        new("step-seconds", "S", "1", "simulated seconds per training step for device drift (devices with drift_nu > 0 only)"),
        new("map-layout", "column|spread", "column", "fabric placement: the maps of a position share a column (0 hops) or are tiled side by side"),
        new("layer-hops", "N", "1", "fabric: hops between consecutive layers of the stacked mesh"),
        new("fabric-cast", "unicast|multicast", "unicast", "fabric: each value goes to each consumer unit as its own message, or once along an XY multicast tree (errors summed back along it); docs/fabric.md"),
        new("energy", "FILE", null, "energy model JSON (pJ per bit-hop, device read, write pulse, ADC, DRAM, SRAM, FP32 MAC); default: docs/fabric.md values"),
        new("latency", "FILE", null, "latency model JSON (clock, router and link cycles, link width, crossbar read, ADC rate, write pulse) of the projected step time in summary.json and report.md; default: docs/latency.md values"),
        new("eval-batch", "N", "250", "batch size of test evaluation (does not change results)"),
        new("workers", "N", "0", "cluster run: wait for N worker members (nodemesh node) and place the tiles on them; 0 = local mode, one process", "NODEMESH_WORKERS"),
        new("seeds", "LIST", null, "cluster run: comma-separated seed addresses akka.tcp://nodemesh@HOST:PORT; none = this driver is the first member and workers join it", "NODEMESH_SEEDS"),
        new("host", "ADDR", "127.0.0.1", "cluster run: address the driver binds (0.0.0.0 = every interface)", "NODEMESH_HOST"),
        new("port", "N", "0", "cluster run: TCP port of the driver (0 = any free port; give one when workers use this driver as their seed)", "NODEMESH_PORT"),
        new("public-host", "NAME", null, "cluster run: host name other members use to reach the driver (default: --host)", "NODEMESH_PUBLIC_HOST"),
        new("placement", "block|stripe|round-robin", "block", "cluster run: how each layer's tiles are spread over the workers (docs/cluster.md)", "NODEMESH_PLACEMENT"),
        new("join-timeout", "S", "60", "cluster run: seconds to wait for the workers to be Up before giving up", "NODEMESH_JOIN_TIMEOUT"),
        new("heartbeat-pause", "S", "10", "cluster run: seconds without a heartbeat before a member is declared lost (raise it for regions of hundreds of thousands of unit actors, whose build can stall a member for longer)", "NODEMESH_HEARTBEAT_PAUSE"),
        new("max-frame-size", "BYTES", "16777216", "cluster run: Akka.Remote maximum frame size; every member must allow the run's largest message", "NODEMESH_MAX_FRAME_SIZE"),
        .. ClusterArgs.TlsOptions,
        new("checkpoint-every", "epoch|N|off", "epoch", "write the whole training state to RUN_DIR/checkpoint.nmck after every epoch, or every N steps (and every epoch), or never"),
        new("resume", "RUN_DIR", null, "continue an interrupted run from its last checkpoint, locally or on any number of workers; give only cluster options, --quiet, --checkpoint-every and --on-member-lost with it"),
        new("on-member-lost", "stop|resume", "stop", "cluster run: when a worker is lost, stop (writing the metrics so far) or re-place its tiles on the others and continue from the last checkpoint"),
        new("quiet", null, null, "no progress bar"),
        new("help", null, null, "show this help"),
    ];

    public const string Summary = "train the unit-actor ConvNet (in one process, or as the driver of a cluster) and write a run directory";

    public static string HelpText => $"""
        nodemesh train — {Summary}

        Every feature-map unit (layer, map, u, v) and every dense neuron is an Akka.NET actor that
        owns its weights. The strategy decides how the U×V copies of each conv kernel are tied.

        Usage: nodemesh train [options]

        Options:
        {ParsedArgs.Help(Options)}

        Examples:
          nodemesh train                                      # embedded subset, no sharing
          nodemesh train --data full --strategy allreduce --topology tree
          nodemesh train --strategy allreduce --every 10 --epochs 3 --save w.safetensors
          nodemesh train --strategy gossip --topology exp --every 10 --fanout 2
          nodemesh train --input 32x32x3 --arch conv3x3x16,relu,maxpool2,dense10 --strategy allreduce-tree   # cost only
        """;

    /// <summary>--checkpoint-every: 0 = after every epoch, N &gt; 0 = every N steps and every epoch, −1 = never.</summary>
    private static int CheckpointEvery(ParsedArgs a)
    {
        string v = (a.String("checkpoint-every") ?? "epoch").ToLowerInvariant();
        if (v == "epoch") return 0;
        if (v == "off") return -1;
        if (int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0) return n;
        throw new UserInputException($"--checkpoint-every '{v}': give epoch, a number of steps (> 0), or off.");
    }

    /// <summary>Parses the train options into a run definition.</summary>
    public static TrainOptions ParseOptions(ParsedArgs a)
    {
        var word = StrategyGrammar.Parse(a.String("strategy")!, "--strategy");
        if (word.Topology is not null && a.Has("topology"))
            throw new UserInputException($"--strategy {a.String("strategy")} already names the topology; drop --topology {a.String("topology")} (or write --strategy {word.Kind.ToString().ToLowerInvariant()} --topology ...).");
        if (word.Every is not null && a.Has("every"))
            throw new UserInputException($"--strategy {a.String("strategy")} already names the tying period; drop --every {a.String("every")}.");
        var kind = word.Kind;
        var topology = a.Has("topology")
            ? a.Choice("topology", StrategyGrammar.Topologies)
            : word.TopologyOrDefault;
        if (kind == StrategyKind.None && (a.Has("topology") || a.Has("every") || a.Has("reduce")))
            throw new UserInputException("--topology, --every and --reduce need --strategy allreduce or gossip; with --strategy none nothing is tied.");
        if (word.Parity && a.Flag("step-parity"))
            throw new UserInputException($"--strategy {a.String("strategy")} already asks for step parity; drop --step-parity.");
        if (kind != StrategyKind.Gossip && (a.Has("fanout") || a.Has("mix") || a.Has("gossip-drop")))
            throw new UserInputException("--fanout, --mix and --gossip-drop apply to --strategy gossip only.");
        if (kind == StrategyKind.Gossip && a.Has("reduce"))
            throw new UserInputException("--reduce applies to --strategy allreduce only; gossip mixes weights with --mix.");
        var strategy = new StrategyOptions(kind, topology,
            a.Choice("reduce", ("sum", ReduceOp.Sum), ("mean", ReduceOp.Mean)),
            word.Every ?? a.Int("every"), a.Int("fanout"), a.Float("mix"), a.Float("gossip-drop"), word.Parity || a.Flag("step-parity"));
        return new TrainOptions(
            Arch: a.String("arch")!,
            Strategy: strategy,
            Epochs: a.Int("epochs"),
            Batch: a.Int("batch"),
            LearningRate: a.Float("lr"),
            Seed: a.Int("seed"),
            Shuffle: a.Choice("shuffle", ("on", true), ("off", false)),
            TrainLimit: a.Int("train-limit"),
            TestLimit: a.Int("test-limit"),
            EvalBatch: a.Int("eval-batch"),
            TileSide: a.Int("tile")).Validate();
    }


    /// <summary>Options that a resumed run may set anew; everything else comes from the checkpoint.</summary>
    internal static readonly HashSet<string> ResumeOptions =
        ["workers", "seeds", "host", "port", "public-host", "placement", "join-timeout", "heartbeat-pause", "max-frame-size", "tls-cert", "tls-password", "tls-ca", "tls-pin",
         "quiet", "checkpoint-every", "on-member-lost", "resume"];

    /// <summary>
    /// Reads and checks every option, loads the data, the initial weights, the device and energy
    /// models, and computes the run's config.json, all without creating or writing anything: a
    /// refused run leaves no folder behind. Warnings (clamped limits, options without effect) are
    /// returned for the caller to show. <paramref name="checkOut"/> = false leaves --out's folder
    /// to the caller (a sweep decides itself what its settings' folders may hold).
    /// </summary>
    public static TrainSetup Prepare(ParsedArgs a, bool checkOut = true)
    {
        string? resumeDir = a.String("resume");
        CheckpointHeader? header = null;
        TrainingCheckpoint? saved = null;
        if (resumeDir is not null)
        {
            var extra = a.ToArgs(n => !ResumeOptions.Contains(n)).Where(x => x.StartsWith("--", StringComparison.Ordinal)).ToArray();
            if (extra.Length > 0)
                throw new UserInputException($"--resume continues a run with the settings it started with; {string.Join(", ", extra)} cannot be changed (give only cluster options, --quiet, --checkpoint-every or --on-member-lost).");
            string path = Path.Combine(resumeDir, TrainingCheckpoint.FileName);
            saved = TrainingCheckpoint.Read(path);
            header = CheckpointHeader.Read(saved.Header, path);
            a = ParsedArgs.Parse("train", Options, [.. header.TrainArgs, .. a.ToArgs(ResumeOptions.Contains), "--out", resumeDir]);
        }
        var warnings = new List<string>();
        var options = ParseOptions(a);
        string? dataArg = a.String("data");
        InputShape? input = a.Has("input") ? InputShape.Parse(a.String("input")) : null;
        if (input is not null && dataArg is not null)
            throw new UserInputException($"{input} trains on synthetic data of that size; drop --data {dataArg} (or drop --input to train on the data's own size).", SettingKeys.Input);
        var data = input is null ? DatasetLoader.Load(dataArg)
            : SyntheticData.Generate(input, DatasetLoader.Classes, options.TrainLimit > 0 ? options.TrainLimit : SyntheticData.DefaultTrainCount,
                options.TestLimit > 0 ? options.TestLimit : SyntheticData.DefaultTestCount, options.Seed);
        if (options.TrainLimit > data.Train.Count)
            warnings.Add($"--train-limit {options.TrainLimit:N0} is more than the {data.Train.Count:N0} training samples of {data.Train.Source}; using all {data.Train.Count:N0}.");
        if (options.TestLimit > data.Test.Count)
            warnings.Add($"--test-limit {options.TestLimit:N0} is more than the {data.Test.Count:N0} test samples of {data.Test.Source}; using all {data.Test.Count:N0}.");
        var plan = NetworkPlan.Build(ArchSpec.Parse(options.Arch), data.Train.Channels, data.Train.Rows, data.Train.Cols, data.Train.Classes);
        var tiles = TilePlan.Build(plan, options.TileSide);
        string? init = header is null ? a.String("init") : null; // a resumed run loads its state, not its initial weights
        bool deprecatedInit = string.Equals(a.String("unit-init"), "independent", StringComparison.OrdinalIgnoreCase);
        var unitInit = deprecatedInit ? UnitInit.Conv2d : a.Choice("unit-init", ("tied", UnitInit.Tied), ("conv2d", UnitInit.Conv2d), ("he-normal", UnitInit.HeNormal));
        if (deprecatedInit && header is null)
            warnings.Add("--unit-init independent is deprecated: it is --unit-init conv2d (PyTorch Conv2d's default initialisation drawn for every position); write that instead.");
        if (unitInit != UnitInit.Tied && init is not null) throw new UserInputException("--unit-init and --init both set the initial weights; give one of them.");
        var weights = init is null ? null : Checkpoint.Load(plan, init);
        string? save = a.String("save");
        if (save is not null) Checkpoint.CheckWritable(save);
        var fabric = new FabricLayout(plan, new FabricOptions(
            a.Choice("map-layout", ("column", MapLayout.Column), ("spread", MapLayout.Spread)), a.Int("layer-hops"),
            a.Choice("fabric-cast", ("unicast", FabricCast.Unicast), ("multicast", FabricCast.Multicast))).Validate());
        var energy = a.String("energy") is { } energyFile ? EnergyModel.Load(energyFile) : EnergyModel.Default;
        var device = DeviceConfig.Load(a.String("device") ?? "ideal");
        double stepSeconds = a.Float("step-seconds");
        if (stepSeconds < 0) throw new UserInputException($"--step-seconds {stepSeconds.ToString(CultureInfo.InvariantCulture)}: simulated time per step cannot be negative.");
        if (a.Given("step-seconds") && !(device.DriftNu > 0))
            warnings.Add($"--step-seconds has no effect: the {device.Name} weight store does not drift (drift_nu = 0).");
        if (a.Given("reduce") && options.Strategy.Every > 1)
            warnings.Add($"--reduce has no effect with --every {options.Strategy.Every}: the units average weights every F steps, they do not combine gradients.");
        int checkpointEvery = CheckpointEvery(a);
        bool resumeOnLoss = a.Choice("on-member-lost", ("stop", false), ("resume", true));
        var cluster = ClusterArgs.Parse(a);
        if (resumeOnLoss && cluster is null) throw new UserInputException("--on-member-lost resume applies to cluster runs; add --workers N.");
        if (resumeOnLoss && checkpointEvery < 0) throw new UserInputException("--on-member-lost resume continues from the last checkpoint; it needs --checkpoint-every epoch or N, not off.");
        string? outDir = resumeDir ?? (a.Has("out") && a.String("out") is { Length: > 0 } o ? o : null);
        if (checkOut && header is null && outDir is not null) RunDirectory.CheckFree(outDir);
        var config = RunRecorder.ConfigOf(options, plan, tiles, data, dataArg, init, fabric, energy, device, cluster?.Workers ?? 0, cluster is null ? null : a.String("placement"));
        config = config with { UnitInit = UnitInitName(unitInit), Input = input?.ToString(), Synthetic = input is null ? null : true };
        if (header is null) config = config with { LatencyModel = a.String("latency") is { } latencyFile ? LatencyModel.Load(latencyFile) : LatencyModel.Default };
        return new TrainSetup(a, options, data, dataArg, plan, tiles, init, unitInit, weights, save, fabric, energy, device, stepSeconds,
            checkpointEvery, resumeOnLoss, cluster, outDir, header, saved, config, warnings);
    }

    /// <summary>The --unit-init word of an initialisation, as config.json records it.</summary>
    public static string UnitInitName(UnitInit init) => init switch
    {
        UnitInit.Conv2d => "conv2d",
        UnitInit.HeNormal => "he-normal",
        _ => "tied",
    };

    public static Task<int> RunAsync(ParsedArgs a, TextWriter stdout, TextWriter stderr, Func<Akka.Actor.Address, Task>? onDriverUp = null) =>
        TrainRun.RunAsync(Prepare(a), stdout, stderr, onDriverUp);
}

/// <summary>A checked train run, ready to start: everything <see cref="TrainCommand.Prepare"/> read and built.</summary>
public sealed record TrainSetup(
    ParsedArgs Args, TrainOptions Options, DatasetPair Data, string? DataArg, NetworkPlan Plan, TilePlan Tiles, string? Init, UnitInit UnitInit,
    float[][]? Weights, string? Save, FabricLayout Fabric, EnergyModel Energy, DeviceConfig Device, double StepSeconds,
    int CheckpointEvery, bool ResumeOnMemberLoss, ClusterArgs? Cluster, string? OutDir, CheckpointHeader? Header, TrainingCheckpoint? Saved,
    RunConfig Config, IReadOnlyList<string> Warnings)
{
    /// <summary>A cost-only run on synthetic data (<c>--input</c>): its accuracy means nothing and is not shown.</summary>
    public bool CostOnly => Config.Synthetic == true;

    /// <summary>The default run folder's name (without the suffix that claiming it adds).</summary>
    public string DefaultName(DateTime utc) => RunDirectory.DefaultName(StrategyGrammar.Name(Options.Strategy), Device.Name, Options.Seed, utc);
}
