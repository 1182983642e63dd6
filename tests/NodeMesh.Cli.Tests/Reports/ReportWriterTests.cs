using NodeMesh.Cli.Reports;
using NodeMesh.Core;

namespace NodeMesh.Cli.Tests.Reports;

/// <summary>report.md and its PNGs for real tiny runs, with and without the optional fabric and energy keys.</summary>
public class ReportWriterTests(TinyRuns runs) : IClassFixture<TinyRuns>
{
    private static readonly string[] BasicPngs = [ReportWriter.AccuracyPng, ReportWriter.LossPng, ReportWriter.TrafficPng, ReportWriter.ConsensusPng];

    [Fact]
    public void ReportOfARealRunHasTablesAndDecodablePlots()
    {
        var files = ReportWriter.Write(runs.None);
        Assert.Equal(Path.Combine(runs.None, "report.md"), files[0]);
        string md = File.ReadAllText(files[0]);

        Assert.StartsWith($"# NodeMesh run none: no sharing (none) on {Cli.TinyArch}", md, StringComparison.Ordinal);
        Assert.Contains("## Configuration", md, StringComparison.Ordinal);
        Assert.Contains("| batch | 16 |", md, StringComparison.Ordinal);
        Assert.Contains("| train_limit | 64 |", md, StringComparison.Ordinal);
        Assert.Contains("| conv1 | conv | 1×28×28 | 2×28×28 | 3 |", md, StringComparison.Ordinal);
        // per-epoch table: both epochs, the traffic categories and Ξ²/SNR of the conv layer
        Assert.Contains("| epoch | train loss | train acc | test loss | test acc | train s | samples/s | activation msgs / bytes | error msgs / bytes | sync msgs / bytes | control msgs / bytes | Ξ² conv1 | SNR conv1 |", md, StringComparison.Ordinal);
        var epochRows = md.Split('\n').Where(l => l.StartsWith("| 1 | ", StringComparison.Ordinal) || l.StartsWith("| 2 | ", StringComparison.Ordinal)).ToList();
        Assert.True(epochRows.Count >= 2 + 2 * 4, md); // learning rows + 4 categories × 2 epochs in the traffic table
        Assert.Contains("| 2 | sync | 0 | 0 | 0 |", md, StringComparison.Ordinal);

        foreach (var png in BasicPngs)
        {
            Assert.Contains($"]({png})", md, StringComparison.Ordinal);
            Assert.Contains(Path.Combine(runs.None, png), files);
            Png.AssertReportSize(Path.Combine(runs.None, png));
        }
        // The optional sections follow the keys that this build's train writes.
        var run = RunData.Load(runs.None);
        Assert.Equal(run.HasEnergy, File.Exists(Path.Combine(runs.None, ReportWriter.EnergyPng)));
        Assert.Equal(run.HasEnergy, md.Contains("## Energy", StringComparison.Ordinal));
        Assert.Equal(run.HasByteHops, md.Contains("byte-hops/sample", StringComparison.Ordinal));
        Assert.Equal(run.Baseline is not null, md.Contains("Conventional baseline", StringComparison.Ordinal));
        if (run.HasEnergy) Png.AssertReportSize(Path.Combine(runs.None, ReportWriter.EnergyPng));
    }

    [Fact]
    public void RunWithoutFabricOrEnergyKeysHasNoSuchSections()
    {
        var files = ReportWriter.Write(runs.NonePlain);
        string md = File.ReadAllText(files[0]);
        Assert.Contains("| 2 | sync | 0 | 0 | 0 | 0 | 0 |", md, StringComparison.Ordinal); // no byte-hops columns
        Assert.DoesNotContain("byte-hops", md, StringComparison.Ordinal);
        Assert.DoesNotContain("## Energy", md, StringComparison.Ordinal);
        Assert.DoesNotContain("baseline", md, StringComparison.Ordinal);
        Assert.DoesNotContain("lower bound", md, StringComparison.Ordinal);
        Assert.Equal(BasicPngs.Select(p => Path.Combine(runs.NonePlain, p)).Order(), files.Skip(1).Order());
        foreach (var f in files.Skip(1)) Png.AssertReportSize(f);
        Assert.False(File.Exists(Path.Combine(runs.NonePlain, ReportWriter.EnergyPng)));
    }

