using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace NodeMesh.Core.Checkpoints;

/// <summary>
/// Reads and writes float32 checkpoints in the safetensors format
/// (https://github.com/huggingface/safetensors): an 8-byte little-endian u64 header length N, N bytes of
/// UTF-8 JSON <c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
/// "__metadata__": {"key": "value"}}</c> padded with spaces to a multiple of 8, then the tensor bytes
/// (little-endian float32) with offsets relative to the start of that byte buffer.
/// Files written here load with Python's <c>safetensors.numpy.load_file</c> / <c>safetensors.torch.load_file</c>
/// and vice versa (for F32 tensors). Every problem with a file is a <see cref="UserInputException"/>
/// naming the file and, where it applies, the tensor.
/// </summary>
public static class SafeTensorsFile
{
    /// <summary>The header key that holds the string-to-string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The largest header accepted (the limit of the reference implementation).</summary>
    public const long MaxHeaderLength = 100_000_000;

    private const string F32 = "F32";

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

    /// <summary>Reads every tensor of a safetensors file (F32 only), keyed by name.</summary>
    public static IReadOnlyDictionary<string, NamedTensor> Read(string path) => Read(path, out _);

    /// <summary>Reads every tensor of a safetensors file (F32 only) and its <c>__metadata__</c> (empty when absent).</summary>
    public static IReadOnlyDictionary<string, NamedTensor> Read(
        string path, out IReadOnlyDictionary<string, string> metadata)
    {
        using var stream = Open(path);
        var header = ReadHeader(stream, path);
        metadata = header.Metadata;
        var result = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        long position = 8 + header.HeaderLength;
        foreach (var entry in header.Entries.OrderBy(e => e.Begin))
        {
            var data = new float[entry.Count];
            stream.Position = position + entry.Begin;
            stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
            if (!BitConverter.IsLittleEndian)
            {
                var ints = MemoryMarshal.Cast<float, int>(data.AsSpan());
                BinaryPrimitives.ReverseEndianness(ints, ints);
            }
            int[] shape = Array.ConvertAll(entry.Shape, d => (int)d);
            result.Add(entry.Name, new NamedTensor(entry.Name, shape, data));
        }
        return result;
    }

