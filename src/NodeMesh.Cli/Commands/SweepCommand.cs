using System.Diagnostics;
using System.Globalization;
using NodeMesh.Cli.Records;
using NodeMesh.Cli.Reports;
using NodeMesh.Core;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Cli.Commands;

/// <summary>One setting of a sweep: its name and the train options that make it.</summary>
public sealed record SweepSetting(string Name, string Strategy, string? Topology, int? Every)
{
    /// <summary>The strategy options of <c>nodemesh train</c> for this setting.</summary>
    public IReadOnlyList<string> TrainArgs => ["--strategy", Name]; // the strategy grammar's full name, e.g. allreduce-tree-every10
}

/// <summary>One run of a sweep: a setting with a seed, and its folder's name (the setting's name, plus <c>-seedN</c> when the sweep was given <c>--seeds</c>).</summary>
/// <param name="Setting">The strategy setting.</param>
/// <param name="Seed">The run's --seed when the sweep lists seeds; null = the one --seed of the command line (or its default).</param>
public sealed record SweepRun(SweepSetting Setting, int? Seed)
{
    /// <summary>The folder name inside the sweep folder: DIR/none, or DIR/none-seed2 with --seeds.</summary>
    public string Name => Seed is { } seed ? $"{Setting.Name}-seed{seed.ToString(CultureInfo.InvariantCulture)}" : Setting.Name;
}

/// <summary>
/// <c>nodemesh sweep --out DIR</c>: trains a grid of strategies × topologies × tying periods
/// (× seeds with <c>--seeds</c>) one after another, in process, into DIR/&lt;setting&gt;/ or
/// DIR/&lt;setting&gt;-seed&lt;N&gt;/ (a run directory each, with its report),
/// skips settings finished with the same options and continues interrupted ones (resume), refuses
/// folders made with other options, and compares them all into DIR.
/// </summary>
public static class SweepCommand
{
    public const string DefaultStrategies = "none,allreduce-star,allreduce-tree,allreduce-ring,gossip-grid,gossip-exp";
    public const string DefaultEvery = "1,10";

    /// <summary>Train options that the sweep sets itself, per setting or per run directory.</summary>
    private static readonly string[] Owned = ["strategy", "topology", "every", "out", "save", "help", "resume", "on-member-lost",
        "workers", "seeds", "host", "port", "public-host", "placement", "join-timeout", "heartbeat-pause", "max-frame-size", "tls-cert", "tls-password", "tls-ca", "tls-pin"];

    /// <summary>Train options that apply to one strategy only: passed to those settings alone.</summary>
    private static readonly Dictionary<string, string> StrategyOnly = new()
    {
        ["reduce"] = "allreduce",
        ["fanout"] = "gossip",
        ["mix"] = "gossip",
        ["gossip-drop"] = "gossip",
    };

    private static readonly string[] Topologies = ["star", "tree", "ring", "grid", "random", "exp"];

    /// <summary>The sweep's own options, then every option of <c>nodemesh train</c> that it passes through.</summary>
    public static readonly OptionDef[] Options =
    [
        new("out", "DIR", null, "sweep folder: one run directory per setting, then compare.md, compare.csv and plots (required)"),
        new("strategies", "LIST", DefaultStrategies, "comma-separated strategies in the grammar of train --strategy: none, allreduce[-star|-tree|-ring][-everyF], gossip[-grid|-random|-exp][-everyF]"),
        new("every", "LIST", DefaultEvery, "comma-separated tying periods F, applied to every allreduce and gossip strategy that names no period of its own (none ignores it)"),
        new("seeds", "LIST", "the one --seed", "comma-separated random seeds, e.g. 1,2,3: every setting runs once per seed, into DIR/<setting>-seed<N>, and the comparison gives mean ± std over them; instead of --seed. (Not train's --seeds, the cluster seed addresses: a sweep runs in this process.)"),
        .. TrainCommand.Options.Where(o => !Owned.Contains(o.Name)),
        new("help", null, null, "show this help"),
    ];

    public const string Summary = "train a grid of strategies, topologies and tying periods into one folder and compare them";

