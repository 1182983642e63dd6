using System.Buffers.Binary;
using System.Runtime.InteropServices;

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
/// <remarks>
/// One class in three files: this one holds the reading entry points, SafeTensorsFile.Header.cs
/// parses and checks the header, SafeTensorsFile.Writer.cs writes files.
/// </remarks>
public static partial class SafeTensorsFile
{
    /// <summary>The header key that holds the string-to-string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The largest header accepted (the limit of the reference implementation).</summary>
    public const long MaxHeaderLength = 100_000_000;

    private const string F32 = "F32";

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
}
