using System.Globalization;
using System.Text.Json.Nodes;
using NodeMesh.Cli.Commands;
using NodeMesh.Cli.Reports;

namespace NodeMesh.Cli.Tests.Reports;

/// <summary>
/// The hand-written run directories of Reports/Data: <c>cluster-run</c> is a 2-epoch cluster
/// run (a driver and two workers, stripe placement) whose cluster section has round numbers;
/// <see cref="OlderLocal"/> derives from it a local run in the format written before clusters
/// (no status, failure, cluster, workers or placement).
/// </summary>
public static class HandWritten
{
    /// <summary>Copies Reports/Data/<paramref name="name"/> to <paramref name="to"/> and returns <paramref name="to"/>.</summary>
    public static string Copy(string name, string to)
    {
        string from = Path.Combine(AppContext.BaseDirectory, "Reports", "Data", name);
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)), overwrite: true);
        return to;
    }

    /// <summary>The cluster run without any member added since (status, failure, cluster, config workers and placement).</summary>
    public static string OlderLocal(string to)
    {
        Copy("cluster-run", to);
        string path = Path.Combine(to, "summary.json");
        var s = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        foreach (var k in new[] { "status", "failure", "cluster" }) s.Remove(k);
        var config = s["config"]!.AsObject();
        config.Remove("workers");
        config.Remove("placement");
        config["mode"] = "local";
        File.WriteAllText(path, s.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return to;
    }
}

/// <summary>report.md and compare on a cluster run's summary: members, placement, wire bytes per category and message type.</summary>
public class ClusterReportTests
{
    private static string Report(string dir) => File.ReadAllText(ReportWriter.Write(dir)[0]);

    /// <summary>The members with what was placed on them and the bytes they sent and received over both epochs (9000 + 9000 sent by worker 0, …).</summary>
    [Fact]
    public void ReportShowsMembersPlacementAndTheRunTotal()
    {
        using var tmp = new TempDir();
        string md = Report(HandWritten.Copy("cluster-run", tmp["c"]));
        Assert.Contains("## Cluster traffic", md, StringComparison.Ordinal);
        Assert.Contains("A driver and 2 worker(s), tiles placed **stripe**", md, StringComparison.Ordinal);
        Assert.Contains("**50,000 bytes**", md, StringComparison.Ordinal);
        Assert.Contains("40,000 bytes of NodeMesh payload and 3,000 bytes of Akka housekeeping", md, StringComparison.Ordinal);
        Assert.Contains("| member | address | role | tiles | units | reducers | sent wire bytes | received wire bytes |", md, StringComparison.Ordinal);
        Assert.Contains("| – | 127.0.0.1:5000 | driver | 0 | 0 | 0 | 4,000 | 4,000 |", md, StringComparison.Ordinal);
        Assert.Contains("| 0 | 127.0.0.1:5001 | worker | 2 | 20 | 1 | 18,000 | 10,000 |", md, StringComparison.Ordinal);
        Assert.Contains("| 1 | 127.0.0.1:5002 | worker | 1 | 12 | 1 | 10,000 | 18,000 |", md, StringComparison.Ordinal);
        Assert.Contains("| workers | 2 |", md, StringComparison.Ordinal);
        Assert.Contains("| placement | stripe |", md, StringComparison.Ordinal);
    }

    /// <summary>
    /// Epoch 1, 8 samples: activation 16 messages, 8000 payload and 8400 wire bytes = 2, 1000 and
    /// 1050 per sample, 1.05×; sync 32, 1600, 2400 = 4, 200, 300, 1.5×; housekeeping 10 frames,
    /// 800 bytes = 1.25 and 100 per sample; total 60 messages (7.5 per sample), 13640 payload
    /// (1705), 16000 wire bytes with housekeeping (2000), NodeMesh 15200/13640 = 1.114×. Epoch 2
    /// differs in sync wire (2600: 325, 1.625×) and housekeeping (6 frames, 600 bytes).
    /// </summary>
    [Fact]
    public void ReportShowsWireBytesPerSampleByCategoryForEveryEpoch()
    {
        using var tmp = new TempDir();
        string md = Report(HandWritten.Copy("cluster-run", tmp["c"]));
        string epoch1 = Section(md, "### Epoch 1: 8 training samples"), epoch2 = Section(md, "### Epoch 2: 8 training samples");
        Assert.Contains("| category | messages | messages/sample | payload B/sample | wire B/sample | wire/payload |", epoch1, StringComparison.Ordinal);
        Assert.Contains("| activation | 16 | 2 | 1,000 | 1,050 | 1.05× |", epoch1, StringComparison.Ordinal);
        Assert.Contains("| error | 8 | 1 | 500 | 525 | 1.05× |", epoch1, StringComparison.Ordinal);
        Assert.Contains("| sync | 32 | 4 | 200 | 300 | 1.5× |", epoch1, StringComparison.Ordinal);
        Assert.Contains("| control | 4 | 0.5 | 5 | 25 | 5× |", epoch1, StringComparison.Ordinal);
        Assert.Contains("| housekeeping | 10 frames | 1.25 | – | 100 | – |", epoch1, StringComparison.Ordinal);
        Assert.Contains("| **total** | 60 | 7.5 | 1,705 | 2,000 | 1.114× (NodeMesh) |", epoch1, StringComparison.Ordinal);
        Assert.Contains("| sync | 32 | 4 | 200 | 325 | 1.625× |", epoch2, StringComparison.Ordinal);
        Assert.Contains("| housekeeping | 6 frames | 0.75 | – | 75 | – |", epoch2, StringComparison.Ordinal);
        Assert.Contains("| **total** | 60 | 7.5 | 1,705 | 2,000 | 1.129× (NodeMesh) |", epoch2, StringComparison.Ordinal);
    }

