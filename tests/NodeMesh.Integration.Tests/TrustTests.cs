using System.Text.Json;

namespace NodeMesh.Integration.Tests;

/// <summary>
/// Results are never silently lost or shared, with real processes: two runs started at the same
/// moment with default names get folders of their own, and Ctrl-C (SIGINT) ends a run with its
/// files finished, says where they are and how to continue, and --resume then completes it.
/// </summary>
[Collection("processes")]
public sealed class TrustTests : ProcessTest
{
    private static readonly string[] Args =
        ["--arch", "conv3x3x2,relu,maxpool2,dense10", "--train-limit", "256", "--test-limit", "50", "--batch", "16", "--quiet"];

    /// <summary>True when this process ignores SIGINT (bit 1 of SigIgn in /proc/self/status); children inherit it.</summary>
    private static bool SigIntIgnored()
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        ulong mask = Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16);
        return (mask & (1UL << 1)) != 0;
    }

    private static string Status(string runDir)
    {
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, "summary.json")));
        return summary.RootElement.GetProperty("status").GetString()!;
    }

    [Fact]
    public async Task Runs_started_together_with_default_names_each_get_a_folder_of_their_own()
    {
        var runs = Enumerable.Range(0, 3).Select(i => Start($"run{i}", ["train", .. Args])).ToList();
        foreach (var r in runs) Assert.True(await r.WaitForExit(TimeSpan.FromSeconds(180)) == 0, r.Output);
        var dirs = Directory.GetDirectories(Path.Combine(Dir, "runs"));
        Assert.Equal(3, dirs.Length);
        foreach (var d in dirs)
        {
            Assert.Matches(@"^\d{8}-\d{6}-none-ideal-seed1-[0-9a-f]{4}$", Path.GetFileName(d));
            Assert.Equal("completed", Status(d));
        }
        // Each process names its own folder, and no two the same.
        var named = runs.Select(r => System.Text.RegularExpressions.Regex.Match(r.Output, @"run directory (\S+)").Groups[1].Value).ToList();
        Assert.Equal(3, named.Distinct().Count());
    }

    [Fact]
    public async Task Ctrl_C_ends_a_run_with_its_files_finished_and_says_how_to_resume()
    {
        string dir = Path.Combine(Dir, "run");
        var run = Start("run", ["train", .. Cli.With(Args, "--train-limit", "2000", "--epochs", "3"), "--checkpoint-every", "5", "--out", dir]);
        await run.WaitForLine(@"checkpoint at step 10 \(epoch 1", TimeSpan.FromSeconds(180));
        // SIGINT, as Ctrl-C in a terminal; but a process started in the background by a
        // non-interactive shell inherits SIGINT ignored (and so would nodemesh), so then SIGTERM,
        // which takes the same path.
        bool sigint = !SigIntIgnored();
        run.Signal(sigint ? 2 : 15);
        Assert.Equal(130, await run.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Matches($@"stopped by {(sigint ? "Ctrl-C" : "SIGTERM")}: stopped training at epoch \d, step \d+ of 125", run.Output);
        Assert.Contains($"continue from the last checkpoint with: nodemesh train --resume {dir}", run.Output);
        Assert.Equal("interrupted", Status(dir));

        var resumed = Start("resumed", "train", "--resume", dir, "--quiet");
        Assert.True(await resumed.WaitForExit(TimeSpan.FromSeconds(240)) == 0, resumed.Output);
        Assert.Equal("completed", Status(dir));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        Assert.Equal(3, summary.RootElement.GetProperty("epochs").GetArrayLength());
    }
}
