using Akka.Actor;
using Akka.Remote.Transport;
using Google.Protobuf;

namespace NodeMesh.Cluster.Transport;

/// <summary>
/// Wraps one TCP association: counts every frame written through it and every frame read from
/// it into <see cref="WireCounters"/>, and forwards everything unchanged. The addresses are the
/// wrapped handle's, so the scheme (<c>akka.tcp</c>) is untouched.
/// </summary>
internal sealed class CountingAssociationHandle : AssociationHandle, IHandleEventListener
{
    private readonly AssociationHandle _wrapped;
    private readonly WireCounters _counters;
    private readonly bool _inbound;
    // Written once on an inbound handle when the peer's handshake arrives (event loop thread),
    // read by the endpoint writer: volatile so the writer sees the learned peer.
    private volatile WireCounters.PeerCounters _peer;
    private volatile bool _peerKnown;
    private volatile IHandleEventListener? _upstream;

    /// <param name="wrapped">The transport's handle.</param>
    /// <param name="counters">Where to count.</param>
    /// <param name="inbound">
    /// True for an association the peer opened: its remote address is the peer's ephemeral port,
    /// so the peer is learned from its handshake. An outbound handle's remote address is the
    /// peer's canonical address, the one we associated to.
    /// </param>
    public CountingAssociationHandle(AssociationHandle wrapped, WireCounters counters, bool inbound)
        : base(wrapped.LocalAddress, wrapped.RemoteAddress)
    {
        _wrapped = wrapped;
        _counters = counters;
        _inbound = inbound;
        _peerKnown = !inbound;
        _peer = counters.Peer(inbound ? WireKeys.UnknownPeer : PeerKey(wrapped.RemoteAddress));

        // The layer above (Akka's protocol state actor) completes our ReadHandlerSource with its
        // listener; only then do we register ourselves with the wrapped handle, which is what
        // turns reads on in DotNetty. Registering earlier would deliver frames to no one.
        ReadHandlerSource.Task.ContinueWith(
            static (task, state) => ((CountingAssociationHandle)state!).OnUpstreamListener(task),
            this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The peer key of an address: <c>host:port</c>.</summary>
    public static string PeerKey(Address address) => $"{address.Host}:{address.Port}";

    /// <summary>The handle this one wraps.</summary>
    public AssociationHandle Wrapped => _wrapped;

    /// <summary>The peer key frames are currently counted under.</summary>
    public string Peer => _peer.Name;

    private void OnUpstreamListener(Task<IHandleEventListener> task)
    {
        if (task.IsCompletedSuccessfully)
        {
            _upstream = task.Result;
            _wrapped.ReadHandlerSource.TrySetResult(this);
        }
        else if (task.IsCanceled)
            _wrapped.ReadHandlerSource.TrySetCanceled();
        else
            _wrapped.ReadHandlerSource.TrySetException(task.Exception!.InnerExceptions);
    }

    public override bool Write(ByteString payload)
    {
        // Count only what the transport accepted: false means "not written, try again later",
        // and Akka's endpoint writer then retries the same frame.
        if (!_wrapped.Write(payload)) return false;
        var frame = payload.Span;
        var parsed = FrameParser.Parse(frame);
        _counters.Count(_peer, WireDirection.Sent, parsed, frame.Length);
        return true;
    }

    [Obsolete("Use the method that states reasons to make sure disassociation reasons are logged.")]
    public override void Disassociate() => _wrapped.Disassociate();

    /// <summary>Events from the wrapped handle: frames are counted, then everything goes upstream unchanged.</summary>
    public void Notify(IHandleEvent ev)
    {
        if (ev is InboundPayload inbound)
        {
            var frame = inbound.Payload.Span;
            var parsed = FrameParser.Parse(frame);
            // Learn the peer before counting and before passing the handshake on, so that the
            // handshake itself and our reply (written after the upstream sees it) are attributed.
            if (!_peerKnown && parsed.Kind == WireFrameKind.Handshake && parsed.HasOrigin)
            {
                _peer = _counters.Peer(FrameParser.HostPort(parsed.OriginHost, parsed.OriginPort));
                _peerKnown = true;
            }
            _counters.Count(_peer, WireDirection.Received, parsed, frame.Length);
        }
        // Set before the wrapped handle can call us (we register only once it is known).
        _upstream!.Notify(ev);
    }

    /// <summary>True for an association the peer opened.</summary>
    public bool IsInbound => _inbound;
}
