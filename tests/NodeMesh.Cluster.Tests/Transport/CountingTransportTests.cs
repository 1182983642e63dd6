using Akka.Actor;
using Akka.Remote.Transport;
using Google.Protobuf;
using NodeMesh.Actors.Serialization;
using NodeMesh.Cluster.Transport;
using AkkaTransport = Akka.Remote.Transport.Transport;

namespace NodeMesh.Cluster.Tests.Transport;

/// <summary>
/// The adapter's plumbing against a fake wrapped transport: listener and read-handler hand-offs,
/// queued inbound associations, failed associations, peer identity and what gets counted.
/// No sockets, no timing: every step is driven by completing promises by hand.
/// </summary>
public sealed class CountingTransportTests : IDisposable
{
    private static readonly Address Local = new("akka.tcp", "a", "127.0.0.1", 4001);
    private static readonly Address PeerCanonical = new("akka.tcp", "b", "10.0.0.9", 4002);
    private static readonly Address PeerEphemeral = new("akka.tcp", "b", "10.0.0.9", 51234);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    private readonly ActorSystem _system = ActorSystem.Create("fake", "akka.loglevel = WARNING");
    private readonly FakeTransport _inner = new();
    private readonly WireCounters _counters = new();
    private readonly CountingTransport _transport;

    public CountingTransportTests() => _transport = new CountingTransport(_inner, _system, _counters);

    public void Dispose() => _system.Terminate().Wait(Bound);

    [Fact]
    public async Task The_adapter_keeps_the_wrapped_address_and_scheme()
    {
        var (address, _) = await _transport.Listen().WaitAsync(Bound);
        Assert.Equal(Local, address);
        Assert.Equal("akka.tcp", address.Protocol);
        Assert.Equal("tcp", _transport.SchemeIdentifier);
        Assert.Equal(_inner.MaximumPayloadBytes, _transport.MaximumPayloadBytes);
        Assert.True(_transport.IsResponsibleFor(PeerCanonical));
        Assert.False(_transport.IsResponsibleFor(new Address("akka.udp", "b", "h", 1)));
        Assert.True(await _transport.ManagementCommand("ping").WaitAsync(Bound));
        Assert.Equal(["ping"], _inner.Commands);
        Assert.True(await _transport.Shutdown().WaitAsync(Bound));
        Assert.True(_inner.ShutDown);
    }

    [Fact]
    public async Task Inbound_associations_before_the_upstream_listener_are_queued_and_delivered_in_order()
    {
        var (_, upstreamPromise) = await _transport.Listen().WaitAsync(Bound);
        // The wrapped transport got our relay at once; it may deliver associations immediately.
        var relay = await _inner.ListenerPromise.Task.WaitAsync(Bound);
        var first = new FakeHandle(Local, PeerEphemeral);
        var second = new FakeHandle(Local, new Address("akka.tcp", "c", "10.0.0.10", 51235));
        relay.Notify(new InboundAssociation(first));
        relay.Notify(new InboundAssociation(second));

        var upstream = new RecordingAssociationListener();
        Assert.Empty(upstream.Events);
        upstreamPromise.SetResult(upstream);
        var third = new FakeHandle(Local, new Address("akka.tcp", "d", "10.0.0.11", 51236));
        relay.Notify(new InboundAssociation(third));

        var wrapped = upstream.Events.Select(e => ((CountingAssociationHandle)((InboundAssociation)e).Association).Wrapped).ToArray();
        Assert.Equal<AssociationHandle>([first, second, third], wrapped);
        Assert.All(upstream.Events, e => Assert.Equal(WireKeys.UnknownPeer, ((CountingAssociationHandle)((InboundAssociation)e).Association).Peer));
    }

