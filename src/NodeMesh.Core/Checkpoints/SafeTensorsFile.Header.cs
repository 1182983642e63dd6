using System.Buffers.Binary;
using System.Text.Json;

namespace NodeMesh.Core.Checkpoints;

// Header parsing of SafeTensorsFile: every check that makes a bad file a clear UserInputException
// before any tensor byte is read.
public static partial class SafeTensorsFile
{
    private sealed record Entry(string Name, long[] Shape, long Count, long Begin, long End);

    private sealed record Header(long HeaderLength, IReadOnlyList<Entry> Entries, IReadOnlyDictionary<string, string> Metadata);

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
