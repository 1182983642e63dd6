namespace NodeMesh.Cluster.Transport;

/// <summary>Direction of a frame relative to the member that counted it.</summary>
public enum WireDirection
{
    /// <summary>Written by this member to the peer.</summary>
    Sent = 0,
    /// <summary>Read by this member from the peer.</summary>
    Received = 1,
}

/// <summary>
/// Frames and bytes of one counter. Units: <see cref="WireBytes"/> is bytes on the TCP stream
/// (frame + 4-byte length prefix; no TLS, TCP or IP headers); <see cref="PayloadBytes"/> is bytes
/// of serialized NodeMesh messages inside those frames (0 for housekeeping).
/// </summary>
/// <param name="Frames">Number of Akka protocol frames.</param>
/// <param name="WireBytes">Sum over the frames of (frame length + 4).</param>
/// <param name="PayloadBytes">Sum over the frames of the serialized NodeMesh message length.</param>
public readonly record struct FrameCount(long Frames, long WireBytes, long PayloadBytes)
{
    /// <summary>No frames.</summary>
    public static FrameCount Zero => default;

    /// <summary>Bytes that are not NodeMesh message content: Akka envelope, protocol framing and length prefixes.</summary>
    public long OverheadBytes => WireBytes - PayloadBytes;

    /// <summary>Sum of two counts.</summary>
    public static FrameCount operator +(FrameCount a, FrameCount b) =>
        new(a.Frames + b.Frames, a.WireBytes + b.WireBytes, a.PayloadBytes + b.PayloadBytes);

    /// <summary>Difference of two counts (later minus earlier gives the traffic in between).</summary>
    public static FrameCount operator -(FrameCount a, FrameCount b) =>
        new(a.Frames - b.Frames, a.WireBytes - b.WireBytes, a.PayloadBytes - b.PayloadBytes);
}

/// <summary>
/// One counter as plain data (strings, an enum and longs; ready for JSON or protobuf).
/// </summary>
/// <param name="Peer">The peer member's canonical address <c>host:port</c>, or <see cref="WireKeys.UnknownPeer"/>.</param>
/// <param name="Direction">Sent to or received from the peer.</param>
/// <param name="Key">What the frames carried (<see cref="WireKeys"/>).</param>
/// <param name="Frames">Number of frames.</param>
/// <param name="WireBytes">Bytes on the TCP stream including the 4-byte length prefix of each frame.</param>
/// <param name="PayloadBytes">Bytes of serialized NodeMesh messages (0 for housekeeping keys).</param>
public sealed record WireRow(string Peer, WireDirection Direction, string Key, long Frames, long WireBytes, long PayloadBytes)
{
    /// <summary>True for NodeMesh message keys; false for Akka housekeeping (and unparsed frames).</summary>
    public bool IsNodeMesh => WireKeys.IsNodeMesh(Key);

    /// <summary>The row's numbers as a <see cref="FrameCount"/>.</summary>
    public FrameCount Count => new(Frames, WireBytes, PayloadBytes);
}

/// <summary>
/// Where the bytes of a set of rows went. Units: bytes on the TCP stream (see <see cref="FrameCount"/>).
/// </summary>
/// <param name="NodeMesh">NodeMesh message frames.</param>
/// <param name="Housekeeping">All other frames: Akka handshake, heartbeats, acks, gossip, system messages, unparsed.</param>
public readonly record struct WireBreakdown(FrameCount NodeMesh, FrameCount Housekeeping)
{
    /// <summary>Serialized NodeMesh messages.</summary>
    public long PayloadBytes => NodeMesh.PayloadBytes;

    /// <summary>Akka envelope, protocol framing and length prefixes around NodeMesh messages.</summary>
    public long EnvelopeBytes => NodeMesh.OverheadBytes;

    /// <summary>Bytes of Akka's own traffic.</summary>
    public long HousekeepingBytes => Housekeeping.WireBytes;

    /// <summary>All bytes.</summary>
    public long WireBytes => NodeMesh.WireBytes + Housekeeping.WireBytes;
}

