namespace NodeMesh.Actors.Messages;

// Cluster protocol: the driver <-> the wire-counter actor of every member (/user/wire).

/// <summary>Query: a member's transport and serializer counters since it started (answered with <see cref="WireReport"/>).</summary>
public sealed record FetchWireReport : INodeMeshMessage
{
    public static readonly FetchWireReport Instance = new();
}

/// <summary>
/// Frames and bytes a member's transport wrote to (<paramref name="Sent"/>) or read from a peer,
/// per key: <c>nodemesh:&lt;manifest&gt;</c> for NodeMesh messages, <c>akka:…</c> for Akka's own
/// traffic. <paramref name="WireBytes"/> includes each frame's 4-byte length prefix (no TLS, TCP
/// or IP headers); <paramref name="PayloadBytes"/> counts the serialized NodeMesh messages inside.
/// </summary>
public sealed record WireRecord(string Peer, bool Sent, string Key, long Frames, long WireBytes, long PayloadBytes);

/// <summary>Messages and serialized bytes of one NodeMesh manifest that crossed this member's boundary (out: serialized here, in: deserialized here).</summary>
public sealed record SerializedRecord(string Manifest, long OutMessages, long OutBytes, long InMessages, long InBytes);

/// <summary>Response to <see cref="FetchWireReport"/>: the member's address (host:port), its maximum frame size, and its counters.</summary>
public sealed record WireReport(string Address, long MaxFrameSize, IReadOnlyList<WireRecord> Wire, IReadOnlyList<SerializedRecord> Serialized) : INodeMeshMessage
{
    /// <summary>The member process's resident set now, in bytes (0 when not reported).</summary>
    public long RssBytes { get; init; }

    /// <summary>The member process's peak resident set so far, in bytes (0 when not reported).</summary>
    public long PeakRssBytes { get; init; }
}
