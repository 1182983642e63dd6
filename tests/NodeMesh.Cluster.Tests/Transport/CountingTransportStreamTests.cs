using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using NodeMesh.Actors.Messages;
using NodeMesh.Core.Exchanges;
using NodeMesh.Cluster.Transport;
using Xunit.Abstractions;

namespace NodeMesh.Cluster.Tests.Transport;

/// <summary>
/// The counters against the TCP stream itself: member B advertises a relay's port
/// (<c>public-port</c>), so A's association to B runs through <see cref="CountingRelay"/>,
/// which counts the bytes on the stream and splits it into frames on its own.
/// </summary>
public sealed class CountingTransportStreamTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Messages = 40;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private ActorSystem? _a, _b;
    private CountingRelay? _relay;

    public Task InitializeAsync()
    {
        int portB = FreePort();
        _relay = new CountingRelay(portB);
        _b = ActorSystem.Create("b", Members.Config($"akka.remote.dot-netty.tcp {{ port = {portB}, public-port = {_relay.Port} }}"));
        _a = ActorSystem.Create("a", Members.Config());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_a is not null) await _a.Terminate().WaitAsync(Timeout);
        if (_b is not null) await _b.Terminate().WaitAsync(Timeout);
        if (_relay is not null) await _relay.DisposeAsync();
    }

    // Akka needs B's listening port before B exists (the relay forwards to it); a port the
    // kernel just handed out and released is as close as we get without a bind-port setting.
    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    [Fact]
    public async Task The_counted_wire_bytes_and_frames_are_those_on_the_tcp_stream()
    {
        ActorSystem a = _a!, b = _b!;
        var relay = _relay!;
        Assert.Equal(relay.Port, Members.AddressOf(b).Port); // A will connect through the relay

        b.ActorOf(Props.Create(() => new Members.Echo()), "echo");
        var echo = await a.ActorSelection(new RootActorPath(Members.AddressOf(b)) / "user" / "echo").ResolveOne(Timeout);
        var replies = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var collector = a.ActorOf(Props.Create(() => new Collector(Messages, replies)));
        for (int step = 1; step <= Messages; step++)
            echo.Tell(new SyncResult(0, 0, 0, step, SyncKind.Weights, new float[1000]), collector);
        await replies.Task.WaitAsync(Timeout);

        string keyA = Members.PeerKey(a), keyB = Members.PeerKey(b);
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var sa = WireCounters.Get(a).Snapshot();
            var sb = WireCounters.Get(b).Snapshot();
            var (upBytes, upFrames) = relay.ToTarget;
            var (downBytes, downFrames) = relay.FromTarget;
            bool settled =
                sa.Total(WireDirection.Sent, keyB).WireBytes == upBytes && sb.Total(WireDirection.Received, keyA).WireBytes == upBytes &&
                sb.Total(WireDirection.Sent, keyA).WireBytes == downBytes && sa.Total(WireDirection.Received, keyB).WireBytes == downBytes;
            if (settled)
            {
                output.WriteLine($"A->B {upBytes} bytes, B->A {downBytes} bytes on the stream");
                Assert.False(relay.Desynchronised);
                Assert.Equal(Sorted(upFrames), Members.Side(sa, keyB, WireDirection.Sent));
                Assert.Equal(Sorted(upFrames), Members.Side(sb, keyA, WireDirection.Received));
                Assert.Equal(Sorted(downFrames), Members.Side(sb, keyA, WireDirection.Sent));
                Assert.Equal(Sorted(downFrames), Members.Side(sa, keyB, WireDirection.Received));
                Assert.Equal(Messages, upFrames["nodemesh:sr"].Frames);
                Assert.Equal(Messages, downFrames["nodemesh:gd"].Frames);
                Assert.Equal([keyA], sb.Peers); // learned from the handshake, not the relay's port
                return;
            }
            // Frames may still be in flight between the relay and a member; poll with a deadline
            // (the condition, not the delay, ends the wait).
            Assert.True(DateTime.UtcNow < deadline,
                $"counters never matched the stream: A sent {sa.Total(WireDirection.Sent, keyB).WireBytes}, relay up {upBytes}, B received {sb.Total(WireDirection.Received, keyA).WireBytes}; " +
                $"B sent {sb.Total(WireDirection.Sent, keyA).WireBytes}, relay down {downBytes}, A received {sa.Total(WireDirection.Received, keyB).WireBytes}");
            await Task.Delay(20);
        }
    }

    private static (string, FrameCount)[] Sorted(Dictionary<string, FrameCount> frames)
    {
        var keys = new List<string>(frames.Keys);
        keys.Sort(StringComparer.Ordinal);
        var rows = new List<(string, FrameCount)>();
        foreach (var key in keys) rows.Add((key, frames[key]));
        return [.. rows];
    }

    /// <summary>Completes <c>done</c> after <c>expected</c> replies.</summary>
    private sealed class Collector : ReceiveActor
    {
        public Collector(int expected, TaskCompletionSource done)
        {
            int received = 0;
            Receive<GossipDeclined>(_ => { if (++received == expected) done.TrySetResult(); });
        }
    }
}
