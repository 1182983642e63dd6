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
        Assert.Contains("| run | strategy | epochs | test accuracy | sync bytes/sample |", md, StringComparison.Ordinal);
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
        Assert.False(Directory.Exists(dir));
        var e = Assert.Throws<UserInputException>(() => ParsedArgs.Parse("sweep", SweepCommand.Options, ["--out", dir, "--strategy", "none"]));
        Assert.Contains("did you mean --strategies?", e.Message, StringComparison.Ordinal);
    }
}
