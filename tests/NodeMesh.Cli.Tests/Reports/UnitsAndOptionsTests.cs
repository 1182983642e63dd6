using System.Text.Json;
using System.Text.Json.Nodes;
using NodeMesh.Cli.Commands;
using NodeMesh.Cli.Records;
using NodeMesh.Cli.Reports;
using NodeMesh.Core.Devices;

namespace NodeMesh.Cli.Tests.Reports;

/// <summary>One unit convention on the console and in the reports, the samples actually used, the options compared runs differ in, and room for plot labels.</summary>
public class UnitsAndOptionsTests(TinyRuns runs) : IClassFixture<TinyRuns>
{
    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(999L, "999 B")]
    [InlineData(1000L, "1.00 kB")]
    [InlineData(1024L, "1.02 kB")]
    [InlineData(12_345L, "12.3 kB")]
    [InlineData(999_999L, "1.00 MB")]
    [InlineData(1_234_567L, "1.23 MB")]
    [InlineData(12_345_678_901L, "12.3 GB")]
    public void BytesAreDecimalSiOnTheConsoleAndInTheReports(long bytes, string expected)
    {
        Assert.Equal(expected, Markdown.Bytes(bytes));
        Assert.Equal(expected, RunConsole.HumanBytes(bytes));
        Assert.Equal(expected + "-hops", Markdown.ByteHops(bytes));
    }

    /// <summary>Value labels and linear tick labels of the plots: decimal prefixes with three significant digits, plain decimals below 1 (an energy of 0.954 µJ, not 9.54E-1).</summary>
    [Theory]
    [InlineData(0.954, "0.954")]
    [InlineData(0.0012, "0.0012")]
    [InlineData(1234.0, "1.23k")]
    [InlineData(1_234_567.0, "1.23M")]
    [InlineData(74_220.0, "74.2k")]
    [InlineData(312_320.0, "312k")]
    public void PlotValueLabelsUseDecimalPrefixes(double v, string expected) => Assert.Equal(expected, Plots.Short(v));

    [Theory]
    [InlineData(1_750_000.0, "1.75 µJ")]
    [InlineData(243_400_000.0, "243.4 µJ")]
    [InlineData(1_234_567_000_000.0, "1,234,567 µJ")]
    public void EnergyIsInMicrojoulesOnTheConsoleAndInTheReports(double pj, string expected)
    {
        Assert.Equal(expected, Markdown.Energy(pj));
        Assert.Equal(expected, RunConsole.HumanEnergy(pj));
    }

    /// <summary>The header of report.md and compare.md and config.json give the samples used (64 of the embedded 2,000; 50 test), not the dataset's size.</summary>
    [Fact]
    public async Task ReportAndCompareStateTheSamplesActuallyUsed()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(runs.Star, "config.json")));
        Assert.Equal(64, config.RootElement.GetProperty("train_samples").GetInt32());
        Assert.Equal(50, config.RootElement.GetProperty("test_samples").GetInt32());
        using var tmp = new TempDir();
        string md = File.ReadAllText(ReportWriter.Write(runs.StarRich)[0]);
        Assert.Contains("1 epoch(s) of 64 training samples, tested on 50 test samples (data: embedded", md, StringComparison.Ordinal);
        var run = RunData.Load(runs.StarRich);
        Assert.Contains($"; energy {Markdown.Energy(run.EnergyPerSample!.Value)} per sample", md, StringComparison.Ordinal);
        Assert.Contains($"sync traffic {Markdown.Bytes(run.BytesPerSample("sync"))} per training sample", md, StringComparison.Ordinal);

        var (code, _) = await CompareAsync(runs.NoneRich, runs.StarRich, "--out", tmp["cmp"]);
        Assert.Equal(0, code);
        string cmp = File.ReadAllText(Path.Combine(tmp["cmp"], Comparison.MarkdownFile));
        Assert.Contains("training samples used per epoch: 64; test samples: 50;", cmp, StringComparison.Ordinal);
        Assert.Contains($"| {Markdown.EnergyValue(run.EnergyPerSample)} |", cmp, StringComparison.Ordinal);
    }

    /// <summary>Every option the runs differ in is a column of compare.md and compare.csv; what does not count as an option (start time, unit counts) is not.</summary>
    [Fact]
    public async Task CompareHasAColumnForEveryOptionTheRunsDifferIn()
    {
        using var tmp = new TempDir();
        TinyRuns.Copy(runs.NonePlain, tmp["a"], null);
        TinyRuns.Copy(runs.NonePlain, tmp["b"], null);
        string path = Path.Combine(tmp["b"], "summary.json");
        var s = JsonNode.Parse(File.ReadAllText(path))!;
        var c = s["config"]!;
        c["batch"] = 8; c["lr"] = 0.1; c["seed"] = 7; c["data"] = "/data/fashion"; c["test_samples"] = 40; c["mix"] = 0.25;
        c["started_utc"] = "2030-01-01T00:00:00Z"; c["units"] = 1; c["tiles"] = 2;
        File.WriteAllText(path, s.ToJsonString());

        var (code, _) = await CompareAsync(tmp["a"], tmp["b"], "--out", tmp["cmp"]);
        Assert.Equal(0, code);
        string md = File.ReadAllText(Path.Combine(tmp["cmp"], Comparison.MarkdownFile));
        Assert.Contains("| run | strategy | batch | lr | seed | test_samples | mix | data | test accuracy after 1 epoch | test accuracy after 2 epochs |", md, StringComparison.Ordinal);
        Assert.Contains("| none | 8 | 0.1 | 7 | 40 | 0.25 | /data/fashion |", md, StringComparison.Ordinal);
        Assert.DoesNotContain("started_utc", md, StringComparison.Ordinal);
        Assert.DoesNotContain("| units", md, StringComparison.Ordinal);
        var rows = Cli.ReadCsv(Path.Combine(tmp["cmp"], Comparison.CsvFile), out string header);
        Assert.Equal(Comparison.CsvHeader + ",batch,lr,seed,test_samples,mix,data", header);
        Assert.Equal(["16", "8"], rows.Select(r => r["batch"]));
        Assert.Equal(["0.05", "0.1"], rows.Select(r => r["lr"]));
    }

    /// <summary>
    /// A run from before --fabric-cast (no fabric_cast in its config) was unicast: compared with a
    /// unicast run it differs in nothing; compared with a multicast run the column shows both casts.
    /// </summary>
    [Fact]
    public async Task A_run_without_a_recorded_fabric_cast_compares_as_unicast()
    {
        using var tmp = new TempDir();
        foreach (var (dir, cast) in new[] { ("old", null), ("uni", "unicast"), ("multi", "multicast") })
        {
            TinyRuns.Copy(runs.NonePlain, tmp[dir], null);
            string path = Path.Combine(tmp[dir], "summary.json");
            var s = JsonNode.Parse(File.ReadAllText(path))!;
            var c = s["config"]!.AsObject();
            if (cast is null) c.Remove("fabric_cast"); else c["fabric_cast"] = cast;
            File.WriteAllText(path, s.ToJsonString());
        }
        var (code, _) = await CompareAsync(tmp["old"], tmp["uni"], "--out", tmp["cmp1"]);
        Assert.Equal(0, code);
        Assert.DoesNotContain("fabric_cast", File.ReadAllText(Path.Combine(tmp["cmp1"], Comparison.MarkdownFile)), StringComparison.Ordinal);
        (code, _) = await CompareAsync(tmp["old"], tmp["multi"], "--out", tmp["cmp2"]);
        Assert.Equal(0, code);
        var rows = Cli.ReadCsv(Path.Combine(tmp["cmp2"], Comparison.CsvFile), out string header);
        Assert.EndsWith(",fabric_cast", header, StringComparison.Ordinal);
        Assert.Equal(["unicast", "multicast"], rows.Select(r => r["fabric_cast"]));
    }

    /// <summary>
    /// A device run: config.json holds the device parameters as a JSON object with numbers (a valid
    /// --device file that rebuilds the same devices), records the test samples actually used (all
    /// 500 embedded ones for a larger limit), report.md has the device-activity section per layer,
    /// and compare lists only the device parameters that differ. Clipped pulses are shown by kind,
    /// each over its own pulses (pcm's program pulses are the refreshes of its one-sided pairs). A run whose
    /// config holds the text listing of older versions still reports its parameters, and one whose
    /// summary predates the split clipped counts (one clipped_fraction) shows '–' for both.
    /// </summary>
    [Fact]
    public async Task DeviceRunRecordsParametersAsJsonAndReportsDeviceActivity()
    {
        using var tmp = new TempDir();
        var r = await Cli.RunAsync(["train", .. Cli.TinyWith("--test-limit", "100000"), "--device", "pcm", "--epochs", "1", "--out", tmp["pcm"]]);
        Assert.True(r.Code == 0, r.ToString());
        string configText = File.ReadAllText(Path.Combine(tmp["pcm"], "config.json"));
        Assert.Equal(configText, RunJson.Serialize(RunJson.ReadConfig(configText)!));
        using var config = JsonDocument.Parse(configText);
        Assert.Equal(Core.Data.DatasetLoader.EmbeddedTestCount, config.RootElement.GetProperty("test_samples").GetInt32());
        var parameters = config.RootElement.GetProperty("device_parameters");
        Assert.Equal(JsonValueKind.Object, parameters.ValueKind);
        Assert.Equal(JsonValueKind.Number, parameters.GetProperty("dw_min").ValueKind);
        Assert.Equal(0.01, parameters.GetProperty("dw_min").GetDouble());
        Assert.Equal(-27.235, parameters.GetProperty("A_up").GetDouble());
        Assert.True(parameters.GetProperty("one_sided").GetBoolean());
        Assert.All(parameters.EnumerateObject(), p => Assert.Contains(p.Name, DeviceConfig.ParameterNames));
        var preset = DeviceConfig.Preset("pcm");
        Assert.Equal(preset, DeviceConfig.Parse(parameters.GetRawText()) with { Name = preset.Name });

        string md = File.ReadAllText(ReportWriter.Write(tmp["pcm"])[0]);
        Assert.Contains("## Device activity", md, StringComparison.Ordinal);
        Assert.Contains("| layer | devices | update pulses | program pulses | pulses per weight (mean) | pulses per weight (max) | clipped update pulses / update pulses | clipped program pulses / program pulses | stuck devices | reads | write energy (µJ / sample) |", md, StringComparison.Ordinal);
        var run = RunData.Load(tmp["pcm"]);
        var conv1 = run.Epochs[^1].Devices!["conv1"];
        Assert.Contains($"| conv1 | {Markdown.Count(conv1.Devices)} | {Markdown.Count(conv1.UpdatePulses)} | {Markdown.Count(conv1.ProgramPulses)} | {Markdown.Num(conv1.PulsesMeanPerDevice)} |", md, StringComparison.Ordinal);
        Assert.NotNull(conv1.ClippedUpdatePulses);
        Assert.Equal((double)conv1.ClippedUpdatePulses!.Value / conv1.UpdatePulses, conv1.ClippedUpdateFraction!.Value, 12);
        Assert.True(conv1.ProgramPulses > 0, "pcm refreshes its pairs by program-and-verify");
        Assert.Equal((double)conv1.ClippedProgramPulses!.Value / conv1.ProgramPulses, conv1.ClippedProgramFraction!.Value, 12);
        Assert.Contains($"| {Markdown.Count(conv1.PulsesMaxPerDevice)} | {Markdown.Percent(conv1.ClippedUpdateFraction.Value)} ({Markdown.Count(conv1.ClippedUpdatePulses.Value)}) "
            + $"| {Markdown.Percent(conv1.ClippedProgramFraction.Value)} ({Markdown.Count(conv1.ClippedProgramPulses.Value)}) | {Markdown.Count(conv1.StuckDevices)} |", md, StringComparison.Ordinal);
        Assert.Contains("| **all** |", md, StringComparison.Ordinal);
        Assert.Contains("| A_up | -27.235 |", md, StringComparison.Ordinal);
        Assert.DoesNotContain("| device_parameters |", md, StringComparison.Ordinal);
        Assert.DoesNotContain("## Device activity", File.ReadAllText(ReportWriter.Write(runs.None)[0]), StringComparison.Ordinal);

        // Another pcm run that differs in dw_min only: one device_parameters column naming it.
        TinyRuns.Copy(tmp["pcm"], tmp["pcm2"], null);
        string path = Path.Combine(tmp["pcm2"], "summary.json");
        var s = JsonNode.Parse(File.ReadAllText(path))!;
        s["config"]!["device_parameters"]!["dw_min"] = 0.02;
        File.WriteAllText(path, s.ToJsonString());
        var (code, _) = await CompareAsync(tmp["pcm"], tmp["pcm2"], runs.None, "--out", tmp["cmp"]);
        Assert.Equal(0, code);
        string cmp = File.ReadAllText(Path.Combine(tmp["cmp"], Comparison.MarkdownFile));
        Assert.Contains("| device | device_parameters |", cmp, StringComparison.Ordinal);
        Assert.Contains("| pcm | dw_min=0.01 |", cmp, StringComparison.Ordinal);
        Assert.Contains("| pcm | dw_min=0.02 |", cmp, StringComparison.Ordinal);
        Assert.Contains("| ideal | – |", cmp, StringComparison.Ordinal);

        // config.json of older versions: the text listing.
        s["config"]!["device_parameters"] = "    model                   ExpStep      update-once rule\n    dw_min                  0.01         mean step per pulse (weight units)\n";
        File.WriteAllText(path, s.ToJsonString());
        string old = File.ReadAllText(ReportWriter.Write(tmp["pcm2"])[0]);
        Assert.Contains("| model | ExpStep |", old, StringComparison.Ordinal);
        Assert.Contains("| dw_min | 0.01 |", old, StringComparison.Ordinal);

        // summary.json of older versions: one clipped_fraction (update clips over all pulses), no clipped counts.
        foreach (var epoch in s["epochs"]!.AsArray())
            foreach (var (_, d) in epoch!["devices"]!.AsObject())
            {
                foreach (string key in new[] { "clipped_update_pulses", "clipped_program_pulses", "clipped_update_fraction", "clipped_program_fraction" })
                    d!.AsObject().Remove(key);
                d!["clipped_fraction"] = 0.25;
            }
        File.WriteAllText(path, s.ToJsonString());
        var older = RunData.Load(tmp["pcm2"]).Epochs[^1].Devices!["conv1"];
        Assert.Equal((null, null, null, null), (older.ClippedUpdatePulses, older.ClippedProgramPulses, older.ClippedUpdateFraction, older.ClippedProgramFraction));
        old = File.ReadAllText(ReportWriter.Write(tmp["pcm2"])[0]);
        Assert.Contains($"| {Markdown.Count(older.PulsesMaxPerDevice)} | – | – | {Markdown.Count(older.StuckDevices)} |", old, StringComparison.Ordinal);
        (code, _) = await CompareAsync(tmp["pcm"], tmp["pcm2"], "--out", tmp["cmp2"]);
        Assert.Equal(0, code);
        cmp = File.ReadAllText(Path.Combine(tmp["cmp2"], Comparison.MarkdownFile));
        Assert.Contains("| clipped update pulses / update pulses | clipped program pulses / program pulses |", cmp, StringComparison.Ordinal);
        var all = run.Epochs[^1].Devices!["all"];
        Assert.Contains($"| {DeviceSection.Fraction(all.ClippedUpdatePulses, all.ClippedUpdateFraction)} | {DeviceSection.Fraction(all.ClippedProgramPulses, all.ClippedProgramFraction)} |", cmp, StringComparison.Ordinal);
        Assert.Contains("| – | – |", cmp, StringComparison.Ordinal);
    }

    [Fact]
    public void LongLabelsAreShortenedAndTheAxesWidenedUntilTheyFit()
    {
        string name = "allreduce-ring-every10-seed2-lr0.05-batch16-device-gokmen-vlasov";
        string shortened = PlotLabels.Shorten(name);
        Assert.Equal(PlotLabels.MaxChars, shortened.Length);
        Assert.StartsWith("allreduce-ring", shortened, StringComparison.Ordinal);
        Assert.EndsWith("gokmen-vlasov", shortened, StringComparison.Ordinal);
        Assert.Equal("none", PlotLabels.Shorten("none"));

        // Points near the middle of [2, 6]: a label (unshortened, wider than half the plot) pointing
        // right, a short one pointing left, stacked at the top of the y range.
        string wide = name[..56];
        var labels = new List<PointLabel>
        {
            new(3.9, 0.80, wide, Right: true, Stack: 0),
            new(4.1, 0.82, "none", Right: false, Stack: 1),
        };
        var (min, max) = PlotLabels.XLimits(labels, 2, 6);
        double perPx = (max - min) / PlotLabels.AreaWidthPx;
        Assert.True(3.9 + PlotLabels.WidthPx(wide) * perPx <= max, $"right label ends at {3.9 + PlotLabels.WidthPx(wide) * perPx}, axis at {max}");
        Assert.True(4.1 - PlotLabels.WidthPx("none") * perPx >= min, $"left label starts at {4.1 - PlotLabels.WidthPx("none") * perPx}, axis at {min}");
        double top = PlotLabels.YMax(labels, 0.7, 0.82);
        double perPy = (top - 0.7) / PlotLabels.AreaHeightPx;
        Assert.True(0.82 + 2 * PlotLabels.LineHeightPx * perPy <= top, $"the stacked label is clipped at {top}");
    }

    private static async Task<(int Code, string Out)> CompareAsync(params string[] args)
    {
        using var stdout = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        int code = await CompareCommand.RunAsync(CompareCommand.Parse(args), stdout);
        return (code, stdout.ToString());
    }
}