    [Fact]
    public async Task Queued_inbound_associations_are_closed_when_the_upstream_listener_never_comes()
    {
        var (_, upstreamPromise) = await _transport.Listen().WaitAsync(Bound);
        var relay = await _inner.ListenerPromise.Task.WaitAsync(Bound);
        var early = new FakeHandle(Local, PeerEphemeral);
        relay.Notify(new InboundAssociation(early));
        upstreamPromise.SetException(new InvalidOperationException("remoting failed to start"));
        var late = new FakeHandle(Local, PeerEphemeral);
        relay.Notify(new InboundAssociation(late));
        Assert.True(early.Disassociated);
        Assert.True(late.Disassociated);
    }

    [Fact]
    public async Task The_read_handler_is_registered_with_the_wrapped_handle_only_once_upstream_registers_its_own()
    {
        var inner = new FakeHandle(Local, PeerCanonical);
        _inner.NextAssociation = Task.FromResult<AssociationHandle>(inner);
        var handle = await _transport.Associate(PeerCanonical).WaitAsync(Bound);
        Assert.Equal(PeerCanonical, handle.RemoteAddress);
        Assert.Equal(Local, handle.LocalAddress);
        Assert.False(inner.ReadHandlerSource.Task.IsCompleted); // reads stay off until upstream listens

        var upstream = new RecordingHandleListener();
        handle.ReadHandlerSource.SetResult(upstream);
        var registered = await inner.ReadHandlerSource.Task.WaitAsync(Bound);
        Assert.Same(handle, registered);

        // Events other than payloads pass through untouched.
        var gone = new Disassociated(DisassociateInfo.Shutdown);
        registered.Notify(gone);
        Assert.Same(gone, Assert.Single(upstream.Events));
    }

    [Fact]
    public async Task An_outbound_handle_counts_under_the_address_it_associated_to()
    {
        var inner = new FakeHandle(Local, PeerCanonical);
        _inner.NextAssociation = Task.FromResult<AssociationHandle>(inner);
        var handle = await _transport.Associate(PeerCanonical).WaitAsync(Bound);
        var upstream = new RecordingHandleListener();
        handle.ReadHandlerSource.SetResult(upstream);
        var listener = await inner.ReadHandlerSource.Task.WaitAsync(Bound);

        var handshake = Frames.HandshakeFrame("127.0.0.1", 4001);
        var message = Frames.MessageFrame(new byte[400], NodeMeshSerializer.Id, "sr");
        Assert.True(handle.Write(ByteString.CopyFrom(handshake)));
        Assert.True(handle.Write(ByteString.CopyFrom(message)));
        var reply = Frames.HandshakeFrame("10.0.0.9", 4002);
        var payload = new InboundPayload(ByteString.CopyFrom(reply));
        listener.Notify(payload);

        Assert.Same(payload, Assert.Single(upstream.Events)); // the same event object goes up
        Assert.Equal(2, inner.Written.Count); // and the same bytes go down
        Assert.Equal(handshake, inner.Written[0].ToByteArray());
        var s = _counters.Snapshot();
        Assert.Equal(["10.0.0.9:4002"], s.Peers);
        Assert.Equal(new FrameCount(1, handshake.Length + 4, 0), s.Get("10.0.0.9:4002", WireDirection.Sent, WireKeys.Handshake));
        Assert.Equal(new FrameCount(1, message.Length + 4, 400), s.Get("10.0.0.9:4002", WireDirection.Sent, "nodemesh:sr"));
        Assert.Equal(new FrameCount(1, reply.Length + 4, 0), s.Get("10.0.0.9:4002", WireDirection.Received, WireKeys.Handshake));
    }

