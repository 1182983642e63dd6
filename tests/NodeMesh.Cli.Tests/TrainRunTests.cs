using System.Text.Json;

namespace NodeMesh.Cli.Tests;

/// <summary>End-to-end <c>nodemesh train</c> runs of a tiny network on the embedded subset.</summary>
public class TrainRunTests
{
    private static readonly string[] Layers = ["all", "conv1", "dense1"];
    private static readonly string[] Categories = ["activation", "error", "sync", "control"];
    private static readonly string[] TimingColumns = ["train_seconds", "samples_per_second"];

    [Fact]
    public async Task TrainWritesConfigMetricsSummaryAndPrintsProgress()
    {
        using var tmp = new TempDir();
        string run = tmp["run"];
        var r = await Cli.TrainAsync("--epochs", "2", "--out", run);
        Assert.True(r.Code == 0, r.ToString());
        Assert.Empty(r.Err); // --quiet: no progress bar

        // config.json
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json"))))
        {
            var c = config.RootElement;
            Assert.Equal(Cli.TinyArch, c.GetProperty("arch").GetString());
            Assert.Equal("none", c.GetProperty("strategy").GetString());
            Assert.Equal(JsonValueKind.Null, c.GetProperty("topology").ValueKind);
            Assert.Equal(2, c.GetProperty("epochs").GetInt32());
            Assert.Equal(16, c.GetProperty("batch").GetInt32());
            Assert.Equal(1, c.GetProperty("seed").GetInt32());
            Assert.Equal(64, c.GetProperty("train_limit").GetInt32());
            Assert.Equal(50, c.GetProperty("test_limit").GetInt32());
            Assert.Equal("embedded", c.GetProperty("data").GetString());
            Assert.Equal(2 * 28 * 28 + 10, c.GetProperty("units").GetInt32());
            var layers = c.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("name").GetString()!).ToArray();
            Assert.Equal(["conv1", "dense1"], layers);
        }

