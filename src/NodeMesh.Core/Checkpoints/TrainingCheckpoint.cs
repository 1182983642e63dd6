using System.Security.Cryptography;
using System.Text;

namespace NodeMesh.Core.Checkpoints;

/// <summary>One tile's saved state: the complete state of each of its units' weight stores, in sweep order.</summary>
public sealed record TileState(int Layer, int Tile, byte[] State);

/// <summary>
/// A training checkpoint: where the run is (<paramref name="Header"/>, a JSON document the caller
/// owns: run settings, data position, partial counters, finished epochs) and the state of every
/// tile. Written to one file, atomically (a temporary file, flushed, then renamed over the old
/// one), with a SHA-256 of its content at the end so that a truncated or corrupted file is refused
/// whole, never half-loaded.
/// </summary>
/// <remarks>
/// Format (little-endian): magic "NMCK", format version (u32), header length (u32), header (UTF-8
/// JSON), tile count (u32), then per tile: layer (u32), tile (u32), state length (u64), state;
/// finally SHA-256 (32 bytes) of everything before it.
/// </remarks>
public sealed record TrainingCheckpoint(string Header, IReadOnlyList<TileState> Tiles)
{
    /// <summary>The checkpoint file of a run directory.</summary>
    public const string FileName = "checkpoint.nmck";

    private static ReadOnlySpan<byte> Magic => "NMCK"u8;
    private const uint Version = 1;

    /// <summary>Writes the checkpoint to <paramref name="path"/> atomically.</summary>
    public void Write(string path)
    {
        string tmp = path + ".tmp";
        using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using (var w = new BinaryWriter(new HashingStream(file, hash), Encoding.UTF8, leaveOpen: true))
            {
                w.Write(Magic);
                w.Write(Version);
                var header = Encoding.UTF8.GetBytes(Header);
                w.Write((uint)header.Length);
                w.Write(header);
                w.Write((uint)Tiles.Count);
                foreach (var t in Tiles)
                {
                    w.Write((uint)t.Layer);
                    w.Write((uint)t.Tile);
                    w.Write((ulong)t.State.Length);
                    w.Write(t.State);
                }
            }
            file.Write(hash.GetHashAndReset());
            file.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Forwards writes to a stream and to a hash.</summary>
    private sealed class HashingStream(Stream inner, IncrementalHash hash) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            hash.AppendData(buffer);
        }
    }

    /// <summary>Reads and verifies a checkpoint; throws <see cref="UserInputException"/> saying what is wrong with the file.</summary>
    public static TrainingCheckpoint Read(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"{path}: no checkpoint there (a run that keeps checkpoints writes {FileName} into its run directory).");
        byte[] all;
        try { all = File.ReadAllBytes(path); }
        catch (IOException e) { throw new UserInputException($"{path}: cannot read the checkpoint ({e.Message})."); }
        const int Trailer = 32;
        if (all.Length < 16 + Trailer || !all.AsSpan(0, 4).SequenceEqual(Magic))
            throw new UserInputException($"{path} is not a NodeMesh checkpoint (or it is truncated to {all.Length} bytes).");
        int bodyLength = all.Length - Trailer;
        if (!SHA256.HashData(all.AsSpan(0, bodyLength)).AsSpan().SequenceEqual(all.AsSpan(bodyLength)))
            throw new UserInputException($"{path}: the checkpoint is corrupted or truncated (its checksum does not match); nothing was loaded. Resume from an intact copy or start the run again.");
        var body = new ArraySegment<byte>(all, 0, bodyLength);
        int pos = 4;
        uint U32() { uint v = BitConverter.ToUInt32(body.AsSpan(pos, 4)); pos += 4; return v; }
        try
        {
            uint version = U32();
            if (version != Version) throw new UserInputException($"{path}: checkpoint format {version}; this NodeMesh reads format {Version}.");
            int headerLength = checked((int)U32());
            string header = Encoding.UTF8.GetString(body.AsSpan(pos, headerLength));
            pos += headerLength;
            uint count = U32();
            var tiles = new List<TileState>();
            for (uint i = 0; i < count; i++)
            {
                int layer = (int)U32(), tile = (int)U32();
                ulong length = BitConverter.ToUInt64(body.AsSpan(pos, 8));
                pos += 8;
                if (length > (ulong)(body.Count - pos)) throw new UserInputException($"{path}: tile {tile} of layer {layer} claims {length} bytes past the end of the file.");
                tiles.Add(new TileState(layer, tile, body.AsSpan(pos, (int)length).ToArray()));
                pos += (int)length;
            }
            if (pos != body.Count) throw new UserInputException($"{path}: {body.Count - pos} unexpected bytes after the last tile.");
            return new TrainingCheckpoint(header, tiles);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new UserInputException($"{path}: the checkpoint ends in the middle of a record; nothing was loaded.");
        }
        catch (OverflowException)
        {
            throw new UserInputException($"{path}: a length in the checkpoint is out of range; nothing was loaded.");
        }
    }
}
