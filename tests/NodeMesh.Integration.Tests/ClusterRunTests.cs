using System.Text.Json;

namespace NodeMesh.Integration.Tests;

/// <summary>Process-level tests run one at a time: they start several CPU-hungry processes each.</summary>
[CollectionDefinition("processes", DisableParallelization = true)]
public sealed class ProcessCollection;

/// <summary>
/// Cluster mode with real processes on loopback: workers started with <c>nodemesh node</c>, a
/// driver with <c>nodemesh train --workers N</c>, and the one-command <c>nodemesh cluster</c>.
/// </summary>
[Collection("processes")]
public sealed class ClusterRunTests : ProcessTest
{
    private static readonly TimeSpan RunBound = TimeSpan.FromSeconds(240);

    /// <summary>Starts <paramref name="count"/> workers: the first forms the cluster, the others join it; returns them and the seed address.</summary>
    private async Task<(List<NodeProcess> Workers, string Seed)> StartWorkers(int count)
    {
        var first = Start("worker 0", "node", "--host", "127.0.0.1", "--port", "0");
        string seed = (await first.WaitForLine(@"worker (akka\.tcp://nodemesh@127\.0\.0\.1:\d+) started", TimeSpan.FromSeconds(60))).Groups[1].Value;
        var workers = new List<NodeProcess> { first };
        for (int i = 1; i < count; i++) workers.Add(Start($"worker {i}", "node", "--host", "127.0.0.1", "--port", "0", "--seeds", seed));
        return (workers, seed);
    }