    [Fact]
    public async Task An_inbound_handle_learns_its_peer_from_the_handshake_and_counts_everything_under_it()
    {
        var (_, upstreamPromise) = await _transport.Listen().WaitAsync(Bound);
        var relay = await _inner.ListenerPromise.Task.WaitAsync(Bound);
        var associations = new RecordingAssociationListener();
        upstreamPromise.SetResult(associations);
        var inner = new FakeHandle(Local, PeerEphemeral);
        relay.Notify(new InboundAssociation(inner));
        var handle = ((InboundAssociation)Assert.Single(associations.Events)).Association;
        Assert.Equal(PeerEphemeral, handle.RemoteAddress); // addresses are the wrapped handle's
        var upstream = new RecordingHandleListener();
        handle.ReadHandlerSource.SetResult(upstream);
        var listener = await inner.ReadHandlerSource.Task.WaitAsync(Bound);

        var handshake = Frames.HandshakeFrame("10.0.0.9", 4002);
        listener.Notify(new InboundPayload(ByteString.CopyFrom(handshake)));
        var message = Frames.MessageFrame(new byte[40], NodeMeshSerializer.Id, "go");
        listener.Notify(new InboundPayload(ByteString.CopyFrom(message)));
        var ours = Frames.HandshakeFrame("127.0.0.1", 4001); // a later handshake must not move the peer
        Assert.True(handle.Write(ByteString.CopyFrom(ours)));
        var another = Frames.HandshakeFrame("10.9.9.9", 9);
        listener.Notify(new InboundPayload(ByteString.CopyFrom(another)));

        var s = _counters.Snapshot();
        Assert.Equal(["10.0.0.9:4002"], s.Peers); // neither "unknown" nor the ephemeral port
        Assert.Equal(new FrameCount(2, handshake.Length + another.Length + 8, 0), s.Get("10.0.0.9:4002", WireDirection.Received, WireKeys.Handshake));
        Assert.Equal(new FrameCount(1, message.Length + 4, 40), s.Get("10.0.0.9:4002", WireDirection.Received, "nodemesh:go"));
        Assert.Equal(new FrameCount(1, ours.Length + 4, 0), s.Get("10.0.0.9:4002", WireDirection.Sent, WireKeys.Handshake));
        Assert.Equal(3, upstream.Events.Count); // every inbound frame went up
    }

    [Fact]
    public async Task Frames_on_an_inbound_handle_before_the_handshake_are_counted_under_unknown()
    {
        var (_, upstreamPromise) = await _transport.Listen().WaitAsync(Bound);
        var relay = await _inner.ListenerPromise.Task.WaitAsync(Bound);
        var associations = new RecordingAssociationListener();
        upstreamPromise.SetResult(associations);
        var inner = new FakeHandle(Local, PeerEphemeral);
        relay.Notify(new InboundAssociation(inner));
        var handle = ((InboundAssociation)Assert.Single(associations.Events)).Association;
        handle.ReadHandlerSource.SetResult(new RecordingHandleListener());
        var listener = await inner.ReadHandlerSource.Task.WaitAsync(Bound);

        listener.Notify(new InboundPayload(ByteString.CopyFrom(Frames.HeartbeatFrame())));
        Assert.True(handle.Write(ByteString.CopyFrom(Frames.HeartbeatFrame())));
        var s = _counters.Snapshot();
        Assert.Equal([WireKeys.UnknownPeer], s.Peers);
        Assert.Equal(1, s.Get(WireKeys.UnknownPeer, WireDirection.Received, WireKeys.Heartbeat).Frames);
        Assert.Equal(1, s.Get(WireKeys.UnknownPeer, WireDirection.Sent, WireKeys.Heartbeat).Frames);
    }

    [Fact]
    public async Task A_write_the_transport_refuses_is_not_counted()
    {
        var inner = new FakeHandle(Local, PeerCanonical) { AcceptWrites = false };
        _inner.NextAssociation = Task.FromResult<AssociationHandle>(inner);
        var handle = await _transport.Associate(PeerCanonical).WaitAsync(Bound);
        Assert.False(handle.Write(ByteString.CopyFrom(Frames.HeartbeatFrame())));
        Assert.Empty(_counters.Snapshot().Rows);
    }

    [Fact]
    public async Task Disassociate_reaches_the_wrapped_handle()
    {
        var inner = new FakeHandle(Local, PeerCanonical);
        _inner.NextAssociation = Task.FromResult<AssociationHandle>(inner);
        var handle = await _transport.Associate(PeerCanonical).WaitAsync(Bound);
        handle.Disassociate("test", _system.Log);
        Assert.True(inner.Disassociated);
    }

