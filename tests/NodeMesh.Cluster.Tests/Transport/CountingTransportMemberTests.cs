using Akka.Actor;
using NodeMesh.Actors.Messages;
using NodeMesh.Core.Exchanges;
using NodeMesh.Cluster.Transport;
using Xunit.Abstractions;

namespace NodeMesh.Cluster.Tests.Transport;

/// <summary>
/// Three ActorSystems in this process, talking over real TCP on loopback through the counting
/// adapter: member A (the TestKit's system) sends NodeMesh messages to an echo actor on B and on
/// C, which answer each one. Both ends of every association must agree byte for byte.
/// </summary>
public sealed class CountingTransportMemberTests : Akka.TestKit.Xunit2.TestKit
{
    private const int ToB = 25, ToC = 7;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly ITestOutputHelper _output;
    private readonly ActorSystem _b;
    private readonly ActorSystem _c;

    public CountingTransportMemberTests(ITestOutputHelper output) : base(Members.Config(), "a", output)
    {
        _output = output;
        _b = ActorSystem.Create("b", Members.Config());
        _c = ActorSystem.Create("c", Members.Config());
    }

    protected override void AfterAll()
    {
        Shutdown(_b, Timeout);
        Shutdown(_c, Timeout);
        base.AfterAll();
    }

    private (long Payload, long Replies) Exchange(ActorSystem target, int count)
    {
        target.ActorOf(Props.Create(() => new Members.Echo()), "echo");
        var echo = Sys.ActorSelection(new RootActorPath(Members.AddressOf(target)) / "user" / "echo").ResolveOne(Timeout).Result;
        var probe = CreateTestProbe();
        long payload = 0, replies = 0;
        for (int step = 1; step <= count; step++)
        {
            var message = new SyncResult(0, 0, 0, step, SyncKind.Gradient, new float[100]);
            payload += Members.SerializedSize(Sys, message);
            replies += Members.SerializedSize(Sys, Members.ReplyTo(step));
            echo.Tell(message, probe.Ref);
        }
        var received = probe.ReceiveN(count, Timeout);
        Assert.Equal(Enumerable.Range(1, count).Select(s => (object)Members.ReplyTo(s)), received);
        return (payload, replies);
    }

    [Fact]
    public void Both_ends_of_each_association_count_the_same_frames_and_bytes_under_canonical_peers()
    {
        var a = WireCounters.Get(Sys);
        var b = WireCounters.Get(_b);
        var c = WireCounters.Get(_c);
        string keyA = Members.PeerKey(Sys), keyB = Members.PeerKey(_b), keyC = Members.PeerKey(_c);
        Assert.Equal("akka.tcp", Members.AddressOf(Sys).Protocol); // the adapter adds no scheme

        var (payloadToB, repliesFromB) = Exchange(_b, ToB);
        var (payloadToC, repliesFromC) = Exchange(_c, ToC);

        // Frames may still be in flight (acks, heartbeats): wait until both ends agree.
        WireSnapshot sa = WireSnapshot.Empty, sb = WireSnapshot.Empty, sc = WireSnapshot.Empty;
        AwaitAssert(() =>
        {
            sa = a.Snapshot();
            sb = b.Snapshot();
            sc = c.Snapshot();
            Assert.Equal(Members.Side(sa, keyB, WireDirection.Sent), Members.Side(sb, keyA, WireDirection.Received));
            Assert.Equal(Members.Side(sb, keyA, WireDirection.Sent), Members.Side(sa, keyB, WireDirection.Received));
            Assert.Equal(Members.Side(sa, keyC, WireDirection.Sent), Members.Side(sc, keyA, WireDirection.Received));
            Assert.Equal(Members.Side(sc, keyA, WireDirection.Sent), Members.Side(sa, keyC, WireDirection.Received));
        }, Timeout, TimeSpan.FromMilliseconds(50));

        foreach (var (name, snapshot) in new[] { ("a", sa), ("b", sb), ("c", sc) })
            foreach (var row in snapshot.Rows)
                _output.WriteLine($"{name} {row.Peer} {row.Direction,-8} {row.Key,-18} frames={row.Frames} wire={row.WireBytes} payload={row.PayloadBytes}");

        // Peers are canonical addresses on both ends: the outbound end (A) and the inbound ends
        // (B, C), which learned A's address from its handshake, not its ephemeral port.
        Assert.Equal(new[] { keyB, keyC }.Order(StringComparer.Ordinal), sa.Peers);
        Assert.Equal([keyA], sb.Peers);
        Assert.Equal([keyA], sc.Peers);

        // The NodeMesh messages, exactly.
        var sent = sa.Get(keyB, WireDirection.Sent, "nodemesh:sr");
        Assert.Equal(ToB, sent.Frames);
        Assert.Equal(payloadToB, sent.PayloadBytes);
        Assert.True(sent.WireBytes > sent.PayloadBytes + 4 * ToB, $"envelope missing: {sent}");
        var back = sb.Get(keyA, WireDirection.Sent, "nodemesh:gd");
        Assert.Equal(ToB, back.Frames);
        Assert.Equal(repliesFromB, back.PayloadBytes);
        Assert.Equal(ToC, sa.Get(keyC, WireDirection.Sent, "nodemesh:sr").Frames);
        Assert.Equal(payloadToC, sa.Get(keyC, WireDirection.Sent, "nodemesh:sr").PayloadBytes);
        Assert.Equal(repliesFromC, sa.Get(keyC, WireDirection.Received, "nodemesh:gd").PayloadBytes);
        // Only sr and gd are NodeMesh traffic here.
        Assert.Equal(["nodemesh:gd", "nodemesh:sr"], NodeMeshKeys(sa));

        foreach (var snapshot in new[] { sa, sb, sc })
        {
            foreach (var row in snapshot.Rows)
            {
                Assert.True(row.WireBytes >= row.PayloadBytes + 4 * row.Frames, $"{row}");
                Assert.Equal(row.IsNodeMesh, row.Key.StartsWith("nodemesh:", StringComparison.Ordinal));
                if (!row.IsNodeMesh) Assert.Equal(0, row.PayloadBytes);
                Assert.NotEqual(WireKeys.Unparsed, row.Key);
                Assert.NotEqual(WireKeys.UnknownPeer, row.Peer);
            }
            foreach (var peer in snapshot.Peers)
            {
                // Housekeeping: both handshakes, and Identify/ActorIdentity as Akka messages.
                Assert.Equal(1, snapshot.Get(peer, WireDirection.Sent, WireKeys.Handshake).Frames);
                Assert.Equal(1, snapshot.Get(peer, WireDirection.Received, WireKeys.Handshake).Frames);
                Assert.True(snapshot.Get(peer, WireDirection.Sent, WireKeys.AkkaMessages).Frames > 0);
                Assert.True(snapshot.Breakdown(WireDirection.Sent, peer).HousekeepingBytes > 0);
            }
        }

        var epoch = sa.Minus(sa);
        Assert.Empty(epoch.Rows);
    }

    private static string[] NodeMeshKeys(WireSnapshot snapshot)
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var row in snapshot.Rows) if (row.IsNodeMesh) keys.Add(row.Key);
        return [.. keys];
    }
}