    private static (string Strategy, string[] Args) Strategy(string name) => name switch
    {
        "none" => (name, ["--strategy", "none"]),
        "allreduce-tree" => (name, ["--strategy", "allreduce", "--topology", "tree"]),
        "allreduce-star" => (name, ["--strategy", "allreduce", "--topology", "star"]),
        "allreduce-ring-every3" => (name, ["--strategy", "allreduce", "--topology", "ring", "--every", "3"]),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("none", 2, "block")]
    [InlineData("allreduce-tree", 1, "block")]
    [InlineData("allreduce-tree", 2, "block")]
    [InlineData("allreduce-star", 2, "round-robin")]
    [InlineData("allreduce-ring-every3", 3, "stripe")]
    public async Task Deterministic_strategies_train_the_same_weights_on_workers_as_locally_and_count_the_bytes_that_cross(string strategy, int workers, string placement)
    {
        var (_, args) = Strategy(strategy);
        string local = Path.Combine(Dir, "local.safetensors"), remote = Path.Combine(Dir, "cluster.safetensors");
        var reference = Start("local", ["train", .. Cli.Small, .. args, "--save", local, "--out", Path.Combine(Dir, "local")]);
        Assert.True(await reference.WaitForExit(RunBound) == 0, reference.Output);

        var (nodes, seed) = await StartWorkers(workers);
        var driver = Start("driver", ["train", .. Cli.Small, .. args, "--workers", workers.ToString(), "--seeds", seed, "--placement", placement,
            "--save", remote, "--out", Path.Combine(Dir, "cluster")]);
        int code = await driver.WaitForExit(RunBound);
        Assert.True(code == 0, driver.Output);
        foreach (var w in nodes) Assert.True(await w.WaitForExit(TimeSpan.FromSeconds(60)) == 0, w.Output);

        Assert.Equal(File.ReadAllBytes(local), File.ReadAllBytes(remote)); // bit for bit

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "cluster", "summary.json")));
        var root = summary.RootElement;
        Assert.Equal("completed", root.GetProperty("status").GetString());
        var cluster = root.GetProperty("cluster");
        var members = cluster.GetProperty("members").EnumerateArray().ToList();
        Assert.Equal(workers + 1, members.Count);
        Assert.All(members, m => Assert.Matches(@"^127\.0\.0\.1:\d+$", m.GetProperty("address").GetString()!));
        Assert.Equal(root.GetProperty("config").GetProperty("units").GetInt32(), members.Sum(m => m.GetProperty("units").GetInt32()));
        // Every member process reports its own peak resident set (a .NET process with Akka holds tens of MB at least).
        Assert.All(members, m => Assert.InRange(m.GetProperty("peak_rss_bytes").GetInt64(), 20L << 20, 24L << 30));
        Assert.Contains("cluster peak RSS: driver ", driver.Output, StringComparison.Ordinal);
        Assert.True(cluster.GetProperty("wire_bytes").GetInt64() > cluster.GetProperty("payload_bytes").GetInt64());
        var epoch = cluster.GetProperty("epochs")[0];
        var categories = epoch.GetProperty("categories");
        var types = epoch.GetProperty("types").EnumerateObject().ToList();
        foreach (var c in new[] { "activation", "error", "sync", "control" })
        {
            var cat = categories.GetProperty(c);
            long messages = cat.GetProperty("messages").GetInt64(), payload = cat.GetProperty("payload_bytes").GetInt64(), wire = cat.GetProperty("wire_bytes").GetInt64();
            Assert.True(wire >= payload, $"{c}: wire {wire} < payload {payload}");
            var of = types.Where(t => Category(t.Name) == c).ToList();
            Assert.Equal(messages, of.Sum(t => t.Value.GetProperty("messages").GetInt64()));
            Assert.Equal(payload, of.Sum(t => t.Value.GetProperty("payload_bytes").GetInt64()));
            Assert.Equal(wire, of.Sum(t => t.Value.GetProperty("wire_bytes").GetInt64()));
        }
        // The driver injects images and exchanges logits with the workers: activations always cross.
        Assert.True(categories.GetProperty("activation").GetProperty("messages").GetInt64() > 0);
        long sync = categories.GetProperty("sync").GetProperty("messages").GetInt64();
        if (strategy == "none" || workers == 1) Assert.Equal(0, sync); // one worker holds every map: tying never leaves it
        else Assert.True(sync > 0, "the maps span workers, so tying messages must cross");
        Assert.True(cluster.GetProperty("housekeeping_wire_bytes").GetInt64() > 0); // handshakes, heartbeats, cluster gossip over the run (a short epoch may hold none)
        Assert.True(epoch.GetProperty("housekeeping").GetProperty("wire_bytes").GetInt64() >= 0);
        // Logical fabric counts do not depend on where the tiles run.
        using var localSummary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "local", "summary.json")));
        foreach (var c in new[] { "activation", "error", "sync" })
            Assert.Equal(localSummary.RootElement.GetProperty("epochs")[0].GetProperty("traffic").GetProperty(c).GetProperty("messages").GetInt64(),
                root.GetProperty("epochs")[0].GetProperty("traffic").GetProperty(c).GetProperty("messages").GetInt64());
    }

    private static string Category(string manifest) => manifest switch
    {
        "ap" or "lp" => "activation",
        "ep" => "error",
        "sp" or "sr" or "go" or "gr" or "gd" or "gl" => "sync",
        _ => "control",
    };

    [Fact]
    public async Task Gossip_completes_on_the_one_command_cluster_and_no_worker_outlives_it()
    {
        var run = Start("cluster", ["cluster", "--workers", "2", "train", .. Cli.Small, "--strategy", "gossip", "--topology", "grid", "--out", Path.Combine(Dir, "gossip")]);
        int code = await run.WaitForExit(RunBound);
        Assert.True(code == 0, run.Output);
        var pids = System.Text.RegularExpressions.Regex.Matches(run.Output, @"worker \d exited with code 0");
        Assert.Equal(2, pids.Count);
        Assert.Empty(WorkersOf(run.Id));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "gossip", "summary.json")));
        var epoch = summary.RootElement.GetProperty("epochs")[0];
        Assert.True(epoch.GetProperty("consensus").GetProperty("conv1").GetProperty("xi2").GetDouble() >= 0);
        Assert.True(summary.RootElement.GetProperty("cluster").GetProperty("epochs")[0].GetProperty("categories").GetProperty("sync").GetProperty("messages").GetInt64() > 0);
    }

    /// <summary>Processes started with --exit-with-pid <paramref name="parent"/> that are still alive.</summary>
    private static List<int> WorkersOf(int parent)
    {
        var alive = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            string cmd;
            try { cmd = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' '); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            if (cmd.Contains("nodemesh.dll node", StringComparison.Ordinal) && cmd.Contains($"--exit-with-pid {parent}", StringComparison.Ordinal)) alive.Add(pid);
        }
        return alive;
    }

    [Fact]
    public async Task Killing_a_worker_mid_run_ends_the_run_within_the_bound_naming_the_lost_member()
    {
        var (nodes, seed) = await StartWorkers(2);
        var driver = Start("driver", ["train", "--arch", "conv3x3x4,relu,maxpool2,conv3x3x6,relu,maxpool2,dense10", "--tile", "7", "--train-limit", "60000",
            "--batch", "16", "--quiet", "--strategy", "allreduce", "--topology", "tree", "--workers", "2", "--seeds", seed, "--out", Path.Combine(Dir, "killed")]);
        var member = await driver.WaitForLine(@"member (127\.0\.0\.1:\d+) \(worker\)", TimeSpan.FromSeconds(120));
        await driver.WaitForLine(@"^  member .*\(worker\)", TimeSpan.FromSeconds(10));
        var victim = nodes[1];
        var victimAddress = (await victim.WaitForLine(@"worker akka\.tcp://nodemesh@(127\.0\.0\.1:\d+) started", TimeSpan.FromSeconds(5))).Groups[1].Value;
        var killedAt = DateTime.UtcNow;
        victim.Kill();
        int code = await driver.WaitForExit(TimeSpan.FromSeconds(60));
        var stopped = DateTime.UtcNow - killedAt;
        Assert.True(code == 1, driver.Output);
        Assert.Contains($"lost member {victimAddress}", driver.Output);
        Assert.True(stopped < TimeSpan.FromSeconds(45), $"the driver took {stopped.TotalSeconds:F0} s to stop");
        Assert.NotEqual(0, await nodes[0].WaitForExit(TimeSpan.FromSeconds(60))); // the survivor exits too, saying the run failed
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "killed", "summary.json")));
        Assert.Equal("failed", summary.RootElement.GetProperty("status").GetString());
        Assert.Contains(victimAddress, summary.RootElement.GetProperty("failure").GetString());
        _ = member;
    }

    [Fact]
    public async Task A_driver_whose_workers_never_come_gives_up_after_the_join_timeout_saying_what_is_missing()
    {
        var driver = Start("driver", ["train", .. Cli.Small, "--workers", "2", "--join-timeout", "4", "--out", Path.Combine(Dir, "alone")]);
        Assert.Equal(2, await driver.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Matches(@"error: waited 4 s for 2 worker\(s\); 0 Up.*missing 2\. Start each with: nodemesh node --seeds akka\.tcp://nodemesh@", driver.Output);
        Assert.False(Directory.Exists(Path.Combine(Dir, "alone")), "a refused run leaves no folder"); // so the same --out works once the workers are there
    }

    [Fact]
    public async Task A_worker_whose_frames_are_too_small_for_the_runs_largest_message_is_refused_before_training()
    {
        var worker = Start("worker", "node", "--host", "127.0.0.1", "--port", "0", "--max-frame-size", "40000");
        string seed = (await worker.WaitForLine(@"worker (akka\.tcp://nodemesh@127\.0\.0\.1:\d+) started", TimeSpan.FromSeconds(60))).Groups[1].Value;
        var driver = Start("driver", ["train", .. Cli.Small, "--workers", "1", "--seeds", seed, "--out", Path.Combine(Dir, "frames")]);
        Assert.Equal(2, await driver.WaitForExit(RunBound));
        Assert.Matches(@"error: the largest message of this run is .*bytes; worker 127\.0\.0\.1:\d+ accepts frames up to 40,000 bytes\. Restart the workers with --max-frame-size \d+ \(or NODEMESH_MAX_FRAME_SIZE\)", driver.Output); // a value the option takes
        Assert.False(Directory.Exists(Path.Combine(Dir, "frames")), "a refused run leaves no folder");
        Assert.Equal(1, await worker.WaitForExit(TimeSpan.FromSeconds(30))); // told that the run will not happen
    }

    [Fact]
    public async Task A_worker_with_a_malformed_seed_address_stops_with_a_clear_error()
    {
        var worker = Start("worker", "node", "--seeds", "tcp://somewhere:4053");
        Assert.Equal(2, await worker.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("error: --seeds 'tcp://somewhere:4053'", worker.Output);
    }
}