        // metrics.csv
        var rows = Cli.ReadCsv(Path.Combine(run, "metrics.csv"), out string header);
        Assert.Equal(NodeMesh.Cli.Records.MetricsRow.Header, header);
        Assert.Equal(2 * Layers.Length * Categories.Length, rows.Count);
        for (int epoch = 1; epoch <= 2; epoch++)
        {
            var ofEpoch = rows.Where(x => x["epoch"] == epoch.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(Layers.Length * Categories.Length, ofEpoch.Count);
            foreach (var layer in Layers)
                foreach (var cat in Categories)
                    Assert.Single(ofEpoch, x => x["layer"] == layer && x["category"] == cat);
            // the epoch's losses and accuracies are on every row of the epoch
            Assert.Single(ofEpoch.Select(x => x["train_loss"]).Distinct());
            Assert.Single(ofEpoch.Select(x => x["test_accuracy"]).Distinct());
            double loss = Cli.D(ofEpoch[0]["train_loss"]);
            Assert.InRange(loss, 0.5, 5.0);
            Assert.InRange(Cli.D(ofEpoch[0]["test_accuracy"]), 0.0, 1.0);
            // activation traffic is counted for every layer; the "all" row is the sum of the layers
            foreach (var cat in Categories)
            {
                long all = long.Parse(ofEpoch.Single(x => x["layer"] == "all" && x["category"] == cat)["messages"], System.Globalization.CultureInfo.InvariantCulture);
                long sum = ofEpoch.Where(x => x["layer"] != "all" && x["category"] == cat)
                    .Sum(x => long.Parse(x["messages"], System.Globalization.CultureInfo.InvariantCulture));
                Assert.Equal(sum, all);
            }
            Assert.True(Cli.D(ofEpoch.Single(x => x["layer"] == "conv1" && x["category"] == "activation")["messages"]) > 0);
        }

        // summary.json
        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json"))))
        {
            var s = summary.RootElement;
            double acc = s.GetProperty("final_test_accuracy").GetDouble();
            Assert.InRange(acc, 0.0, 1.0);
            var lastRow = rows.First(x => x["epoch"] == "2");
            Assert.Equal(Cli.D(lastRow["test_accuracy"]), acc, 1e-6);
            Assert.Equal(Cli.D(lastRow["train_loss"]), s.GetProperty("final_train_loss").GetDouble(), 1e-6);
            Assert.Equal(2, s.GetProperty("epochs").GetArrayLength());
            Assert.Equal(Cli.TinyArch, s.GetProperty("config").GetProperty("arch").GetString());
        }

        // stdout: header, one line per epoch, the summary table and where the results are
        Assert.Contains("NodeMesh train: none on embedded Fashion-MNIST subset", r.Out, StringComparison.Ordinal);
        Assert.Contains("64 train / 50 test samples, batch 16", r.Out, StringComparison.Ordinal);
        Assert.Contains("epoch 1: train loss ", r.Out, StringComparison.Ordinal);
        Assert.Contains("epoch 2: train loss ", r.Out, StringComparison.Ordinal);
        Assert.Contains("  traffic: activation ", r.Out, StringComparison.Ordinal);
        Assert.Contains($"Summary (none, {Cli.TinyArch})", r.Out, StringComparison.Ordinal);
        Assert.Contains("| epoch | train loss | test acc |", r.Out, StringComparison.Ordinal);
        var tableRows = r.Out.Split('\n').Where(l => l.StartsWith("| 1 |", StringComparison.Ordinal) || l.StartsWith("| 2 |", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, tableRows.Count);
        Assert.Contains(Path.Combine(run, "summary.json"), r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProgressBarGoesToStderrWithoutQuiet()
    {
        using var tmp = new TempDir();
        var r = await Cli.RunAsync("train", "--arch", Cli.TinyArch, "--train-limit", "32", "--test-limit", "20", "--batch", "16", "--out", tmp["run"]);
        Assert.True(r.Code == 0, r.ToString());
        Assert.Contains("epoch 1/1", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch 1/1 [", r.Out, StringComparison.Ordinal);
    }

    private static List<string[]> WithoutTiming(string csvPath)
    {
        var lines = File.ReadAllLines(csvPath);
        var names = lines[0].Split(',');
        var drop = TimingColumns.Select(c => Array.IndexOf(names, c)).ToHashSet();
        Assert.DoesNotContain(-1, drop);
        return lines.Select(l => l.Split(',').Where((_, i) => !drop.Contains(i)).ToArray()).ToList();
    }

    [Theory]
    [InlineData("none")]
    [InlineData("allreduce")]
    public async Task SameSeedGivesTheSameMetrics(string strategy)
    {
        using var tmp = new TempDir();
        string[] opts = ["--epochs", "2", "--seed", "7", "--strategy", strategy];
        var a = await Cli.TrainAsync([.. opts, "--out", tmp["a"]]);
        var b = await Cli.TrainAsync([.. opts, "--out", tmp["b"]]);
        Assert.True(a.Code == 0, a.ToString());
        Assert.True(b.Code == 0, b.ToString());
        var ra = WithoutTiming(Path.Combine(tmp["a"], "metrics.csv"));
        var rb = WithoutTiming(Path.Combine(tmp["b"], "metrics.csv"));
        Assert.Equal(ra.Count, rb.Count);
        for (int i = 0; i < ra.Count; i++)
            Assert.Equal(string.Join(',', ra[i]), string.Join(',', rb[i]));
    }

    [Fact]
    public async Task DifferentSeedGivesDifferentLosses()
    {
        using var tmp = new TempDir();
        var a = await Cli.TrainAsync("--seed", "1", "--out", tmp["a"]);
        var b = await Cli.TrainAsync("--seed", "2", "--out", tmp["b"]);
        Assert.True(a.Code == 0, a.ToString());
        Assert.True(b.Code == 0, b.ToString());
        string Loss(string dir, string column) => Cli.ReadCsv(Path.Combine(dir, "metrics.csv"), out _)[0][column];
        Assert.NotEqual(Loss(tmp["a"], "train_loss"), Loss(tmp["b"], "train_loss"));
        Assert.NotEqual(Loss(tmp["a"], "test_loss"), Loss(tmp["b"], "test_loss"));
    }

    private static long Messages(List<Dictionary<string, string>> rows, string epoch, string layer, string category) =>
        long.Parse(rows.Single(x => x["epoch"] == epoch && x["layer"] == layer && x["category"] == category)["messages"],
            System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task AllReduceTreeReportsSyncTrafficAndNoneReportsNone()
    {
        using var tmp = new TempDir();
        var tied = await Cli.TrainAsync("--strategy", "allreduce", "--topology", "tree", "--epochs", "2", "--out", tmp["tree"]);
        var free = await Cli.TrainAsync("--strategy", "none", "--epochs", "2", "--out", tmp["none"]);
        Assert.True(tied.Code == 0, tied.ToString());
        Assert.True(free.Code == 0, free.ToString());

        var treeRows = Cli.ReadCsv(Path.Combine(tmp["tree"], "metrics.csv"), out _);
        var noneRows = Cli.ReadCsv(Path.Combine(tmp["none"], "metrics.csv"), out _);
        foreach (var epoch in new[] { "1", "2" })
        {
            Assert.True(Messages(treeRows, epoch, "all", "sync") > 0, "allreduce/tree must report sync messages");
            Assert.True(Messages(treeRows, epoch, "conv1", "sync") > 0, "the conv layer is the one tied");
            Assert.Equal(0, Messages(treeRows, epoch, "dense1", "sync"));
            Assert.All(noneRows.Where(x => x["epoch"] == epoch && x["category"] == "sync"), x =>
            {
                Assert.Equal("0", x["messages"]);
                Assert.Equal("0", x["payload_bytes"]);
            });
        }
        // exact tying keeps the conv copies identical: consensus distance 0
        Assert.All(treeRows.Where(x => x["layer"] == "conv1"), x => Assert.Equal(0.0, Cli.D(x["consensus_xi2"])));

        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(tmp["tree"], "config.json"))))
        {
            Assert.Equal("allreduce", config.RootElement.GetProperty("strategy").GetString());
            Assert.Equal("tree", config.RootElement.GetProperty("topology").GetString());
        }
        Assert.Contains("Summary (allreduce/tree/sum/every1,", tied.Out, StringComparison.Ordinal);
    }

    /// <summary>
    /// --fabric-cast multicast is recorded (config.json, report.md, the run's header line) and
    /// changes only the transport counts: per sample the activation byte-hops are the closed-form
    /// trees of the tiny net, fewer than unicast's, and so is the transport energy.
    /// </summary>
    [Fact]
    public async Task FabricCastIsRecordedAndMulticastMovesFewerByteHops()
    {
        using var tmp = new TempDir();
        var uni = await Cli.TrainAsync("--out", tmp["uni"]);
        var multi = await Cli.TrainAsync("--fabric-cast", "multicast", "--out", tmp["multi"]);
        Assert.True(uni.Code == 0, uni.ToString());
        Assert.True(multi.Code == 0, multi.ToString());
        Assert.Contains("1 hop(s) between layers, multicast", multi.Out, StringComparison.Ordinal);
        Assert.Contains("| fabric_cast | multicast |", File.ReadAllText(Path.Combine(tmp["multi"], "report.md")), StringComparison.Ordinal);

        (string Cast, double ActivationByteHops, double Transport) Read(string dir)
        {
            using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json")));
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            var e = summary.RootElement.GetProperty("epochs")[0];
            var energy = summary.RootElement.GetProperty("energy_pj_per_sample");
            return (config.RootElement.GetProperty("fabric_cast").GetString()!,
                e.GetProperty("traffic").GetProperty("activation").GetProperty("byte_hops_per_sample").GetDouble(),
                energy.GetProperty("activation_transport").GetDouble() + energy.GetProperty("error_transport").GetDouble());
        }
        var u = Read(tmp["uni"]);
        var m = Read(tmp["multi"]);
        Assert.Equal("unicast", u.Cast);
        Assert.Equal("multicast", m.Cast);
        var plan = Core.Model.NetworkPlan.Build(Core.Model.ArchSpec.Parse(Cli.TinyArch));
        var layout = new Core.Fabric.FabricLayout(plan, new Core.Fabric.FabricOptions(Cast: Core.Fabric.FabricCast.Multicast));
        Assert.Equal(plan.Layers.Sum(l => layout.LayerTraffic(l.Index, 1).Activation.ByteHops), m.ActivationByteHops, 9);
        Assert.True(m.ActivationByteHops < u.ActivationByteHops, $"multicast {m.ActivationByteHops}, unicast {u.ActivationByteHops}");
        Assert.True(m.Transport < u.Transport, $"multicast {m.Transport} pJ, unicast {u.Transport} pJ");
    }
}
