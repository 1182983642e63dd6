using System.Text;
using NodeMesh.Actors.Serialization;

namespace NodeMesh.Cluster.Transport;

/// <summary>What an Akka.Remote frame (one <c>AkkaProtocolMessage</c>) carries.</summary>
public enum WireFrameKind
{
    /// <summary>The bytes are not a well-formed Akka protocol frame (counted under <see cref="WireKeys.Unparsed"/>).</summary>
    Unparsed = 0,
    /// <summary>Control frame ASSOCIATE: the Akka protocol handshake, carrying the sender's canonical address.</summary>
    Handshake = 1,
    /// <summary>Control frame HEARTBEAT of the transport failure detector.</summary>
    Heartbeat = 2,
    /// <summary>Control frame DISASSOCIATE (plain, shutting down or quarantined) or any other command.</summary>
    Disassociate = 3,
    /// <summary>Payload frame with only a system-message acknowledgement, no envelope.</summary>
    Ack = 4,
    /// <summary>Payload frame with a message of another serializer: cluster gossip, remote watch heartbeats, system messages.</summary>
    AkkaMessage = 5,
    /// <summary>Payload frame with a NodeMesh message (serializer <see cref="NodeMeshSerializer.Id"/>).</summary>
    NodeMesh = 6,
}

/// <summary>
/// The classification of one frame, for tests and offline analysis (captures). The transport's hot
/// path uses the non-allocating <see cref="FrameParser"/> directly.
/// </summary>
/// <param name="Kind">What the frame carries.</param>
/// <param name="Key">The counter key (<see cref="WireKeys"/>): <c>nodemesh:&lt;manifest&gt;</c> or an <c>akka:</c> key.</param>
/// <param name="PayloadBytes">Bytes of the serialized NodeMesh message inside the frame; 0 for any other kind.</param>
/// <param name="Origin">For a handshake, the sender's canonical <c>host:port</c>; otherwise null.</param>
public readonly record struct WireFrame(WireFrameKind Kind, string Key, long PayloadBytes, string? Origin);

/// <summary>Classifies Akka.Remote frames (the bytes between two DotNetty length prefixes).</summary>
public static class WireFrameClassifier
{
    /// <summary>
    /// Classifies one frame. Never throws: malformed or truncated bytes give <see cref="WireFrameKind.Unparsed"/>.
    /// Allocates the key and origin strings; meant for tests and offline analysis, not the hot path.
    /// </summary>
    public static WireFrame Classify(ReadOnlySpan<byte> frame)
    {
        var parsed = FrameParser.Parse(frame);
        string key = parsed.Kind == WireFrameKind.NodeMesh
            ? WireKeys.NodeMeshPrefix + Encoding.UTF8.GetString(parsed.Manifest)
            : WireKeys.ForKind(parsed.Kind);
        string? origin = parsed.HasOrigin ? FrameParser.HostPort(parsed.OriginHost, parsed.OriginPort) : null;
        return new WireFrame(parsed.Kind, key, parsed.PayloadBytes, origin);
    }
}

/// <summary>The fields of a frame the counters need, as spans into the frame (no copies).</summary>
internal readonly ref struct ParsedFrame
{
    public ParsedFrame(WireFrameKind kind) => Kind = kind;

    public WireFrameKind Kind { get; init; }

    /// <summary>Manifest bytes (UTF-8) of a NodeMesh message.</summary>
    public ReadOnlySpan<byte> Manifest { get; init; }

    /// <summary>Length of the serialized NodeMesh message (<c>Payload.message</c>); 0 for other kinds.</summary>
    public int PayloadBytes { get; init; }

    /// <summary>True when a handshake carried an origin with a host name and a port.</summary>
    public bool HasOrigin { get; init; }

    /// <summary>Host name (UTF-8) of a handshake's origin address.</summary>
    public ReadOnlySpan<byte> OriginHost { get; init; }

    /// <summary>Port of a handshake's origin address.</summary>
    public uint OriginPort { get; init; }
}

