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
}
