using Akka.Actor;
using NodeMesh.Actors.Hosting;
using NodeMesh.Core;

namespace NodeMesh.Cluster;

/// <summary>
/// How a cluster member (worker or driver) binds, advertises itself and finds the cluster.
/// Every setting also comes from an environment variable (the Lighthouse way: the same binary
/// for every role, configured by its container): <c>NODEMESH_HOST</c>, <c>NODEMESH_PORT</c>,
/// <c>NODEMESH_PUBLIC_HOST</c>, <c>NODEMESH_SEEDS</c> (comma-separated), <c>NODEMESH_MAX_FRAME_SIZE</c>.
/// </summary>
public sealed record MemberOptions
{
    /// <summary>Address to bind (0.0.0.0 for every interface, e.g. in a container).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port to listen on; 0 takes any free port (fine for workers, which are not seeds).</summary>
    public int Port { get; init; }

    /// <summary>Host name other members use to reach this one (a container's service name); default: <see cref="Host"/>.</summary>
    public string? PublicHost { get; init; }

    /// <summary>Seed nodes, <c>akka.tcp://nodemesh@host:port</c>; the first one that answers lets this member join.</summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];

    /// <summary>Akka.Remote's maximum frame size in bytes (every member must use the same; checked against the run's largest message).</summary>
    public long MaxFrameSize { get; init; } = 16L << 20;

    /// <summary>Mutual TLS between members (null: plain TCP).</summary>
    public MemberTls? Tls { get; init; }

    /// <summary>The address protocol: <c>akka.ssl.tcp</c> with TLS, <c>akka.tcp</c> without.</summary>
    public string Protocol => Tls is null ? "akka.tcp" : "akka.ssl.tcp";

    /// <summary>Heartbeat pause the failure detector accepts before it marks a member unreachable.</summary>
    public TimeSpan AcceptableHeartbeatPause { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The address this member advertises: <see cref="PublicHost"/>, or the bind address, or —
    /// when binding every interface without a public host, as a scaled container does — the
    /// machine's first non-loopback IPv4 address, which its peers on the same network can reach.
    /// </summary>
    public string AdvertisedHost => !string.IsNullOrWhiteSpace(PublicHost) ? PublicHost : Host == "0.0.0.0" ? FirstAddress() : Host;

    private static string FirstAddress()
    {
        foreach (var nic in System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus != System.Net.NetworkInformation.OperationalStatus.Up || nic.NetworkInterfaceType == System.Net.NetworkInformation.NetworkInterfaceType.Loopback) continue;
            foreach (var a in nic.GetIPProperties().UnicastAddresses)
                if (a.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) return a.Address.ToString();
        }
        return System.Net.Dns.GetHostName();
    }

    /// <summary>Checks the options; throws <see cref="UserInputException"/> saying what to fix.</summary>
    public MemberOptions Validate()
    {
        if (Port < 0 || Port > 65535) throw new UserInputException($"--port {Port}: use a TCP port 1..65535, or 0 for any free port.");
        if (string.IsNullOrWhiteSpace(Host)) throw new UserInputException("--host is empty: give the address to bind, e.g. 127.0.0.1 or 0.0.0.0.");
        if (MaxFrameSize < 32_000 || MaxFrameSize > 1L << 30)
            throw new UserInputException($"--max-frame-size {MaxFrameSize}: Akka.Remote needs 32000 .. {1L << 30} bytes.");
        foreach (var s in Seeds)
        {
            var a = ParseSeed(s);
            if (a.Protocol != Protocol)
                throw new UserInputException(Tls is null
                    ? $"--seeds '{s}': this member speaks plain TCP (no --tls-cert), so its seeds are akka.tcp://…; give the member a certificate to join a TLS cluster."
                    : $"--seeds '{s}': this member uses TLS, so its seeds are akka.ssl.tcp://nodemesh@HOST:PORT.");
        }
        return this;
    }

    /// <summary>Parses one seed address; throws <see cref="UserInputException"/> naming what is wrong.</summary>
    public static Address ParseSeed(string seed)
    {
        const string Example = "akka.tcp://nodemesh@127.0.0.1:4053";
        Address a;
        try { a = Address.Parse(seed.Trim()); }
        catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException)
        {
            throw new UserInputException($"--seeds '{seed}' is not an Akka address; write it like {Example}.");
        }
        if (a.Protocol is not ("akka.tcp" or "akka.ssl.tcp")) throw new UserInputException($"--seeds '{seed}': the protocol must be akka.tcp, or akka.ssl.tcp with TLS (as in {Example}).");
        if (a.System != NodeMeshHosting.SystemName) throw new UserInputException($"--seeds '{seed}': NodeMesh members are ActorSystem '{NodeMeshHosting.SystemName}' (as in {Example}), not '{a.System}'.");
        if (a.Host is null || a.Port is null or <= 0) throw new UserInputException($"--seeds '{seed}' needs a host and a port, as in {Example}.");
        return a;
    }

    /// <summary>Splits a comma-separated seed list.</summary>
    public static IReadOnlyList<string> SplitSeeds(string? text) =>
        string.IsNullOrWhiteSpace(text) ? [] : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
