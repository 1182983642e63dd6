using System.Runtime.InteropServices;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace NodeMesh.Integration.Tests;

/// <summary>
/// One real <c>nodemesh</c> process: output captured line by line, waits with deadlines that say
/// what was awaited, and the whole process tree killed on dispose (a test never leaves one behind).
/// </summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly SemaphoreSlim _signal = new(0);

    public string Name { get; }

    private NodeProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    /// <summary>Starts <c>dotnet nodemesh.dll args</c> with extra environment variables.</summary>
    public static NodeProcess Start(string name, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        var environment = new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" };
        if (env is not null) foreach (var (k, v) in env) environment[k] = v;
        return StartCommand(name, "dotnet", [Cli.Dll, .. args], environment, workingDirectory, clearNodeMeshEnvironment: true);
    }

    /// <summary>Starts any command (e.g. <c>docker compose logs --follow</c>) with the same line capture and cleanup.</summary>
    public static NodeProcess StartCommand(string name, string fileName, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null,
        string? workingDirectory = null, bool clearNodeMeshEnvironment = false)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (clearNodeMeshEnvironment)
            foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("NODEMESH_", StringComparison.Ordinal)).ToList()) psi.Environment.Remove(key);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var node = new NodeProcess(name, p);
        p.OutputDataReceived += (_, e) => node.Add(e.Data);
        p.ErrorDataReceived += (_, e) => node.Add(e.Data);
        if (!p.Start()) throw new InvalidOperationException($"could not start {name}");
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return node;
    }

    private void Add(string? line)
    {
        if (line is null) return;
        _lines.Enqueue(line);
        _signal.Release();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process printed so far.</summary>
    public string Output => string.Join('\n', _lines);

    /// <summary>Waits until a line matches <paramref name="pattern"/>; returns the match.</summary>
    public Task<Match> WaitForLine(string pattern, TimeSpan timeout) => WaitForLines([pattern], timeout);

    /// <summary>
    /// Waits until lines match <paramref name="patterns"/> in order: the first pattern on some line,
    /// the second on a later line, and so on. Returns the last pattern's match.
    /// </summary>
    public async Task<Match> WaitForLines(IReadOnlyList<string> patterns, TimeSpan timeout)
    {
        var regexes = patterns.Select(p => new Regex(p)).ToArray();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            int next = 0;
            foreach (var line in _lines)
                if (regexes[next].Match(line) is { Success: true } m && ++next == regexes.Length) return m;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || _process.HasExited && !await _signal.WaitAsync(100))
                throw new TimeoutException($"{Name}: no line matching /{patterns[next]}/{(next > 0 ? $" after one matching /{patterns[next - 1]}/" : "")} within {timeout.TotalSeconds:F0} s{(_process.HasExited ? $" (exited with {_process.ExitCode})" : "")}\n{Tail()}");
            await _signal.WaitAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExit(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:F0} s\n{Tail()}");
        }
        _process.WaitForExit(); // drain the output
        return _process.ExitCode;
    }

    /// <summary>Sends a POSIX signal (2 = SIGINT, as Ctrl-C does; 15 = SIGTERM) to the process.</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0) throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Kills the process at once (as a crash would).</summary>
    public void Kill()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
    }

    private string Tail() => string.Join('\n', _lines.TakeLast(40));

    public void Dispose()
    {
        Kill();
        _process.WaitForExit(10_000);
        _process.Dispose();
        _signal.Dispose();
    }
}

/// <summary>Where the CLI is and a few helpers shared by the tests.</summary>
public static class Cli
{
    /// <summary>nodemesh.dll from the same build configuration as these tests.</summary>
    public static string Dll { get; } = FindDll();

    /// <summary>The repository root (where NodeMesh.sln is).</summary>
    public static string RepoRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NodeMesh.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("NodeMesh.sln not found above the test directory");
    }

    private static string FindDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        string config = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent?.Name ?? "Release"; // …/bin/<Configuration>/net10.0
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NodeMesh.sln"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("NodeMesh.sln not found above the test directory");
        string dll = Path.Combine(dir.FullName, "src", "NodeMesh.Cli", "bin", config, "net10.0", "nodemesh.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is missing; build the solution first");
    }

    /// <summary>A small net and data on the embedded subset: a cluster run takes seconds.</summary>
    public static readonly string[] Small =
        ["--arch", "conv3x3x4,relu,maxpool2,conv3x3x6,relu,maxpool2,dense10", "--tile", "7", "--train-limit", "128", "--test-limit", "50", "--batch", "16", "--quiet"];

    /// <summary><paramref name="baseArgs"/> with the options that <paramref name="more"/> gives replaced by them.</summary>
    public static string[] With(string[] baseArgs, params string[] more) => NodeMesh.TestSupport.CommandArgs.Override(baseArgs, more);

    /// <summary>A fresh temporary directory (deleted by the caller's Dispose).</summary>
    public static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "nodemesh-it-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(d);
        return d;
    }
}
