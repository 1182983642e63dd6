using System.Text;

namespace NodeMesh.Core.Units;

/// <summary>The kind of store a state record was written by (a byte of its header).</summary>
internal enum WeightStoreKind : byte
{
    /// <summary><see cref="IdealWeightStore"/>.</summary>
    Ideal = 1,

    /// <summary><see cref="Devices.DeviceArray"/>.</summary>
    DeviceArray = 2,
}

/// <summary>
/// Who a state record belongs to: the reading store compares every field with its own before it
/// reads the payload, so that a record is only ever loaded into a store of the same kind, length,
/// seed and configuration (whose construction-time draws are then the writer's too).
/// </summary>
/// <param name="Kind">The store kind.</param>
/// <param name="Length">Weights held (FanIn + 1).</param>
/// <param name="Seed">The seed the store's devices were drawn from (0 for the ideal store).</param>
/// <param name="ConfigHash">A hash of the device configuration (0 for the ideal store).</param>
/// <param name="PayloadBytes">Size of the kind-specific state that follows the header.</param>
internal readonly record struct WeightStoreHeader(WeightStoreKind Kind, int Length, long Seed, ulong ConfigHash, int PayloadBytes);

/// <summary>
/// The framing of a weight store's checkpoint record (<see cref="IWeightStore.WriteState"/>),
/// little-endian throughout:
/// <code>
/// offset size  field
///  0      4    format tag, the ASCII bytes "NMWS"
///  4      2    format version (u16) = 1
///  6      1    store kind (u8): 1 ideal, 2 device array
///  7      4    length (i32): weights held, FanIn + 1
/// 11      8    seed (i64) the devices were drawn from; 0 for the ideal store
/// 19      8    configuration hash (u64); 0 for the ideal store
/// 27      4    payload size in bytes (i32)
/// 31      n    payload: the kind's state (see IdealWeightStore, DeviceArrayState)
/// 31 + n  8    FNV-1a 64 of the payload (u64)
/// </code>
/// The reader checks the header field by field against the reading store (which knows its own
/// payload size, so garbage never makes it allocate more than that), then the payload's checksum,
/// and only then parses it; a bad record throws <see cref="InvalidDataException"/>.
/// </summary>
internal static class WeightStoreState
{
    /// <summary>The version this code writes and the only one it reads.</summary>
    public const ushort Version = 1;

    private static ReadOnlySpan<byte> Tag => "NMWS"u8;

    /// <summary>
    /// Writes one record: the header of <paramref name="header"/>, the payload written by
    /// <paramref name="payload"/> (which must be exactly <see cref="WeightStoreHeader.PayloadBytes"/>
    /// long) and its checksum.
    /// </summary>
    public static void Write(BinaryWriter writer, WeightStoreHeader header, Action<BinaryWriter> payload)
    {
        ArgumentNullException.ThrowIfNull(writer);
        using var buffer = new MemoryStream(header.PayloadBytes);
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true)) payload(w);
        // A mismatch is a bug in the store's layout code; catching it here keeps bad records off disk.
        if (buffer.Length != header.PayloadBytes)
            throw new InvalidOperationException($"{header.Kind} state payload is {buffer.Length} bytes, its layout says {header.PayloadBytes}");
        ReadOnlySpan<byte> bytes = buffer.GetBuffer().AsSpan(0, header.PayloadBytes);
        writer.Write(Tag);
        writer.Write(Version);
        writer.Write((byte)header.Kind);
        writer.Write(header.Length);
        writer.Write(header.Seed);
        writer.Write(header.ConfigHash);
        writer.Write(header.PayloadBytes);
        writer.Write(bytes);
        writer.Write(Checksum(bytes));
    }

    /// <summary>
    /// Reads one record's header and payload for the store described by <paramref name="expected"/>
    /// and returns a reader over the verified payload. Throws <see cref="InvalidDataException"/>
    /// naming the first mismatch (tag, version, kind, length, configuration, seed, size, truncation,
    /// checksum). Reads nothing past the record.
    /// </summary>
    public static BinaryReader ReadPayload(BinaryReader reader, WeightStoreHeader expected)
    {
        ArgumentNullException.ThrowIfNull(reader);
        try
        {
            byte[] tag = ReadExactly(reader, Tag.Length);
            if (!Tag.SequenceEqual(tag)) throw Invalid($"format tag {Convert.ToHexString(tag)} is not 'NMWS' (not a weight-store state)");
            ushort version = reader.ReadUInt16();
            if (version != Version) throw Invalid($"format version {version}; this build reads version {Version}");
            var kind = (WeightStoreKind)reader.ReadByte();
            if (kind != expected.Kind) throw Invalid($"written by {Describe(kind)}; this store is {Describe(expected.Kind)}");
            int length = reader.ReadInt32();
            if (length != expected.Length) throw Invalid($"written by a store of {length} weights; this store holds {expected.Length}");
            long seed = reader.ReadInt64();
            ulong config = reader.ReadUInt64();
            if (config != expected.ConfigHash) throw Invalid("written by a store of another device configuration");
            if (seed != expected.Seed) throw Invalid($"written by a store drawn from seed {seed}; this store was drawn from seed {expected.Seed}");
            int size = reader.ReadInt32();
            if (size != expected.PayloadBytes) throw Invalid($"payload of {size} bytes; this store's state takes {expected.PayloadBytes}");
            byte[] payload = ReadExactly(reader, size);
            if (reader.ReadUInt64() != Checksum(payload)) throw Invalid("payload checksum mismatch (corrupt data)");
            return new BinaryReader(new MemoryStream(payload, writable: false));
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("weight-store state: truncated (the data ends inside the record)", e);
        }
    }

    private static byte[] ReadExactly(BinaryReader reader, int count)
    {
        byte[] bytes = reader.ReadBytes(count);
        return bytes.Length == count ? bytes : throw new EndOfStreamException();
    }

    /// <summary>A state-format error with the common prefix.</summary>
    public static InvalidDataException Invalid(string message) => new($"weight-store state: {message}");

    /// <summary>64-bit FNV-1a: catches corrupted records (not an integrity guarantee against tampering).</summary>
    public static ulong Checksum(ReadOnlySpan<byte> bytes)
    {
        ulong h = 14695981039346656037UL;
        foreach (byte b in bytes) h = (h ^ b) * 1099511628211UL;
        return h;
    }

    /// <summary>Writes <paramref name="values"/> as little-endian float32 bit patterns.</summary>
    public static void WriteFloats(BinaryWriter writer, ReadOnlySpan<float> values)
    {
        foreach (float v in values) writer.Write(v);
    }

    /// <summary>Reads <paramref name="count"/> float32 values written by <see cref="WriteFloats"/>.</summary>
    public static float[] ReadFloats(BinaryReader reader, int count)
    {
        var values = new float[count];
        for (int i = 0; i < values.Length; i++) values[i] = reader.ReadSingle();
        return values;
    }

    private static string Describe(WeightStoreKind kind) => kind switch
    {
        WeightStoreKind.Ideal => "an ideal float store",
        WeightStoreKind.DeviceArray => "a device array",
        _ => $"an unknown store kind ({(byte)kind})",
    };
}
