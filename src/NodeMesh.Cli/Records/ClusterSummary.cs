namespace NodeMesh.Cli.Records;

/// <summary>A member of a cluster run as the run directory records it.</summary>
/// <param name="Index">Worker index; −1 for the driver.</param>
/// <param name="Address">host:port of its Akka.Remote endpoint.</param>
/// <param name="Role">"driver" or "worker".</param>
/// <param name="Tiles">Tiles placed on it.</param>
/// <param name="Units">Unit actors placed on it.</param>
/// <param name="Reducers">Map reducers (star all-reduce) placed on it.</param>
public sealed record ClusterMemberRecord(int Index, string Address, string Role, int Tiles, int Units, int Reducers)
{
    /// <summary>The member process's peak resident set at the end of the run, in bytes (null when it did not report).</summary>
    public long? PeakRssBytes { get; init; }
}

/// <summary>Cross-member traffic of one category (or message type) in one epoch.</summary>
/// <param name="Messages">NodeMesh messages that crossed a member boundary (serialized by their sender).</param>
/// <param name="PayloadBytes">Their serialized protobuf bytes.</param>
/// <param name="WireBytes">Bytes their frames took on the wire: payload, Akka envelope and the 4-byte length prefix.</param>
/// <param name="Overhead">WireBytes / PayloadBytes (0 without payload).</param>
public sealed record CrossTraffic(long Messages, long PayloadBytes, long WireBytes, double MessagesPerSample, double PayloadBytesPerSample, double WireBytesPerSample, double Overhead)
{
    public static CrossTraffic Of(long messages, long payload, long wire, int samples)
    {
        double n = Math.Max(1, samples);
        return new(messages, payload, wire, messages / n, payload / n, wire / n, payload == 0 ? 0 : (double)wire / payload);
    }
}

/// <summary>Akka's own traffic between members (heartbeats, cluster gossip, acks, handshakes, system messages).</summary>
public sealed record HousekeepingTraffic(long Frames, long WireBytes, double WireBytesPerSample, IReadOnlyDictionary<string, long> WireBytesByKind);

/// <summary>Bytes one member wrote to and read from each peer in one epoch.</summary>
public sealed record MemberWire(string Address, long SentWireBytes, long ReceivedWireBytes, IReadOnlyDictionary<string, long> SentWireBytesTo);

/// <summary>The physical traffic of one training epoch across the cluster.</summary>
/// <param name="WireBytes">Bytes on the wire between members, NodeMesh messages and housekeeping.</param>
/// <param name="PayloadBytes">NodeMesh payload bytes.</param>
/// <param name="OverheadRatio">NodeMesh wire bytes / payload bytes (housekeeping excluded).</param>
/// <param name="Categories">By NodeMesh category (activation, error, sync, control).</param>
/// <param name="Types">By message type (two-letter manifest; docs/cluster.md lists them).</param>
public sealed record EpochWire(int Epoch, int Samples, long WireBytes, long PayloadBytes, double OverheadRatio,
    IReadOnlyDictionary<string, CrossTraffic> Categories, HousekeepingTraffic Housekeeping,
    IReadOnlyDictionary<string, CrossTraffic> Types, IReadOnlyList<MemberWire> Members);

/// <summary>The <c>cluster</c> section of summary.json.</summary>
/// <param name="Placement">How the tiles were placed: block, stripe or round-robin.</param>
/// <param name="Members">The driver and the workers.</param>
/// <param name="WireBytes">Bytes all members wrote to the wire over the whole run (set-up and evaluation included).</param>
/// <param name="PayloadBytes">NodeMesh payload bytes of those frames.</param>
/// <param name="HousekeepingWireBytes">Akka's own bytes among them.</param>
/// <param name="Counted">What the counters include (<see cref="NodeMesh.Cli.ClusterTraffic.CountedNote"/>).</param>
/// <param name="Epochs">The training window of every epoch.</param>
public sealed record ClusterSummary(string Placement, IReadOnlyList<ClusterMemberRecord> Members, long WireBytes, long PayloadBytes, long HousekeepingWireBytes,
    string Counted, IReadOnlyList<EpochWire> Epochs);