    public static string HelpText => $"""
        nodemesh sweep — {Summary}

        Every setting is one 'nodemesh train' run, in this process, into DIR/<setting>/ (for example
        DIR/none, DIR/allreduce-ring-every10), with its report.md and train.log (its console output).
        With --seeds 1,2,3 every setting runs once per seed (all settings for the first seed, then the
        next), into DIR/<setting>-seed<N>/ (DIR/none-seed1, DIR/none-seed2, ...), and the comparison
        shows the mean ± standard deviation over the seeds of each setting. --seeds lists random
        seeds; train's --seeds (cluster seed addresses) does not apply to sweeps, which run locally.
        Strategies use the grammar of 'train --strategy' (none, allreduce-tree, gossip-exp-every10);
        those without a period get every period of --every. Run again with the same options, the
        sweep resumes: finished settings are skipped, an interrupted one continues from its
        checkpoint. A run that diverges (its training loss becomes NaN) is a result: the sweep goes
        on, keeps it when run again, and the comparison counts it without averaging it (delete its
        folder to try it again). A setting folder whose config.json differs from what this command asks for is
        refused before anything runs (the differences are named): give a new --out for new options.
        At the end all settings are compared into DIR (compare.md, compare.csv, trade-off plots).
        Every other option is passed to each train run ({string.Join(", ", StrategyOnly.Select(kv => "--" + kv.Key))} only to the settings of their strategy).

        Usage: nodemesh sweep --out DIR [--strategies LIST] [--every LIST] [--seeds LIST] [train options]

        Options:
        {ParsedArgs.Help(Options)}

        Examples:
          nodemesh sweep --out sweeps/tiny --train-limit 2000 --test-limit 500
          nodemesh sweep --out sweeps/full --data full --epochs 1
          nodemesh sweep --out sweeps/ring --strategies allreduce-ring --every 1,2,5,10
          nodemesh sweep --out sweeps/seeds --data full --epochs 3 --seeds 1,2,3 --strategies none,allreduce-tree
        """;

