using NodeMesh.Cli.Reports;
using NodeMesh.Core;

namespace NodeMesh.Cli.Commands;

/// <summary>
/// <c>nodemesh compare RUN... [--out DIR]</c>: one table and the accuracy/data-movement trade-off
/// plots across finished run directories. The run directories are positional; parse the command
/// line with <see cref="Parse"/>, which hands them to <see cref="RunAsync"/> as the option
/// <c>--runs</c>.
/// </summary>
public static class CompareCommand
{
    /// <summary>Separator of the run directories inside the <c>--runs</c> value that <see cref="Parse"/> builds.</summary>
    private const char PositionalSeparator = '\n';

    public static readonly OptionDef[] Options =
    [
        new("runs", "DIR,DIR,...", null, "run directories, comma-separated (or given as arguments, RUN...)"),
        new("out", "DIR", "the runs' common parent, else .", "where compare.md, compare.csv and the plots go"),
        new("help", null, null, "show this help"),
    ];

    public const string Summary = "compare finished runs: one table and accuracy against sync bytes, byte-hops and energy";

    public static string HelpText => $"""
        nodemesh compare — {Summary}

        Reads the summary.json of every run directory and writes compare.md (one table), compare.csv
        and plots: tradeoff_bytes.png (test accuracy against sync bytes per sample), and, when the runs
        recorded them, tradeoff_bytehops.png, tradeoff_energy.png and energy_breakdown.png. Cluster
        runs add the bytes that crossed between their members per sample and the wire/payload overhead.

        Usage: nodemesh compare RUN... [--out DIR]

        Options:
        {ParsedArgs.Help(Options)}

        Examples:
          nodemesh compare runs/a runs/b runs/c --out runs/compare
          nodemesh compare sweeps/full/*          # writes into sweeps/full/
        """;

    /// <summary>
    /// Parses <c>nodemesh compare</c>'s arguments: words that do not start with -- (and are not an
    /// option's value) are run directories.
    /// </summary>
    public static ParsedArgs Parse(IReadOnlyList<string> args)
    {
        var options = new List<string>();
        var runs = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                options.Add(a);
                string name = a[2..];
                if (name.Contains('=', StringComparison.Ordinal)) continue;
                var def = Options.FirstOrDefault(d => d.Name == name);
                if (def?.Value is not null && i + 1 < args.Count) options.Add(args[++i]);
            }
            else runs.Add(a);
        }
        if (runs.Count > 0)
        {
            if (options.Any(o => o == "--runs" || o.StartsWith("--runs=", StringComparison.Ordinal)))
                throw new UserInputException("give the run directories either as arguments or with --runs, not both.");
            options.Add("--runs");
            options.Add(string.Join(PositionalSeparator, runs) + PositionalSeparator);
        }
        return ParsedArgs.Parse("compare", Options, options);
    }

    /// <summary>The run directories of parsed arguments (positional or --runs).</summary>
    public static IReadOnlyList<string> Runs(ParsedArgs a)
    {
        string v = a.String("runs") ?? "";
        char sep = v.Contains(PositionalSeparator, StringComparison.Ordinal) ? PositionalSeparator : ',';
        return v.Split(sep, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Default output directory: the common parent of the runs, else the current directory.</summary>
    public static string DefaultOut(IReadOnlyList<string> runs)
    {
        var parents = runs.Select(r => Path.GetDirectoryName(Path.GetFullPath(r).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)))
            .Distinct(StringComparer.Ordinal).ToList();
        return parents.Count == 1 && parents[0] is { Length: > 0 } p ? p : ".";
    }

    public static Task<int> RunAsync(ParsedArgs a, TextWriter stdout)
    {
        var dirs = Runs(a);
        if (dirs.Count == 0)
            throw new UserInputException("nodemesh compare needs one or more run directories: nodemesh compare RUN... [--out DIR] (see 'nodemesh compare --help').");
        var runs = Comparison.Load(dirs);
        string outDir = a.Has("out") && a.String("out") is { Length: > 0 } o ? o : DefaultOut(dirs);
        var files = Comparison.Write(runs, outDir);
        stdout.WriteLine($"compared {runs.Count} run(s): {string.Join(", ", runs.Select(r => r.Name))}");
        stdout.WriteLine($"wrote {string.Join(", ", files)}");
        return Task.FromResult(0);
    }
}
