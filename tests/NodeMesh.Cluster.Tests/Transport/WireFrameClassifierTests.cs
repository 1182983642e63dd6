using NodeMesh.Actors.Serialization;
using NodeMesh.Cluster.Transport;

namespace NodeMesh.Cluster.Tests.Transport;

/// <summary>The frame classifier on hand-built frames, including malformed ones.</summary>
public sealed class WireFrameClassifierTests
{
    [Theory]
    [InlineData(Frames.Heartbeat, WireFrameKind.Heartbeat, WireKeys.Heartbeat)]
    [InlineData(Frames.Disassociate, WireFrameKind.Disassociate, WireKeys.Disassociate)]
    [InlineData(Frames.ShuttingDown, WireFrameKind.Disassociate, WireKeys.Disassociate)]
    [InlineData(Frames.Quarantined, WireFrameKind.Disassociate, WireKeys.Disassociate)]
    [InlineData(0, WireFrameKind.Disassociate, WireKeys.Disassociate)] // NONE: never sent; grouped with the other commands
    [InlineData(Frames.Associate, WireFrameKind.Handshake, WireKeys.Handshake)] // without handshake info
    public void Control_frames_are_classified_by_command(int command, WireFrameKind kind, string key)
    {
        var frame = WireFrameClassifier.Classify(Frames.Protocol(instruction: Frames.Control(command)));
        Assert.Equal(new WireFrame(kind, key, 0, null), frame);
        Assert.False(WireKeys.IsNodeMesh(frame.Key));
    }

    [Fact]
    public void A_handshake_carries_the_senders_canonical_host_and_port()
    {
        var frame = WireFrameClassifier.Classify(Frames.HandshakeFrame("10.0.0.7", 4053));
        Assert.Equal(new WireFrame(WireFrameKind.Handshake, WireKeys.Handshake, 0, "10.0.0.7:4053"), frame);
    }

    [Theory]
    [InlineData("", 4053u)]
    [InlineData("10.0.0.7", 0u)]
    [InlineData("10.0.0.7", 70000u)]
    public void A_handshake_origin_without_host_or_with_an_impossible_port_names_no_peer(string host, uint port)
    {
        var frame = WireFrameClassifier.Classify(Frames.HandshakeFrame(host, port));
        Assert.Equal(WireFrameKind.Handshake, frame.Kind);
        Assert.Null(frame.Origin);
    }

    [Fact]
    public void A_nodemesh_message_is_keyed_by_manifest_and_its_payload_is_the_serialized_message()
    {
        var message = new byte[413];
        var bytes = Frames.MessageFrame(message, NodeMeshSerializer.Id, "sr");
        var frame = WireFrameClassifier.Classify(bytes);
        Assert.Equal(new WireFrame(WireFrameKind.NodeMesh, "nodemesh:sr", 413, null), frame);
        Assert.True(WireKeys.IsNodeMesh(frame.Key));
        Assert.True(bytes.Length > 413); // the rest is envelope
    }

    [Fact]
    public void A_piggybacked_ack_does_not_change_the_classification_of_the_message()
    {
        var frame = WireFrameClassifier.Classify(Frames.MessageFrame(new byte[10], NodeMeshSerializer.Id, "go", withAck: true));
        Assert.Equal(new WireFrame(WireFrameKind.NodeMesh, "nodemesh:go", 10, null), frame);
    }

    [Fact]
    public void A_nodemesh_message_without_manifest_or_body_is_still_a_nodemesh_message()
    {
        var frame = WireFrameClassifier.Classify(Frames.Protocol(payload: Frames.Container(
            Frames.Message(o => Frames.Varint(o, 2, NodeMeshSerializer.Id)))));
        Assert.Equal(new WireFrame(WireFrameKind.NodeMesh, "nodemesh:", 0, null), frame);
    }

    [Theory]
    [InlineData(5)]     // Akka's MessageContainerSerializer etc.
    [InlineData(17)]    // Akka.Remote's system message serializer
    [InlineData(730)]
    [InlineData(-731)]  // negative ids are 10-byte varints; only the low 32 bits count
    [InlineData(0)]
    public void Messages_of_other_serializers_are_akka_housekeeping_without_payload(int serializerId)
    {
        var frame = WireFrameClassifier.Classify(Frames.MessageFrame(new byte[50], serializerId, "m"));
        Assert.Equal(new WireFrame(WireFrameKind.AkkaMessage, WireKeys.AkkaMessages, 0, null), frame);
    }

