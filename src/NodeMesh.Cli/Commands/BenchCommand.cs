using System.Diagnostics;
using System.Globalization;
using NodeMesh.Actors.Driving;
using NodeMesh.Core;
using NodeMesh.Core.Data;
using NodeMesh.Core.Engine;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;

namespace NodeMesh.Cli.Commands;

/// <summary>
/// <c>nodemesh bench</c>: training throughput (samples/s) of the unit-actor network for each
/// strategy, next to the same per-unit computation run by the actor-free engine.
/// </summary>
public static class BenchCommand
{
    public const string Summary = "measure training samples/s per strategy, with actors and with the actor-free engine";

    public static readonly OptionDef[] Options =
    [
        new("arch", "LAYERS", ArchSpec.Default, "layer list"),
        new("steps", "N", "40", "timed training steps per configuration (after an equal warm-up)"),
        new("batch", "B", "32", "mini-batch size"),
        new("strategies", "LIST", "none,allreduce-star,allreduce-tree,allreduce-ring,gossip-grid", "comma-separated, in the grammar of train --strategy: none, allreduce[-star|-tree|-ring][-everyF], gossip[-grid|-random|-exp][-everyF]"),
        new("engine", "on|off", "on", "also time the actor-free engine on the same steps (ideal stores; not gossip, which it does not model)"),
        new("device", "LIST", "ideal", "comma-separated device presets or JSON files to time the actors with, e.g. ideal,gokmen-vlasov,pcm"),
        new("data", "DIR|full", null, "dataset (default: embedded subset)"),
        new("input", "HxWxC", null, "time a net of this input size (e.g. 32x32x3) on synthetic data (seeded uniform pixels and labels, steps x batch samples) instead of --data"),
        new("out", "FILE", null, "also write the results as CSV (with --runs: every run's rows, with a leading run column)"),
        new("runs", "N", "1", $"run the whole bench N times (at most {BenchRuns.MaxRuns}), each in a fresh nodemesh process, one after another, and report each strategy's median and range over the runs; every ratio still comes from one run"),
        new("scale", null, null, "instead: build --arch for each of --scale-inputs in a process of its own and report unit actors, tiles, build time, bytes per unit actor, RSS and step time, with fitted growth exponents (synthetic data; --strategies defaults to none, --steps to 3)"),
        new("scale-inputs", "LIST", ScaleBench.DefaultInputs, "--scale: comma-separated input sizes HxWxC, smallest first"),
        new("scale-point", "HxWxC", null, "internal (--scale runs it): measure one net in this process and print it as JSON"),
        new("exit-with-pid", "PID", null, "internal (--scale and --runs set it): exit when process PID exits"),
        new("help", null, null, "show this help"),
    ];

    public static string HelpText => $"""
        nodemesh bench — {Summary}

        Each configuration trains a warm-up epoch and then a timed epoch of --steps batches.
        Samples/s counts training samples (forward, backward, update and tying) per wall-clock second.
        Per actor run it also gives the managed bytes allocated per timed step (all threads) and
        the share of the timed epoch that garbage collection paused the process.

        With --scale it instead builds --arch for each input size of --scale-inputs, each in a fresh
        nodemesh process, and reports per net: unit actors, tiles, build time, managed bytes per unit
        actor beyond its weights, resident memory, and time per step; then the exponents with which
        step time and peak memory grow with the unit count (least squares on logs). The default ladder
        spans about 6,000 to 1,200,000 unit actors and takes tens of minutes on 2 cores.

        With --runs N it runs the same bench N times, each in a fresh process, and ends with each
        strategy's median (lowest–highest) over the runs: on a shared machine one run's speed drifts
        with the load, and the median of a few fresh processes is the figure to compare.

        Usage: nodemesh bench [options]

        Options:
        {ParsedArgs.Help(Options)}
        """;

    /// <summary>One strategy of --strategies, in the grammar of <c>train --strategy</c> (no period = every step).</summary>
    public static StrategyOptions ParseStrategy(string s)
    {
        var word = StrategyGrammar.Parse(s, "--strategies");
        return word.Kind == StrategyKind.None ? new StrategyOptions()
            : new StrategyOptions(word.Kind, word.TopologyOrDefault, ReduceOp.Sum, word.Every ?? 1, StepParity: word.Parity).Validate();
    }