    /// <summary>The grid of settings, in run order: strategies in the given order, each with every F in the given order.</summary>
    public static IReadOnlyList<SweepSetting> Settings(string strategies, string every)
    {
        var periods = new List<int>();
        foreach (var s in every.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int f) || f < 1)
                throw new UserInputException($"--every '{s}' is not a tying period; give whole numbers ≥ 1 separated by commas, e.g. --every 1,10.");
            if (!periods.Contains(f)) periods.Add(f);
        }
        if (periods.Count == 0) throw new UserInputException("--every lists no tying period; give e.g. --every 1,10.");
        var settings = new List<SweepSetting>();
        var words = strategies.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0) throw new UserInputException($"--strategies lists no setting; give e.g. --strategies {DefaultStrategies}.");
        foreach (var raw in words)
        {
            var word = StrategyGrammar.Parse(raw, "--strategies");
            if (word.Kind == StrategyKind.None)
            {
                settings.Add(new SweepSetting("none", "none", null, null));
                continue;
            }
            string strategy = word.Kind.ToString().ToLowerInvariant(), topology = word.TopologyOrDefault.ToString().ToLowerInvariant();
            foreach (int f in word.Every is { } own ? [own] : periods)
                settings.Add(new SweepSetting(StrategyGrammar.Name(strategy, topology, f, word.Parity), strategy, topology, f));
        }
        return settings.DistinctBy(s => s.Name).ToList();
    }

    /// <summary>
    /// The seeds of <c>--seeds</c>, in the given order without repeats; null when the option is not
    /// given (every setting then runs once, with the command line's --seed, into DIR/&lt;setting&gt;).
    /// </summary>
    public static IReadOnlyList<int>? Seeds(ParsedArgs a)
    {
        if (!a.Given("seeds")) return null;
        if (a.Given("seed"))
            throw new UserInputException("give --seed N (one seed, folders DIR/<setting>) or --seeds LIST (one run per seed, folders DIR/<setting>-seed<N>), not both.");
        var seeds = new List<int>();
        foreach (var s in a.String("seeds")!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed))
                throw new UserInputException($"--seeds '{s}' is not a seed: the sweep's --seeds lists random seeds, whole numbers separated by commas (e.g. --seeds 1,2,3); " +
                    "cluster seed addresses (train --seeds) do not apply, a sweep runs in this process.");
            if (!seeds.Contains(seed)) seeds.Add(seed);
        }
        if (seeds.Count == 0) throw new UserInputException("--seeds lists no seed; give random seeds separated by commas, e.g. --seeds 1,2,3.");
        return seeds;
    }

    /// <summary>The runs of a sweep, in run order: every setting for the first seed, then for the next (one run per setting without --seeds).</summary>
    public static IReadOnlyList<SweepRun> Runs(IReadOnlyList<SweepSetting> settings, IReadOnlyList<int>? seeds) =>
        seeds is null
            ? settings.Select(s => new SweepRun(s, null)).ToList()
            : seeds.SelectMany(seed => settings.Select(s => new SweepRun(s, seed))).ToList();

    /// <summary>The full <c>nodemesh train</c> argument list of one setting (with <paramref name="seed"/>, that run's --seed).</summary>
    public static IReadOnlyList<string> TrainArgs(ParsedArgs a, SweepSetting setting, string runDir, int? seed = null)
    {
        var args = new List<string>(setting.TrainArgs);
        if (seed is { } n)
        {
            args.Add("--seed");
            args.Add(n.ToString(CultureInfo.InvariantCulture));
        }
        foreach (var o in TrainCommand.Options)
        {
            if (Owned.Contains(o.Name) || !a.Has(o.Name)) continue;
            if (StrategyOnly.TryGetValue(o.Name, out var only) && only != setting.Strategy) continue;
            args.Add("--" + o.Name);
            if (o.Value is not null) args.Add(a.String(o.Name)!);
        }
        args.Add("--out");
        args.Add(runDir);
        return args;
    }

    public static Task<int> RunAsync(ParsedArgs a, TextWriter stdout) => RunAsync(a, stdout, TextWriter.Null);

    /// <summary>What the sweep does with one setting's folder.</summary>
    private enum Action { Run, Skip, Resume, Restart }

    /// <summary>
    /// Decides what to do with a setting's folder, refusing one whose recorded configuration differs
    /// from the requested one (naming the differences) or that holds files NodeMesh did not make.
    /// </summary>
    private static Action Decide(string dir, TrainSetup setup)
    {
        if (!Directory.Exists(dir) || !Directory.EnumerateFileSystemEntries(dir).Any()) return Action.Run;
        string configPath = Path.Combine(dir, RunRecorder.ConfigFile);
        if (!RunDirectory.IsOurs(dir) && !File.Exists(configPath))
            throw new UserInputException($"--out: {dir} holds files NodeMesh did not make; move them or choose another --out.");
        if (!File.Exists(configPath)) return Action.Restart; // claimed, but stopped before config.json
        RunConfig recorded;
        try
        {
            recorded = RunJson.ReadConfig(File.ReadAllText(configPath)) ?? throw new System.Text.Json.JsonException("empty");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new UserInputException($"--out: {configPath} cannot be read ({e.Message}); delete {dir} to run that setting again.");
        }
        var diffs = ResumeCheck.Of(recorded, setup.Config);
        if (diffs.Count > 0)
            throw new UserInputException($"--out: {dir} holds a run made with other options ({string.Join("; ", diffs)}); " +
                "resuming would answer this command with old results. Give the same options as before, or a new --out.");
        string summaryPath = Path.Combine(dir, RunData.SummaryFile);
        if (File.Exists(summaryPath) && RunJson.ReadSummary(File.ReadAllText(summaryPath))?.Status is "completed" or "diverged" or null) return Action.Skip;
        return File.Exists(Path.Combine(dir, Core.Checkpoints.TrainingCheckpoint.FileName)) ? Action.Resume : Action.Restart;
    }

    /// <summary>Runs the sweep; <paramref name="stderr"/> receives the train runs' progress bars (unless --quiet).</summary>
    public static async Task<int> RunAsync(ParsedArgs a, TextWriter stdout, TextWriter stderr)
    {
        if (!a.Has("out") || a.String("out") is not { Length: > 0 } outDir)
            throw new UserInputException("nodemesh sweep needs --out DIR, the folder that receives one run directory per setting and the comparison.");
        if (File.Exists(outDir)) throw new UserInputException($"--out {outDir} is a file; give a folder.");
        bool resuming = Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any();
        if (resuming && !RunDirectory.IsOurs(outDir))
            throw new UserInputException($"--out {outDir}: the folder holds files that no nodemesh sweep made; choose a new or empty folder so that nothing there is overwritten.");
        var settings = Settings(a.String("strategies")!, a.String("every")!);
        foreach (var t in StrategyOnly)
            if (a.Has(t.Key) && !settings.Any(s => s.Strategy == t.Value))
                throw new UserInputException($"--{t.Key} applies to {t.Value} settings only, and --strategies lists none.");

        // Check every setting's train options, and what its folder holds, before the first run
        // starts: a typo fails in seconds, not hours in, and no old result answers a new command.
        var seeds = Seeds(a);
        var runList = Runs(settings, seeds);
        var plans = runList.Select(r =>
        {
            string dir = Path.Combine(outDir, r.Name);
            var words = TrainArgs(a, r.Setting, dir, r.Seed);
            var setup = TrainCommand.Prepare(ParsedArgs.Parse("train", TrainCommand.Options, words), checkOut: false);
            foreach (var w in setup.Warnings.Distinct()) stderr.WriteLine($"warning: {r.Name}: {w}");
            return (Run: r, Dir: dir, Words: words, Setup: setup, Action: Decide(dir, setup));
        }).ToList();
        if (!resuming) RunDirectory.Claim(outDir, $"nodemesh sweep (started {DateTime.UtcNow:o})");

        stdout.WriteLine(seeds is null
            ? $"NodeMesh sweep: {plans.Count} setting(s) into {outDir}: {string.Join(", ", settings.Select(s => s.Name))}"
            : $"NodeMesh sweep: {settings.Count} setting(s) × {seeds.Count} seed(s) ({string.Join(",", seeds)}) = {plans.Count} runs into {outDir}: {string.Join(", ", settings.Select(s => s.Name))}");
        var total = Stopwatch.StartNew();
        for (int i = 0; i < plans.Count; i++)
        {
            var (sweepRun, dir, words, setup, action) = plans[i];
            string tag = $"[{(i + 1).ToString(CultureInfo.InvariantCulture)}/{plans.Count.ToString(CultureInfo.InvariantCulture)}] {sweepRun.Name}";
            if (action == Action.Skip)
            {
                var kept = RunData.Load(dir);
                stdout.WriteLine(kept.Diverged
                    ? $"{tag} ... skipped: it diverged before with the same options ({kept.Summary.Failure}); delete {dir} to run it again"
                    : $"{tag} ... skipped: {Path.Combine(dir, RunData.SummaryFile)} exists, made with the same options");
                WriteReportIfMissing(kept);
                continue;
            }
            if (action == Action.Restart)
            {
                stdout.WriteLine($"{tag} ... an interrupted run without a checkpoint is in {dir}: starting it again");
                Directory.Delete(dir, recursive: true);
            }
            if (action == Action.Resume)
            {
                stdout.WriteLine($"{tag} ... continuing the interrupted run in {dir} from its checkpoint");
                setup = TrainCommand.Prepare(ParsedArgs.Parse("train", TrainCommand.Options, ["--resume", dir, .. a.Flag("quiet") ? new[] { "--quiet" } : []]));
            }
            else stdout.WriteLine($"{tag} ... nodemesh train {string.Join(' ', words.Select(Quote))}");
            stdout.Flush();
            var sw = Stopwatch.StartNew();
            int code;
            await using (var log = new LazyFileWriter(Path.Combine(dir, "train.log")))
                code = await TrainRun.RunAsync(setup, log, stderr);
            if (code != 0 && File.Exists(Path.Combine(dir, RunData.SummaryFile)) && RunData.Load(dir) is { Diverged: true } divergedRun)
            {
                // Not a failure of the sweep: this setting does not train at this learning rate, and the comparison says so.
                WriteReportIfMissing(divergedRun);
                stdout.WriteLine($"{tag} diverged after {Markdown.Fixed(sw.Elapsed.TotalSeconds, 1)} s: {divergedRun.Summary.Failure}; kept as a result, going on");
                continue;
            }
            if (code != 0)
            {
                stdout.WriteLine(code == TrainRun.InterruptedExitCode
                    ? $"{tag} interrupted; run the same sweep command again to continue (finished runs are kept)"
                    : $"{tag} failed with exit code {code.ToString(CultureInfo.InvariantCulture)}; see {Path.Combine(dir, "train.log")}");
                return code;
            }
            var run = RunData.Load(dir);
            WriteReportIfMissing(run);
            string energy = run.EnergyPerSample is { } e ? $", {Markdown.Energy(e)}/sample" : "";
            stdout.WriteLine($"{tag} done in {Markdown.Fixed(sw.Elapsed.TotalSeconds, 1)} s: test accuracy {Markdown.Percent(run.FinalTestAccuracy)}, sync {Markdown.Bytes(run.BytesPerSample("sync"))}/sample{energy}");
        }

        var runs = Comparison.Load(plans.Select(p => p.Dir).ToList());
        var files = Comparison.Write(runs, outDir);
        stdout.WriteLine($"sweep finished in {Markdown.Fixed(total.Elapsed.TotalSeconds, 1)} s; compared {runs.Count.ToString(CultureInfo.InvariantCulture)} run(s): {files[0]}");
        return 0;
    }

    /// <summary>Writes a run's report.md when it has none and finished at least one epoch (a run that diverged before has nothing to report).</summary>
    private static void WriteReportIfMissing(RunData run)
    {
        if (run.Epochs.Count > 0 && !File.Exists(Path.Combine(run.Dir, ReportWriter.ReportFile))) ReportWriter.Write(run);
    }

    /// <summary>A log file opened at the first write: train.log appears once the run has claimed its folder.</summary>
    private sealed class LazyFileWriter(string path) : TextWriter
    {
        private StreamWriter? _writer;
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
        private StreamWriter Writer => _writer ??= new StreamWriter(path, append: true) { AutoFlush = true };
        public override void Write(char value) => Writer.Write(value);
        public override void Write(string? value) => Writer.Write(value);
        public override void WriteLine(string? value) => Writer.WriteLine(value);

        protected override void Dispose(bool disposing)
        {
            if (disposing) _writer?.Dispose();
            base.Dispose(disposing);
        }
    }

    private static string Quote(string s) => s.Length == 0 || s.Any(char.IsWhiteSpace) ? $"'{s}'" : s;
}