/// <summary>
/// An immutable copy of a member's <see cref="WireCounters"/>: one <see cref="WireRow"/> per
/// (peer, direction, key) with at least one frame, sorted by peer, direction and key (ordinal).
/// </summary>
public sealed class WireSnapshot
{
    private readonly WireRow[] _rows;

    /// <summary>A snapshot without rows.</summary>
    public static WireSnapshot Empty { get; } = new([]);

    /// <summary>Creates a snapshot from rows (sorted here; rows with the same peer, direction and key are not merged).</summary>
    public WireSnapshot(IEnumerable<WireRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        _rows = [.. rows];
        Array.Sort(_rows, CompareRows);
    }

    /// <summary>All rows, sorted by peer, direction and key.</summary>
    public IReadOnlyList<WireRow> Rows => _rows;

    /// <summary>The distinct peers, sorted.</summary>
    public IReadOnlyList<string> Peers
    {
        get
        {
            var peers = new List<string>();
            foreach (var row in _rows)
                if (peers.Count == 0 || !string.Equals(peers[^1], row.Peer, StringComparison.Ordinal))
                    peers.Add(row.Peer);
            return peers;
        }
    }

    /// <summary>The count of one key to or from one peer (zero when absent).</summary>
    public FrameCount Get(string peer, WireDirection direction, string key)
    {
        var total = FrameCount.Zero;
        foreach (var row in _rows)
            if (row.Direction == direction && string.Equals(row.Peer, peer, StringComparison.Ordinal) && string.Equals(row.Key, key, StringComparison.Ordinal))
                total += row.Count;
        return total;
    }

    /// <summary>All keys to or from one peer, or from all peers when <paramref name="peer"/> is null.</summary>
    public FrameCount Total(WireDirection direction, string? peer = null)
    {
        var b = Breakdown(direction, peer);
        return b.NodeMesh + b.Housekeeping;
    }

    /// <summary>NodeMesh vs housekeeping to or from one peer, or all peers when <paramref name="peer"/> is null.</summary>
    public WireBreakdown Breakdown(WireDirection direction, string? peer = null)
    {
        FrameCount nodeMesh = FrameCount.Zero, housekeeping = FrameCount.Zero;
        foreach (var row in _rows)
        {
            if (row.Direction != direction) continue;
            if (peer is not null && !string.Equals(row.Peer, peer, StringComparison.Ordinal)) continue;
            if (row.IsNodeMesh) nodeMesh += row.Count;
            else housekeeping += row.Count;
        }
        return new WireBreakdown(nodeMesh, housekeeping);
    }

    /// <summary>
    /// The traffic between <paramref name="previous"/> and this snapshot (e.g. one epoch): this
    /// minus previous per (peer, direction, key), keeping only rows with a non-zero difference.
    /// Counters only grow, so for two snapshots of the same counters every row is non-negative.
    /// </summary>
    public WireSnapshot Minus(WireSnapshot previous)
    {
        ArgumentNullException.ThrowIfNull(previous);
        var delta = new Dictionary<(string, WireDirection, string), FrameCount>();
        foreach (var row in _rows) Accumulate(delta, row, +1);
        foreach (var row in previous._rows) Accumulate(delta, row, -1);
        var rows = new List<WireRow>(delta.Count);
        foreach (var ((peer, direction, key), c) in delta)
            if (c != FrameCount.Zero)
                rows.Add(new WireRow(peer, direction, key, c.Frames, c.WireBytes, c.PayloadBytes));
        return new WireSnapshot(rows);
    }

    private static void Accumulate(Dictionary<(string, WireDirection, string), FrameCount> into, WireRow row, int sign)
    {
        var id = (row.Peer, row.Direction, row.Key);
        into.TryGetValue(id, out var c);
        into[id] = sign > 0 ? c + row.Count : c - row.Count;
    }

    private static int CompareRows(WireRow a, WireRow b)
    {
        int c = string.CompareOrdinal(a.Peer, b.Peer);
        if (c != 0) return c;
        c = a.Direction.CompareTo(b.Direction);
        return c != 0 ? c : string.CompareOrdinal(a.Key, b.Key);
    }
}