/// <summary>
/// Walks the Akka.Remote wire format (WireFormats.proto, ContainerFormats.proto) just deep enough
/// to classify a frame:
/// <code>
/// AkkaProtocolMessage     { bytes payload = 1; AkkaControlMessage instruction = 2; }
/// AkkaControlMessage      { CommandType commandType = 1; AkkaHandshakeInfo handshakeInfo = 2; }
/// AkkaHandshakeInfo       { AddressData origin = 1; fixed64 uid = 2; string cookie = 3; }
/// AddressData             { string system = 1; string hostname = 2; uint32 port = 3; string protocol = 4; }
/// AckAndEnvelopeContainer { AcknowledgementInfo ack = 1; RemoteEnvelope envelope = 2; }
/// RemoteEnvelope          { ActorRefData recipient = 1; Payload message = 2; ActorRefData sender = 4; fixed64 seq = 5; }
/// Payload                 { bytes message = 1; int32 serializerId = 2; bytes messageManifest = 3; }
/// </code>
/// Every level is read to its end, so a frame whose structure is broken anywhere on the path is
/// unparsed rather than half-classified. When a field repeats, the last occurrence wins (protobuf
/// would merge embedded messages; Akka never repeats these fields).
/// </summary>
internal static class FrameParser
{
    // CommandType values of AkkaControlMessage.
    private const ulong CommandAssociate = 1;
    private const ulong CommandHeartbeat = 3;

    /// <summary>Classifies a frame without allocating. Never throws on any input.</summary>
    public static ParsedFrame Parse(ReadOnlySpan<byte> frame)
    {
        var reader = new ProtoReader(frame);
        ReadOnlySpan<byte> payload = default, instruction = default;
        bool hasPayload = false, hasInstruction = false;
        while (!reader.AtEnd)
        {
            if (!reader.TryReadTag(out int field, out int wire)) return Unparsed;
            if (field == 1 && wire == ProtoReader.WireLengthDelimited)
            {
                if (!reader.TryReadLengthDelimited(out payload)) return Unparsed;
                hasPayload = true;
            }
            else if (field == 2 && wire == ProtoReader.WireLengthDelimited)
            {
                if (!reader.TryReadLengthDelimited(out instruction)) return Unparsed;
                hasInstruction = true;
            }
            else if (!reader.TrySkip(wire)) return Unparsed;
        }

        // Same precedence as Akka's AkkaPduProtobuffCodec.DecodePdu: the instruction first, then a non-empty payload.
        if (hasInstruction) return ParseControl(instruction);
        if (hasPayload && !payload.IsEmpty) return ParseAckAndEnvelope(payload);
        return Unparsed;
    }

    /// <summary>Formats a peer key <c>host:port</c> from a handshake origin.</summary>
    public static string HostPort(ReadOnlySpan<byte> host, uint port) => $"{Encoding.UTF8.GetString(host)}:{port}";

    private static ParsedFrame Unparsed => new(WireFrameKind.Unparsed);

    private static ParsedFrame ParseControl(ReadOnlySpan<byte> control)
    {
        var reader = new ProtoReader(control);
        ulong command = 0; // proto3 omits the default NONE
        ReadOnlySpan<byte> handshake = default;
        bool hasHandshake = false;
        while (!reader.AtEnd)
        {
            if (!reader.TryReadTag(out int field, out int wire)) return Unparsed;
            if (field == 1 && wire == ProtoReader.WireVarint)
            {
                if (!reader.TryReadVarint(out command)) return Unparsed;
            }
            else if (field == 2 && wire == ProtoReader.WireLengthDelimited)
            {
                if (!reader.TryReadLengthDelimited(out handshake)) return Unparsed;
                hasHandshake = true;
            }
            else if (!reader.TrySkip(wire)) return Unparsed;
        }

        if (command == CommandHeartbeat) return new ParsedFrame(WireFrameKind.Heartbeat);
        // NONE, DISASSOCIATE, DISASSOCIATE_SHUTTING_DOWN, DISASSOCIATE_QUARANTINED and values
        // from future versions all end or refuse an association: one housekeeping bucket.
        if (command != CommandAssociate) return new ParsedFrame(WireFrameKind.Disassociate);
        if (!hasHandshake) return new ParsedFrame(WireFrameKind.Handshake);
        return ParseHandshake(handshake);
    }