    [Fact]
    public void A_container_with_only_an_ack_is_an_ack()
    {
        var frame = WireFrameClassifier.Classify(Frames.Protocol(payload: Frames.Container(null, withAck: true)));
        Assert.Equal(new WireFrame(WireFrameKind.Ack, WireKeys.Ack, 0, null), frame);
    }

    [Fact]
    public void An_instruction_takes_precedence_over_a_payload_as_in_akkas_decoder()
    {
        var both = Frames.Protocol(payload: Frames.Container(Frames.Payload([1, 2], NodeMeshSerializer.Id, "sr")), instruction: Frames.Control(Frames.Heartbeat));
        Assert.Equal(WireFrameKind.Heartbeat, WireFrameClassifier.Classify(both).Kind);
    }

    [Fact]
    public void Unknown_fields_are_skipped_at_every_level()
    {
        var payload = Frames.Message(o =>
        {
            Frames.Fixed64(o, 9, 1);
            Frames.Bytes(o, 1, new byte[7]);
            o.WriteTag(10, Google.Protobuf.WireFormat.WireType.Fixed32);
            o.WriteFixed32(5);
            Frames.Varint(o, 2, NodeMeshSerializer.Id);
            Frames.Text(o, 3, "gr");
            Frames.Varint(o, 11, 123456789);
        });
        var frame = Frames.Message(o =>
        {
            Frames.Text(o, 15, "future field");
            Frames.Bytes(o, 1, Frames.Container(payload));
        });
        Assert.Equal(new WireFrame(WireFrameKind.NodeMesh, "nodemesh:gr", 7, null), WireFrameClassifier.Classify(frame));
    }

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "empty frame", [] },
        { "empty payload and no instruction", Frames.Protocol(payload: []) },
        { "field number 0", [0x02, 0x00] },
        { "group wire type", [0x0B, 0x0C] },
        { "wire type 7", [0x0F] },
        // serializerId 731 (0xDB 0x05) padded to 10 and 11 varint bytes: not a valid 64-bit varint,
        // although the low 32 bits would still read as NodeMesh's id.
        { "10th varint byte above 1", SerializerIdVarint([0xDB, 0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02]) },
        { "varint longer than 10 bytes", SerializerIdVarint([0xDB, 0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x81, 0x00]) },
        { "varint cut short", [0x08, 0x80] },
        { "length beyond the end", [0x0A, 0x05, 0x01, 0x02] },
        { "huge length", [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F] },
        { "length near ulong max", [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] },
        { "fixed64 cut short", [0x09, 1, 2, 3] },
        { "fixed32 cut short", [0x0D, 1, 2] },
        { "tag beyond uint", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] },
        { "garbage instruction", Frames.Protocol(instruction: [0xFF]) },
        { "garbage container", Frames.Protocol(payload: [0x12, 0x09, 0x00]) },
        { "garbage envelope", Frames.Protocol(payload: Frames.Message(o => Frames.Bytes(o, 2, [0x12, 0x30]))) },
        { "garbage payload", Frames.Protocol(payload: Frames.Container([0x0A, 0x7F])) },
        { "garbage origin", Frames.Protocol(instruction: Frames.Control(Frames.Associate, [0x12, 0x08, 0x41])) },
    };

    /// <summary>A NodeMesh message frame whose Payload.serializerId is encoded as <paramref name="varint"/>.</summary>
    private static byte[] SerializerIdVarint(byte[] varint) =>
        Frames.Protocol(payload: Frames.Container([0x0A, 0x00, 0x10, .. varint, 0x1A, 0x02, (byte)'s', (byte)'r']));

    [Fact]
    public void A_ten_byte_serializer_id_with_only_the_top_bit_in_the_last_byte_is_valid()
    {
        var frame = WireFrameClassifier.Classify(SerializerIdVarint([0xDB, 0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]));
        Assert.Equal(new WireFrame(WireFrameKind.NodeMesh, "nodemesh:sr", 0, null), frame);
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_frames_are_unparsed_and_never_throw(string what, byte[] bytes)
    {
        var frame = WireFrameClassifier.Classify(bytes);
        Assert.True(frame == new WireFrame(WireFrameKind.Unparsed, WireKeys.Unparsed, 0, null), $"{what}: {frame}");
    }

    [Fact]
    public void Every_truncation_of_a_valid_frame_is_unparsed_and_does_not_throw()
    {
        var frames = new[]
        {
            Frames.MessageFrame(new byte[300], NodeMeshSerializer.Id, "sr", withAck: true),
            Frames.HandshakeFrame("127.0.0.1", 2552),
            Frames.Protocol(payload: Frames.Container(null, withAck: true)),
            Frames.HeartbeatFrame(),
        };
        foreach (var bytes in frames)
        {
            Assert.NotEqual(WireFrameKind.Unparsed, WireFrameClassifier.Classify(bytes).Kind);
            // Each frame is a single outer field, so every shorter prefix cuts through its length.
            for (int length = 0; length < bytes.Length; length++)
                Assert.Equal(WireFrameKind.Unparsed, WireFrameClassifier.Classify(bytes.AsSpan(0, length)).Kind);
        }
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(1234); // seeded: the same inputs every run
        var buffer = new byte[64];
        var kinds = new int[7];
        for (int i = 0; i < 200_000; i++)
        {
            var span = buffer.AsSpan(0, random.Next(buffer.Length + 1));
            random.NextBytes(span);
            // Steer half the inputs towards the frame's real fields so the inner readers get exercised.
            if (span.Length > 2 && (i & 1) == 0) { span[0] = (byte)((i & 2) == 0 ? 0x0A : 0x12); span[1] = (byte)(span.Length - 2); }
            kinds[(int)WireFrameClassifier.Classify(span).Kind]++;
        }
        Assert.True(kinds[(int)WireFrameKind.Unparsed] > 0);
    }

    [Fact]
    public void Manifest_keys_are_interned_so_counting_does_not_allocate_per_frame()
    {
        var cache = new ManifestKeyCache();
        var sr = System.Text.Encoding.UTF8.GetBytes("sr");
        var first = cache.KeyFor(sr);
        Assert.Equal("nodemesh:sr", first);
        Assert.Same(first, cache.KeyFor((byte[])sr.Clone()));
        Assert.NotSame(first, cache.KeyFor("go"u8));
    }

    [Fact]
    public void Distinct_manifests_beyond_the_cap_share_one_key()
    {
        var cache = new ManifestKeyCache();
        for (int i = 0; i < ManifestKeyCache.MaxKeys; i++)
            Assert.Equal($"nodemesh:m{i}", cache.KeyFor(System.Text.Encoding.UTF8.GetBytes($"m{i}")));
        Assert.Equal(ManifestKeyCache.OverflowKey, cache.KeyFor("one too many"u8));
        Assert.Equal("nodemesh:m0", cache.KeyFor("m0"u8)); // known ones keep their key
    }

    [Fact]
    public void Parsing_and_counting_a_known_frame_allocates_nothing()
    {
        var counters = new WireCounters();
        var peer = counters.Peer("10.0.0.2:4053");
        var frames = new[]
        {
            Frames.MessageFrame(new byte[400], NodeMeshSerializer.Id, "sr"),
            Frames.HeartbeatFrame(),
            Frames.MessageFrame(new byte[20], 17, null),
            Frames.HandshakeFrame("10.0.0.1", 4053),
        };
        void CountAll()
        {
            foreach (var f in frames)
            {
                var parsed = FrameParser.Parse(f);
                counters.Count(peer, WireDirection.Sent, parsed, f.Length);
            }
        }
        CountAll(); // first sight of each key creates its counter
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) CountAll();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        var snapshot = counters.Snapshot();
        Assert.Equal(new FrameCount(1001, 1001L * (frames[0].Length + 4), 1001L * 400), snapshot.Get("10.0.0.2:4053", WireDirection.Sent, "nodemesh:sr"));
        Assert.Equal(1001, snapshot.Get("10.0.0.2:4053", WireDirection.Sent, WireKeys.Handshake).Frames);
    }
}
