using System.Globalization;
using System.Text;
using System.Text.Json;
using NodeMesh.Cli.Reports;
using NodeMesh.Core;

namespace NodeMesh.Cli.Commands;

/// <summary>
/// <c>nodemesh project --growth NAME=DIR,...</c>: how the cost of tying grows with the size of the
/// net, read from earlier projections (their project.json), one net per entry: tying bytes per
/// sample, tying's share of byte-hops and of energy, and the step and epoch times, per strategy,
/// against the number of unit actors. Writes growth.md, growth.csv and three PNG plots.
/// </summary>
public static class ProjectGrowth
{
    /// <summary>One strategy under one cast, as a projection wrote it.</summary>
    public sealed record Entry(string Cast, string Strategy, double SyncBytes, double SyncByteHops, double TransportByteHops, double ShareOfByteHops,
        double ShareOfEnergy, double TotalPj, double StepNs, double EpochSeconds);

    /// <summary>One projected net: its name on the plots and its project.json.</summary>
    public sealed record Net(string Name, string Path, string Arch, string Input, double Units, double UnitParameters,
        double SharedParameters, double Samples, IReadOnlyList<Entry> Entries)
    {
        public Entry? Find(string cast, string strategy) => Entries.FirstOrDefault(e => e.Cast == cast && e.Strategy == strategy);
    }

    /// <summary>The options that describe a net to project; with --growth the nets come from files instead.</summary>
    private static readonly string[] NetOptions =
        ["arch", "arch-file", "input", "classes", "batch", "strategies", "fabric-cast", "layer-hops", "energy", "latency", "device", "samples", "members", "placement", "tile"];