    /// <summary>
    /// A one-epoch run (the star run) draws no per-epoch line plots of single dots: report.md gives
    /// the epoch's accuracy, loss and consensus in its text, and accuracy, loss and consensus PNGs
    /// are neither written nor linked. Exact tying shows as Ξ² = 0 and SNR = inf.
    /// </summary>
    [Fact]
    public void OneEpochRunStatesItsValuesInsteadOfOnePointLinePlots()
    {
        using var tmp = new TempDir();
        TinyRuns.Copy(runs.Star, tmp["star"], null);
        var files = ReportWriter.Write(tmp["star"]);
        string md = File.ReadAllText(files[0]);
        var run = RunData.Load(tmp["star"]);
        var only = Assert.Single(run.Epochs);
        Assert.Contains("allreduce (star, every 1)", md, StringComparison.Ordinal);
        Assert.Contains("| 0 | inf |", md, StringComparison.Ordinal); // Ξ² = 0, SNR = inf
        Assert.Contains($"One epoch, so no per-epoch plots (a line through one point is a dot): train accuracy {Markdown.Percent(only.TrainAccuracy)}, "
            + $"test accuracy {Markdown.Percent(only.TestAccuracy)}, train loss {Markdown.Fixed(only.TrainLoss, 4)}, test loss {Markdown.Fixed(only.TestLoss, 4)}; "
            + "consensus: Ξ² conv1 0 (SNR inf).", md, StringComparison.Ordinal);
        foreach (var png in new[] { ReportWriter.AccuracyPng, ReportWriter.LossPng, ReportWriter.ConsensusPng })
        {
            Assert.DoesNotContain(png, md, StringComparison.Ordinal);
            Assert.DoesNotContain(Path.Combine(tmp["star"], png), files);
            Assert.False(File.Exists(Path.Combine(tmp["star"], png)), png);
        }
        Assert.Equal([Path.Combine(tmp["star"], ReportWriter.TrafficPng)], files.Skip(1));
    }

    /// <summary>With two epochs Ξ² is plotted per epoch on a log axis, exact tying (Ξ² = 0) at the tick labelled 0.</summary>
    [Fact]
    public void ExactTyingOverTwoEpochsIsDrawnAtTheFloor()
    {
        using var tmp = new TempDir();
        TinyRuns.Copy(runs.Star, tmp["star2"], null);
        string path = Path.Combine(tmp["star2"], "summary.json");
        var s = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        var second = s["epochs"]![0]!.DeepClone();
        second["epoch"] = 2;
        s["epochs"]!.AsArray().Add(second);
        File.WriteAllText(path, s.ToJsonString());
        string md = File.ReadAllText(ReportWriter.Write(tmp["star2"])[0]);
        Assert.Contains("drawn at the tick labelled 0", md, StringComparison.Ordinal);
        Assert.DoesNotContain("One epoch", md, StringComparison.Ordinal);
        foreach (var png in BasicPngs) Png.AssertReportSize(Path.Combine(tmp["star2"], png));
    }

