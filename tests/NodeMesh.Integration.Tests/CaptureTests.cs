using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using NodeMesh.TestSupport;

namespace NodeMesh.Integration.Tests;

/// <summary>
/// The program's wire counters against an independent packet capture of the members' loopback
/// TCP traffic (tshark). The counters include each frame's 4-byte length prefix and exclude TCP/IP
/// headers, so they are compared with the captured TCP payload, retransmissions excluded.
/// </summary>
[Collection("processes")]
public sealed class CaptureTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Cli.TempDir();
    private readonly List<NodeProcess> _processes = [];
    private Process? _tshark;

    public void Dispose()
    {
        foreach (var p in _processes) p.Dispose();
        try { if (_tshark is { HasExited: false }) _tshark.Kill(); } catch (InvalidOperationException) { }
        _tshark?.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string? Tshark() =>
        new[] { "/usr/bin/tshark", "/usr/local/bin/tshark" }.FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static async Task<(int Code, string Out)> Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(cts.Token);
        string o = await output, e = await error;
        return (p.ExitCode, p.ExitCode == 0 ? o : o + e);
    }

    [SkippableFact]
    public async Task Wire_bytes_counted_by_the_members_agree_with_a_packet_capture_of_their_tcp_traffic()
    {
        string? tshark = Tshark();
        Requirements.Require(tshark is not null, Requirements.Capture, "tshark is not installed (sudo apt-get install tshark)");
        int driverPort = FreePort(), w0 = FreePort(), w1 = FreePort();
        string pcap = Path.Combine(_dir, "members.pcap");
        var psi = new ProcessStartInfo(tshark!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-i", "lo", "-f", $"tcp port {driverPort} or tcp port {w0} or tcp port {w1}", "-w", pcap, "-a", "duration:300" }) psi.ArgumentList.Add(a);
        _tshark = Process.Start(psi)!;
        var ready = new TaskCompletionSource();
        _tshark.ErrorDataReceived += (_, e) => { if (e.Data?.Contains("Capturing on", StringComparison.Ordinal) == true) ready.TrySetResult(); };
        _tshark.BeginErrorReadLine();
        var started = await Task.WhenAny(ready.Task, _tshark.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(30)));
        Requirements.Require(started == ready.Task, Requirements.Capture, "tshark could not capture on the loopback interface (needs root or the wireshark group)");

        // Every member on a port known in advance, so that the capture sees each association from its first byte.
        string seed = $"akka.tcp://nodemesh@127.0.0.1:{driverPort}";
        foreach (var port in new[] { w0, w1 })
            _processes.Add(NodeProcess.Start($"worker {port}", ["node", "--host", "127.0.0.1", "--port", port.ToString(), "--seeds", seed], workingDirectory: _dir));
        var driver = NodeProcess.Start("driver", ["train", .. Cli.With(Cli.Small, "--train-limit", "512"), "--strategy", "allreduce", "--topology", "tree",
            "--workers", "2", "--port", driverPort.ToString(), "--out", Path.Combine(_dir, "run")], workingDirectory: _dir);
        _processes.Add(driver);
        Assert.True(await driver.WaitForExit(TimeSpan.FromSeconds(240)) == 0, driver.Output);
        foreach (var w in _processes) await w.WaitForExit(TimeSpan.FromSeconds(60));
        await Run("kill", "-INT", _tshark.Id.ToString()); // tshark stops its capture child and closes the file
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30))) await _tshark.WaitForExitAsync(cts.Token);

        var (code, fields) = await Run(tshark!, "-r", pcap, "-Y", "tcp.len > 0 && !tcp.analysis.retransmission", "-T", "fields", "-e", "tcp.len");
        Assert.True(code == 0, fields);
        long captured = fields.Split('\n', StringSplitOptions.RemoveEmptyEntries).Sum(long.Parse);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "run", "summary.json")));
        long counted = summary.RootElement.GetProperty("cluster").GetProperty("wire_bytes").GetInt64();
        // The counters stop at the run's last report; the capture also holds the goodbye (end of run, leaving).
        Assert.True(counted > 1_000_000, $"only {counted} bytes counted");
        double ratio = (double)counted / captured;
        output.WriteLine($"counted {counted:N0} wire bytes, captured {captured:N0} TCP payload bytes: ratio {ratio:F5}");
        Assert.True(ratio is > 0.99 and <= 1.0, $"counted {counted:N0} bytes, captured {captured:N0} (ratio {ratio:F4})");
    }
}
