using System.Diagnostics;
using System.Globalization;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Driving;
using NodeMesh.Cli.Records;
using NodeMesh.Cluster;
using NodeMesh.Core.Placement;
using NodeMesh.Core;
using NodeMesh.Core.Checkpoints;
using NodeMesh.Core.Data;
using NodeMesh.Core.Devices;
using NodeMesh.Core.Fabric;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;

namespace NodeMesh.Cli.Commands;

/// <summary><c>nodemesh train</c>: trains the unit-actor network in one process and writes a run directory.</summary>
public static class TrainCommand
{
    public static readonly OptionDef[] Options =
    [
        new("arch", "LAYERS", ArchSpec.Default, "layer list: convKxKxC, denseN, relu, tanh, maxpoolK, avgpoolK"),
        new("strategy", "none|allreduce|gossip", "none", "weight tying: none (locally connected), allreduce (exact), gossip (asynchronous)"),
        new("topology", "NAME", "star (allreduce), grid (gossip)", "allreduce: star|tree|ring; gossip: grid|random|exp"),
        new("reduce", "sum|mean", "sum", "how allreduce combines gradients (sum equals a ConvNet at the same lr)"),
        new("every", "F", "1", "tie every F steps: F=1 ties gradients each step; F>1 averages weights every F steps"),
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
        new("data", "DIR|full", null, "IDX files (Fashion-MNIST or MNIST); 'full' = /usr/share/datasets/fashion-mnist; default: embedded 2000/500 subset"),
        new("out", "DIR", "runs/<time>-<strategy>", "run directory for config.json, metrics.csv, summary.json, report.md and its PNG plots"),
        new("save", "FILE", null, "write the final weights as safetensors"),
        new("init", "FILE", null, "start from safetensors weights (per-position or shared Conv2d kernels)"),
        new("unit-init", "tied|independent", "tied", "initial conv kernels: one per map copied to every position (all strategies start from the same ConvNet), or one per unit (PyTorch's locally connected init)"),
        new("tile", "N", "0", "tile side in positions (0 = about 4x4 tiles per layer)"),
        new("device", "PRESET|FILE", "ideal", "weight store of every unit: ideal (exact SGD) or a memristor preset (idealized, gokmen-vlasov, reram-es, reram-sb, ecram, capacitor, pcm), or a JSON file; see 'nodemesh devices'"),
        new("step-seconds", "S", "1", "simulated seconds per training step for device drift (devices with drift_nu > 0 only)"),
        new("map-layout", "column|spread", "column", "fabric placement: the maps of a position share a column (0 hops) or are tiled side by side"),
        new("layer-hops", "N", "1", "fabric: hops between consecutive layers of the stacked mesh"),
        new("energy", "FILE", null, "energy model JSON (pJ per bit-hop, device read, write pulse, ADC, DRAM, SRAM, FP32 MAC); default: docs/fabric.md values"),
        new("eval-batch", "N", "250", "batch size of test evaluation (does not change results)"),
        new("workers", "N", "0", "cluster run: wait for N worker members (nodemesh node) and place the tiles on them; 0 = local mode, one process", "NODEMESH_WORKERS"),
        new("seeds", "LIST", null, "cluster run: comma-separated seed addresses akka.tcp://nodemesh@HOST:PORT; none = this driver is the first member and workers join it", "NODEMESH_SEEDS"),
        new("host", "ADDR", "127.0.0.1", "cluster run: address the driver binds (0.0.0.0 = every interface)", "NODEMESH_HOST"),
        new("port", "N", "0", "cluster run: TCP port of the driver (0 = any free port; give one when workers use this driver as their seed)", "NODEMESH_PORT"),
        new("public-host", "NAME", null, "cluster run: host name other members use to reach the driver (default: --host)", "NODEMESH_PUBLIC_HOST"),
        new("placement", "block|stripe|round-robin", "block", "cluster run: how each layer's tiles are spread over the workers (docs/cluster.md)", "NODEMESH_PLACEMENT"),
        new("join-timeout", "S", "60", "cluster run: seconds to wait for the workers to be Up before giving up", "NODEMESH_JOIN_TIMEOUT"),
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
        var kind = a.Choice("strategy", ("none", StrategyKind.None), ("allreduce", StrategyKind.AllReduce), ("gossip", StrategyKind.Gossip));
        var topology = a.Has("topology")
            ? a.Choice("topology", ("star", TopologyKind.Star), ("tree", TopologyKind.Tree), ("ring", TopologyKind.Ring),
                ("grid", TopologyKind.Grid), ("random", TopologyKind.Random), ("exp", TopologyKind.Exp))
            : kind == StrategyKind.Gossip ? TopologyKind.Grid : TopologyKind.Star;
        if (kind == StrategyKind.None && (a.Has("topology") || a.Has("every") || a.Has("reduce")))
            throw new UserInputException("--topology, --every and --reduce need --strategy allreduce or gossip; with --strategy none nothing is tied.");
        if (kind != StrategyKind.Gossip && (a.Has("fanout") || a.Has("mix") || a.Has("gossip-drop")))
            throw new UserInputException("--fanout, --mix and --gossip-drop apply to --strategy gossip only.");
        if (kind == StrategyKind.Gossip && a.Has("reduce"))
            throw new UserInputException("--reduce applies to --strategy allreduce only; gossip mixes weights with --mix.");
        var strategy = new StrategyOptions(kind, topology,
            a.Choice("reduce", ("sum", ReduceOp.Sum), ("mean", ReduceOp.Mean)),
            a.Int("every"), a.Int("fanout"), a.Float("mix"), a.Float("gossip-drop"));
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
    private static readonly HashSet<string> ResumeOptions =
        ["workers", "seeds", "host", "port", "public-host", "placement", "join-timeout", "max-frame-size", "tls-cert", "tls-password", "tls-ca", "tls-pin",
         "quiet", "checkpoint-every", "on-member-lost", "resume"];

    public static async Task<int> RunAsync(ParsedArgs a, TextWriter stdout, TextWriter stderr, Func<Akka.Actor.Address, Task>? onDriverUp = null)
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
            stdout.WriteLine($"resuming {resumeDir} at step {header.GlobalStep} (epoch {header.Epoch}, {header.Cursor} samples in; checkpoint of {header.SavedUtc})");
        }
        var options = ParseOptions(a);
        string? dataArg = a.String("data");
        var data = DatasetLoader.Load(dataArg);
        var plan = NetworkPlan.Build(ArchSpec.Parse(options.Arch), 1, data.Train.Rows, data.Train.Cols, data.Train.Classes);
        var tiles = TilePlan.Build(plan, options.TileSide);
        string? init = header is null ? a.String("init") : null; // a resumed run loads its state, not its initial weights
        bool independent = a.Choice("unit-init", ("tied", false), ("independent", true));
        if (independent && init is not null) throw new UserInputException("--unit-init and --init both set the initial weights; give one of them.");
        var weights = init is null ? null : Checkpoint.Load(plan, init);
        string outDir = resumeDir ?? (a.String("out") is { } o && a.Has("out") ? o
            : Path.Combine("runs", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{options.Strategy.Describe().Replace('/', '-')}"));
        string? save = a.String("save");
        if (save is not null) Checkpoint.CheckWritable(save);
        var fabric = new FabricLayout(plan, new FabricOptions(
            a.Choice("map-layout", ("column", MapLayout.Column), ("spread", MapLayout.Spread)), a.Int("layer-hops")).Validate());
        var energy = a.String("energy") is { } energyFile ? EnergyModel.Load(energyFile) : EnergyModel.Default;
        var device = DeviceConfig.Load(a.String("device") ?? "ideal");
        int checkpointEvery = CheckpointEvery(a);
        bool resumeOnLoss = a.Choice("on-member-lost", ("stop", false), ("resume", true));
        var cluster = ClusterArgs.Parse(a);
        if (resumeOnLoss && cluster is null) throw new UserInputException("--on-member-lost resume applies to cluster runs; add --workers N.");
        if (resumeOnLoss && checkpointEvery < 0) throw new UserInputException("--on-member-lost resume continues from the last checkpoint; it needs --checkpoint-every epoch or N, not off.");
        var recorder = header is null
            ? RunRecorder.Create(outDir, options, plan, tiles, data, dataArg, init, fabric, energy, device, cluster?.Workers ?? 0, cluster is null ? null : a.String("placement"))
            : RunRecorder.Reopen(outDir, options, plan, fabric, energy, header.Finished.Select(f => f.ToRecord()));
        var sink = checkpointEvery < 0 ? null
            : new CheckpointWriter(outDir, a.ToArgs(n => !ResumeOptions.Contains(n) && n != "out"), recorder, stdout.WriteLine);
        DriverSetup Configure(DriverSetup setup) => setup with
        {
            Checkpoints = sink,
            CheckpointEvery = Math.Max(0, checkpointEvery),
            Resume = header is null ? null : new ResumePoint(header.Position, saved!.Tiles),
            ResumeOnMemberLoss = resumeOnLoss,
        };

        stdout.WriteLine($"NodeMesh train: {options.Strategy.Describe()} on {data.Train.Source}");
        stdout.WriteLine($"  weights in: {(device.IsIdeal ? "ideal float32 stores (exact SGD)" : $"{device.Name} devices ({device.Model}, dw_min {device.DwMin.ToString(CultureInfo.InvariantCulture)})")}; fabric {fabric.Options.Layout.ToString().ToLowerInvariant()} layout, {fabric.Options.LayerHops} hop(s) between layers");
        stdout.WriteLine($"  net {plan.Arch}: {plan.UnitCount:N0} unit actors in {tiles.Tiles.Sum(t => t.Count)} tiles, {plan.UnitParameters:N0} unit parameters ({plan.SharedParameters:N0} if shared)");
        int trainCount = options.TrainLimit > 0 ? Math.Min(options.TrainLimit, data.Train.Count) : data.Train.Count;
        int testCount = options.TestLimit > 0 ? Math.Min(options.TestLimit, data.Test.Count) : data.Test.Count;
        stdout.WriteLine($"  {trainCount:N0} train / {testCount:N0} test samples, batch {options.Batch}, lr {options.LearningRate.ToString(CultureInfo.InvariantCulture)}, {options.Epochs} epoch(s), seed {options.Seed}; run directory {outDir}");

        var progress = new ProgressBar(stderr, enabled: !a.Flag("quiet"));
        double stepSeconds = a.Float("step-seconds");
        if (stepSeconds < 0) throw new UserInputException($"--step-seconds {stepSeconds}: simulated time per step cannot be negative.");
        var spec = RunSpecs.From(options, plan, device, fabric.Options, stepSeconds, independent, shipsWeights: weights is not null,
            placement: cluster?.Placement ?? PlacementKind.Block, members: Math.Max(1, cluster?.Workers ?? 1));
        TrainingSession run = cluster is null
            ? await LocalRun.StartAsync(spec, options, data, weights, progress.Report, configure: Configure)
            : await ClusterRun.StartAsync(cluster.Member, cluster.Workers, cluster.JoinTimeout, spec, options, data, weights,
                progress.Report, stdout, onDriverUp ?? (_ => Task.CompletedTask), configure: Configure);
        await using var runScope = run;
        var clusterRun = run as ClusterRun;
        var wire = clusterRun is null ? null : new ClusterTraffic(clusterRun.Members, spec.Placement);
        if (wire is not null && header is not null) wire.Restore(header.ClusterEpochs);
        bool success = false;
        string endReason = "the run failed";
        var total = Stopwatch.StartNew();
        try
        {
        var prepared = await run.PrepareAsync();
        stdout.WriteLine($"  built {prepared.Units:N0} units, {prepared.Tiles} tiles, {prepared.Reducers} reducers on {prepared.Members} member(s)");
        if (clusterRun is not null)
        {
            wire!.Built(prepared, TilePlacement.Build(tiles, spec.Members, spec.Placement));
            foreach (var m in wire.Members) stdout.WriteLine($"  member {m.Address} ({m.Role}): {m.Tiles} tiles, {m.Units:N0} units, {m.Reducers} reducers");
            wire.Mark(await clusterRun.FetchWireReportsAsync());
        }

        for (int epoch = header?.Epoch ?? 1; epoch <= options.Epochs; epoch++)
        {
            var sw = Stopwatch.StartNew();
            progress.Begin(epoch, options.Epochs);
            var trained = await run.TrainEpochAsync(epoch);
            double trainSeconds = sw.Elapsed.TotalSeconds;
            if (clusterRun is not null) wire!.Epoch(epoch, trained.Samples, await clusterRun.FetchWireReportsAsync());
            // Progress events travel through an actor and may still be in flight: draw the finished bar here.
            progress.Report(new StepProgress(epoch, trained.Steps, trained.Steps, trained.Loss));
            progress.End();
            var eval = await run.EvaluateAsync();
            var model = await run.FetchModelAsync();
            var epochResult = new EpochRecord(epoch, trained, eval, trainSeconds, sw.Elapsed.TotalSeconds, ConsensusReport.Measure(plan, model));
            recorder.Add(epochResult);
            stdout.WriteLine(RunConsole.EpochLine(epochResult, recorder.Energy(epochResult)));
            if (wire is not null) stdout.WriteLine(wire.EpochLine(epoch));
            foreach (var r in trained.Recoveries)
                stdout.WriteLine($"  lost member {r.Member} at step {r.LostAtStep} ({r.Reason}); continued on {r.Members} member(s) from the checkpoint of step {r.ResumedAtStep}: {r.StepsRedone} step(s) redone");
            if (wire is not null) recorder.Cluster = wire;
            if (sink is not null) await run.SaveCheckpointAsync();
            if (wire is not null) wire.Mark(await clusterRun!.FetchWireReportsAsync());
        }
        var final = await run.FetchModelAsync();
        if (save is not null)
        {
            Checkpoint.Save(plan, final, save, options);
            stdout.WriteLine($"  saved weights to {save}");
        }
        if (wire is not null) wire.Finish(await clusterRun!.FetchWireReportsAsync());
        recorder.Cluster = wire;
        recorder.Finish(total.Elapsed.TotalSeconds);
        Fonts.WarnIfMissing(stderr);
        Reports.ReportWriter.Write(outDir);
        stdout.WriteLine();
        stdout.WriteLine(RunConsole.SummaryTable(options, plan, recorder.Epochs));
        stdout.WriteLine($"results: {Path.Combine(outDir, "metrics.csv")}, {Path.Combine(outDir, "summary.json")}, {Path.Combine(outDir, "report.md")}");
        success = true;
        return 0;
        }
        catch (RunFailedException e)
        {
            progress.End();
            recorder.Cluster = wire;
            endReason = e.Message;
            recorder.Fail(e.Message, total.Elapsed.TotalSeconds);
            stderr.WriteLine($"error: the run failed: {e.Message}");
            stderr.WriteLine($"  metrics of the finished epochs are in {outDir} (summary.json says why the run stopped)");
            return 1;
        }
        finally
        {
            if (clusterRun is not null) await clusterRun.EndAsync(success, success ? "the run ended" : endReason);
        }
    }
}
