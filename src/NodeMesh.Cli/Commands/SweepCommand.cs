using System.Diagnostics;
using System.Globalization;
using NodeMesh.Cli.Reports;
using NodeMesh.Core;

namespace NodeMesh.Cli.Commands;

/// <summary>One setting of a sweep: its folder name and the train options that make it.</summary>
public sealed record SweepSetting(string Name, string Strategy, string? Topology, int? Every)
{
    /// <summary>The strategy options of <c>nodemesh train</c> for this setting.</summary>
    public IReadOnlyList<string> TrainArgs =>
        Strategy == "none" ? ["--strategy", "none"]
        : ["--strategy", Strategy, "--topology", Topology!, "--every", Every!.Value.ToString(CultureInfo.InvariantCulture)];
}

/// <summary>
/// <c>nodemesh sweep --out DIR</c>: trains a grid of strategies × topologies × tying periods one
/// after another, in process, into DIR/&lt;setting&gt;/ (a run directory each, with its report),
/// skips settings that already have a summary.json (resume), and compares them all into DIR.
/// </summary>
public static class SweepCommand
{
    public const string DefaultStrategies = "none,allreduce-star,allreduce-tree,allreduce-ring,gossip-grid,gossip-exp";
    public const string DefaultEvery = "1,10";

    /// <summary>Train options that the sweep sets itself, per setting or per run directory.</summary>
    private static readonly string[] Owned = ["strategy", "topology", "every", "out", "save", "help",
        "workers", "seeds", "host", "port", "public-host", "placement", "join-timeout", "max-frame-size", "tls-cert", "tls-password", "tls-ca", "tls-pin"];

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
        new("strategies", "LIST", DefaultStrategies, "comma-separated settings: none, allreduce[-star|-tree|-ring], gossip[-grid|-random|-exp]"),
        new("every", "LIST", DefaultEvery, "comma-separated tying periods F, applied to every allreduce and gossip setting (none ignores it)"),
        .. TrainCommand.Options.Where(o => !Owned.Contains(o.Name)),
        new("help", null, null, "show this help"),
    ];

    public const string Summary = "train a grid of strategies, topologies and tying periods into one folder and compare them";

    public static string HelpText => $"""
        nodemesh sweep — {Summary}

        Every setting is one 'nodemesh train' run, in this process, into DIR/<setting>/ (for example
        DIR/none, DIR/allreduce-ring-every10), with its report.md. A setting whose summary.json
        already exists is skipped, so an interrupted sweep resumes where it stopped. At the end all
        settings are compared into DIR (compare.md, compare.csv, trade-off plots). Every other option
        is passed to each train run ({string.Join(", ", StrategyOnly.Select(kv => "--" + kv.Key))} only to the settings of their strategy).

        Usage: nodemesh sweep --out DIR [--strategies LIST] [--every LIST] [train options]

        Options:
        {ParsedArgs.Help(Options)}

        Examples:
          nodemesh sweep --out sweeps/tiny --train-limit 2000 --test-limit 500
          nodemesh sweep --out sweeps/full --data full --epochs 1
          nodemesh sweep --out sweeps/ring --strategies allreduce-ring --every 1,2,5,10
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
            string w = raw.ToLowerInvariant();
            int dash = w.IndexOf('-', StringComparison.Ordinal);
            string strategy = dash < 0 ? w : w[..dash];
            string? topology = dash < 0 ? null : w[(dash + 1)..];
            switch (strategy)
            {
                case "none" when topology is null:
                    settings.Add(new SweepSetting("none", "none", null, null));
                    break;
                case "allreduce" when topology is null or "star" or "tree" or "ring":
                case "gossip" when topology is null or "grid" or "random" or "exp":
                    topology ??= strategy == "allreduce" ? "star" : "grid";
                    foreach (int f in periods)
                        settings.Add(new SweepSetting($"{strategy}-{topology}-every{f.ToString(CultureInfo.InvariantCulture)}", strategy, topology, f));
                    break;
                default:
                    throw new UserInputException($"--strategies '{raw}' is not a setting; use none, allreduce-star, allreduce-tree, allreduce-ring, gossip-grid, gossip-random or gossip-exp (allreduce alone = star, gossip alone = grid).");
            }
        }
        return settings.DistinctBy(s => s.Name).ToList();
    }

    /// <summary>The full <c>nodemesh train</c> argument list of one setting.</summary>
    public static IReadOnlyList<string> TrainArgs(ParsedArgs a, SweepSetting setting, string runDir)
    {
        var args = new List<string>(setting.TrainArgs);
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

    /// <summary>Runs the sweep; <paramref name="stderr"/> receives the train runs' progress bars (unless --quiet).</summary>
    public static async Task<int> RunAsync(ParsedArgs a, TextWriter stdout, TextWriter stderr)
    {
        if (!a.Has("out") || a.String("out") is not { Length: > 0 } outDir)
            throw new UserInputException("nodemesh sweep needs --out DIR, the folder that receives one run directory per setting and the comparison.");
        if (File.Exists(outDir)) throw new UserInputException($"--out {outDir} is a file; give a folder.");
        var settings = Settings(a.String("strategies")!, a.String("every")!);
        foreach (var t in StrategyOnly)
            if (a.Has(t.Key) && !settings.Any(s => s.Strategy == t.Value))
                throw new UserInputException($"--{t.Key} applies to {t.Value} settings only, and --strategies lists none.");

        // Check every setting's train options before the first run starts, so that a typo fails in seconds, not hours in.
        var plans = settings.Select(s =>
        {
            string dir = Path.Combine(outDir, s.Name);
            var words = TrainArgs(a, s, dir);
            var args = ParsedArgs.Parse("train", TrainCommand.Options, words);
            TrainCommand.ParseOptions(args);
            return (Setting: s, Dir: dir, Words: words, Args: args);
        }).ToList();
        try
        {
            Directory.CreateDirectory(outDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"--out {outDir}: cannot create the sweep folder ({e.Message}).");
        }

        stdout.WriteLine($"NodeMesh sweep: {plans.Count} setting(s) into {outDir}: {string.Join(", ", settings.Select(s => s.Name))}");
        var total = Stopwatch.StartNew();
        for (int i = 0; i < plans.Count; i++)
        {
            var (setting, dir, words, args) = plans[i];
            string tag = $"[{(i + 1).ToString(CultureInfo.InvariantCulture)}/{plans.Count.ToString(CultureInfo.InvariantCulture)}] {setting.Name}";
            if (File.Exists(Path.Combine(dir, RunData.SummaryFile)))
            {
                stdout.WriteLine($"{tag} ... skipped: {Path.Combine(dir, RunData.SummaryFile)} exists");
                if (!File.Exists(Path.Combine(dir, ReportWriter.ReportFile))) ReportWriter.Write(dir);
                continue;
            }
            stdout.WriteLine($"{tag} ... nodemesh train {string.Join(' ', words.Select(Quote))}");
            stdout.Flush();
            var sw = Stopwatch.StartNew();
            Directory.CreateDirectory(dir);
            int code;
            await using (var log = new StreamWriter(Path.Combine(dir, "train.log")))
                code = await TrainCommand.RunAsync(args, log, stderr);
            if (code != 0)
            {
                stdout.WriteLine($"{tag} failed with exit code {code.ToString(CultureInfo.InvariantCulture)}; see {Path.Combine(dir, "train.log")}");
                return code;
            }
            if (!File.Exists(Path.Combine(dir, ReportWriter.ReportFile))) ReportWriter.Write(dir);
            var run = RunData.Load(dir);
            string energy = run.EnergyPerSample is { } e ? $", {Markdown.Num(e)} pJ/sample" : "";
            stdout.WriteLine($"{tag} done in {Markdown.Fixed(sw.Elapsed.TotalSeconds, 1)} s: test accuracy {Markdown.Percent(run.FinalTestAccuracy)}, sync {Markdown.Num(run.BytesPerSample("sync"))} B/sample{energy}");
        }

        var runs = Comparison.Load(plans.Select(p => p.Dir).ToList());
        var files = Comparison.Write(runs, outDir);
        stdout.WriteLine($"sweep finished in {Markdown.Fixed(total.Elapsed.TotalSeconds, 1)} s; compared {runs.Count.ToString(CultureInfo.InvariantCulture)} run(s): {files[0]}");
        return 0;
    }

    private static string Quote(string s) => s.Length == 0 || s.Any(char.IsWhiteSpace) ? $"'{s}'" : s;
}
