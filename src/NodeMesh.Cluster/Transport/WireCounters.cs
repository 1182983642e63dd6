using System.Collections.Concurrent;
using Akka.Actor;

namespace NodeMesh.Cluster.Transport;

/// <summary>
/// Frames and bytes this member exchanged with each peer member over Akka.Remote, counted by
/// <see cref="CountingTransport"/> per peer (canonical <c>host:port</c>), direction and key
/// (<see cref="WireKeys"/>). One instance per ActorSystem (an Akka extension, see <see cref="Get"/>).
/// <para>
/// Included: every Akka protocol frame written to (accepted by) or read from the TCP transport,
/// as the frame's length + 4 bytes of DotNetty's length prefix. Excluded: TLS records, TCP/IP
/// headers, TCP retransmissions and connection set-up, and traffic inside one process.
/// </para>
/// Thread-safe. Counting a frame takes an uncontended lock per counter and does not allocate
/// once its (peer, direction, key) has been seen.
/// </summary>
public sealed class WireCounters : IExtension
{
    private readonly ConcurrentDictionary<string, PeerCounters> _peers = new(StringComparer.Ordinal);

    /// <summary>Empty counters (normally obtained through <see cref="Get"/>).</summary>
    public WireCounters() { }

    /// <summary>The counters of <paramref name="system"/> (created on first use).</summary>
    public static WireCounters Get(ActorSystem system) => system.WithExtension<WireCounters, WireCountersProvider>();

    /// <summary>Interned keys of NodeMesh manifests.</summary>
    internal ManifestKeyCache Manifests { get; } = new();

    /// <summary>The counters of one peer (created on first use).</summary>
    internal PeerCounters Peer(string peer) => _peers.GetOrAdd(peer, static p => new PeerCounters(p));

    /// <summary>Counts one frame of <paramref name="frameLength"/> bytes already parsed into <paramref name="frame"/>.</summary>
    internal void Count(PeerCounters peer, WireDirection direction, in ParsedFrame frame, int frameLength)
    {
        string key = frame.Kind == WireFrameKind.NodeMesh ? Manifests.KeyFor(frame.Manifest) : WireKeys.ForKind(frame.Kind);
        var cells = direction == WireDirection.Sent ? peer.Sent : peer.Received;
        // TryGetValue first: GetOrAdd with a static factory does not allocate either, but this is the common path.
        if (!cells.TryGetValue(key, out var cell)) cell = cells.GetOrAdd(key, static _ => new Cell());
        cell.Add(frameLength + LengthPrefixBytes, frame.PayloadBytes);
    }

    /// <summary>Bytes DotNetty's LengthFieldPrepender writes before each frame.</summary>
    public const int LengthPrefixBytes = 4;

    /// <summary>An immutable copy of all counters. Each row is consistent; rows are read one after another.</summary>
    public WireSnapshot Snapshot()
    {
        var rows = new List<WireRow>();
        foreach (var (name, peer) in _peers)
        {
            Collect(rows, name, WireDirection.Sent, peer.Sent);
            Collect(rows, name, WireDirection.Received, peer.Received);
        }
        return new WireSnapshot(rows);
    }

    private static void Collect(List<WireRow> rows, string peer, WireDirection direction, ConcurrentDictionary<string, Cell> cells)
    {
        foreach (var (key, cell) in cells)
        {
            var c = cell.Read();
            if (c.Frames != 0) rows.Add(new WireRow(peer, direction, key, c.Frames, c.WireBytes, c.PayloadBytes));
        }
    }

    /// <summary>The cells of one peer; handles keep a reference so that the peer lookup happens once per association.</summary>
    internal sealed class PeerCounters(string name)
    {
        public string Name { get; } = name;
        public ConcurrentDictionary<string, Cell> Sent { get; } = new(StringComparer.Ordinal);
        public ConcurrentDictionary<string, Cell> Received { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>
    /// One counter. A lock rather than three Interlocked adds so that a snapshot never sees a
    /// frame counted in Frames but not yet in its bytes; writers of one cell are the endpoint
    /// writer (sent) or the channel's event loop (received), so the lock is practically uncontended.
    /// </summary>
    internal sealed class Cell
    {
        private readonly Lock _lock = new();
        private long _frames, _wireBytes, _payloadBytes;

        public void Add(long wireBytes, long payloadBytes)
        {
            lock (_lock)
            {
                _frames++;
                _wireBytes += wireBytes;
                _payloadBytes += payloadBytes;
            }
        }

        public FrameCount Read()
        {
            lock (_lock) return new FrameCount(_frames, _wireBytes, _payloadBytes);
        }
    }
}

/// <summary>Akka extension id of <see cref="WireCounters"/>.</summary>
public sealed class WireCountersProvider : ExtensionIdProvider<WireCounters>
{
    /// <inheritdoc />
    public override WireCounters CreateExtension(ExtendedActorSystem system) => new();
}