    /// <summary>One row per epoch and message type, with the type's category: sp carries half the sync wire bytes (1200 of 2400 in epoch 1).</summary>
    [Fact]
    public void ReportShowsThePerMessageTypeTable()
    {
        using var tmp = new TempDir();
        string md = Section(Report(HandWritten.Copy("cluster-run", tmp["c"])), "### Per message type");
        Assert.Contains("| epoch | type | category | messages | messages/sample | payload B/sample | wire B/sample | wire/payload |", md, StringComparison.Ordinal);
        Assert.Contains("| 1 | ap | activation | 16 | 2 | 1,000 | 1,050 | 1.05× |", md, StringComparison.Ordinal);
        Assert.Contains("| 1 | sp | sync | 16 | 2 | 100 | 150 | 1.5× |", md, StringComparison.Ordinal);
        Assert.Contains("| 2 | sr | sync | 16 | 2 | 100 | 162.5 | 1.625× |", md, StringComparison.Ordinal);
        Assert.Contains("| 2 | sb | control | 4 | 0.5 | 5 | 25 | 5× |", md, StringComparison.Ordinal);
        Assert.Equal(10, md.Split('\n').Count(l => l.StartsWith("| 1 | ", StringComparison.Ordinal) || l.StartsWith("| 2 | ", StringComparison.Ordinal)));
    }

    /// <summary>A summary in the format before clusters (no status, failure, cluster, workers, placement) loads and reports without the section.</summary>
    [Fact]
    public void OlderLocalSummaryLoadsWithoutTheNewMembers()
    {
        using var tmp = new TempDir();
        string dir = HandWritten.OlderLocal(tmp["old"]);
        var run = RunData.Load(dir);
        Assert.Null(run.Summary.Status);
        Assert.Null(run.Cluster);
        Assert.Null(run.Config.Workers);
        Assert.Null(run.ClusterWireBytesPerSample);
        Assert.Equal(double.PositiveInfinity, run.Epochs[0].Consensus["conv1"].Snr); // "Infinity" in the file
        string md = Report(dir);
        Assert.DoesNotContain("Cluster traffic", md, StringComparison.Ordinal);
        Assert.DoesNotContain("| workers |", md, StringComparison.Ordinal);
    }

    /// <summary>
    /// Over both epochs (16 samples): 32000 wire bytes with housekeeping = 2000 per sample; sync
    /// 2400 + 2600 = 312.5 per sample; NodeMesh wire / payload = 30600 / 27280 = 1.1217.
    /// The local run's cells stay blank.
    /// </summary>
    [Fact]
    public async Task CompareAddsClusterColumnsBlankForLocalRuns()
    {
        using var tmp = new TempDir();
        string cluster = HandWritten.Copy("cluster-run", tmp["cluster"]), local = HandWritten.OlderLocal(tmp["local"]);
        var run = RunData.Load(cluster);
        Assert.Equal(2000.0, run.ClusterWireBytesPerSample!.Value, 9);
        Assert.Equal(312.5, run.ClusterCategoryWireBytesPerSample("sync")!.Value, 9);
        Assert.Equal(30600.0 / 27280, run.ClusterOverhead!.Value, 12);

        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        Assert.Equal(0, await CompareCommand.RunAsync(CompareCommand.Parse([cluster, local, "--out", tmp["cmp"]]), stdout));
        string md = File.ReadAllText(Path.Combine(tmp["cmp"], Comparison.MarkdownFile));
        Assert.Contains("| cluster wire B/sample | cluster sync wire B/sample | wire/payload |", md, StringComparison.Ordinal);
        Assert.Contains("| 2.00 kB | 312 B | 1.122× |", md, StringComparison.Ordinal);
        Assert.Contains("|  |  |  |", md, StringComparison.Ordinal);

        var rows = Cli.ReadCsv(Path.Combine(tmp["cmp"], Comparison.CsvFile), out _);
        Assert.Equal(("2000", "312.5", "1.12170088"), (rows[0]["cluster_wire_bytes_per_sample"], rows[0]["cluster_sync_wire_bytes_per_sample"], rows[0]["cluster_wire_overhead"]));
        Assert.Equal(("", "", ""), (rows[1]["cluster_wire_bytes_per_sample"], rows[1]["cluster_sync_wire_bytes_per_sample"], rows[1]["cluster_wire_overhead"]));
    }

    [Fact]
    public async Task CompareOfLocalRunsHasNoClusterColumns()
    {
        using var tmp = new TempDir();
        string a = HandWritten.OlderLocal(tmp["a"]), b = HandWritten.OlderLocal(tmp["b"]);
        Assert.Equal(0, await CompareCommand.RunAsync(CompareCommand.Parse([a, b, "--out", tmp["cmp"]]), TextWriter.Null));
        Assert.DoesNotContain("cluster wire", File.ReadAllText(Path.Combine(tmp["cmp"], Comparison.MarkdownFile)), StringComparison.Ordinal);
    }

    /// <summary>The text from <paramref name="heading"/> to the next heading.</summary>
    private static string Section(string md, string heading)
    {
        int start = md.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no '{heading}' in\n{md}");
        int end = md.IndexOf("\n#", start + heading.Length, StringComparison.Ordinal);
        return end < 0 ? md[start..] : md[start..end];
    }
}