    [Fact]
    public void OptionalFabricEnergyBaselineAndLowerBoundsAreReported()
    {
        var files = ReportWriter.Write(runs.StarRich);
        string md = File.ReadAllText(files[0]);
        Assert.Contains("| epoch | category | messages | payload bytes | bytes/sample | byte-hops | byte-hops/sample | actor messages | dropped |", md, StringComparison.Ordinal);
        Assert.Contains("## Energy", md, StringComparison.Ordinal);
        Assert.Contains("| epoch | compute | device writes | activation transport | error transport | sync transport | total |", md, StringComparison.Ordinal);
        Assert.Contains("### Conventional baseline", md, StringComparison.Ordinal);
        Assert.Contains("| DRAM bytes / sample | 12.3 kB |", md, StringComparison.Ordinal);
        Assert.Contains("| energy: total (µJ / sample) | 0.0062 |", md, StringComparison.Ordinal);
        Assert.Contains("## Sync traffic against its lower bound", md, StringComparison.Ordinal);
        Assert.Contains("| conv1 | 80 | 40 | 2× | 9,000 | 3,000 | 3× |", md, StringComparison.Ordinal);
        Assert.Contains($"]({ReportWriter.EnergyPng})", md, StringComparison.Ordinal);
        foreach (var png in new[] { ReportWriter.TrafficPng, ReportWriter.EnergyPng }) // one epoch: no per-epoch plots
            Png.AssertReportSize(Path.Combine(runs.StarRich, png));

        var run = RunData.Load(runs.StarRich);
        double sync = run.BytesPerSample("sync");
        Assert.True(sync > 0);
        Assert.Equal(sync * 3, run.ByteHopsPerSample("sync")!.Value, 6);
        Assert.Equal(1750 + sync * 0.5, run.EnergyPerSample!.Value, 6);
        Assert.Equal(["compute", "device_writes", "activation_transport", "error_transport", "sync_transport"], run.EnergyBreakdown.Select(e => e.Name));
    }

    [Fact]
    public void MissingDirectoryOrSummaryIsAClearError()
    {
        using var tmp = new TempDir();
        string missing = tmp["nope"];
        var e = Assert.Throws<UserInputException>(() => ReportWriter.Write(missing));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);

        string empty = tmp["empty"];
        Directory.CreateDirectory(empty);
        e = Assert.Throws<UserInputException>(() => ReportWriter.Write(empty));
        Assert.Contains(empty, e.Message, StringComparison.Ordinal);
        Assert.Contains("no summary.json", e.Message, StringComparison.Ordinal);

        string unfinished = tmp["unfinished"];
        Directory.CreateDirectory(unfinished);
        File.WriteAllText(Path.Combine(unfinished, "config.json"), "{}");
        e = Assert.Throws<UserInputException>(() => ReportWriter.Write(unfinished));
        Assert.Contains("has not finished", e.Message, StringComparison.Ordinal);

        string broken = tmp["broken"];
        Directory.CreateDirectory(broken);
        File.WriteAllText(Path.Combine(broken, "summary.json"), "{ not json");
        e = Assert.Throws<UserInputException>(() => ReportWriter.Write(broken));
        Assert.Contains(Path.Combine(broken, "summary.json"), e.Message, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(broken, "report.md")));
    }

    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(5.0, "5")]
    [InlineData(1234.0, "1,234")]
    [InlineData(710304.0, "710,304")]
    [InlineData(0.25, "0.25")]
    [InlineData(double.PositiveInfinity, "inf")]
    [InlineData(double.NaN, "n/a")]
    public void NumbersAreFormattedInvariantly(double v, string expected) => Assert.Equal(expected, Markdown.Num(v));

    [Fact]
    public void LogScalePutsZerosOneDecadeBelowTheSmallestValue()
    {
        var s = LogScale.For([0, 3000, 710_304]);
        Assert.True(s.HasZero);
        Assert.Equal(3, s.MinExp);
        Assert.Equal(6, s.MaxExp);
        Assert.Equal(2, s.Map(0));
        Assert.Equal(100, s.FloorValue);
        Assert.Equal(Math.Log10(3000), s.Map(3000), 12);
        var allZero = LogScale.For([0, 0]);
        Assert.True(allZero.HasZero);
        Assert.True(allZero.MaxExp > allZero.Floor);
    }
}