    /// <summary>Runs the growth mode: reads the projections named by --growth, writes or prints the tables.</summary>
    public static int Run(ParsedArgs a, TextWriter stdout)
    {
        if (NetOptions.FirstOrDefault(a.Given) is { } extra)
            throw new UserInputException($"--growth reads earlier projections and takes only --out; drop --{extra} (it belongs to the projection runs that wrote the project.json files).");
        var nets = Load(a.String("growth")!);
        string? outDir = a.String("out");
        if (outDir is not null && Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
            throw new UserInputException($"--out {outDir}: the folder is not empty; give a new or empty folder.");
        string command = "nodemesh project " + string.Join(' ', a.ToArgs(n => n != "out"));
        string md = Render(nets, command);
        if (outDir is null)
        {
            stdout.Write(md);
            return 0;
        }
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, "growth.md"), md);
        File.WriteAllText(Path.Combine(outDir, "growth.csv"), Csv(nets));
        Plot(outDir, nets);
        stdout.Write(md);
        stdout.WriteLine($"results: {Path.Combine(outDir, "growth.md")}, growth.csv, growth.png, growth-share.png, growth-time.png");
        return 0;
    }

    /// <summary>Reads a comma-separated list of [NAME=]DIR (or [NAME=]FILE.json); sorted by unit count.</summary>
    public static IReadOnlyList<Net> Load(string list)
    {
        var items = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length < 2)
            throw new UserInputException($"--growth {list}: give at least two projections to compare, e.g. --growth ref=pj-ref,VGG-16=pj-vgg (folders written by nodemesh project --out).");
        var nets = new List<Net>();
        foreach (var item in items)
        {
            int eq = item.IndexOf('=', StringComparison.Ordinal);
            string path = eq >= 0 ? item[(eq + 1)..] : item;
            string name = eq >= 0 ? item[..eq].Trim() : System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(path));
            if (name.Length == 0 || path.Length == 0)
                throw new UserInputException($"--growth: '{item}' is not NAME=DIR; write e.g. VGG-16=pj-vgg.");
            if (nets.Any(n => n.Name == name))
                throw new UserInputException($"--growth: the name '{name}' is given twice; give each projection its own name (NAME=DIR).");
            nets.Add(Read(name, path));
        }
        return nets.OrderBy(n => n.Units).ToList();
    }

    /// <summary>Reads one project.json (or the one in a folder).</summary>
    public static Net Read(string name, string path)
    {
        string file = Directory.Exists(path) ? System.IO.Path.Combine(path, "project.json") : path;
        if (!File.Exists(file))
            throw new UserInputException($"--growth {name}={path}: {(Directory.Exists(path) ? "the folder holds no project.json" : "no such file or folder")}; give a folder written by nodemesh project --out DIR.");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            var r = doc.RootElement;
            var entries = new List<Entry>();
            foreach (var p in Get(r, "projections").EnumerateArray())
            {
                var sync = Get(p, "sync_per_sample");
                var step = Get(p, "step_time");
                entries.Add(new Entry(Get(p, "cast").GetString()!, Get(p, "strategy").GetString()!, Get(sync, "bytes").GetDouble(), Get(sync, "byte_hops").GetDouble(),
                    Get(Get(p, "activation_per_sample"), "byte_hops").GetDouble() + Get(Get(p, "error_per_sample"), "byte_hops").GetDouble(),
                    Get(p, "sync_share_of_byte_hops").GetDouble(), Get(p, "sync_share_of_energy").GetDouble(), Get(Get(p, "energy_pj_per_sample"), "total").GetDouble(),
                    Get(step, "step_ns").GetDouble(), Get(step, "epoch_seconds").GetDouble()));
            }
            if (entries.Count == 0) throw new FormatException("'projections' is empty");
            return new Net(name, file, Get(r, "arch").GetString()!, Get(r, "input").GetString()!, Get(r, "units").GetDouble(),
                Get(r, "unit_parameters").GetDouble(), Get(r, "shared_parameters").GetDouble(), Get(r, "samples_per_epoch").GetDouble(), entries);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"--growth {name}={path}: {file} is not a projection written by nodemesh project ({e.Message}); write it again with nodemesh project --out DIR.");
        }
    }

    private static JsonElement Get(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v : throw new KeyNotFoundException($"no '{name}'");

    /// <summary>The strategies of all nets, in the order first seen.</summary>
    private static List<string> Strategies(IReadOnlyList<Net> nets) => nets.SelectMany(n => n.Entries.Select(e => e.Strategy)).Distinct().ToList();

    /// <summary>The cast of the time plot and the step ratios: multicast when every net has it, else unicast.</summary>
    public static string TimeCast(IReadOnlyList<Net> nets) => nets.All(n => n.Entries.Any(e => e.Cast == "multicast")) ? "multicast" : "unicast";

    /// <summary>The step time of a strategy against no sharing on the same net and cast; NaN without a "none" projection.</summary>
    public static double StepRatio(Net n, string cast, string strategy) =>
        n.Find(cast, strategy) is { } e && n.Find(cast, "none") is { StepNs: > 0 } none ? e.StepNs / none.StepNs : double.NaN;

    /// <summary>Tying bytes per sample of a strategy (the same under either cast).</summary>
    private static double SyncBytes(Net n, string strategy) => n.Entries.FirstOrDefault(e => e.Strategy == strategy)?.SyncBytes ?? double.NaN;

    /// <summary>growth.md: one row per net and strategy.</summary>
    public static string Render(IReadOnlyList<Net> nets, string command)
    {
        var inv = CultureInfo.InvariantCulture;
        string cast = TimeCast(nets);
        var sb = new StringBuilder("# How the cost of tying grows with the net\n\n");
        sb.Append(inv, $"Command: `{command}`.\n\n");
        foreach (var n in nets) sb.Append(inv, $"- {n.Name}: {Markdown.Count(n.Units)} units, `{n.Arch}` at {n.Input} ({n.Path})\n");
        sb.Append('\n');
        sb.Append(inv, $"Step and epoch times are {cast}; each net's epoch is that of its projection's --samples");
        var samples = nets.Select(n => n.Samples).Distinct().ToList();
        sb.Append(samples.Count == 1 ? $" ({Markdown.Count(samples[0])} samples).\n\n" : $", which differ ({string.Join(", ", nets.Select(n => $"{n.Name} {Markdown.Count(n.Samples)}"))}).\n\n");
        static string Share(Entry? e, Func<Entry, double> f) => e is null ? "–" : Markdown.Percent(f(e));
        sb.Append(Markdown.Table(
            ["net", "units", "strategy", "tying bytes/sample", "tying share of byte-hops, unicast / multicast", "tying share of energy, unicast / multicast",
             $"{cast} step", "step ÷ no sharing", $"{cast} epoch"], "lrl",
            nets.SelectMany(n => Strategies(nets).Where(st => n.Entries.Any(e => e.Strategy == st)).Select(st =>
            {
                Entry? u = n.Find("unicast", st), m = n.Find("multicast", st), t = n.Find(cast, st);
                return (IReadOnlyList<string>)
                [
                    n.Name, Markdown.Count(n.Units), st, Markdown.Bytes(SyncBytes(n, st)),
                    $"{Share(u, e => e.ShareOfByteHops)} / {Share(m, e => e.ShareOfByteHops)}", $"{Share(u, e => e.ShareOfEnergy)} / {Share(m, e => e.ShareOfEnergy)}",
                    t is null ? "–" : Markdown.Duration(t.StepNs), Markdown.Ratio(StepRatio(n, cast, st)), t is null ? "–" : Markdown.Duration(t.EpochSeconds * 1e9),
                ];
            }))));
        return sb.Append('\n').ToString();
    }

    private static readonly string[] CsvHeader =
    [
        "net", "input", "units", "unit_parameters", "shared_parameters", "samples_per_epoch", "cast", "strategy",
        "sync_bytes_per_sample", "sync_byte_hops_per_sample", "activation_error_byte_hops_per_sample", "sync_share_of_byte_hops", "sync_share_of_energy", "total_pj_per_sample",
        "step_ns", "step_over_none", "epoch_seconds",
    ];

    /// <summary>
    /// growth.csv: one row per net, cast and strategy, as read (plus the step ratio against none). No cell needs
    /// quoting: net names come from a comma-separated list, and the layer lists (which hold commas) are in growth.md only.
    /// </summary>
    public static string Csv(IReadOnlyList<Net> nets)
    {
        static string G(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var sb = new StringBuilder(string.Join(',', CsvHeader)).Append('\n');
        foreach (var n in nets)
            foreach (var e in n.Entries)
                sb.AppendJoin(',', [n.Name, n.Input, G(n.Units), G(n.UnitParameters), G(n.SharedParameters), G(n.Samples), e.Cast, e.Strategy,
                    G(e.SyncBytes), G(e.SyncByteHops), G(e.TransportByteHops), G(e.ShareOfByteHops), G(e.ShareOfEnergy), G(e.TotalPj), G(e.StepNs), G(StepRatio(n, e.Cast, e.Strategy)), G(e.EpochSeconds)]).Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// growth.png: byte-hops per sample against units (log-log): tying's, one line per tying strategy, and the
    /// activation and error transport's under each cast;
    /// growth-share.png: tying's share of byte-hops, per strategy and cast;
    /// growth-time.png: the epoch time per strategy, no sharing included (log-log).
    /// The x axis is logarithmic with one tick per net.
    /// </summary>
    private static void Plot(string dir, IReadOnlyList<Net> nets)
    {
        var xs = nets.Select(n => n.Units).ToArray();
        var ticks = nets.Select(n => (n.Units, $"{n.Name}\n{Plots.Short(n.Units)} units")).ToList();
        var tying = Strategies(nets).Where(s => s != "none").ToList();
        string cast = TimeCast(nets);
        const string xLabel = "unit actors (log)";
        var hops = tying.Select(s => new LineSeries($"tying, {s}", xs, nets.Select(n => n.Entries.FirstOrDefault(e => e.Strategy == s)?.SyncByteHops ?? double.NaN).ToArray())).ToList();
        foreach (var c in new[] { "unicast", "multicast" })
        {
            var ys = nets.Select(n => n.Entries.FirstOrDefault(e => e.Cast == c)?.TransportByteHops ?? double.NaN).ToArray();
            if (ys.Any(double.IsFinite)) hops.Add(new LineSeries($"activations + errors, {c}", xs, ys));
        }
        Plots.Lines(Path.Combine(dir, "growth.png"), "Byte-hops per sample against network size: tying and the nets' own traffic", xLabel, "byte-hops per sample (log)",
            hops, logY: true, logX: true, xTicks: ticks, legend: ScottPlot.Alignment.UpperLeft);
        var share = new List<LineSeries>();
        foreach (var c in new[] { "multicast", "unicast" })
            foreach (var s in tying)
            {
                var ys = nets.Select(n => n.Find(c, s)?.ShareOfByteHops ?? double.NaN).ToArray();
                if (ys.Any(double.IsFinite)) share.Add(new LineSeries($"{s}, {c}", xs, ys));
            }
        Plots.Lines(Path.Combine(dir, "growth-share.png"), "Tying's share of all byte-hops against network size", xLabel, "tying share of byte-hops",
            share, percentY: true, logX: true, xTicks: ticks, legend: ScottPlot.Alignment.MiddleRight);
        Plots.Lines(Path.Combine(dir, "growth-time.png"), $"Projected time per epoch against network size ({cast})", xLabel, "time per epoch, seconds (log)",
            Strategies(nets).Select(s => new LineSeries(s, xs, nets.Select(n => n.Find(cast, s)?.EpochSeconds ?? double.NaN).ToArray())).ToList(),
            logY: true, logX: true, xTicks: ticks, legend: ScottPlot.Alignment.UpperLeft);
    }
}
