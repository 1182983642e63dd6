using System.Globalization;
using NodeMesh.Cli.Reports;
using NodeMesh.Core;

namespace NodeMesh.Cli.Commands;

/// <summary>One strategy's row of one <c>nodemesh bench</c> run, as its CSV gives it (NaN where the engine was not timed).</summary>
public sealed record BenchRow(int Run, string Strategy, double ActorRate, double EngineSequentialRate, double EngineParallelRate,
    double ActorOverSequential, double ActorOverParallel, double AllocatedPerStep, double GcPauseShare)
{
    /// <summary>The row as a line of the bench CSV (<see cref="BenchRuns.CsvHeader"/>; the run is not in it).</summary>
    public string ToCsv() => string.Create(CultureInfo.InvariantCulture,
        $"{Strategy},{ActorRate:F1},{EngineSequentialRate:F1},{EngineParallelRate:F1},{ActorOverSequential:F3},{ActorOverParallel:F3},{AllocatedPerStep:F0},{GcPauseShare:F4}");
}

/// <summary>
/// <c>nodemesh bench --runs N</c>: the same bench N times, each in a nodemesh process of its own,
/// one after another, then each strategy's median and range over the runs. On a shared machine a
/// single run's speed drifts with the machine's load; the median of a few fresh processes is the
/// figure to compare, and every ratio in it still comes from one run (actors and engine timed in
/// the same process).
/// </summary>
public static class BenchRuns
{
    /// <summary>The most runs one bench makes.</summary>
    public const int MaxRuns = 100;

    /// <summary>Columns of a bench CSV, in order (the <c>--runs</c> CSV adds a leading <c>run</c>).</summary>
    public const string CsvHeader = "strategy,actor_samples_per_second,engine_sequential_samples_per_second,engine_parallel_samples_per_second,actor_over_sequential_time,actor_over_parallel_time,actor_allocated_bytes_per_step,actor_gc_pause_share";

    /// <summary>How a bench's last line starts: the process's peak working set follows.</summary>
    public const string PeakPrefix = "peak working set: ";

    /// <summary>The header of a bench's Markdown table (two lines), for <paramref name="processors"/> cores.</summary>
    public static string[] TableHeader(int processors) =>
    [
        $"| strategy | actors samples/s | engine 1 thread samples/s | engine {processors} threads samples/s | actor time / 1-thread engine time | actor time / parallel engine time | actors: allocated / step | actors: GC pause share |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ];

    /// <summary>
    /// Runs <c>nodemesh bench</c> with <paramref name="benchArgs"/> <paramref name="runs"/> times in
    /// fresh processes, echoing each run's table as it comes, then prints the summary and writes every
    /// run's rows to <paramref name="outPath"/> when given.
    /// </summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> benchArgs, int runs, string? outPath, TextWriter stdout)
    {
        stdout.WriteLine($"nodemesh bench --runs {runs}: the same bench {runs} times, each in a nodemesh process of its own, one after another");
        var rows = new List<BenchRow>();
        var peaks = new List<string>();
        for (int run = 1; run <= runs; run++)
        {
            stdout.WriteLine();
            stdout.WriteLine($"run {run} of {runs}:");
            var (runRows, peak) = await RunOnceAsync(benchArgs, run, runs, stdout);
            rows.AddRange(runRows);
            if (peak is not null) peaks.Add(peak);
        }
        stdout.WriteLine();
        stdout.WriteLine($"medians of {runs} runs (lowest–highest); each ratio comes from one run, whose actors and engine were timed in the same process:");
        foreach (var line in Summarize(rows)) stdout.WriteLine(line);
        if (peaks.Count > 0) stdout.WriteLine($"peak working set of each run: {string.Join(", ", peaks)}");
        if (outPath is not null)
        {
            File.WriteAllLines(outPath, [$"run,{CsvHeader}", .. rows.Select(Csv)]);
            stdout.WriteLine($"every run's rows: {outPath}");
        }
        return 0;
    }

    /// <summary>The summary table: per strategy (in the order of the runs) the median and range of each column over the runs.</summary>
    public static IReadOnlyList<string> Summarize(IReadOnlyList<BenchRow> rows)
    {
        var lines = new List<string>(TableHeader(Environment.ProcessorCount));
        foreach (var group in rows.GroupBy(r => r.Strategy))
        {
            var g = group.ToList();
            lines.Add($"| {group.Key} | {Range(g, r => r.ActorRate, "F0")} | {Range(g, r => r.EngineSequentialRate, "F0")} | {Range(g, r => r.EngineParallelRate, "F0")} | " +
                $"{Range(g, r => r.ActorOverSequential, "F2")} | {Range(g, r => r.ActorOverParallel, "F2")} | " +
                $"{Markdown.Bytes(Median(g.Select(r => r.AllocatedPerStep)))} | {Markdown.Percent(Median(g.Select(r => r.GcPauseShare)))} |");
        }
        return lines;
    }

    /// <summary>The median of the finite values (the mean of the middle two for an even count), NaN when there are none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).Order().ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static string Range(List<BenchRow> rows, Func<BenchRow, double> column, string format)
    {
        var v = rows.Select(column).Where(double.IsFinite).ToArray();
        if (v.Length == 0) return "-";
        string F(double x) => x.ToString(format, CultureInfo.InvariantCulture);
        return v.Length == 1 ? F(v[0]) : $"{F(Median(v))} ({F(v.Min())}–{F(v.Max())})";
    }

    /// <summary>Reads the rows of one bench CSV (the header first, as <c>bench --out</c> writes it).</summary>
    public static List<BenchRow> ParseCsv(string[] lines, int run, string source)
    {
        if (lines.Length == 0 || lines[0] != CsvHeader)
            throw new InvalidDataException($"{source}: not a bench CSV (its first line is not the header '{CsvHeader}')");
        var rows = new List<BenchRow>();
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var c = line.Split(',');
            if (c.Length != 8) throw new InvalidDataException($"{source}: the row '{line}' has {c.Length} cells, not 8");
            double D(int i) => double.TryParse(c[i], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
                : throw new InvalidDataException($"{source}: '{c[i]}' in the row '{line}' is not a number");
            rows.Add(new BenchRow(run, c[0], D(1), D(2), D(3), D(4), D(5), D(6), D(7)));
        }
        return rows;
    }

    private static string Csv(BenchRow r) => string.Create(CultureInfo.InvariantCulture, $"{r.Run},{r.ToCsv()}");

    private static async Task<(List<BenchRow> Rows, string? Peak)> RunOnceAsync(IReadOnlyList<string> benchArgs, int run, int runs, TextWriter stdout)
    {
        string csv = Path.Combine(Path.GetTempPath(), $"nodemesh-bench-{Environment.ProcessId}-{run}.csv");
        try
        {
            string? peak = null;
            var child = await BenchChild.RunAsync([.. benchArgs, "--out", csv], $"for run {run} of {runs}", line =>
            {
                stdout.WriteLine(line); // progress: the run's table as it comes
                if (line.StartsWith(PeakPrefix, StringComparison.Ordinal)) peak = line[PeakPrefix.Length..];
            });
            if (child.ExitCode != 0 || !File.Exists(csv))
                throw new UserInputException($"run {run} of {runs} failed in its process with exit code {child.ExitCode}: {child.Why}");
            return (ParseCsv(File.ReadAllLines(csv), run, $"run {run}'s CSV"), peak);
        }
        finally
        {
            File.Delete(csv);
        }
    }
}