    private static async Task<int> RunScaleAsync(ParsedArgs a, List<(string Name, StrategyOptions Options)> strategies, int steps, int batch, TextWriter stdout)
    {
        foreach (var other in new[] { "data", "input", "device" })
            if (a.Given(other)) throw new UserInputException($"--{other} does not apply to --scale, which builds --arch for each of --scale-inputs on synthetic data; drop --{other}.");
        string arch = ArchSpec.Parse(a.String("arch")!).Text;
        if (a.String("scale-point") is { } pointText)
        {
            using var watch = a.String("exit-with-pid") is null ? null : FollowParent(a.Int("exit-with-pid"));
            var (name, options) = strategies.Count == 1 ? strategies[0]
                : throw new UserInputException("--scale-point measures one strategy; give exactly one in --strategies.");
            return await ScaleBench.RunPointAsync(arch, InputShape.Parse(pointText), name, options, steps, batch, stdout);
        }
        var inputs = (a.String("scale-inputs") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(InputShape.Parse).ToList();
        if (inputs.Count == 0) throw new UserInputException("--scale-inputs is empty; give input sizes such as 16x16x1,64x64x1.");
        return await ScaleBench.RunAsync(arch, inputs, strategies, steps, batch, a.String("out"), stdout);
    }

    /// <summary>Kills this process when process <paramref name="pid"/> is gone: a --scale child never outlives the bench that started it.</summary>
    private static IDisposable FollowParent(int pid)
    {
        if (pid <= 0) throw new UserInputException($"--exit-with-pid {pid}: give the id of a running process.");
        // Killed rather than exited: a clean exit would first stop every actor of the net, which for a million of them takes long.
        return Cluster.ProcessWatch.WhenGone(pid, () =>
        {
            using var self = Process.GetCurrentProcess();
            self.Kill();
        });
    }

    private static double EngineRate(TilePlan tiles, TrainOptions options, float[][] weights, DatasetPair data, bool parallel)
    {
        var e = new UnitEngine(tiles, options, weights, parallel);
        e.TrainEpoch(data.Train, 1);
        var sw = Stopwatch.StartNew();
        var r = e.TrainEpoch(data.Train, 2);
        return r.Samples / sw.Elapsed.TotalSeconds;
    }

    public static async Task<int> RunAsync(ParsedArgs a, TextWriter stdout)
    {
        bool scale = a.Flag("scale") || a.Has("scale-point");
        int steps = scale && !a.Given("steps") ? ScaleBench.DefaultSteps : a.Int("steps"), batch = a.Int("batch");
        if (steps < 1) throw new UserInputException($"--steps {steps}: time at least 1 step.");
        if (batch < 1 || batch > 4096) throw new UserInputException($"--batch {batch}: the batch size must be 1..4096.");
        if (a.String("out") is { } outPath)
        {
            string dir = Path.GetDirectoryName(Path.GetFullPath(outPath))!;
            if (!Directory.Exists(dir)) throw new UserInputException($"--out {outPath}: directory '{dir}' does not exist; create it first.");
        }
        string strategyList = (a.Flag("scale") || a.Has("scale-point")) && !a.Given("strategies") ? "none" : a.String("strategies") ?? "";
        var strategies = strategyList.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => ParseStrategy(s)).Select(o => (Name: StrategyGrammar.Name(o), Options: o)).ToList();
        if (strategies.Count == 0)
            throw new UserInputException("--strategies is empty; give a comma-separated list such as none,allreduce-star.");
        int runs = a.Int("runs");
        if (runs < 1 || runs > BenchRuns.MaxRuns) throw new UserInputException($"--runs {runs}: give 1 to {BenchRuns.MaxRuns} runs.");
        if (scale && a.Given("runs")) throw new UserInputException("--runs does not apply to --scale, which measures each net in a process of its own once; drop --runs.");
        if (scale) return await RunScaleAsync(a, strategies, steps, batch, stdout);
        bool engine = a.Choice("engine", ("on", true), ("off", false));
        var input = a.Has("input") ? InputShape.Parse(a.String("input")) : null;
        if (input is not null && a.Has("data"))
            throw new UserInputException($"{input} times synthetic data of that size; drop --data.", SettingKeys.Input);
        var devices = (a.String("device") ?? "ideal").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(Core.Devices.DeviceConfig.Load).ToList();
        var arch = ArchSpec.Parse(a.String("arch")!);
        // The options are checked above, so that a mistake is reported once and not by the first run's process.
        if (runs > 1) return await BenchRuns.RunAsync(a.ToArgs(name => name is not ("runs" or "out" or "exit-with-pid")), runs, a.String("out"), stdout);
        using var watch = a.String("exit-with-pid") is null ? null : FollowParent(a.Int("exit-with-pid"));
        var data = input is null ? DatasetLoader.Load(a.String("data")) : SyntheticData.Generate(input, DatasetLoader.Classes, steps * batch, batch, seed: 1);
        var plan = NetworkPlan.Build(arch, data.Train.Channels, data.Train.Rows, data.Train.Cols, data.Train.Classes);
        var tiles = TilePlan.Build(plan);
        var weights = WeightLayout.InitialVectors(plan, 1);
        int limit = Math.Min(steps * batch, data.Train.Count);
        stdout.WriteLine($"nodemesh bench: {plan.Arch}{(input is null ? "" : $" at {input} on synthetic data (cost only)")}, {plan.UnitCount:N0} unit actors, batch {batch}, {limit / batch} timed steps, {Environment.ProcessorCount} cores");
        foreach (var line in BenchRuns.TableHeader(Environment.ProcessorCount)) stdout.WriteLine(line);
        var rows = new List<string> { BenchRuns.CsvHeader };
        foreach (var device in devices)
        foreach (var (strategyName, strategy) in strategies)
        {
            string name = device.IsIdeal ? strategyName : $"{strategyName} on {device.Name}";
            var options = new TrainOptions(plan.Arch.Text, strategy, Epochs: 2, Batch: batch, TrainLimit: limit, Shuffle: false).Validate();
            double actorRate, allocatedPerStep, pauseShare;
            var spec = RunSpecs.From(options, plan, device);
            await using (var run = await LocalRun.StartAsync(spec, options, data))
            {
                await run.PrepareAsync();
                await run.TrainEpochAsync(1);
                // The timed epoch's managed allocations (all threads) and the share of its wall time the GC paused the process.
                long allocated = GC.GetTotalAllocatedBytes(precise: true);
                var paused = GC.GetTotalPauseDuration();
                var sw = Stopwatch.StartNew();
                var r = await run.TrainEpochAsync(2);
                var elapsed = sw.Elapsed;
                actorRate = r.Samples / elapsed.TotalSeconds;
                allocatedPerStep = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / Math.Ceiling((double)r.Samples / batch);
                pauseShare = (GC.GetTotalPauseDuration() - paused) / elapsed;
            }
            double seqRate = double.NaN, parRate = double.NaN;
            if (engine && device.IsIdeal && strategy.Kind != StrategyKind.Gossip) // the engine does not model gossip: its columns show "-"
            {
                seqRate = EngineRate(tiles, options, weights, data, parallel: false);
                parRate = EngineRate(tiles, options, weights, data, parallel: true);
            }
            string F(double v, string fmt) => double.IsNaN(v) ? "-" : v.ToString(fmt, CultureInfo.InvariantCulture);
            stdout.WriteLine($"| {name} | {F(actorRate, "F0")} | {F(seqRate, "F0")} | {F(parRate, "F0")} | {F(seqRate / actorRate, "F2")} | {F(parRate / actorRate, "F2")} | {Reports.Markdown.Bytes(allocatedPerStep)} | {Reports.Markdown.Percent(pauseShare)} |");
            rows.Add(new BenchRow(0, name, actorRate, seqRate, parRate, seqRate / actorRate, parRate / actorRate, allocatedPerStep, pauseShare).ToCsv());
        }
        stdout.WriteLine(BenchRuns.PeakPrefix + Reports.Markdown.Bytes(Process.GetCurrentProcess().PeakWorkingSet64));
        if (a.String("out") is { } outFile) File.WriteAllLines(outFile, rows);
        return 0;
    }
}
