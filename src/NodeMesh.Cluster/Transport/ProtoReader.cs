namespace NodeMesh.Cluster.Transport;

/// <summary>
/// A minimal, bounds-checked reader of the protobuf wire format over a span: enough to walk the
/// few Akka.Remote messages a frame is made of without materialising them. Every read returns
/// false instead of throwing when the input is malformed or truncated, because frames from the
/// network are untrusted input and counting must never break the association.
/// </summary>
internal ref struct ProtoReader
{
    /// <summary>Protobuf wire type of a varint field (int32, uint32, enum, bool, ...).</summary>
    public const int WireVarint = 0;
    /// <summary>Protobuf wire type of a fixed64 field.</summary>
    public const int WireFixed64 = 1;
    /// <summary>Protobuf wire type of a length-delimited field (bytes, string, embedded message).</summary>
    public const int WireLengthDelimited = 2;
    /// <summary>Protobuf wire type of a fixed32 field.</summary>
    public const int WireFixed32 = 5;

    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public ProtoReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>True when every byte has been consumed.</summary>
    public readonly bool AtEnd => _position >= _data.Length;

    /// <summary>
    /// Reads the next field key. Field number 0 and the deprecated group wire types (3, 4) are
    /// rejected: Akka never emits them, so seeing one means the bytes are not what we think.
    /// </summary>
    public bool TryReadTag(out int fieldNumber, out int wireType)
    {
        fieldNumber = 0;
        wireType = 0;
        if (!TryReadVarint(out var tag)) return false;
        // Field numbers are at most 2^29 - 1; anything larger is not a valid key.
        if (tag > uint.MaxValue) return false;
        fieldNumber = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        return fieldNumber != 0 && wireType is WireVarint or WireFixed64 or WireLengthDelimited or WireFixed32;
    }

    /// <summary>Reads a base-128 varint of at most 10 bytes (the protobuf limit for 64-bit values).</summary>
    public bool TryReadVarint(out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _data.Length) return false;
            byte b = _data[_position++];
            // The 10th byte may only carry the top bit of a 64-bit value.
            if (shift == 63 && b > 1) return false;
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return true;
        }
        return false;
    }

    /// <summary>Reads a length-delimited field's content (bytes, string or embedded message) without copying.</summary>
    public bool TryReadLengthDelimited(out ReadOnlySpan<byte> content)
    {
        content = default;
        if (!TryReadVarint(out var length)) return false;
        if (length > (ulong)(_data.Length - _position)) return false;
        content = _data.Slice(_position, (int)length);
        _position += (int)length;
        return true;
    }

    /// <summary>Skips a field's value of the given wire type.</summary>
    public bool TrySkip(int wireType)
    {
        switch (wireType)
        {
            case WireVarint:
                return TryReadVarint(out _);
            case WireFixed64:
                return TryAdvance(8);
            case WireFixed32:
                return TryAdvance(4);
            case WireLengthDelimited:
                return TryReadLengthDelimited(out _);
            default:
                return false;
        }
    }

    private bool TryAdvance(int count)
    {
        if (_data.Length - _position < count) return false;
        _position += count;
        return true;
    }
}
