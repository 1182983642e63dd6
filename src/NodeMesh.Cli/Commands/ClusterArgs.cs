using System.Globalization;
using NodeMesh.Cluster;
using NodeMesh.Core;
using NodeMesh.Core.Placement;

namespace NodeMesh.Cli.Commands;

/// <summary>The cluster options of <c>nodemesh train</c>, read from the command line and the environment.</summary>
public sealed record ClusterArgs(int Workers, MemberOptions Member, PlacementKind Placement, TimeSpan JoinTimeout)
{
    private static readonly string[] ClusterOnly = ["seeds", "host", "port", "public-host", "placement", "join-timeout", "heartbeat-pause", "max-frame-size", "tls-cert", "tls-ca", "tls-pin", "tls-password"];

    /// <summary>The cluster settings of a run, or null for local mode (--workers 0).</summary>
    public static ClusterArgs? Parse(ParsedArgs a)
    {
        int workers = a.Int("workers");
        if (workers < 0) throw new UserInputException($"--workers {workers}: give the number of worker members, or 0 for a local run.");
        if (workers == 0)
        {
            var given = ClusterOnly.Where(a.Given).ToArray();
            if (given.Length > 0)
                throw new UserInputException($"{string.Join(", ", given.Select(g => "--" + g))} apply to cluster runs; add --workers N (or run 'nodemesh cluster --workers N train ...').");
            return null;
        }
        double join = a.Float("join-timeout");
        if (!(join > 0)) throw new UserInputException($"--join-timeout {join.ToString(CultureInfo.InvariantCulture)}: give the seconds to wait for the workers (> 0).");
        return new ClusterArgs(workers, MemberFrom(a), PlacementOf(a), TimeSpan.FromSeconds(join));
    }

    /// <summary>Member options from --host, --port, --public-host, --seeds, --max-frame-size (or their environment variables).</summary>
    public static MemberOptions MemberFrom(ParsedArgs a) => new MemberOptions
    {
        Host = a.String("host") ?? "127.0.0.1",
        Port = a.Int("port"),
        PublicHost = a.String("public-host"),
        Seeds = MemberOptions.SplitSeeds(a.String("seeds")),
        MaxFrameSize = a.Long("max-frame-size"),
        AcceptableHeartbeatPause = HeartbeatPause(a),
        Tls = TlsFrom(a),
    }.Validate();

    private static TimeSpan HeartbeatPause(ParsedArgs a)
    {
        double s = a.Float("heartbeat-pause");
        if (!(s >= 3 && s <= 600))
            throw new UserInputException($"--heartbeat-pause {s.ToString(CultureInfo.InvariantCulture)}: give 3 .. 600 seconds (default 10; every member should use the same).");
        return TimeSpan.FromSeconds(s);
    }

    /// <summary>The TLS options shared by every member command.</summary>
    public static readonly OptionDef[] TlsOptions =
    [
        new("tls-cert", "FILE", null, "mutual TLS: this member's certificate and key (PKCS#12); every member needs one (deploy/make-certs.sh)", "NODEMESH_TLS_CERT"),
        new("tls-password", "TEXT", "", "mutual TLS: the PKCS#12 password", "NODEMESH_TLS_PASSWORD"),
        new("tls-ca", "FILE", null, "mutual TLS: accept members whose certificate this CA signed (PEM or DER)", "NODEMESH_TLS_CA"),
        new("tls-pin", "LIST", null, "mutual TLS: accept only these certificate thumbprints (comma-separated hex), instead of or besides --tls-ca", "NODEMESH_TLS_PIN"),
    ];

    private static MemberTls? TlsFrom(ParsedArgs a)
    {
        string? cert = a.String("tls-cert");
        if (string.IsNullOrEmpty(cert))
        {
            var stray = new[] { "tls-ca", "tls-pin", "tls-password" }.Where(a.Given).ToArray();
            if (stray.Length > 0) throw new UserInputException($"{string.Join(", ", stray.Select(s => "--" + s))} need --tls-cert (this member's certificate).");
            return null;
        }
        var tls = new MemberTls(cert, a.String("tls-password") ?? "", a.String("tls-ca"),
            (a.String("tls-pin") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        tls.Load(); // fail now, with the file named, not inside the ActorSystem
        return tls;
    }

    public static PlacementKind PlacementOf(ParsedArgs a) =>
        a.Choice("placement", ("block", PlacementKind.Block), ("stripe", PlacementKind.Stripe), ("round-robin", PlacementKind.RoundRobin));
}
