using System.Globalization;
using NodeMesh.Cli.Commands;
using NodeMesh.Cli.Reports;
using NodeMesh.Core;

namespace NodeMesh.Cli.Tests.Reports;

/// <summary><c>nodemesh compare</c> and <c>nodemesh sweep</c> on tiny real runs.</summary>
public class CompareAndSweepTests(TinyRuns runs) : IClassFixture<TinyRuns>
{
    private static async Task<(int Code, string Out)> CompareAsync(params string[] args)
    {
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        int code = await CompareCommand.RunAsync(CompareCommand.Parse(args), stdout);
        return (code, stdout.ToString());
    }

    [Fact]
    public async Task CompareWritesTableCsvAndTradeoffPlot()
    {
        using var tmp = new TempDir();
        string outDir = tmp["cmp"];
        var (code, output) = await CompareAsync(runs.NonePlain, runs.StarPlain, "--out", outDir);
        Assert.Equal(0, code);
        Assert.Contains("compared 2 run(s): none, allreduce-star", output, StringComparison.Ordinal);

        string md = File.ReadAllText(Path.Combine(outDir, Comparison.MarkdownFile));
        // none trained 2 epochs, allreduce-star 1: the accuracy after the first epoch and after each run's last.
        Assert.Contains("| run | strategy | epochs | test accuracy after 1 epoch | test accuracy after the last epoch | sync bytes/sample |", md, StringComparison.Ordinal);
        Assert.Contains("| none | none | 2 |", md, StringComparison.Ordinal);
        Assert.Contains("| allreduce-star-every1 | 1 |", md, StringComparison.Ordinal);
        Assert.Contains("drawn at the tick labelled 0", md, StringComparison.Ordinal); // none has no sync traffic
        Assert.DoesNotContain("byte-hops", md, StringComparison.Ordinal);
        Assert.Contains($"]({Comparison.BytesPng})", md, StringComparison.Ordinal);

        var rows = Cli.ReadCsv(Path.Combine(outDir, Comparison.CsvFile), out string header);
        Assert.Equal(Comparison.CsvHeader, header);
        Assert.Equal(["none", "allreduce-star"], rows.Select(r => r["run"]));
        Assert.Equal("0", rows[0]["sync_bytes_per_sample"]);
        Assert.True(Cli.D(rows[1]["sync_bytes_per_sample"]) > 0);
        Assert.Equal("", rows[1]["energy_pj_per_sample"]);
        Assert.Equal(RunData.Load(runs.StarPlain).FinalTestAccuracy, Cli.D(rows[1]["test_accuracy"]), 9);

        Png.AssertReportSize(Path.Combine(outDir, Comparison.BytesPng));
        Assert.False(File.Exists(Path.Combine(outDir, Comparison.ByteHopsPng)));
        Assert.False(File.Exists(Path.Combine(outDir, Comparison.EnergyPng)));
        Assert.False(File.Exists(Path.Combine(outDir, Comparison.BreakdownPng)));
    }

    [Fact]
    public async Task CompareWithFabricAndEnergyWritesEveryPlotIntoTheCommonParent()
    {
        // no --out: the runs' common parent
        var (code, _) = await CompareAsync("--runs", $"{runs.NoneRich},{runs.StarRich}");
        Assert.Equal(0, code);
        string dir = Path.GetDirectoryName(runs.NoneRich)!;
        string md = File.ReadAllText(Path.Combine(dir, Comparison.MarkdownFile));
        Assert.Contains("| sync byte-hops/sample | energy µJ/sample | energy / baseline |", md, StringComparison.Ordinal);
        Assert.Contains("Conventional baseline", md, StringComparison.Ordinal);
        Assert.Contains("12.3 kB DRAM", md, StringComparison.Ordinal);
        Assert.Contains("## Energy breakdown", md, StringComparison.Ordinal);
        foreach (var png in new[] { Comparison.BytesPng, Comparison.ByteHopsPng, Comparison.EnergyPng, Comparison.BreakdownPng })
        {
            Assert.Contains($"]({png})", md, StringComparison.Ordinal);
            Png.AssertReportSize(Path.Combine(dir, png));
        }
        var rows = Cli.ReadCsv(Path.Combine(dir, Comparison.CsvFile), out _);
        Assert.Equal("0", rows[0]["sync_byte_hops_per_sample"]);
        Assert.Equal(Cli.D(rows[1]["sync_bytes_per_sample"]) * 3, Cli.D(rows[1]["sync_byte_hops_per_sample"]), 6);
        Assert.Equal(1750, Cli.D(rows[0]["energy_pj_per_sample"]), 9);
        Assert.Equal(6200, Cli.D(rows[1]["baseline_energy_pj_per_sample"]), 9);
    }

