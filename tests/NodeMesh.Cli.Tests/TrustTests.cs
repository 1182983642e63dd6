using System.Globalization;
using System.Text.Json;
using NodeMesh.Cli.Commands;
using NodeMesh.Cli.Reports;
using NodeMesh.Core;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Cli.Tests;

/// <summary>
/// Results are never silently reused, overwritten or mislabelled; one strategy grammar in every
/// command; nonsense refused or warned about.
/// </summary>
public class TrustTests
{
    private static ParsedArgs Train(params string[] args) => ParsedArgs.Parse("train", TrainCommand.Options, args);

    private static async Task<(int Code, string Out)> Sweep(params string[] args)
    {
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        int code = await SweepCommand.RunAsync(ParsedArgs.Parse("sweep", SweepCommand.Options, args), stdout, TextWriter.Null);
        return (code, stdout.ToString());
    }

    [Fact]
    public async Task SweepResumedWithOtherOptionsIsRefusedAndChangesNothing()
    {
        using var tmp = new TempDir();
        string dir = tmp["sweep"];
        var first = await Sweep(["--out", dir, "--strategies", "none", .. Cli.Tiny, "--epochs", "1"]);
        Assert.True(first.Code == 0, first.Out);
        string compare = File.ReadAllText(Path.Combine(dir, Comparison.MarkdownFile));
        string summary = File.ReadAllText(Path.Combine(dir, "none", "summary.json"));

        // Other --train-limit and --lr: refused before anything runs, naming what differs.
        var e = await Assert.ThrowsAsync<UserInputException>(() => Sweep(["--out", dir, "--strategies", "none",
            "--arch", Cli.TinyArch, "--train-limit", "32", "--test-limit", "50", "--batch", "16", "--quiet", "--lr", "0.1", "--epochs", "1"]));
        Assert.Contains($"{Path.Combine(dir, "none")} holds a run made with other options", e.Message, StringComparison.Ordinal);
        Assert.Contains("lr 0.05 → 0.1", e.Message, StringComparison.Ordinal);
        Assert.Contains("train_limit 64 → 32", e.Message, StringComparison.Ordinal);
        Assert.Equal(compare, File.ReadAllText(Path.Combine(dir, Comparison.MarkdownFile)));
        Assert.Equal(summary, File.ReadAllText(Path.Combine(dir, "none", "summary.json")));

        // The same options from another build of the tool: the finished setting is skipped (the
        // version is recorded, as the one that made the run, but is not an option).
        string configPath = Path.Combine(dir, "none", "config.json");
        string config = File.ReadAllText(configPath);
        string version = $"\"version\": \"{NodeMeshCli.Version}\"", commit = $"\"commit\": {(NodeMeshCli.Commit is { } c ? $"\"{c}\"" : "null")}";
        Assert.Contains(version, config, StringComparison.Ordinal);
        Assert.Contains(commit, config, StringComparison.Ordinal);
        File.WriteAllText(configPath, config.Replace(version, "\"version\": \"0.4.0\"", StringComparison.Ordinal)
            .Replace(commit, "\"commit\": \"0000000\"", StringComparison.Ordinal));
        var again = await Sweep(["--out", dir, "--strategies", "none", .. Cli.Tiny, "--epochs", "1"]);
        Assert.True(again.Code == 0, again.Out);
        Assert.Contains("[1/1] none ... skipped", again.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SweepIntoAFolderWithForeignFilesIsRefused()
    {
        using var tmp = new TempDir();
        string dir = tmp["mine"];
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "keep me");
        var e = await Assert.ThrowsAsync<UserInputException>(() => Sweep(["--out", dir, "--strategies", "none", .. Cli.Tiny]));
        Assert.Contains("holds files that no nodemesh sweep made", e.Message, StringComparison.Ordinal);
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task TrainOutIntoAFolderWithForeignFilesIsRefusedAndLeavesItAlone()
    {
        using var tmp = new TempDir();
        string dir = tmp["mine"];
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "metrics.csv"), "my own data");
        var r = await Cli.TrainAsync("--out", dir);
        Cli.AssertUserError(r, singleLine: true, $"--out {dir}", "holds files NodeMesh did not make");
        Assert.Equal(["metrics.csv"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
        Assert.Equal("my own data", File.ReadAllText(Path.Combine(dir, "metrics.csv")));
    }

    [Fact]
    public async Task TrainOutIntoAnUnfinishedRunPointsToResume()
    {
        using var tmp = new TempDir();
        string dir = tmp["run"];
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, RunDirectory.Marker), "nodemesh train");
        File.WriteAllText(Path.Combine(dir, Core.Checkpoints.TrainingCheckpoint.FileName), "");
        var r = await Cli.TrainAsync("--out", dir);
        Cli.AssertUserError(r, singleLine: true, "holds an unfinished run", $"nodemesh train --resume {dir}");
    }

    [Fact]
    public async Task ResumingACompletedRunIsRefusedWithoutClaimingToResume()
    {
        using var tmp = new TempDir();
        Assert.Equal(0, (await Cli.TrainAsync("--out", tmp["run"])).Code);
        var r = await Cli.RunAsync("train", "--resume", tmp["run"]);
        Cli.AssertUserError(r, singleLine: true, "the run is complete");
        Assert.Empty(r.Out); // no "resuming ..." line before the refusal
    }

    [Theory]
    [InlineData("--step-seconds", "-1", "--step-seconds -1")]
    [InlineData("--device", "no-such-device.json", "--device")]
    [InlineData("--checkpoint-every", "sometimes", "--checkpoint-every 'sometimes'")]
    [InlineData("--on-member-lost", "resume", "--on-member-lost resume applies to cluster runs")]
    public async Task ARefusedRunCreatesNoFolder(string option, string value, string named)
    {
        using var tmp = new TempDir();
        var r = await Cli.TrainAsync(option, value, "--out", tmp["run"]);
        Cli.AssertUserError(r, singleLine: true, named);
        Assert.False(Directory.Exists(tmp["run"]), "a refused run must not create its folder");
    }

    [Fact]
    public void OnlyOneClaimOfAFolderSucceeds()
    {
        using var tmp = new TempDir();
        for (int round = 0; round < 20; round++)
        {
            string dir = tmp[$"contested{round}"];
            var wins = new bool[8];
            Parallel.For(0, wins.Length, i => wins[i] = RunDirectory.TryClaim(dir, $"claimant {i}"));
            Assert.Single(wins, w => w);
        }
        var dirs = new string[32];
        Parallel.For(0, dirs.Length, i => dirs[i] = RunDirectory.ClaimUnique(tmp["runs"], "20261201-120000-none-ideal-seed1", "test"));
        Assert.Equal(dirs.Length, dirs.Distinct().Count());
        Assert.All(dirs, d => Assert.Matches(@"20261201-120000-none-ideal-seed1-[0-9a-f]{4}$", d));
    }

    /// <summary>Every strategy, as the canonical names that run folders, sweeps and compare show.</summary>
    public static TheoryData<string> Names()
    {
        var names = new TheoryData<string> { "none" };
        foreach (var t in new[] { "star", "tree", "ring" }) foreach (var f in new[] { 1, 10 }) names.Add($"allreduce-{t}-every{f}");
        foreach (var t in new[] { "grid", "random", "exp" }) foreach (var f in new[] { 1, 10 }) names.Add($"gossip-{t}-every{f}");
        names.Add("allreduce-tree-every10-parity");
        names.Add("gossip-grid-every1-parity");
        names.Add("gossip-exp-every10-parity");
        return names;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryCommandReadsTheSameNameAsTheSameStrategy(string name)
    {
        var trained = TrainCommand.ParseOptions(Train("--strategy", name)).Strategy;
        Assert.Equal(name, StrategyGrammar.Name(trained));
        Assert.Equal(trained, BenchCommand.ParseStrategy(name));
        var setting = Assert.Single(SweepCommand.Settings(name, "3"));
        Assert.Equal(name, setting.Name);
        var swept = TrainCommand.ParseOptions(Train([.. SweepCommand.TrainArgs(ParsedArgs.Parse("sweep", SweepCommand.Options, ["--out", "d"]), setting, "d")])).Strategy;
        Assert.Equal(trained, swept);
        Assert.Equal(name, StrategyGrammar.Name(trained.Kind.ToString().ToLowerInvariant(),
            trained.Kind == StrategyKind.None ? null : trained.Topology.ToString().ToLowerInvariant(), trained.Every, trained.StepParity));
    }

    [Theory]
    [InlineData("none-parity", "none ties nothing")]
    [InlineData("allreduce-tree-every1-parity", "already ties gradients exactly")]
    [InlineData("allreduce-parity-tree", "left over")]
    public void StepParityIsRefusedWhereThereIsNoAveraging(string name, string why)
    {
        var e = Assert.Throws<UserInputException>(() => TrainCommand.ParseOptions(Train("--strategy", name)).Validate());
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
        Assert.True(TrainCommand.ParseOptions(Train("--strategy", "gossip", "--step-parity")).Strategy.StepParity);
        Assert.Equal(TrainCommand.ParseOptions(Train("--strategy", "allreduce-every4", "--step-parity")).Strategy,
            TrainCommand.ParseOptions(Train("--strategy", "allreduce-every4-parity")).Strategy);
    }

    [Fact]
    public void ShortWordsTakeTheDefaultsAndSeparateOptionsStillWork()
    {
        Assert.Equal(TrainCommand.ParseOptions(Train("--strategy", "allreduce", "--topology", "ring", "--every", "5")).Strategy,
            TrainCommand.ParseOptions(Train("--strategy", "allreduce-ring-every5")).Strategy);
        Assert.Equal("gossip-grid-every1", StrategyGrammar.Name(TrainCommand.ParseOptions(Train("--strategy", "gossip")).Strategy));
        Assert.Equal("allreduce-star-every4", StrategyGrammar.Name(BenchCommand.ParseStrategy("allreduce-every4")));
        Assert.Equal(["gossip-exp-every2", "gossip-exp-every7"], SweepCommand.Settings("gossip-exp", "2,7").Select(s => s.Name));
        var e = Assert.Throws<UserInputException>(() => TrainCommand.ParseOptions(Train("--strategy", "gossip-exp", "--topology", "grid")));
        Assert.Contains("already names the topology", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADivergingRunStopsWithAClearErrorAndASummarySayingSo()
    {
        using var tmp = new TempDir();
        var r = await Cli.TrainAsync("--lr", "1e30", "--epochs", "3", "--out", tmp["run"]);
        Assert.True(r.Code == 1, r.ToString());
        // At the step where it appears, or (when the epoch ended before its progress event arrived) during the epoch.
        Assert.Matches(@"^error: the training loss became (NaN|∞|-∞|Infinity) (at epoch 1, step \d+|during epoch 1): training diverged \(try a smaller --lr than 1E\+30\)\.$", r.ErrLines[0]);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(tmp["run"], "summary.json")));
        Assert.Equal("diverged", summary.RootElement.GetProperty("status").GetString());
        Assert.Equal(0, summary.RootElement.GetProperty("epochs").GetArrayLength());
    }

    [Fact]
    public void ClampedLimitsAndOptionsWithoutEffectAreWarnedAbout()
    {
        var setup = TrainCommand.Prepare(Train("--train-limit", "99999", "--test-limit", "600", "--step-seconds", "5", "--strategy", "allreduce-every3", "--reduce", "mean"));
        Assert.Equal([
            "--train-limit 99,999 is more than the 2,000 training samples of embedded Fashion-MNIST subset (2000 train / 500 test); using all 2,000.",
            "--test-limit 600 is more than the 500 test samples of embedded Fashion-MNIST subset (2000 train / 500 test); using all 500.",
            "--step-seconds has no effect: the ideal weight store does not drift (drift_nu = 0).",
            "--reduce has no effect with --every 3: the units average weights every F steps, they do not combine gradients.",
        ], setup.Warnings);
        using var tmp = new TempDir();
        File.WriteAllText(tmp["drift.json"], """{"preset": "pcm", "drift_nu": 0.05}""");
        Assert.Empty(TrainCommand.Prepare(Train("--train-limit", "2000", "--device", tmp["drift.json"], "--step-seconds", "5")).Warnings);
    }

    [Fact]
    public void UnitInitIsRecordedInConfigAndIndependentIsAWarnedAliasOfConv2d()
    {
        Assert.Equal("tied", TrainCommand.Prepare(Train()).Config.UnitInit);
        var he = TrainCommand.Prepare(Train("--unit-init", "he-normal"));
        Assert.Equal((UnitInit.HeNormal, "he-normal"), (he.UnitInit, he.Config.UnitInit));
        Assert.Empty(he.Warnings);
        var old = TrainCommand.Prepare(Train("--unit-init", "independent"));
        Assert.Equal((UnitInit.Conv2d, "conv2d"), (old.UnitInit, old.Config.UnitInit));
        Assert.Equal(["--unit-init independent is deprecated: it is --unit-init conv2d (PyTorch Conv2d's default initialisation drawn for every position); write that instead."], old.Warnings);
        var e = Assert.Throws<UserInputException>(() => TrainCommand.Prepare(Train("--unit-init", "lc")));
        Assert.Equal("--unit-init 'lc' is not one of: tied, conv2d, he-normal.", e.Message);
    }

    [Fact]
    public async Task QuickstartComparesNoSharingExactTyingAndGossip()
    {
        using var tmp = new TempDir();
        string dir = tmp["first"];
        var r = await Cli.RunAsync(["quickstart", .. Cli.Tiny, "--epochs", "1", "--out", dir]);
        Assert.True(r.Code == 0, r.ToString());
        foreach (var setting in new[] { "none", "allreduce-tree-every1", "gossip-grid-every1" })
        {
            Assert.True(File.Exists(Path.Combine(dir, setting, "summary.json")), r.ToString());
            Assert.Contains($"[{setting}]({setting}/report.md)", r.Out, StringComparison.Ordinal); // the table, printed
        }
        Assert.Contains($"plot: {Path.Combine(dir, Comparison.BytesPng)}", r.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir, Comparison.BytesPng)));
    }
}