    [Fact]
    public async Task A_failed_association_fails_the_returned_task_with_the_same_exception()
    {
        var refused = new InvalidAssociationException("Connection refused 10.0.0.9:4002");
        _inner.NextAssociation = Task.FromException<AssociationHandle>(refused);
        var thrown = await Assert.ThrowsAsync<InvalidAssociationException>(() => _transport.Associate(PeerCanonical).WaitAsync(Bound));
        Assert.Same(refused, thrown);
    }

    [Fact]
    public async Task A_wrapped_transport_that_throws_synchronously_fails_the_task_instead_of_the_caller()
    {
        _inner.ThrowOnAssociate = new InvalidOperationException("boom");
        var task = _transport.Associate(PeerCanonical); // must not throw here
        await Assert.ThrowsAsync<InvalidOperationException>(() => task.WaitAsync(Bound));
    }

    [Fact]
    public async Task A_cancelled_association_cancels_the_returned_task()
    {
        _inner.NextAssociation = Task.FromCanceled<AssociationHandle>(new CancellationToken(canceled: true));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _transport.Associate(PeerCanonical).WaitAsync(Bound));
    }

    [Fact]
    public void The_provider_type_string_in_the_hocon_resolves_to_the_provider()
    {
        var config = CountingTransport.HoconConfig;
        var typeName = config.GetString($"akka.remote.adapters.{CountingTransport.AdapterName}");
        Assert.Equal(typeof(CountingTransportProvider), Type.GetType(typeName));
        Assert.Equal([CountingTransport.AdapterName], config.GetStringList("akka.remote.dot-netty.tcp.applied-adapters"));
        Assert.IsType<CountingTransport>(new CountingTransportProvider().Create(_inner, (ExtendedActorSystem)_system));
    }

    private sealed class FakeTransport : AkkaTransport
    {
        public FakeTransport()
        {
            SchemeIdentifier = "tcp";
            MaximumPayloadBytes = 128_000;
        }

        public TaskCompletionSource<IAssociationEventListener> ListenerPromise { get; } = new();
        public Task<AssociationHandle>? NextAssociation { get; set; }
        public Exception? ThrowOnAssociate { get; set; }
        public List<object> Commands { get; } = [];
        public bool ShutDown { get; private set; }

        public override Task<(Address, TaskCompletionSource<IAssociationEventListener>)> Listen() =>
            Task.FromResult((Local, ListenerPromise));

        public override bool IsResponsibleFor(Address remote) => remote.Protocol == "akka.tcp";

        public override Task<AssociationHandle> Associate(Address remoteAddress) =>
            ThrowOnAssociate is not null ? throw ThrowOnAssociate : NextAssociation ?? throw new InvalidOperationException("no association set up");

        public override Task<bool> Shutdown()
        {
            ShutDown = true;
            return Task.FromResult(true);
        }

        public override Task<bool> ManagementCommand(object message)
        {
            Commands.Add(message);
            return Task.FromResult(true);
        }
    }

    private sealed class FakeHandle(Address local, Address remote) : AssociationHandle(local, remote)
    {
        public List<ByteString> Written { get; } = [];
        public bool AcceptWrites { get; init; } = true;
        public bool Disassociated { get; private set; }

        public override bool Write(ByteString payload)
        {
            if (AcceptWrites) Written.Add(payload);
            return AcceptWrites;
        }

        [Obsolete("Use the method that states reasons to make sure disassociation reasons are logged.")]
        public override void Disassociate() => Disassociated = true;
    }

    private sealed class RecordingAssociationListener : IAssociationEventListener
    {
        public List<IAssociationEvent> Events { get; } = [];
        public void Notify(IAssociationEvent ev) => Events.Add(ev);
    }

    private sealed class RecordingHandleListener : IHandleEventListener
    {
        public List<IHandleEvent> Events { get; } = [];
        public void Notify(IHandleEvent ev) => Events.Add(ev);
    }
}
