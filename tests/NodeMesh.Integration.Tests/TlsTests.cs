using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace NodeMesh.Integration.Tests;

/// <summary>
/// Mutual TLS between members, with real processes: members with certificates from the run's CA
/// train; a member with a certificate from another CA, and a member speaking plain TCP, cannot
/// join and do not disturb the run. And local mode listens on no port at all.
/// </summary>
[Collection("processes")]
public sealed class TlsTests : ProcessTest
{
    internal const string Password = "nodemesh-test";

    /// <summary>Writes a CA (<paramref name="caFile"/>, DER) and one readable PKCS#12 certificate per member into <paramref name="dir"/>.</summary>
    internal static void WriteCertificates(string dir, string caName, IEnumerable<string> members, string caFile)
    {
        var (ca, member) = MakeCa(dir, caName);
        File.Move(ca, Path.Combine(dir, caFile), overwrite: true);
        foreach (var m in members) member(m);
        if (!OperatingSystem.IsWindows())
            foreach (var f in Directory.GetFiles(dir)) File.SetUnixFileMode(f, (UnixFileMode)0x1A4); // 644: the containers run as another user
    }

    /// <summary>A CA (written as DER) and member certificates it signs (PKCS#12).</summary>
    private static (string CaPath, Func<string, string> Member) MakeCa(string dir, string name)
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest($"CN={name}", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(60));
        string caPath = Path.Combine(dir, name + ".cer");
        File.WriteAllBytes(caPath, ca.Export(X509ContentType.Cert));
        string Member(string member)
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest($"CN={member}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
            var sans = new SubjectAlternativeNameBuilder();
            sans.AddDnsName("localhost");
            sans.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(sans.Build());
            using var signed = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(8));
            using var withKey = signed.CopyWithPrivateKey(key);
            string path = Path.Combine(dir, member + ".pfx");
            File.WriteAllBytes(path, withKey.Export(X509ContentType.Pkcs12, Password));
            return path;
        }
        return (caPath, Member);
    }

    [Fact]
    public async Task An_untrusted_member_and_a_plain_tcp_member_cannot_join_and_the_run_is_unaffected()
    {
        var (ca, member) = MakeCa(Dir, "run-ca");
        var (rogueCa, rogueMember) = MakeCa(Dir, "rogue-ca");
        string[] Tls(string cert, string trust) => ["--tls-cert", cert, "--tls-password", Password, "--tls-ca", trust];

        var worker = Start("worker", ["node", "--host", "127.0.0.1", "--port", "0", .. Tls(member("worker"), ca)]);
        string seed = (await worker.WaitForLine(@"worker (akka\.ssl\.tcp://nodemesh@127\.0\.0\.1:\d+) started", TimeSpan.FromSeconds(60))).Groups[1].Value;
        var rogue = Start("rogue", ["node", "--host", "127.0.0.1", "--port", "0", "--seeds", seed, .. Tls(rogueMember("rogue"), rogueCa)]);
        var plain = Start("plain", "node", "--host", "127.0.0.1", "--port", "0", "--seeds", seed.Replace("akka.ssl.tcp", "akka.tcp"));
        // Both try to join through the TLS seed and are refused: Akka gives up its first join attempts.
        await rogue.WaitForLine("does not chain to the trusted CA|Couldn't join seed nodes|TLS handshake failed", TimeSpan.FromSeconds(90));
        await plain.WaitForLine("unreachable remote address|Couldn't join seed nodes", TimeSpan.FromSeconds(90));

        var driver = Start("driver", ["train", .. Cli.With(Cli.Small, "--train-limit", "256"), "--strategy", "allreduce", "--topology", "tree",
            "--workers", "1", "--seeds", seed, "--out", Path.Combine(Dir, "tls"), .. Tls(member("driver"), ca)]);
        Assert.True(await driver.WaitForExit(TimeSpan.FromSeconds(240)) == 0, driver.Output);
        Assert.Equal(0, await worker.WaitForExit(TimeSpan.FromSeconds(60)));

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "tls", "summary.json")));
        var members = summary.RootElement.GetProperty("cluster").GetProperty("members").EnumerateArray().Select(m => m.GetProperty("address").GetString()).ToList();
        string workerAddress = seed[(seed.IndexOf('@') + 1)..];
        Assert.Equal(2, members.Count); // the driver and the trusted worker only
        Assert.Contains(workerAddress, members);
        Assert.DoesNotContain("the run ended", rogue.Output);   // never part of a run
        Assert.DoesNotContain("the run ended", plain.Output);
        Assert.Contains("TLS handshake failed", worker.Output);  // the plain member's bytes were refused
    }

    [Fact]
    public async Task A_member_with_a_certificate_it_cannot_read_stops_with_a_clear_error()
    {
        string bogus = Path.Combine(Dir, "bogus.pfx");
        File.WriteAllText(bogus, "not a certificate");
        var node = Start("node", "node", "--tls-cert", bogus, "--tls-ca", bogus);
        Assert.Equal(2, await node.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains($"error: TLS certificate {bogus} cannot be read as PKCS#12", node.Output);
    }

    [Fact]
    public async Task Local_mode_listens_on_no_port()
    {
        var run = Start("local", ["train", .. Cli.With(Cli.Small, "--train-limit", "60000"), "--out", Path.Combine(Dir, "local")]);
        await run.WaitForLine("built .* units", TimeSpan.FromSeconds(120));
        var listening = ListeningSockets();
        var mine = SocketInodes(run.Id);
        Assert.False(run.HasExited, "the local run ended before its sockets were looked at");
        Assert.Empty(mine.Intersect(listening));
        // The same check finds a cluster member's listening socket (so it can fail).
        var node = Start("node", "node", "--host", "127.0.0.1", "--port", "0");
        await node.WaitForLine("started", TimeSpan.FromSeconds(60));
        Assert.NotEmpty(SocketInodes(node.Id).Intersect(ListeningSockets()));
    }

    /// <summary>Inodes of every TCP socket in LISTEN state (IPv4 and IPv6).</summary>
    private static HashSet<string> ListeningSockets()
    {
        var result = new HashSet<string>();
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(file)) continue;
            foreach (var line in File.ReadAllLines(file).Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 9 && f[3] == "0A") result.Add(f[9]); // 0A = LISTEN
            }
        }
        return result;
    }

    /// <summary>Inodes of the sockets a process holds open.</summary>
    private static HashSet<string> SocketInodes(int pid)
    {
        var result = new HashSet<string>();
        foreach (var fd in Directory.GetFiles($"/proc/{pid}/fd"))
        {
            string? target;
            try { target = new FileInfo(fd).LinkTarget; }
            catch (IOException) { continue; }
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal)) result.Add(target[8..^1]);
        }
        return result;
    }
}