    /// <summary>Reads only the <c>__metadata__</c> of a safetensors file (validating its header).</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var stream = Open(path);
        return ReadHeader(stream, path).Metadata;
    }

    private sealed record Entry(string Name, long[] Shape, long Count, long Begin, long End);

    private sealed record Header(long HeaderLength, IReadOnlyList<Entry> Entries, IReadOnlyDictionary<string, string> Metadata);

    private static FileStream Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new UserInputException($"{path}: checkpoint file not found; check the path");
        }
        catch (UnauthorizedAccessException) when (Directory.Exists(path))
        {
            throw new UserInputException($"{path}: is a directory, not a checkpoint file; give the path of a .safetensors file");
        }
        catch (UnauthorizedAccessException)
        {
            throw new UserInputException($"{path}: permission denied; make the checkpoint file readable");
        }
    }

    private static Header ReadHeader(FileStream stream, string path)
    {
        const string NotSafeTensors = "the file is truncated, corrupt or not a safetensors file";
        long fileLength = stream.Length;
        if (fileLength < 8)
        {
            throw Error(path,
                $"the file is {fileLength} bytes long, too short for a safetensors file (it must start with an 8-byte header length); {NotSafeTensors}");
        }
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(fileLength - 8))
        {
            throw Error(path,
                $"the header length in the first 8 bytes is {headerLength} but only {fileLength - 8} bytes follow; {NotSafeTensors}");
        }
        if (headerLength > MaxHeaderLength)
        {
            throw Error(path, $"the header length {headerLength} exceeds the {MaxHeaderLength}-byte limit; {NotSafeTensors}");
        }
        if (headerLength < 2)
        {
            throw Error(path, $"the header length is {headerLength}, too short for a JSON header; {NotSafeTensors}");
        }
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        long dataLength = fileLength - 8 - (long)headerLength;

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes);
        }
        catch (JsonException ex)
        {
            throw Error(path, $"the header is not valid JSON ({ex.Message}); {NotSafeTensors}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Error(path, $"the header is a JSON {Kind(root)}, expected an object of tensors; {NotSafeTensors}");
            }
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<Entry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    throw Error(path, $"the header names '{property.Name}' twice; {NotSafeTensors}");
                }
                if (property.Name == MetadataKey)
                {
                    ReadMetadata(path, property.Value, metadata);
                }
                else
                {
                    entries.Add(ReadEntry(path, property.Name, property.Value, dataLength));
                }
            }
            CheckLayout(path, entries, dataLength);
            return new Header((long)headerLength, entries, metadata);
        }
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Error(path, $"{MetadataKey} is a JSON {Kind(value)}, expected an object of strings");
        }
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw Error(path, $"{MetadataKey} entry '{item.Name}' is a JSON {Kind(item.Value)}, expected a string");
            }
            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static Entry ReadEntry(string path, string name, JsonElement value, long dataLength)
    {
        string where = $"tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Error(path, $"{where}: the header entry is a JSON {Kind(value)}, expected an object with dtype, shape and data_offsets");
        }
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw Error(path, $"{where}: the header entry has no \"dtype\" string");
        }
        string dtype = dtypeElement.GetString()!;
        if (dtype != F32)
        {
            throw Error(path,
                $"{where} has dtype {dtype}, but only F32 (float32) tensors can be loaded; convert the tensor to float32 " +
                "(e.g. tensor.float() in PyTorch) and save the checkpoint again");
        }
        long[] shape = ReadIntegers(path, where, value, "shape", expectedCount: null);
        long[] offsets = ReadIntegers(path, where, value, "data_offsets", expectedCount: 2);
        string shapeText = $"[{string.Join(", ", shape)}]";
        long count = NamedTensor.ElementCount(shape);
        if (count < 0 || shape.Any(d => d > int.MaxValue))
        {
            throw Error(path, $"{where}: shape {shapeText} has more elements than can be loaded");
        }
        long begin = offsets[0], end = offsets[1];
        if (begin > end)
        {
            throw Error(path, $"{where}: data_offsets [{begin}, {end}] begin after they end; the header is corrupt");
        }
        if (end > dataLength)
        {
            throw Error(path,
                $"{where}: data_offsets [{begin}, {end}] reach past the {dataLength}-byte data buffer; the file is truncated or corrupt");
        }
        if (end - begin != count * sizeof(float))
        {
            throw Error(path,
                $"{where}: data_offsets [{begin}, {end}] span {end - begin} bytes but F32 shape {shapeText} needs " +
                $"{count * sizeof(float)} bytes; the header is corrupt");
        }
        return new Entry(name, shape, count, begin, end);
    }

    private static long[] ReadIntegers(string path, string where, JsonElement entry, string field, int? expectedCount)
    {
        string expected = expectedCount is { } n ? $"an array of {n} non-negative integers" : "an array of non-negative integers";
        if (!entry.TryGetProperty(field, out var array) || array.ValueKind != JsonValueKind.Array)
        {
            throw Error(path, $"{where}: the header entry has no \"{field}\" ({expected})");
        }
        int length = array.GetArrayLength();
        if (expectedCount is { } count && length != count)
        {
            throw Error(path, $"{where}: \"{field}\" has {length} values, expected {expected}");
        }
        if (length > 64)
        {
            throw Error(path, $"{where}: \"{field}\" has {length} values, too many dimensions");
        }
        var result = new long[length];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long value) || value < 0)
            {
                throw Error(path, $"{where}: \"{field}\" value {item.GetRawText()} is not valid, expected {expected}");
            }
            result[i++] = value;
        }
        return result;
    }

    private static void CheckLayout(string path, List<Entry> entries, long dataLength)
    {
        // As in the reference implementation: tensors tile the data buffer exactly, without overlap or gaps.
        long previousEnd = 0;
        Entry? previous = null;
        foreach (var entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin < previousEnd)
            {
                throw Error(path,
                    $"tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] overlap tensor '{previous!.Name}' " +
                    $"[{previous.Begin}, {previous.End}]; the header is corrupt");
            }
            if (entry.Begin > previousEnd)
            {
                throw Error(path,
                    $"bytes [{previousEnd}, {entry.Begin}) of the data buffer, before tensor '{entry.Name}', belong to no tensor; " +
                    "the header is corrupt");
            }
            previousEnd = entry.End;
            previous = entry;
        }
        if (previousEnd != dataLength)
        {
            throw Error(path,
                $"the tensors cover {previousEnd} bytes but {dataLength} bytes follow the header " +
                $"({dataLength - previousEnd} bytes of trailing data); the header does not match the data");
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

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    private static UserInputException Error(string path, string message) => new($"{path}: {message}");
}
