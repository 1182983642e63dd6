using System.Diagnostics;
using System.Text.Json;
using NodeMesh.TestSupport;

namespace NodeMesh.Integration.Tests;

/// <summary>
/// The root docker-compose.yml for real: a driver and two worker containers on the compose network,
/// a short training of each strategy, the run directory checked on the host, and `down` always.
/// Needs Docker, docker-compose (Debian's) or the compose plugin, and the image nodemesh:local
/// (deploy/base-image.sh builds it without any registry); skipped with the reason otherwise,
/// unless NODEMESH_REQUIRE_DOCKER=1.
/// </summary>
[Collection("processes")]
public sealed class ComposeTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string _runs = Cli.TempDir();
    private readonly string _project = "nmit" + Guid.NewGuid().ToString("N")[..8];
    private string[]? _compose;

    public void Dispose()
    {
        if (_compose is not null) _ = Run(_compose, ["-p", _project, "-f", ComposeFile, "down", "-v", "--remove-orphans", "-t", "5"], new Dictionary<string, string>(), TimeSpan.FromSeconds(120)).Result;
        try { Directory.Delete(_runs, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string ComposeFile => Path.Combine(Cli.RepoRoot, "docker-compose.yml");

    private static async Task<(int Code, string Output)> Run(string[] command, IEnumerable<string> args, IReadOnlyDictionary<string, string> env, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command.Skip(1).Concat(args)) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception) { return (-1, $"{command[0]} not found"); }
        using (p)
        {
            var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
            p.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
            p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            using var cts = new CancellationTokenSource(timeout);
            try { await p.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
                return (-2, $"timed out after {timeout.TotalSeconds:F0} s\n" + string.Join('\n', lines));
            }
            p.WaitForExit();
            return (p.ExitCode, string.Join('\n', lines));
        }
    }

    /// <summary>The compose command here: the plugin (`docker compose`) or Debian's docker-compose, if the daemon and the image are there.</summary>
    private async Task<string[]?> Compose()
    {
        var (info, _) = await Run(["docker"], ["info", "--format", "{{.ServerVersion}}"], new Dictionary<string, string>(), TimeSpan.FromSeconds(30));
        Requirements.Require(info == 0, Requirements.Docker, "Docker is not installed or its daemon is not reachable (sudo apt-get install docker.io docker-compose; sudo dockerd &)");
        var (image, _) = await Run(["docker"], ["image", "inspect", "nodemesh:local"], new Dictionary<string, string>(), TimeSpan.FromSeconds(30));
        Requirements.Require(image == 0, Requirements.Docker, "the image nodemesh:local is missing (build it with deploy/base-image.sh)");
        if ((await Run(["docker"], ["compose", "version"], new Dictionary<string, string>(), TimeSpan.FromSeconds(30))).Code == 0) return ["docker", "compose"];
        var (legacy, _) = await Run(["docker-compose"], ["version"], new Dictionary<string, string>(), TimeSpan.FromSeconds(30));
        Requirements.Require(legacy == 0, Requirements.Docker, "neither the docker compose plugin nor docker-compose is installed (sudo apt-get install docker-compose)");
        return ["docker-compose"];
    }

    [SkippableTheory]
    [InlineData("none", "--strategy none")]
    [InlineData("allreduce-tree", "--strategy allreduce --topology tree")]
    [InlineData("allreduce-star", "--strategy allreduce --topology star --every 2")]
    [InlineData("gossip-grid", "--strategy gossip --topology grid")]
    public async Task Compose_up_runs_a_driver_and_two_workers_and_leaves_the_run_directory_on_the_host(string name, string strategy)
    {
        var compose = await Compose() ?? throw new InvalidOperationException("no compose command");
        _compose = compose;
        // The containers run as uid 1000: let them write the mounted run folder.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_runs, (UnixFileMode)0x1FF);
        var env = new Dictionary<string, string>
        {
            ["NODEMESH_RUNS"] = _runs,
            ["NODEMESH_RUN"] = name,
            ["NODEMESH_WORKERS"] = "2",
            ["NODEMESH_TRAIN_ARGS"] = $"--arch conv3x3x4,relu,maxpool2,conv3x3x6,relu,maxpool2,dense10 --tile 7 --train-limit 128 --test-limit 50 --batch 16 {strategy}",
        };
        var (code, log) = await Run(compose, ["-p", _project, "-f", ComposeFile, "up", "--abort-on-container-exit", "--exit-code-from", "driver", "--scale", "worker=2"], env, TimeSpan.FromSeconds(300));
        output.WriteLine(log);
        Assert.True(code == 0, log);
        string summaryPath = Path.Combine(_runs, name, "summary.json");
        Assert.True(File.Exists(summaryPath), log);
        using var summary = JsonDocument.Parse(File.ReadAllText(summaryPath));
        Assert.Equal("completed", summary.RootElement.GetProperty("status").GetString());
        var members = summary.RootElement.GetProperty("cluster").GetProperty("members").EnumerateArray().ToList();
        Assert.Equal(3, members.Count);
        Assert.All(members, m => Assert.DoesNotMatch(@"^127\.", m.GetProperty("address").GetString()!)); // reachable container addresses
        Assert.Equal("driver:4053", members.Single(m => m.GetProperty("role").GetString() == "driver").GetProperty("address").GetString());
        Assert.True(File.Exists(Path.Combine(_runs, name, "report.md")));
        Assert.DoesNotContain("no font found", log);
    }

    private async Task<string> Logs(string[] compose, string service) =>
        (await Run(compose, ["-p", _project, "-f", ComposeFile, "logs", "--no-color", service], new Dictionary<string, string>(), TimeSpan.FromSeconds(60))).Output;

    /// <summary>
    /// Follows a container's log (<c>docker logs --follow</c>, which starts in well under a second even
    /// on a loaded machine, unlike Python's docker-compose): its lines as they come, woken by each new
    /// line, no polling.
    /// </summary>
    private static NodeProcess FollowLog(string container) =>
        NodeProcess.StartCommand($"log of container {container}", "docker", ["logs", "--follow", container]);

    /// <summary>The ids of this project's containers of one compose service (by compose's labels).</summary>
    private Task<string> Containers(string service) =>
        Docker("ps", "-q", "--filter", $"label=com.docker.compose.project={_project}", "--filter", $"label=com.docker.compose.service={service}");

    private static async Task<string> Docker(params string[] args)
    {
        var (code, output) = await Run(["docker"], args, new Dictionary<string, string>(), TimeSpan.FromSeconds(120));
        Assert.True(code == 0, $"docker {string.Join(' ', args)}: {output}");
        return output.Trim();
    }

    [SkippableFact]
    public async Task The_tls_profile_runs_the_members_over_mutual_tls()
    {
        var compose = await Compose() ?? throw new InvalidOperationException("no compose command");
        _compose = compose;
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_runs, (UnixFileMode)0x1FF);
        string certs = Path.Combine(_runs, "certs");
        Directory.CreateDirectory(certs);
        TlsTests.WriteCertificates(certs, "compose-ca", ["driver", "worker"], "ca.pem");
        var env = new Dictionary<string, string>
        {
            ["NODEMESH_RUNS"] = _runs,
            ["NODEMESH_RUN"] = "tls",
            ["NODEMESH_CERTS"] = certs,
            ["NODEMESH_TLS_PASSWORD"] = TlsTests.Password,
            ["NODEMESH_TRAIN_ARGS"] = "--arch conv3x3x4,relu,maxpool2,conv3x3x6,relu,maxpool2,dense10 --tile 7 --train-limit 128 --test-limit 50 --batch 16 --strategy allreduce --topology tree",
        };
        var (code, log) = await Run(compose, ["-p", _project, "-f", ComposeFile, "-f", Path.Combine(Cli.RepoRoot, "deploy", "compose.tls.yml"),
            "up", "--abort-on-container-exit", "--exit-code-from", "driver", "--scale", "worker=2"], env, TimeSpan.FromSeconds(300));
        output.WriteLine(log);
        Assert.True(code == 0, log);
        Assert.Contains("akka.ssl.tcp://nodemesh@driver:4053", log);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(_runs, "tls", "summary.json")));
        Assert.Equal(3, summary.RootElement.GetProperty("cluster").GetProperty("members").GetArrayLength());
    }

    [SkippableFact]
    public async Task A_compose_run_survives_a_killed_worker_and_a_partitioned_one_and_ends_with_the_uninterrupted_weights()
    {
        var compose = await Compose() ?? throw new InvalidOperationException("no compose command");
        _compose = compose;
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_runs, (UnixFileMode)0x1FF);
        // 250 steps (2 epochs of the embedded subset's 2,000 samples). Each fault is injected once the
        // driver has logged what comes before it (its log followed from before training starts), so
        // the run is still training then, even on a loaded machine.
        const string Args = "--arch conv3x3x4,relu,maxpool2,conv3x3x6,relu,maxpool2,dense10 --tile 7 --train-limit 2000 --epochs 2 --test-limit 50 --batch 16 --strategy allreduce --topology tree";
        // The uninterrupted reference, from the same image (the same binary as the members).
        await Docker(["run", "--rm", "-v", $"{_runs}:/work/runs", "nodemesh:local", "train", .. Args.Split(' '), "--quiet", "--out", "/work/runs/reference", "--save", "/work/runs/reference.safetensors"]);

        var env = new Dictionary<string, string>
        {
            ["NODEMESH_RUNS"] = _runs,
            ["NODEMESH_RUN"] = "faults",
            ["NODEMESH_WORKERS"] = "3",
            ["NODEMESH_TRAIN_ARGS"] = $"{Args} --checkpoint-every 5 --on-member-lost resume --save /work/runs/faults.safetensors",
        };
        var (up, upLog) = await Run(compose, ["-p", _project, "-f", ComposeFile, "up", "-d", "--scale", "worker=3"], env, TimeSpan.FromSeconds(120));
        Assert.True(up == 0, upLog);
        // Follow the driver before anything else: it must be attached while the driver still waits for its workers.
        string driver = await Containers("driver");
        using var log = FollowLog(driver);
        var workers = (await Containers("worker")).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        Assert.Equal(3, workers.Count);

        await log.WaitForLine(@"checkpoint at step 10 ", TimeSpan.FromSeconds(240));
        await Docker("kill", workers[0]);                                    // a crash
        output.WriteLine($"killed worker {workers[0]} at {DateTime.UtcNow:HH:mm:ss.fff} UTC");
        // The second fault only after the first is handled: the loss logged, then a checkpoint of the run on 2 members.
        await log.WaitForLines([@"checkpoint at step 10 ", @"lost member .*continuing on 2 member\(s\)", @"checkpoint at step \d+ "], TimeSpan.FromSeconds(240));
        string network = await Docker("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}", workers[1]);
        await Docker("network", "disconnect", network, workers[1]);          // a partition
        output.WriteLine($"disconnected worker {workers[1]} from {network} at {DateTime.UtcNow:HH:mm:ss.fff} UTC");

        var (waited, code) = await Run(["docker"], ["wait", driver], new Dictionary<string, string>(), TimeSpan.FromSeconds(400));
        string driverLog = await Logs(compose, "driver");
        output.WriteLine(driverLog);
        Assert.True(waited == 0 && code.Trim() == "0", $"driver exit {code}\n{driverLog}");
        Assert.Equal(File.ReadAllBytes(Path.Combine(_runs, "reference.safetensors")), File.ReadAllBytes(Path.Combine(_runs, "faults.safetensors")));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(_runs, "faults", "summary.json")));
        var recoveries = summary.RootElement.GetProperty("epochs").EnumerateArray()
            .Where(e => e.TryGetProperty("recoveries", out _)).SelectMany(e => e.GetProperty("recoveries").EnumerateArray()).ToList();
        Assert.Equal(2, recoveries.Count);
        Assert.Equal([2, 1], recoveries.Select(r => r.GetProperty("members").GetInt32()));
    }
}
