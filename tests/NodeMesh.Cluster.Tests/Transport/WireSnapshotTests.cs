using NodeMesh.Cluster.Transport;

namespace NodeMesh.Cluster.Tests.Transport;

/// <summary>Snapshot arithmetic: totals, breakdowns and epoch deltas.</summary>
public sealed class WireSnapshotTests
{
    private static WireRow Row(string peer, WireDirection d, string key, long frames, long wire, long payload) => new(peer, d, key, frames, wire, payload);

    private static readonly WireSnapshot Before = new([
        Row("b:2", WireDirection.Sent, "nodemesh:sr", 10, 5040, 4000),
        Row("b:2", WireDirection.Sent, WireKeys.Handshake, 1, 60, 0),
        Row("a:1", WireDirection.Received, WireKeys.Heartbeat, 2, 12, 0),
    ]);

    private static readonly WireSnapshot After = new([
        Row("b:2", WireDirection.Sent, "nodemesh:sr", 15, 7560, 6000),
        Row("b:2", WireDirection.Sent, WireKeys.Handshake, 1, 60, 0),
        Row("b:2", WireDirection.Sent, "nodemesh:go", 3, 300, 240),
        Row("a:1", WireDirection.Received, WireKeys.Heartbeat, 4, 24, 0),
    ]);

    [Fact]
    public void Rows_are_sorted_and_peers_distinct()
    {
        Assert.Equal(["a:1", "b:2"], After.Peers);
        Assert.Equal(["a:1", "b:2", "b:2", "b:2"], After.Rows.Select(r => r.Peer));
        Assert.Equal([WireKeys.Handshake, "nodemesh:go", "nodemesh:sr"], After.Rows.Skip(1).Select(r => r.Key));
    }

    [Fact]
    public void Minus_gives_the_traffic_in_between_and_drops_unchanged_rows()
    {
        var delta = After.Minus(Before);
        Assert.Equal(
        [
            Row("a:1", WireDirection.Received, WireKeys.Heartbeat, 2, 12, 0),
            Row("b:2", WireDirection.Sent, "nodemesh:go", 3, 300, 240),
            Row("b:2", WireDirection.Sent, "nodemesh:sr", 5, 2520, 2000),
        ], delta.Rows);
        Assert.Empty(After.Minus(After).Rows);
        Assert.Equal(After.Rows, After.Minus(WireSnapshot.Empty).Rows);
    }

    [Fact]
    public void Totals_and_breakdown_split_payload_envelope_and_housekeeping()
    {
        Assert.Equal(new FrameCount(19, 7920, 6240), After.Total(WireDirection.Sent));
        Assert.Equal(new FrameCount(19, 7920, 6240), After.Total(WireDirection.Sent, "b:2"));
        Assert.Equal(FrameCount.Zero, After.Total(WireDirection.Sent, "a:1"));
        var b = After.Breakdown(WireDirection.Sent);
        Assert.Equal(6240, b.PayloadBytes);
        Assert.Equal(7860 - 6240, b.EnvelopeBytes);
        Assert.Equal(60, b.HousekeepingBytes);
        Assert.Equal(7920, b.WireBytes);
        Assert.Equal(new FrameCount(4, 24, 0), After.Total(WireDirection.Received));
        Assert.Equal(new FrameCount(15, 7560, 6000), After.Get("b:2", WireDirection.Sent, "nodemesh:sr"));
        Assert.Equal(FrameCount.Zero, After.Get("b:2", WireDirection.Received, "nodemesh:sr"));
    }

    [Fact]
    public void Rows_say_which_keys_are_nodemesh_messages()
    {
        Assert.True(Row("p", WireDirection.Sent, "nodemesh:sr", 1, 1, 0).IsNodeMesh);
        Assert.False(Row("p", WireDirection.Sent, WireKeys.AkkaMessages, 1, 1, 0).IsNodeMesh);
        Assert.False(Row("p", WireDirection.Sent, WireKeys.Unparsed, 1, 1, 0).IsNodeMesh);
    }
}
