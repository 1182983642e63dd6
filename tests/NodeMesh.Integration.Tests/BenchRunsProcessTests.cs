using System.Globalization;

namespace NodeMesh.Integration.Tests;

/// <summary>
/// <c>nodemesh bench --runs N</c> as a user runs it: every run in a nodemesh process of its own, each
/// run's table shown as it comes, and a summary that is the median of the runs the CSV records.
/// </summary>
public sealed class BenchRunsProcessTests : ProcessTest
{
    private const string Arch = "conv3x3x2,relu,maxpool2,dense10";

    [Fact]
    public async Task The_summary_is_the_median_of_runs_each_made_in_a_process_of_its_own()
    {
        string csv = Path.Combine(Dir, "runs.csv");
        var bench = Start("bench", "bench", "--runs", "3", "--arch", Arch, "--steps", "1", "--batch", "4", "--strategies", "none,allreduce-tree", "--out", csv);
        Assert.True(await bench.WaitForExit(TimeSpan.FromMinutes(3)) == 0, bench.Output);

        string output = bench.Output;
        for (int run = 1; run <= 3; run++) Assert.Contains($"run {run} of 3:", output, StringComparison.Ordinal);
        // Each run's own header names the net it built: three processes built it, the bench itself none.
        Assert.Equal(3, output.Split('\n').Count(l => l.StartsWith($"nodemesh bench: {Arch}", StringComparison.Ordinal)));
        Assert.Contains("peak working set of each run: ", output, StringComparison.Ordinal);

        var lines = File.ReadAllLines(csv);
        Assert.StartsWith("run,strategy,actor_samples_per_second,", lines[0], StringComparison.Ordinal);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(6, rows.Count);
        Assert.Equal(["1", "1", "2", "2", "3", "3"], rows.Select(r => r[0]));
        foreach (var strategy in new[] { "none", "allreduce-tree-every1" })
        {
            var rates = rows.Where(r => r[1] == strategy).Select(r => double.Parse(r[2], CultureInfo.InvariantCulture)).Order().ToArray();
            Assert.Equal(3, rates.Length);
            string expected = FormattableString.Invariant($"| {strategy} | {rates[1]:F0} ({rates[0]:F0}–{rates[2]:F0}) |");
            string summary = output[output.IndexOf("medians of 3 runs", StringComparison.Ordinal)..];
            Assert.Contains(expected, summary, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_run_does_not_outlive_the_bench_that_started_it()
    {
        using var parent = NodeProcess.StartCommand("parent", "sleep", ["600"]);
        // A run of minutes (about 192,000 unit actors, 400 steps): only the parent's end can stop it within the deadline.
        var run = Start("run", "bench", "--input", "96x96x1", "--steps", "200", "--strategies", "none", "--engine", "off",
            "--exit-with-pid", parent.Id.ToString(CultureInfo.InvariantCulture));
        parent.Kill();
        int code = await run.WaitForExit(TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, code);
        Assert.DoesNotContain("| none |", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("error", run.Output, StringComparison.OrdinalIgnoreCase); // stopped, not refused
    }
}
