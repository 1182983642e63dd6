using Google.Protobuf;

namespace NodeMesh.Cluster.Tests.Transport;

/// <summary>
/// Builds Akka.Remote frames by hand with Google.Protobuf's encoder (Akka's generated message
/// classes are internal), following WireFormats.proto and ContainerFormats.proto.
/// </summary>
internal static class Frames
{
    public const int Associate = 1, Disassociate = 2, Heartbeat = 3, ShuttingDown = 4, Quarantined = 5;

    /// <summary>Encodes fields written by <paramref name="write"/>.</summary>
    public static byte[] Message(Action<CodedOutputStream> write)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        write(output);
        output.Flush();
        return stream.ToArray();
    }

    public static void Bytes(CodedOutputStream o, int field, byte[] value)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(value));
    }

    public static void Text(CodedOutputStream o, int field, string value)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteString(value);
    }

    public static void Varint(CodedOutputStream o, int field, ulong value)
    {
        o.WriteTag(field, WireFormat.WireType.Varint);
        o.WriteUInt64(value);
    }

    public static void Fixed64(CodedOutputStream o, int field, ulong value)
    {
        o.WriteTag(field, WireFormat.WireType.Fixed64);
        o.WriteFixed64(value);
    }

    /// <summary>AddressData { system = 1; hostname = 2; port = 3; protocol = 4 }.</summary>
    public static byte[] Address(string system, string host, uint port, string protocol = "akka.tcp") => Message(o =>
    {
        Text(o, 1, system);
        Text(o, 2, host);
        Varint(o, 3, port);
        Text(o, 4, protocol);
    });

    /// <summary>AkkaControlMessage with an optional AkkaHandshakeInfo { origin = 1; uid = 2 }.</summary>
    public static byte[] Control(int command, byte[]? origin = null, ulong uid = 42) => Message(o =>
    {
        if (command != 0) Varint(o, 1, (ulong)command); // proto3 omits the default
        if (origin is not null)
            Bytes(o, 2, Message(h => { Bytes(h, 1, origin); Fixed64(h, 2, uid); }));
    });

    /// <summary>AkkaProtocolMessage { payload = 1; instruction = 2 }.</summary>
    public static byte[] Protocol(byte[]? payload = null, byte[]? instruction = null) => Message(o =>
    {
        if (payload is not null) Bytes(o, 1, payload);
        if (instruction is not null) Bytes(o, 2, instruction);
    });

    public static byte[] HeartbeatFrame() => Protocol(instruction: Control(Heartbeat));

    public static byte[] HandshakeFrame(string host, uint port) =>
        Protocol(instruction: Control(Associate, Address("sys", host, port)));

    /// <summary>Payload { message = 1; serializerId = 2; messageManifest = 3 }.</summary>
    public static byte[] Payload(byte[] message, int serializerId, string? manifest) => Message(o =>
    {
        Bytes(o, 1, message);
        o.WriteTag(2, WireFormat.WireType.Varint);
        o.WriteInt32(serializerId); // negative ids become 10-byte varints, as in Akka
        if (manifest is not null) Bytes(o, 3, System.Text.Encoding.UTF8.GetBytes(manifest));
    });

    /// <summary>ActorRefData { path = 1 }.</summary>
    public static byte[] ActorRef(string path) => Message(o => Text(o, 1, path));

    /// <summary>AcknowledgementInfo { cumulativeAck = 1; nacks = 2 }.</summary>
    public static byte[] AckInfo(ulong cumulative) => Message(o => Fixed64(o, 1, cumulative));

    /// <summary>AckAndEnvelopeContainer { ack = 1; envelope = 2 } around RemoteEnvelope { recipient = 1; message = 2; sender = 4; seq = 5 }.</summary>
    public static byte[] Container(byte[]? payload, bool withAck = false, bool withSender = true) => Message(o =>
    {
        if (withAck) Bytes(o, 1, AckInfo(7));
        if (payload is not null)
            Bytes(o, 2, Message(e =>
            {
                Bytes(e, 1, ActorRef("akka.tcp://b@127.0.0.1:2552/user/collector#123"));
                Bytes(e, 2, payload);
                if (withSender) Bytes(e, 4, ActorRef("akka.tcp://a@127.0.0.1:2551/user/sender#456"));
                Fixed64(e, 5, ulong.MaxValue);
            }));
    });

    /// <summary>A complete frame carrying a message of <paramref name="serializerId"/>.</summary>
    public static byte[] MessageFrame(byte[] message, int serializerId, string? manifest, bool withAck = false) =>
        Protocol(payload: Container(Payload(message, serializerId, manifest), withAck));
}