    private static ParsedFrame ParseHandshake(ReadOnlySpan<byte> handshake)
    {
        var reader = new ProtoReader(handshake);
        ReadOnlySpan<byte> origin = default;
        bool hasOrigin = false;
        while (!reader.AtEnd)
        {
            if (!reader.TryReadTag(out int field, out int wire)) return Unparsed;
            if (field == 1 && wire == ProtoReader.WireLengthDelimited)
            {
                if (!reader.TryReadLengthDelimited(out origin)) return Unparsed;
                hasOrigin = true;
            }
            else if (!reader.TrySkip(wire)) return Unparsed;
        }
        if (!hasOrigin) return new ParsedFrame(WireFrameKind.Handshake);

        var address = new ProtoReader(origin);
        ReadOnlySpan<byte> host = default;
        ulong port = 0;
        while (!address.AtEnd)
        {
            if (!address.TryReadTag(out int field, out int wire)) return Unparsed;
            if (field == 2 && wire == ProtoReader.WireLengthDelimited)
            {
                if (!address.TryReadLengthDelimited(out host)) return Unparsed;
            }
            else if (field == 3 && wire == ProtoReader.WireVarint)
            {
                if (!address.TryReadVarint(out port)) return Unparsed;
            }
            else if (!address.TrySkip(wire)) return Unparsed;
        }

        // An origin without host or with an impossible port cannot name a peer; the frame is
        // still a handshake, the handle just does not learn its peer from it.
        bool usable = !host.IsEmpty && port is > 0 and <= ushort.MaxValue;
        return new ParsedFrame(WireFrameKind.Handshake)
        {
            HasOrigin = usable,
            OriginHost = usable ? host : default,
            OriginPort = usable ? (uint)port : 0,
        };
    }

    private static ParsedFrame ParseAckAndEnvelope(ReadOnlySpan<byte> container)
    {
        var reader = new ProtoReader(container);
        ReadOnlySpan<byte> envelope = default;
        bool hasEnvelope = false;
        while (!reader.AtEnd)
        {
            if (!reader.TryReadTag(out int field, out int wire)) return Unparsed;
            if (field == 2 && wire == ProtoReader.WireLengthDelimited)
            {
                if (!reader.TryReadLengthDelimited(out envelope)) return Unparsed;
                hasEnvelope = true;
            }
            else if (!reader.TrySkip(wire)) return Unparsed;
        }
        if (!hasEnvelope) return new ParsedFrame(WireFrameKind.Ack);

        var env = new ProtoReader(envelope);
        ReadOnlySpan<byte> message = default;
        bool hasMessage = false;
        while (!env.AtEnd)
        {
            if (!env.TryReadTag(out int field, out int wire)) return Unparsed;
            if (field == 2 && wire == ProtoReader.WireLengthDelimited)
            {
                if (!env.TryReadLengthDelimited(out message)) return Unparsed;
                hasMessage = true;
            }
            else if (!env.TrySkip(wire)) return Unparsed;
        }
        // An envelope without a message is Akka's business, not ours.
        if (!hasMessage) return new ParsedFrame(WireFrameKind.AkkaMessage);

        var payload = new ProtoReader(message);
        ReadOnlySpan<byte> body = default, manifest = default;
        ulong serializerId = 0;
        while (!payload.AtEnd)
        {
            if (!payload.TryReadTag(out int field, out int wire)) return Unparsed;
            if (field == 1 && wire == ProtoReader.WireLengthDelimited)
            {
                if (!payload.TryReadLengthDelimited(out body)) return Unparsed;
            }
            else if (field == 2 && wire == ProtoReader.WireVarint)
            {
                if (!payload.TryReadVarint(out serializerId)) return Unparsed;
            }
            else if (field == 3 && wire == ProtoReader.WireLengthDelimited)
            {
                if (!payload.TryReadLengthDelimited(out manifest)) return Unparsed;
            }
            else if (!payload.TrySkip(wire)) return Unparsed;
        }

        // int32 on the wire: negative ids are sign-extended 10-byte varints; the low 32 bits are the value.
        if (unchecked((int)serializerId) != NodeMeshSerializer.Id) return new ParsedFrame(WireFrameKind.AkkaMessage);
        return new ParsedFrame(WireFrameKind.NodeMesh) { Manifest = manifest, PayloadBytes = body.Length };
    }
}
