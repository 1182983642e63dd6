using System.Buffers.Binary;
using System.Text;
using NodeMesh.Core.Checkpoints;

namespace NodeMesh.Core.Tests.Checkpoints;

public sealed class SafeTensorsFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "nodemesh-st-" + Guid.NewGuid().ToString("N"));

    public SafeTensorsFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>Bytes laid out as Python's safetensors writes them: u64 LE length, space-padded JSON, LE float32 data.</summary>
    private static byte[] File(string json, params float[] data)
    {
        var header = Encoding.UTF8.GetBytes(json);
        int padded = (header.Length + 7) / 8 * 8;
        var bytes = new byte[8 + padded + 4 * data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        header.CopyTo(bytes, 8);
        bytes.AsSpan(8 + header.Length, padded - header.Length).Fill((byte)' ');
        for (int i = 0; i < data.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(8 + padded + 4 * i), data[i]);
        }
        return bytes;
    }

    private UserInputException ReadError(byte[] bytes, string name = "bad.safetensors")
    {
        string path = PathOf(name);
        System.IO.File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<UserInputException>(() => SafeTensorsFile.Read(path));
        Assert.StartsWith(path + ": ", ex.Message, StringComparison.Ordinal);
        return ex;
    }

    [Fact]
    public void Round_trip_keeps_tensors_bits_and_metadata()
    {
        string path = PathOf("model.safetensors");
        var tensors = new[]
        {
            new NamedTensor("layer1.weight", [2, 3], [1f, -2.5f, float.NaN, float.PositiveInfinity, -0f, float.Epsilon]),
            new NamedTensor("bias", [3], [0.1f, 0.2f, 0.3f]),
            new NamedTensor("scalar", [], [42f]),
            new NamedTensor("empty", [0, 4], []),
        };
        var metadata = new Dictionary<string, string> { ["arch"] = "conv5x5x16,relu", ["epoch"] = "3", ["é"] = "ü\"quoted\"" };

        SafeTensorsFile.Write(path, tensors, metadata);
        var read = SafeTensorsFile.Read(path, out var readMetadata);

        Assert.Equal(tensors.Length, read.Count);
        foreach (var t in tensors)
        {
            Assert.True(read[t.Name].ContentEquals(t), t.Name);
        }
        Assert.Equal(metadata.OrderBy(kv => kv.Key), readMetadata.OrderBy(kv => kv.Key));
        Assert.Equal(metadata.OrderBy(kv => kv.Key), SafeTensorsFile.ReadMetadata(path).OrderBy(kv => kv.Key));
        Assert.False(System.IO.File.Exists(path + ".tmp"));
    }

    [Fact]
    public void Write_lays_out_tensors_in_name_order_with_a_padded_header()
    {
        string path = PathOf("layout.safetensors");
        SafeTensorsFile.Write(path, [new NamedTensor("b", [1], [2f]), new NamedTensor("a", [2], [1f, 3f])]);

        var bytes = System.IO.File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8);
        Assert.Equal(8 + (long)n + 12, bytes.Length);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.Equal(
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""",
            header.TrimEnd(' '));
        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + (int)n)));
        Assert.Equal(3f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + (int)n + 4)));
        Assert.Equal(2f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + (int)n + 8)));
        Assert.Empty(SafeTensorsFile.ReadMetadata(path));
    }

    [Fact]
    public void Write_overwrites_an_existing_file()
    {
        string path = PathOf("over.safetensors");
        SafeTensorsFile.Write(path, [new NamedTensor("x", [3], [1f, 2f, 3f])]);
        SafeTensorsFile.Write(path, [new NamedTensor("y", [1], [9f])]);
        var read = SafeTensorsFile.Read(path);
        Assert.Equal(["y"], read.Keys);
    }

    [Fact]
    public void Reads_a_file_with_python_safetensors_layout()
    {
        // As written by safetensors.torch.save_file({"fc.weight": ..., "fc.bias": ...}, metadata={"format": "pt"}):
        // compact JSON with __metadata__ first, tensors not in name order in the buffer, header padded with spaces.
        var bytes = File(
            """{"__metadata__":{"format":"pt"},"fc.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"fc.bias":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},"t":{"dtype":"F32","shape":[],"data_offsets":[24,28]}}""",
            1f, 2f, 3f, 4f, -0.5f, 0.25f, 7f);
        string path = PathOf("python.safetensors");
        System.IO.File.WriteAllBytes(path, bytes);

        var read = SafeTensorsFile.Read(path, out var metadata);

        Assert.Equal("pt", metadata["format"]);
        Assert.Equal([2, 2], read["fc.weight"].Shape);
        Assert.Equal([1f, 2f, 3f, 4f], read["fc.weight"].Data);
        Assert.Equal([2], read["fc.bias"].Shape);
        Assert.Equal([-0.5f, 0.25f], read["fc.bias"].Data);
        Assert.Empty(read["t"].Shape);
        Assert.Equal([7f], read["t"].Data);
    }

    [Fact]
    public void Missing_file_is_named()
    {
        string path = PathOf("none.safetensors");
        var ex = Assert.Throws<UserInputException>(() => SafeTensorsFile.Read(path));
        Assert.Contains(path + ": checkpoint file not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_short_file_is_rejected()
    {
        var ex = ReadError([1, 2, 3]);
        Assert.Contains("the file is 3 bytes long, too short for a safetensors file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_length_beyond_the_file_is_rejected()
    {
        var bytes = File("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 1f);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1_000_000);
        var ex = ReadError(bytes);
        Assert.Contains("the header length in the first 8 bytes is 1000000 but only", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_that_is_not_json_is_rejected()
    {
        var ex = ReadError(File("""{"a":{"dtype":"F32",""", 1f));
        Assert.Contains("the header is not valid JSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_that_is_not_an_object_is_rejected()
    {
        var ex = ReadError(File("[1,2,3]"));
        Assert.Contains("the header is a JSON array, expected an object of tensors", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_f32_dtype_names_the_tensor_and_dtype()
    {
        var ex = ReadError(File(
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"conv1.weight":{"dtype":"F16","shape":[2],"data_offsets":[4,8]}}""",
            1f, 2f));
        Assert.Contains("tensor 'conv1.weight' has dtype F16, but only F32 (float32) tensors can be loaded", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Offsets_that_disagree_with_the_shape_are_rejected()
    {
        var ex = ReadError(File("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 1f, 2f));
        Assert.Contains("tensor 'w': data_offsets [0, 8] span 8 bytes but F32 shape [3] needs 12 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_data_is_rejected()
    {
        string path = PathOf("cut.safetensors");
        SafeTensorsFile.Write(path, [new NamedTensor("w", [4], [1f, 2f, 3f, 4f])]);
        var bytes = System.IO.File.ReadAllBytes(path);
        var ex = ReadError(bytes.AsSpan(0, bytes.Length - 4).ToArray());
        Assert.Contains("tensor 'w': data_offsets [0, 16] reach past the 12-byte data buffer", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trailing_data_is_rejected()
    {
        var ex = ReadError(File("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 1f, 2f));
        Assert.Contains("4 bytes of trailing data", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlapping_tensors_are_rejected()
    {
        var ex = ReadError(File(
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""",
            1f, 2f, 3f));
        Assert.Contains("tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gaps_between_tensors_are_rejected()
    {
        var ex = ReadError(File(
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""",
            1f, 2f, 3f));
        Assert.Contains("bytes [4, 8) of the data buffer, before tensor 'b', belong to no tensor", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_entries_name_the_tensor()
    {
        var noShape = ReadError(File("""{"w":{"dtype":"F32","data_offsets":[0,4]}}""", 1f));
        Assert.Contains("tensor 'w': the header entry has no \"shape\"", noShape.Message, StringComparison.Ordinal);
        var negative = ReadError(File("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 1f));
        Assert.Contains("tensor 'w': \"shape\" value -1 is not valid", negative.Message, StringComparison.Ordinal);
        var offsets = ReadError(File("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", 1f));
        Assert.Contains("tensor 'w': \"data_offsets\" has 1 values, expected an array of 2", offsets.Message, StringComparison.Ordinal);
        var notObject = ReadError(File("""{"w":3}""", 1f));
        Assert.Contains("tensor 'w': the header entry is a JSON number", notObject.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_string_metadata_is_rejected()
    {
        var ex = ReadError(File("""{"__metadata__":{"epoch":3}}"""));
        Assert.Contains("__metadata__ entry 'epoch' is a JSON number, expected a string", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Writing_into_a_missing_directory_is_a_user_error()
    {
        string path = Path.Combine(_dir, "no", "such", "dir", "m.safetensors");
        var ex = Assert.Throws<UserInputException>(() => SafeTensorsFile.Write(path, [new NamedTensor("x", [1], [1f])]));
        Assert.Contains("does not exist; create it first", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tensor_data_must_match_shape_and_names_must_be_unique()
    {
        var ex = Assert.Throws<ArgumentException>(() => new NamedTensor("w", [2, 3], new float[5]));
        Assert.Contains("shape [2, 3] holds 6 elements but Data has 5", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new NamedTensor("w", [-1], []));
        Assert.Throws<ArgumentException>(() => new NamedTensor(SafeTensorsFile.MetadataKey, [1], [1f]));
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(PathOf("dup"), [new NamedTensor("a", [1], [1f]), new NamedTensor("a", [1], [2f])]));
    }
}
