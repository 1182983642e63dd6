using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using NodeMesh.Core;

namespace NodeMesh.Cli.Commands;

/// <summary>
/// <c>nodemesh cluster --workers N [train] [train options]</c>: a whole cluster run on one machine
/// with one command. This process is the driver (the cluster's first member, on a free loopback
/// port); it starts N worker processes (<c>nodemesh node</c>) that join it, streams their output
/// prefixed by worker, trains, and never leaves a worker behind: they exit when the run ends,
/// they are killed if they do not, and they follow this process if it dies.
/// </summary>
public static class ClusterCommand
{
    public const string Summary = "run a cluster on this machine in one command: a driver plus N worker processes on loopback";

    private static readonly string[] Refused = ["workers", "seeds", "host", "port", "public-host"];

    public static string HelpText => $"""
        nodemesh cluster — {Summary}

        Usage: nodemesh cluster --workers N [train] [train options]

        Starts N 'nodemesh node' processes on free loopback ports that join this process (the driver),
        places the tiles on them (--placement block|stripe|round-robin) and trains exactly as
        'nodemesh train --workers N' would, writing the same run directory with the cluster's
        measured cross-member traffic. Worker output is shown prefixed with [worker i]. Workers exit
        when the run ends; any still running after 15 s, or after Ctrl-C, is killed.

        Options:
          --workers N      worker processes to start (1..16) [default: 2]
          --help           show this help
          (every 'nodemesh train' option but --workers, --seeds, --host, --port and --public-host)

        Examples:
          nodemesh cluster --workers 2 train --strategy allreduce --topology tree
          nodemesh cluster --workers 3 train --strategy gossip --placement round-robin --train-limit 2000
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        int workers = 2;
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string x = args[i];
            if (x is "--help" or "-h") { stdout.WriteLine(HelpText); return 0; }
            if (x == "--workers" || x.StartsWith("--workers=", StringComparison.Ordinal))
            {
                string v = x.Contains('=') ? x[(x.IndexOf('=') + 1)..] : i + 1 < args.Length ? args[++i] : throw new UserInputException("--workers needs a value: --workers N.");
                if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out workers) || workers < 1 || workers > 16)
                    throw new UserInputException($"--workers '{v}': give 1..16 worker processes.");
                continue;
            }
            if (x == "train" && rest.Count == 0) continue;
            rest.Add(x);
        }
        var a = ParsedArgs.Parse("cluster", TrainCommand.Options, rest);
        if (a.Flag("help")) { stdout.WriteLine(HelpText); return 0; }
        var refused = Refused.Where(a.Given).ToArray();
        if (refused.Length > 0)
            throw new UserInputException($"{string.Join(", ", refused.Select(r => "--" + r))}: 'nodemesh cluster' starts every member itself on loopback; to place members yourself use 'nodemesh node' and 'nodemesh train --workers N --seeds ...'.");
        long frame = a.Long("max-frame-size");
        var train = ParsedArgs.Parse("train", TrainCommand.Options, [.. rest, "--workers", workers.ToString(CultureInfo.InvariantCulture), "--host", "127.0.0.1", "--port", "0", "--seeds", ""]);
        await using var launcher = new WorkerLauncher(stderr);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c =>
        {
            // Ctrl-C: stop the workers now; the driver notices the lost members and ends the run.
            c.Cancel = true;
            stderr.WriteLine("interrupted: stopping the workers");
            launcher.KillAll();
        });
        // Workers get the driver's TLS settings (same certificate and trust: one machine, one operator).
        // ... and its heartbeat pause (the failure detectors on both ends should agree).
        var tls = new[] { "tls-cert", "tls-password", "tls-ca", "tls-pin", "heartbeat-pause" }
            .Where(o => !string.IsNullOrEmpty(a.String(o))).SelectMany(o => new[] { "--" + o, a.String(o)! }).ToArray();
        return await TrainCommand.RunAsync(train, stdout, stderr, address => launcher.Start(workers, address.ToString(), frame, tls));
    }
}

/// <summary>Starts worker processes and makes sure none outlives the run.</summary>
public sealed class WorkerLauncher(TextWriter log) : IAsyncDisposable
{
    private readonly List<Process> _workers = [];
    private readonly object _gate = new();

    /// <summary>How this executable is started again: the apphost, or dotnet with the nodemesh assembly.</summary>
    public static (string File, string[] Prefix) SelfCommand()
    {
        string process = Environment.ProcessPath ?? "dotnet";
        string name = Path.GetFileNameWithoutExtension(process);
        return name.Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? (process, [typeof(NodeMeshCli).Assembly.Location])
            : (process, []);
    }

    /// <summary>How to start this executable again with <paramref name="args"/>: output redirected, no shell.</summary>
    public static ProcessStartInfo SelfStartInfo(IEnumerable<string> args)
    {
        var (file, prefix) = SelfCommand();
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var p in prefix.Concat(args)) psi.ArgumentList.Add(p);
        return psi;
    }

    /// <summary>Starts <paramref name="count"/> workers that join <paramref name="seed"/>.</summary>
    public Task Start(int count, string seed, long maxFrameSize, IReadOnlyList<string>? extra = null)
    {
        for (int i = 0; i < count; i++)
        {
            var psi = SelfStartInfo(["node", "--host", "127.0.0.1", "--port", "0", "--seeds", seed, "--max-frame-size", maxFrameSize.ToString(CultureInfo.InvariantCulture),
                "--exit-with-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), .. extra ?? []]);
            foreach (var key in new[] { "NODEMESH_HOST", "NODEMESH_PORT", "NODEMESH_PUBLIC_HOST", "NODEMESH_SEEDS", "NODEMESH_WORKERS" }) psi.Environment.Remove(key);
            var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
            string tag = $"[worker {i}] ";
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) Write(tag + e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Write(tag + e.Data); };
            if (!process.Start()) throw new InvalidOperationException($"could not start worker {i} ({psi.FileName})");
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            lock (_gate) _workers.Add(process);
        }
        return Task.CompletedTask;
    }

    private void Write(string line)
    {
        lock (_gate) log.WriteLine(line);
    }

    /// <summary>Kills every worker still running (and its children).</summary>
    public void KillAll()
    {
        lock (_gate)
            foreach (var p in _workers)
                try { if (!p.HasExited) p.Kill(entireProcessTree: true); }
                catch (InvalidOperationException) { }
    }

    /// <summary>Waits up to 15 s for the workers to exit on their own (the run told them to), then kills the rest.</summary>
    public async ValueTask DisposeAsync()
    {
        List<Process> workers;
        lock (_gate) workers = [.. _workers];
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        foreach (var p in workers)
        {
            try { await p.WaitForExitAsync(grace.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        KillAll();
        foreach (var p in workers)
        {
            try { await p.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); }
            catch (TimeoutException) { }
            Write($"worker {workers.IndexOf(p)} exited with code {(p.HasExited ? p.ExitCode.ToString(CultureInfo.InvariantCulture) : "?")}");
            p.Dispose();
        }
    }
}
