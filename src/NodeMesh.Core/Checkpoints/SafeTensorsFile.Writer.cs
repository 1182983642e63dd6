using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace NodeMesh.Core.Checkpoints;

// Writing of SafeTensorsFile: header layout and little-endian data, replaced atomically.
public static partial class SafeTensorsFile
{
    /// <summary>
    /// Writes <paramref name="tensors"/> (in ordinal name order, contiguous) and optional metadata to
    /// <paramref name="path"/>, replacing the file atomically (a temporary file is written and then moved).
    /// </summary>
    public static void Write(
        string path, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var ordered = tensors.OrderBy(t => t?.Name, StringComparer.Ordinal).ToArray();
        for (int i = 0; i < ordered.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(ordered[i], nameof(tensors));
            if (i > 0 && ordered[i].Name == ordered[i - 1].Name)
            {
                throw new ArgumentException($"two tensors are named '{ordered[i].Name}'; tensor names must be unique", nameof(tensors));
            }
        }
        byte[] header = BuildHeader(ordered, metadata);

        string full = Path.GetFullPath(path);
        string temp = full + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (var tensor in ordered)
                {
                    WriteFloats(stream, tensor.Data);
                }
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (DirectoryNotFoundException)
        {
            throw new UserInputException(
                $"{path}: cannot write the checkpoint because directory {Path.GetDirectoryName(full)} does not exist; create it first");
        }
        catch (UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new UserInputException(
                $"{path}: cannot write the checkpoint: permission denied; choose a writable location");
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static byte[] BuildHeader(NamedTensor[] ordered, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    ArgumentNullException.ThrowIfNull(value, nameof(metadata));
                    json.WriteString(key, value);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var tensor in ordered)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", F32);
                json.WriteStartArray("shape");
                foreach (int d in tensor.Shape)
                {
                    json.WriteNumberValue(d);
                }
                json.WriteEndArray();
                long end = offset + (long)tensor.Data.Length * sizeof(float);
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }
            json.WriteEndObject();
        }
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteFloats(Stream stream, float[] data)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data.AsSpan()));
            return;
        }
        var chunk = new byte[4096 * sizeof(float)];
        for (int start = 0; start < data.Length; start += 4096)
        {
            int n = Math.Min(4096, data.Length - start);
            for (int i = 0; i < n; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(i * sizeof(float)), data[start + i]);
            }
            stream.Write(chunk, 0, n * sizeof(float));
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
