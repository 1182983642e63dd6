using System.Text.Json;
using NodeMesh.Cli.Records;
using NodeMesh.Cli.Reports;
using NodeMesh.Cli.Tests.Reports;
using NodeMesh.Core;
using NodeMesh.Core.Data;
using NodeMesh.Core.Model;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;

namespace NodeMesh.Cli.Tests.Records;

/// <summary>config.json and summary.json through the typed records: the names train writes, lossless reading, and every run in docs/ still loads.</summary>
public class RunJsonTests(TinyRuns runs) : IClassFixture<TinyRuns>
{
    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NodeMesh.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException($"NodeMesh.sln not found above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// Every summary.json under docs/results and docs/sweep-full (written by earlier versions, some
    /// before the fabric, energy, device and cluster members existed) loads, and the typed values
    /// equal those in the raw JSON.
    /// </summary>
    [Fact]
    public void EveryRunDirectoryInDocsStillLoads()
    {
        string docs = Path.Combine(RepoRoot(), "docs");
        var dirs = new[] { "results", "sweep-full" }.SelectMany(d => Directory.GetFiles(Path.Combine(docs, d), "summary.json", SearchOption.AllDirectories))
            .Select(Path.GetDirectoryName).OfType<string>().ToList();
        Assert.True(dirs.Count >= 30, $"expected the committed result runs, found {dirs.Count}");
        foreach (var dir in dirs)
        {
            var run = RunData.Load(dir);
            using var raw = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            var s = raw.RootElement;
            Assert.Equal(s.GetProperty("final_test_accuracy").GetDouble(), run.FinalTestAccuracy);
            Assert.Equal(s.GetProperty("config").GetProperty("strategy").GetString(), run.Strategy);
            var epochs = s.GetProperty("epochs");
            Assert.Equal(epochs.GetArrayLength(), run.Epochs.Count);
            var last = epochs[epochs.GetArrayLength() - 1];
            Assert.Equal(last.GetProperty("traffic").GetProperty("sync").GetProperty("payload_bytes").GetInt64(), run.Epochs[^1].Traffic["sync"].PayloadBytes);
            Assert.Equal(s.TryGetProperty("energy_pj_per_sample", out _), run.HasEnergy);
            Assert.Equal(last.TryGetProperty("devices", out _), run.Epochs[^1].Devices is not null);
            Assert.Null(run.Cluster);
        }
    }

    /// <summary>What train wrote reads back into the records and writes out again character for character.</summary>
    [Fact]
    public void TrainedRunsRoundTripThroughTheRecords()
    {
        foreach (var dir in new[] { runs.None, runs.Star })
        {
            string summary = File.ReadAllText(Path.Combine(dir, "summary.json"));
            Assert.Equal(summary, RunJson.Serialize(RunJson.ReadSummary(summary)!));
            string config = File.ReadAllText(Path.Combine(dir, "config.json"));
            Assert.Equal(config, RunJson.Serialize(RunJson.ReadConfig(config)!));
        }
    }

    /// <summary>The names and order of the members train writes (those of the files before the records existed).</summary>
    [Fact]
    public void SummaryAndConfigKeepTheirNames()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(runs.Star, "summary.json")));
        var s = doc.RootElement;
        static string[] Keys(JsonElement e) => e.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["config", "status", "failure", "cluster", "final_test_accuracy", "final_test_loss", "final_train_loss", "wall_seconds",
            "energy_pj_per_sample", "lower_bounds", "baseline", "projected_step_time", "epochs"], Keys(s));
        Assert.Equal(["tool", "version", "commit", "mode", "workers", "placement", "arch", "strategy", "topology", "reduce", "every", "step_parity", "epochs", "batch", "lr", "seed", "shuffle",
            "train_limit", "test_limit", "train_samples", "test_samples", "tile_side", "fanout", "mix", "gossip_drop", "map_layout", "layer_hops", "fabric_cast", "energy_model", "latency_model", "device", "device_parameters",
            "data", "data_source", "init", "unit_init", "input", "synthetic", "units", "tiles", "unit_parameters", "shared_parameters", "layers", "started_utc"], Keys(s.GetProperty("config")));
        Assert.Equal("0.05", s.GetProperty("config").GetProperty("lr").GetRawText()); // float32 as trained, not widened to 0.0500000007
        Assert.Equal(Core.Fabric.EnergyModel.FieldNames, Keys(s.GetProperty("config").GetProperty("energy_model")));
        Assert.Equal(Core.Fabric.LatencyModel.FieldNames, Keys(s.GetProperty("config").GetProperty("latency_model")));
        Assert.Equal(["step_ns", "per_sample_ns", "forward_ns", "backward_ns", "device_writes_ns", "tying_ns", "epoch_samples", "epoch_seconds"],
            Keys(s.GetProperty("projected_step_time")));
        Assert.Equal(["name", "kind", "input", "output", "kernel", "units", "fan_in", "tiles"], Keys(s.GetProperty("config").GetProperty("layers")[0]));
        Assert.Equal(["compute", "device_writes", "activation_transport", "error_transport", "sync_transport", "total"], Keys(s.GetProperty("energy_pj_per_sample")));
        Assert.Equal(["exchanges_per_map", "measured_sync_bytes_per_unit", "min_sync_bytes_per_unit", "bytes_ratio", "measured_byte_hops", "min_byte_hops",
            "byte_hops_ratio"], Keys(s.GetProperty("lower_bounds").GetProperty("conv1")));
        Assert.Equal(["description", "macs_per_sample", "dram_bytes_per_sample", "sram_bytes_per_sample", "energy_pj_per_sample"], Keys(s.GetProperty("baseline")));
        Assert.Equal(["mac", "sram", "dram", "total"], Keys(s.GetProperty("baseline").GetProperty("energy_pj_per_sample")));
        var e = s.GetProperty("epochs")[0];
        Assert.Equal(["epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "samples", "steps", "train_seconds", "samples_per_second",
            "energy_pj_per_sample", "lower_bounds", "traffic", "layers", "consensus", "devices"], Keys(e));
        Assert.Equal(["activation", "error", "sync", "control"], Keys(e.GetProperty("traffic")));
        Assert.Equal(["messages", "payload_bytes", "byte_hops", "byte_hops_per_sample", "actor_messages", "dropped", "bytes_per_sample"], Keys(e.GetProperty("traffic").GetProperty("sync")));
        Assert.Equal(["messages", "payload_bytes", "byte_hops", "actor_messages", "dropped"], Keys(e.GetProperty("layers").GetProperty("conv1").GetProperty("sync")));
        Assert.Equal(["xi2", "snr"], Keys(e.GetProperty("consensus").GetProperty("conv1")));
        Assert.Equal("Infinity", e.GetProperty("consensus").GetProperty("conv1").GetProperty("snr").GetString()); // exact tying
        Assert.Equal(["all", "conv1", "dense1"], Keys(e.GetProperty("devices")));
        Assert.Equal(["devices", "update_pulses", "program_pulses", "pulses_mean_per_device", "pulses_max_per_device", "reads", "stuck_devices",
            "clipped_update_pulses", "clipped_program_pulses", "clipped_update_fraction", "clipped_program_fraction"],
            Keys(e.GetProperty("devices").GetProperty("all")));
        Assert.Equal(JsonValueKind.Null, s.GetProperty("cluster").ValueKind);
        Assert.Equal("completed", s.GetProperty("status").GetString());
    }

    /// <summary>A run that fails before its first epoch writes config, status, failure, cluster, wall time and no epochs; compare says why it cannot use it.</summary>
    [Fact]
    public void RunFailingBeforeAnEpochWritesOnlyWhatItKnows()
    {
        using var tmp = new TempDir();
        var options = new TrainOptions(Arch: Cli.TinyArch, Epochs: 1, Batch: 16, TrainLimit: 64, TestLimit: 50);
        var plan = NetworkPlan.Build(ArchSpec.Parse(options.Arch));
        var recorder = RunRecorder.Create(tmp["run"], options, plan, TilePlan.Build(plan), DatasetLoader.Load(null), null, null);
        recorder.Fail("member 1 stopped", 1.5);

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(tmp["run"], "summary.json")));
        Assert.Equal(["config", "status", "failure", "cluster", "wall_seconds", "epochs"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("failed", doc.RootElement.GetProperty("status").GetString());
        Assert.Equal(0, doc.RootElement.GetProperty("epochs").GetArrayLength());
        var e = Assert.Throws<UserInputException>(() => RunData.Load(tmp["run"]));
        Assert.Contains("the run stopped (failed) before it finished one (member 1 stopped)", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A summary whose configuration lacks a member every run has is refused with the file and the member named.</summary>
    [Fact]
    public void MissingRequiredSettingIsNamed()
    {
        using var tmp = new TempDir();
        string dir = HandWritten.Copy("cluster-run", tmp["c"]);
        string path = Path.Combine(dir, "summary.json");
        var s = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        s["config"]!.AsObject().Remove("arch");
        File.WriteAllText(path, s.ToJsonString());
        var e = Assert.Throws<UserInputException>(() => RunData.Load(dir));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("'arch'", e.Message, StringComparison.Ordinal);
    }
}
