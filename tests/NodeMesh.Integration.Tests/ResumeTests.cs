using System.Text.Json;

namespace NodeMesh.Integration.Tests;

/// <summary>
/// Checkpoints with real processes: a run killed mid-epoch and continued with --resume, and a
/// cluster run that loses a worker and continues on the others (--on-member-lost resume), both
/// end with the weights of an uninterrupted run, bit for bit.
/// </summary>
[Collection("processes")]
public sealed class ResumeTests : ProcessTest
{
    private static readonly string[] Args =
        ["--arch", "conv3x3x4,relu,maxpool2,conv3x3x6,relu,maxpool2,dense10", "--tile", "7", "--train-limit", "1024", "--test-limit", "50",
         "--batch", "16", "--epochs", "2", "--strategy", "allreduce", "--topology", "tree", "--quiet"];


    private async Task<string> Uninterrupted()
    {
        string path = Path.Combine(Dir, "uninterrupted.safetensors");
        var run = Start("uninterrupted", ["train", .. Args, "--out", Path.Combine(Dir, "uninterrupted"), "--save", path]);
        Assert.True(await run.WaitForExit(TimeSpan.FromSeconds(240)) == 0, run.Output);
        return path;
    }

    [Fact]
    public async Task A_run_killed_mid_epoch_and_resumed_from_its_checkpoint_ends_with_the_uninterrupted_weights()
    {
        string expected = await Uninterrupted();
        string dir = Path.Combine(Dir, "killed"), saved = Path.Combine(Dir, "resumed.safetensors");
        var run = Start("run", ["train", .. Args, "--out", dir, "--save", saved, "--checkpoint-every", "7"]);
        await run.WaitForLine(@"checkpoint at step 42 \(epoch 1", TimeSpan.FromSeconds(240));
        run.Kill(); // as a crash would: no goodbye, the checkpoint file is whatever was last renamed into place
        await run.WaitForExit(TimeSpan.FromSeconds(30));

        var resumed = Start("resumed", "train", "--resume", dir, "--quiet");
        Assert.True(await resumed.WaitForExit(TimeSpan.FromSeconds(240)) == 0, resumed.Output);
        Assert.Matches(@"resuming .* at step (42|49|56)", resumed.Output);
        Assert.Equal(File.ReadAllBytes(expected), File.ReadAllBytes(saved));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        Assert.Equal(2, summary.RootElement.GetProperty("epochs").GetArrayLength());
        Assert.Equal(1 + 2 * (1 + 3) * 4, File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Length); // header + 2 epochs × (all + 3 layers) × 4 categories, none doubled
    }

    [Fact]
    public async Task A_damaged_checkpoint_is_refused_with_a_clear_error_and_nothing_is_trained()
    {
        string dir = Path.Combine(Dir, "damaged");
        var run = Start("run", ["train", .. Cli.With(Args, "--epochs", "1"), "--out", dir, "--checkpoint-every", "20"]);
        await run.WaitForLine("checkpoint at step 20", TimeSpan.FromSeconds(240));
        run.Kill();
        await run.WaitForExit(TimeSpan.FromSeconds(30));
        string checkpoint = Path.Combine(dir, "checkpoint.nmck");
        var bytes = File.ReadAllBytes(checkpoint);
        File.WriteAllBytes(checkpoint, bytes[..(bytes.Length / 2)]);
        var resumed = Start("resumed", "train", "--resume", dir);
        Assert.Equal(2, await resumed.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("the checkpoint is corrupted or truncated", resumed.Output);
        Assert.False(File.Exists(Path.Combine(dir, "summary.json")));
    }

    [Fact]
    public async Task A_cluster_run_that_loses_a_worker_continues_on_the_others_and_ends_with_the_uninterrupted_weights()
    {
        string expected = await Uninterrupted();
        var first = Start("worker 0", "node", "--host", "127.0.0.1", "--port", "0");
        string seed = (await first.WaitForLine(@"worker (akka\.tcp://nodemesh@127\.0\.0\.1:\d+) started", TimeSpan.FromSeconds(60))).Groups[1].Value;
        var victim = Start("worker 1", "node", "--host", "127.0.0.1", "--port", "0", "--seeds", seed);
        var third = Start("worker 2", "node", "--host", "127.0.0.1", "--port", "0", "--seeds", seed);
        string victimAddress = (await victim.WaitForLine(@"worker akka\.tcp://nodemesh@(127\.0\.0\.1:\d+) started", TimeSpan.FromSeconds(60))).Groups[1].Value;
        string dir = Path.Combine(Dir, "cluster"), saved = Path.Combine(Dir, "cluster.safetensors");
        var driver = Start("driver", ["train", .. Args, "--workers", "3", "--seeds", seed, "--checkpoint-every", "10", "--on-member-lost", "resume",
            "--out", dir, "--save", saved]);
        await driver.WaitForLine("checkpoint at step 20", TimeSpan.FromSeconds(240));
        victim.Kill();
        Assert.True(await driver.WaitForExit(TimeSpan.FromSeconds(300)) == 0, driver.Output);
        Assert.Equal(File.ReadAllBytes(expected), File.ReadAllBytes(saved));
        Assert.Contains($"lost member {victimAddress}", driver.Output);
        Assert.Matches(@"continued on 2 member\(s\) from the checkpoint of step \d+: \d+ step\(s\) redone", driver.Output);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var recovery = summary.RootElement.GetProperty("epochs").EnumerateArray()
            .Where(e => e.TryGetProperty("recoveries", out _)).SelectMany(e => e.GetProperty("recoveries").EnumerateArray()).Single();
        Assert.Equal(victimAddress, recovery.GetProperty("member").GetString());
        Assert.Equal(2, recovery.GetProperty("members").GetInt32());
        foreach (var w in new[] { first, third }) Assert.Equal(0, await w.WaitForExit(TimeSpan.FromSeconds(60)));
    }
}