    [Fact]
    public async Task CompareOfRealRunsWritesThePlotsOfWhatTheyRecorded()
    {
        using var tmp = new TempDir();
        string outDir = tmp["real"];
        var (code, _) = await CompareAsync(runs.None, runs.Star, "--out", outDir);
        Assert.Equal(0, code);
        var star = RunData.Load(runs.Star);
        Png.AssertReportSize(Path.Combine(outDir, Comparison.BytesPng));
        Assert.Equal(star.HasByteHops, File.Exists(Path.Combine(outDir, Comparison.ByteHopsPng)));
        Assert.Equal(star.HasEnergy, File.Exists(Path.Combine(outDir, Comparison.EnergyPng)));
        Assert.Equal(star.HasEnergy, File.Exists(Path.Combine(outDir, Comparison.BreakdownPng)));
        foreach (var png in Directory.GetFiles(outDir, "*.png")) Png.AssertReportSize(png);
        Assert.Equal(2, Cli.ReadCsv(Path.Combine(outDir, Comparison.CsvFile), out _).Count);
        // Real runs record their projected step time, and the table shows it.
        var step = Assert.IsType<NodeMesh.Cli.Records.StepTimeRecord>(star.Summary.ProjectedStepTime);
        string md = File.ReadAllText(Path.Combine(outDir, Comparison.MarkdownFile));
        Assert.Contains("| projected step on the fabric |", md, StringComparison.Ordinal);
        Assert.Contains($"| {Markdown.Duration(step.StepNs)} |", md, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompareBadInputNamesThePath()
    {
        using var tmp = new TempDir();
        string missing = tmp["missing-run"];
        var e = await Assert.ThrowsAsync<UserInputException>(() => CompareAsync(runs.None, missing, "--out", tmp["o"]));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);

        string noSummary = tmp["no-summary"];
        Directory.CreateDirectory(noSummary);
        e = await Assert.ThrowsAsync<UserInputException>(() => CompareAsync(runs.None, noSummary, "--out", tmp["o"]));
        Assert.Contains(noSummary, e.Message, StringComparison.Ordinal);
        Assert.Contains("no summary.json", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(tmp["o"])); // nothing written when any input is bad

        e = await Assert.ThrowsAsync<UserInputException>(() => CompareAsync("--out", tmp["o"]));
        Assert.Contains("run directories", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<UserInputException>(() => CompareCommand.Parse([runs.None, "--outt", "x"]));
        Assert.Contains("did you mean --out?", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CompareParsesPositionalAndListedRuns()
    {
        var a = CompareCommand.Parse(["a/x,y", "--out", "o", "b"]);
        Assert.Equal(["a/x,y", "b"], CompareCommand.Runs(a));
        Assert.Equal("o", a.String("out"));
        Assert.Equal(["a", "b"], CompareCommand.Runs(CompareCommand.Parse(["--runs", "a,b"])));
        Assert.True(CompareCommand.Parse(["--help"]).Flag("help"));
        Assert.Throws<UserInputException>(() => CompareCommand.Parse(["a", "--runs", "b"]));
    }

    [Fact]
    public void SweepGridFollowsStrategiesAndPeriods()
    {
        var s = SweepCommand.Settings(SweepCommand.DefaultStrategies, SweepCommand.DefaultEvery);
        Assert.Equal(11, s.Count);
        Assert.Equal(
            ["none", "allreduce-star-every1", "allreduce-star-every10", "allreduce-tree-every1", "allreduce-tree-every10",
             "allreduce-ring-every1", "allreduce-ring-every10", "gossip-grid-every1", "gossip-grid-every10", "gossip-exp-every1", "gossip-exp-every10"],
            s.Select(x => x.Name));
        Assert.Equal(["allreduce-star-every5", "gossip-grid-every5"], SweepCommand.Settings("allreduce,gossip,allreduce-star", "5,5").Select(x => x.Name));

        var e = Assert.Throws<UserInputException>(() => SweepCommand.Settings("allreduce-grid", "1"));
        Assert.Contains("--strategies 'allreduce-grid': 'grid' is not a allreduce topology", e.Message, StringComparison.Ordinal);
        // A strategy that names its own period keeps it; the others take every period of --every.
        Assert.Equal(["none", "gossip-exp-every3", "allreduce-tree-every1", "allreduce-tree-every7"],
            SweepCommand.Settings("none,gossip-exp-every3,allreduce-tree", "1,7").Select(x => x.Name));
        e = Assert.Throws<UserInputException>(() => SweepCommand.Settings("none", "1,0"));
        Assert.Contains("--every '0'", e.Message, StringComparison.Ordinal);

        var a = ParsedArgs.Parse("sweep", SweepCommand.Options, ["--out", "d", "--batch", "8", "--fanout", "2", "--reduce", "mean", "--quiet"]);
        Assert.Equal(["--strategy", "none", "--batch", "8", "--quiet", "--out", "d/none"],
            SweepCommand.TrainArgs(a, s[0], "d/none"));
        Assert.Equal(["--strategy", "allreduce-star-every10", "--reduce", "mean", "--batch", "8", "--quiet", "--out", "r"],
            SweepCommand.TrainArgs(a, s[2], "r"));
        Assert.Equal(["--strategy", "gossip-exp-every1", "--fanout", "2", "--batch", "8", "--quiet", "--out", "r"],
            SweepCommand.TrainArgs(a, s[9], "r"));
    }

    [Fact]
    public async Task SweepRunsEverySettingResumesAndCompares()
    {
        using var tmp = new TempDir();
        string dir = tmp["sweep"];
        string[] args = ["--out", dir, "--strategies", "none,allreduce-ring", "--every", "1,2", .. Cli.Tiny, "--epochs", "1"];

        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        int code = await SweepCommand.RunAsync(ParsedArgs.Parse("sweep", SweepCommand.Options, args), stdout, TextWriter.Null);
        string output = stdout.ToString();
        Assert.True(code == 0, output);
        Assert.Contains("[1/3] none ... nodemesh train --strategy none --arch", output, StringComparison.Ordinal);
        Assert.Contains("[2/3] allreduce-ring-every1 ...", output, StringComparison.Ordinal);
        Assert.Contains("[3/3] allreduce-ring-every2 done in", output, StringComparison.Ordinal);
        string[] names = ["none", "allreduce-ring-every1", "allreduce-ring-every2"];
        foreach (var n in names)
        {
            Assert.True(File.Exists(Path.Combine(dir, n, "summary.json")), output);
            Assert.True(File.Exists(Path.Combine(dir, n, "report.md")));
            Assert.True(File.Exists(Path.Combine(dir, n, "train.log")));
        }
        var ring2 = RunData.Load(Path.Combine(dir, "allreduce-ring-every2"));
        Assert.Equal(("allreduce", "ring", 2), (ring2.Strategy, ring2.Topology, ring2.Every));
        Assert.Equal(64, ring2.TotalSamples);

        var rows = Cli.ReadCsv(Path.Combine(dir, Comparison.CsvFile), out _);
        Assert.Equal(names, rows.Select(r => r["run"]));
        Assert.Equal(["", "1", "2"], rows.Select(r => r["strategy"] == "none" ? "" : r["every"]));
        Assert.Contains("[allreduce-ring-every1](allreduce-ring-every1/report.md)", File.ReadAllText(Path.Combine(dir, Comparison.MarkdownFile)), StringComparison.Ordinal);
        Png.AssertReportSize(Path.Combine(dir, Comparison.BytesPng));

        // resume: a second sweep with one more setting runs only that one
        using var again = new StringWriter(CultureInfo.InvariantCulture);
        string[] more = ["--out", dir, "--strategies", "none,allreduce-ring,gossip-grid", "--every", "2", .. Cli.Tiny, "--epochs", "1"];
        code = await SweepCommand.RunAsync(ParsedArgs.Parse("sweep", SweepCommand.Options, more), again, TextWriter.Null);
        string second = again.ToString();
        Assert.True(code == 0, second);
        Assert.Contains("[1/3] none ... skipped", second, StringComparison.Ordinal);
        Assert.Contains("[2/3] allreduce-ring-every2 ... skipped", second, StringComparison.Ordinal);
        Assert.Contains("[3/3] gossip-grid-every2 done in", second, StringComparison.Ordinal);
        Assert.Equal(["none", "allreduce-ring-every2", "gossip-grid-every2"], Cli.ReadCsv(Path.Combine(dir, Comparison.CsvFile), out _).Select(r => r["run"]));
    }

    /// <summary>Copies the 2-epoch none run as a run of another seed, made by another build of the tool, with the given test accuracies after epochs 1 and 2.</summary>
    private void CopyAsSeed(string to, int seed, double first, double last)
    {
        TinyRuns.Copy(runs.NonePlain, to, null);
        foreach (var file in new[] { "summary.json", "config.json" })
        {
            string path = Path.Combine(to, file);
            var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
            var config = file == "config.json" ? node : node["config"]!;
            config["seed"] = seed;
            config["commit"] = new string((char)('0' + seed), 40); // each seed made by another build: still one setting
            if (seed == 3) config["version"] = "0.4.9";
            if (file == "summary.json")
            {
                node["epochs"]![0]!["test_accuracy"] = first;
                node["epochs"]![1]!["test_accuracy"] = last;
                node["final_test_accuracy"] = last;
            }
            File.WriteAllText(path, node.ToJsonString());
        }
    }

    [Fact]
    public async Task RunsThatDifferOnlyBySeedAreOneRowWithMeanSampleStdAndN()
    {
        using var tmp = new TempDir();
        CopyAsSeed(tmp["none-seed1"], 1, 0.4, 0.5);
        CopyAsSeed(tmp["none-seed2"], 2, 0.5, 0.6);
        CopyAsSeed(tmp["none-seed3"], 3, 0.6, 0.8);
        var (code, output) = await CompareAsync(tmp["none-seed1"], tmp["none-seed2"], tmp["none-seed3"], runs.StarPlain, "--out", tmp["cmp"]);
        Assert.True(code == 0, output);

        // Last epoch: 0.5, 0.6, 0.8 → mean 0.6333, sample std √(((−0.1333)² + (−0.0333)² + 0.1667²)/2) = 0.1528;
        // epoch 1: 0.4, 0.5, 0.6 → 0.5 ± 0.1. The sync bytes (0, deterministic) are shown once.
        string md = File.ReadAllText(Path.Combine(tmp["cmp"], Comparison.MarkdownFile));
        Assert.Contains("| run | strategy | epochs | seed | n | test accuracy after 1 epoch | test accuracy after the last epoch | sync bytes/sample |", md, StringComparison.Ordinal);
        Assert.Contains("| none | none | 2 | 1, 2, 3 | 3 | 50.00 ± 10.00% | 63.33 ± 15.28% | 0 B |", md, StringComparison.Ordinal);
        var star = RunData.Load(runs.StarPlain);
        Assert.Contains($"| allreduce-star | allreduce-star-every1 | 1 | 1 | 1 | {Markdown.Percent(star.Epochs[0].TestAccuracy)} | {Markdown.Percent(star.FinalTestAccuracy)} | {Markdown.Bytes(star.BytesPerSample("sync"))} |", md, StringComparison.Ordinal);
        Assert.Contains("mean ± sample standard deviation (n − 1 in the denominator)", md, StringComparison.Ordinal);

        var rows = Cli.ReadCsv(Path.Combine(tmp["cmp"], Comparison.CsvFile), out _);
        Assert.Equal(["none-seed1", "none-seed2", "none-seed3", "allreduce-star"], rows.Select(r => r["run"]));
        Assert.Equal(["none", "none", "none", "allreduce-star"], rows.Select(r => r["group"]));
        Assert.Equal(["3", "3", "3", "1"], rows.Select(r => r["n"]));
        Assert.Equal(0.6333333, Cli.D(rows[0]["test_accuracy_mean"]), 6);
        Assert.Equal(0.15275252, Cli.D(rows[2]["test_accuracy_std"]), 6);
        Assert.Equal(0.1, Cli.D(rows[1]["test_accuracy_epoch1_std"]), 9);
        Assert.Equal("0.4", rows[0]["test_accuracy_epoch1"]);
        Assert.Equal("0", rows[0]["sync_bytes_per_sample_std"]);
        Assert.Equal(("", rows[3]["test_accuracy"]), (rows[3]["test_accuracy_std"], rows[3]["test_accuracy_mean"])); // a group of one: its value, no std
        Png.AssertReportSize(Path.Combine(tmp["cmp"], Comparison.BytesPng));
    }

    /// <summary>A one-epoch sweep of the tiny net into <paramref name="dir"/> that must succeed; returns its output.</summary>
    private static async Task<string> TinySweep(string dir, params string[] args)
    {
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        int code = await SweepCommand.RunAsync(ParsedArgs.Parse("sweep", SweepCommand.Options, ["--out", dir, .. Cli.Tiny, "--epochs", "1", .. args]), stdout, TextWriter.Null);
        Assert.True(code == 0, stdout.ToString());
        return stdout.ToString();
    }

    [Fact]
    public async Task SweepWithSeedsRunsEverySettingOncePerSeedAndResumesWhenMoreSeedsAreAdded()
    {
        using var tmp = new TempDir();
        string dir = tmp["sweep"];
        Task<string> Sweep(params string[] args) => TinySweep(dir, args);
        string first = await Sweep("--strategies", "none,allreduce-tree", "--every", "1", "--seeds", "1,2");
        Assert.Contains("2 setting(s) × 2 seed(s) (1,2) = 4 runs", first, StringComparison.Ordinal);
        Assert.Contains("[1/4] none-seed1 ... nodemesh train --strategy none --seed 1 ", first, StringComparison.Ordinal);
        Assert.Contains("[2/4] allreduce-tree-every1-seed1 ...", first, StringComparison.Ordinal);
        Assert.Contains("[3/4] none-seed2 ... nodemesh train --strategy none --seed 2 ", first, StringComparison.Ordinal);
        Assert.Equal([2, 1], new[] { "none-seed2", "allreduce-tree-every1-seed1" }.Select(n => RunData.Load(Path.Combine(dir, n)).Config.Seed));
        string md = File.ReadAllText(Path.Combine(dir, Comparison.MarkdownFile));
        Assert.Contains("| none | none | [1](none-seed1/report.md), [2](none-seed2/report.md) | 2 |", md, StringComparison.Ordinal);
        Assert.Contains("| allreduce-tree-every1 | allreduce-tree-every1 | [1](allreduce-tree-every1-seed1/report.md), [2](allreduce-tree-every1-seed2/report.md) | 2 |", md, StringComparison.Ordinal);

        // A run recorded before config.json had unit_init, fabric_cast and step_parity reads them as
        // their defaults (tied, unicast, off): still skipped, not refused.
        string config = Path.Combine(dir, "none-seed1", "config.json");
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        Assert.True(node.Remove("unit_init"));
        Assert.True(node.Remove("fabric_cast"));
        Assert.True(node.Remove("step_parity"));
        File.WriteAllText(config, node.ToJsonString());

        string more = await Sweep("--strategies", "none", "--seeds", "1,2,3");
        Assert.Contains("[1/3] none-seed1 ... skipped", more, StringComparison.Ordinal);
        Assert.Contains("[2/3] none-seed2 ... skipped", more, StringComparison.Ordinal);
        Assert.Contains("[3/3] none-seed3 done in", more, StringComparison.Ordinal);
        var rows = Cli.ReadCsv(Path.Combine(dir, Comparison.CsvFile), out _);
        Assert.Equal(["3", "3", "3"], rows.Select(r => r["n"]));

        // Another initialisation is another run: refused, naming unit_init.
        var e = await Assert.ThrowsAsync<UserInputException>(() => Sweep("--strategies", "none", "--seeds", "1", "--unit-init", "he-normal"));
        Assert.Contains("unit_init \"tied\" → \"he-normal\"", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A diverging run is a result, not a failure: the sweep records it, goes on to the next run,
    /// compares, and keeps it when run again; the comparison counts it in n and in no mean.
    /// </summary>
    [Fact]
    public async Task SweepKeepsDivergedRunsAsResultsAndCompareLeavesThemOutOfTheMeans()
    {
        using var tmp = new TempDir();
        string dir = tmp["sweep"];
        Task<string> Sweep(params string[] args) => TinySweep(dir, args);
        string first = await Sweep("--strategies", "none", "--seeds", "1,2", "--lr", "1e30");
        Assert.Matches(@"\[1/2\] none-seed1 diverged after [0-9.]+ s: the training loss became .*; kept as a result, going on", first);
        Assert.Contains("[2/2] none-seed2 diverged after", first, StringComparison.Ordinal);
        string md = File.ReadAllText(Path.Combine(dir, Comparison.MarkdownFile));
        Assert.Contains("| 2 (2 diverged) | diverged | – |", md, StringComparison.Ordinal);
        Assert.Contains("count in n but in no mean, std or plot: none-seed1, none-seed2.", md, StringComparison.Ordinal);
        var rows = Cli.ReadCsv(Path.Combine(dir, Comparison.CsvFile), out _);
        Assert.Equal(["diverged", "diverged"], rows.Select(r => r["status"]));
        Assert.Equal(["", ""], rows.Select(r => r["test_accuracy"]));
        string again = await Sweep("--strategies", "none", "--seeds", "1,2", "--lr", "1e30");
        Assert.Contains("[1/2] none-seed1 ... skipped: it diverged before with the same options", again, StringComparison.Ordinal);

        // A group where one seed of two diverged: the mean is the other seed's, n says 2 (1 diverged).
        string mixed = tmp["mixed"];
        await TinySweep(mixed, "--strategies", "none", "--seeds", "1,2");
        string summary = Path.Combine(mixed, "none-seed2", RunData.SummaryFile);
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(summary))!.AsObject();
        node["status"] = "diverged";
        node["failure"] = "the training loss became NaN at epoch 1, step 2";
        node["epochs"] = new System.Text.Json.Nodes.JsonArray();
        node.Remove("final_test_accuracy");
        node.Remove("final_train_loss");
        File.WriteAllText(summary, node.ToJsonString());
        var (code, _) = await CompareAsync(Path.Combine(mixed, "none-seed1"), Path.Combine(mixed, "none-seed2"), "--out", tmp["cmp"]);
        Assert.Equal(0, code);
        double seed1 = RunData.Load(Path.Combine(mixed, "none-seed1")).FinalTestAccuracy;
        var cmp = Cli.ReadCsv(Path.Combine(tmp["cmp"], Comparison.CsvFile), out _);
        Assert.All(cmp, r => Assert.Equal(seed1, Cli.D(r["test_accuracy_mean"]), 6));
        Assert.All(cmp, r => Assert.Equal("1", r["group_diverged"]));
        Assert.Contains("| 2 (1 diverged) |", File.ReadAllText(Path.Combine(tmp["cmp"], Comparison.MarkdownFile)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SweepBadInputFailsBeforeAnyRun()
    {
        using var tmp = new TempDir();
        string dir = tmp["sweep"];
        async Task<UserInputException> Fails(params string[] args) =>
            await Assert.ThrowsAsync<UserInputException>(() => SweepCommand.RunAsync(ParsedArgs.Parse("sweep", SweepCommand.Options, args), TextWriter.Null));

        Assert.Contains("needs --out DIR", (await Fails("--strategies", "none")).Message, StringComparison.Ordinal);
        Assert.Contains("--strategies 'ring': 'ring' is not a strategy", (await Fails("--out", dir, "--strategies", "none,ring")).Message, StringComparison.Ordinal);
        Assert.Contains("--fanout applies to gossip settings only", (await Fails("--out", dir, "--strategies", "none,allreduce", "--fanout", "2")).Message, StringComparison.Ordinal);
        // Core's check names the setting; the CLI's error line names its flag.
        Assert.Contains("--batch 0", UserErrors.Render(await Fails("--out", dir, "--batch", "0")), StringComparison.Ordinal);
        // --seeds lists random seeds, not train's cluster seed addresses; one of --seed and --seeds.
        Assert.Equal("--seeds 'akka.tcp://nodemesh@host:4053' is not a seed: the sweep's --seeds lists random seeds, whole numbers separated by commas (e.g. --seeds 1,2,3); "
            + "cluster seed addresses (train --seeds) do not apply, a sweep runs in this process.",
            (await Fails("--out", dir, "--strategies", "none", "--seeds", "akka.tcp://nodemesh@host:4053")).Message);
        Assert.Contains("--seeds lists no seed", (await Fails("--out", dir, "--strategies", "none", "--seeds", ",")).Message, StringComparison.Ordinal);
        Assert.Contains("give --seed N (one seed, folders DIR/<setting>) or --seeds LIST", (await Fails("--out", dir, "--seed", "4", "--seeds", "1,2")).Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));
        var e = Assert.Throws<UserInputException>(() => ParsedArgs.Parse("sweep", SweepCommand.Options, ["--out", dir, "--strategy", "none"]));
        Assert.Contains("did you mean --strategies?", e.Message, StringComparison.Ordinal);
    }
}
