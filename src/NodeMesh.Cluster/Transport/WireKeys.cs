namespace NodeMesh.Cluster.Transport;

/// <summary>
/// The counter keys of <see cref="WireCounters"/> and the peer key used before a peer is known.
/// NodeMesh messages are counted under <c>nodemesh:&lt;manifest&gt;</c> (the NodeMesh serializer's
/// manifest, e.g. <c>nodemesh:sr</c> for <c>SyncResult</c>); everything else is Akka's housekeeping.
/// </summary>
public static class WireKeys
{
    /// <summary>Prefix of the key of a NodeMesh message; the manifest follows.</summary>
    public const string NodeMeshPrefix = "nodemesh:";

    /// <summary>Akka protocol handshake (ASSOCIATE control frames).</summary>
    public const string Handshake = "akka:handshake";

    /// <summary>Transport failure detector heartbeats (HEARTBEAT control frames).</summary>
    public const string Heartbeat = "akka:heartbeat";

    /// <summary>DISASSOCIATE control frames (plain, shutting down, quarantined).</summary>
    public const string Disassociate = "akka:disassociate";

    /// <summary>Pure acknowledgements of reliably delivered system messages.</summary>
    public const string Ack = "akka:ack";

    /// <summary>Akka's own messages: cluster gossip and heartbeats, remote watch, system messages, Identify.</summary>
    public const string AkkaMessages = "akka:messages";

    /// <summary>Frames that are not well-formed Akka protocol messages (should stay 0).</summary>
    public const string Unparsed = "unparsed";

    /// <summary>
    /// Peer key of frames on an inbound association before the peer's handshake told us its
    /// canonical address (should stay 0: Akka's passive side writes only after the handshake).
    /// </summary>
    public const string UnknownPeer = "unknown";

    /// <summary>True when <paramref name="key"/> counts a NodeMesh message (payload and envelope), false for housekeeping.</summary>
    public static bool IsNodeMesh(string key) => key.StartsWith(NodeMeshPrefix, StringComparison.Ordinal);

    /// <summary>The key of a frame kind other than <see cref="WireFrameKind.NodeMesh"/> (whose key depends on the manifest).</summary>
    public static string ForKind(WireFrameKind kind) => kind switch
    {
        WireFrameKind.Handshake => Handshake,
        WireFrameKind.Heartbeat => Heartbeat,
        WireFrameKind.Disassociate => Disassociate,
        WireFrameKind.Ack => Ack,
        WireFrameKind.AkkaMessage => AkkaMessages,
        WireFrameKind.NodeMesh => throw new ArgumentException("a NodeMesh frame's key depends on its manifest", nameof(kind)),
        _ => Unparsed,
    };
}
