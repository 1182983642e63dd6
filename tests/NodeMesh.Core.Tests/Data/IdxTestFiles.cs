using System.Buffers.Binary;
using System.IO.Compression;

namespace NodeMesh.Core.Tests.Data;

/// <summary>Builds small IDX files in a temporary directory that is deleted on dispose.</summary>
internal sealed class IdxTestFiles : IDisposable
{
    public IdxTestFiles()
    {
        Dir = Path.Combine(Path.GetTempPath(), "nodemesh-idx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
    }

    public string Dir { get; }

    public static byte[] Idx(uint magic, int[] dims, byte[] payload)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, magic);
        for (int d = 0; d < dims.Length; d++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * d), (uint)dims[d]);
        }
        payload.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    public static byte[] Images(int count, int rows, int cols, Func<int, byte>? pixel = null)
    {
        var payload = new byte[count * rows * cols];
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] = pixel?.Invoke(i) ?? (byte)(i % 256);
        }
        return Idx(0x00000803, [count, rows, cols], payload);
    }

    public static byte[] Labels(params byte[] labels) => Idx(0x00000801, [labels.Length], labels);

    public static byte[] Gzip(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(raw);
        }
        return output.ToArray();
    }

    /// <summary>Writes <paramref name="bytes"/> to <c>Dir/name</c> (creating subdirectories) and returns the path.</summary>
    public string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(Dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Writes a valid 4-file dataset (3 train, 2 test images of 2x3) under <c>Dir/sub</c>.</summary>
    public string WriteDataset(string sub = "", bool gzip = false, bool dotted = false)
    {
        string Name(string baseName) =>
            Path.Combine(sub, (dotted ? baseName.Replace("-idx", ".idx", StringComparison.Ordinal) : baseName) + (gzip ? ".gz" : ""));
        byte[] Maybe(byte[] raw) => gzip ? Gzip(raw) : raw;
        Write(Name("train-images-idx3-ubyte"), Maybe(Images(3, 2, 3, i => (byte)(i * 10))));
        Write(Name("train-labels-idx1-ubyte"), Maybe(Labels(4, 0, 9)));
        Write(Name("t10k-images-idx3-ubyte"), Maybe(Images(2, 2, 3, i => i == 0 ? (byte)255 : (byte)51)));
        Write(Name("t10k-labels-idx1-ubyte"), Maybe(Labels(7, 1)));
        return Path.Combine(Dir, sub);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
