using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;

namespace NodeMesh.Core.Data;

/// <summary>The images of an IDX image file: <see cref="Count"/> × <see cref="Rows"/> × <see cref="Cols"/> raw bytes.</summary>
public sealed record IdxImages(int Count, int Rows, int Cols, byte[] Pixels);

/// <summary>
/// Reads IDX files (the MNIST / Fashion-MNIST format), gzip-compressed (detected by the magic bytes
/// 1f 8b) or raw. Only unsigned-byte files are accepted: images (magic 0x00000803, three dimensions)
/// and labels (magic 0x00000801, one dimension). The file must hold exactly the bytes its header
/// promises. Every problem is a <see cref="UserInputException"/> that names the file.
/// </summary>
public static class IdxReader
{
    /// <summary>Magic number of an unsigned-byte, three-dimensional (image) IDX file.</summary>
    public const uint ImageMagic = 0x00000803;

    /// <summary>Magic number of an unsigned-byte, one-dimensional (label) IDX file.</summary>
    public const uint LabelMagic = 0x00000801;

    /// <summary>The IDX data type code of unsigned bytes, the only one supported.</summary>
    public const byte UnsignedByteType = 0x08;

    /// <summary>Reads an image file (gzip or raw) from disk.</summary>
    public static IdxImages ReadImages(string path) => WithFile(path, stream => ReadImages(stream, path));

    /// <summary>Reads an image file (gzip or raw) from a stream; <paramref name="name"/> is used in error messages.</summary>
    public static IdxImages ReadImages(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (dims, payload) = Read(stream, name, ImageMagic);
        return new IdxImages(dims[0], dims[1], dims[2], payload);
    }

    /// <summary>Reads a label file (gzip or raw) from disk; every label must be in 0..classes-1.</summary>
    public static byte[] ReadLabels(string path, int classes = 10) =>
        WithFile(path, stream => ReadLabels(stream, path, classes));

    /// <summary>Reads a label file (gzip or raw) from a stream; every label must be in 0..classes-1.</summary>
    public static byte[] ReadLabels(Stream stream, string name, int classes = 10)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classes, 256);
        var (_, labels) = Read(stream, name, LabelMagic);
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= classes)
            {
                throw Error(name,
                    $"label {labels[i]} at index {i} is out of range 0..{classes - 1} ({classes} classes); " +
                    "the file is not a label file for this dataset or is corrupt");
            }
        }
        return labels;
    }

    private static T WithFile<T>(string path, Func<Stream, T> read)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw Error(path, "file not found; check the path (expected an IDX file such as train-images-idx3-ubyte.gz)");
        }
        catch (UnauthorizedAccessException)
        {
            throw Error(path, "permission denied; make the file readable by the current user");
        }
        using (stream)
        {
            return read(stream);
        }
    }

    private static (int[] Dims, byte[] Payload) Read(Stream source, string name, uint expectedMagic)
    {
        bool gzip = IsGzip(ref source);
        string where = gzip ? " (after gzip decompression)" : "";
        using var data = gzip ? new GZipStream(source, CompressionMode.Decompress, leaveOpen: true) : null;
        Stream input = data ?? source;
        try
        {
            Span<byte> head = stackalloc byte[4];
            int got = ReadFully(input, head);
            if (got == 0)
            {
                throw Error(name, $"the file is empty{where}; expected an IDX {Kind(expectedMagic)} file");
            }
            if (got < 4)
            {
                throw Error(name, $"the file is only {got} bytes long{where}, too short for the 4-byte IDX magic number");
            }
            uint magic = BinaryPrimitives.ReadUInt32BigEndian(head);
            CheckMagic(name, magic, expectedMagic);

            int rank = (int)(magic & 0xFF);
            Span<byte> dimBytes = stackalloc byte[4 * rank];
            got = ReadFully(input, dimBytes);
            if (got < dimBytes.Length)
            {
                throw Error(name,
                    $"the header is truncated{where}: magic number 0x{magic:X8} declares {rank} dimensions " +
                    $"({4 * rank} bytes) but only {got} bytes follow it");
            }
            var dims = new int[rank];
            long total = 1;
            for (int d = 0; d < rank; d++)
            {
                uint value = BinaryPrimitives.ReadUInt32BigEndian(dimBytes[(4 * d)..]);
                if (value == 0 || value > int.MaxValue)
                {
                    throw Error(name,
                        $"dimension {d} ({DimName(expectedMagic, d)}) is {value} in the header " +
                        $"({DescribeDims(expectedMagic, dimBytes, rank)}); every dimension must be between 1 and {int.MaxValue}");
                }
                dims[d] = (int)value;
                total *= value;
                if (total > Array.MaxLength)
                {
                    throw Error(name,
                        $"the header dimensions ({DescribeDims(expectedMagic, dimBytes, rank)}) promise more than " +
                        $"{Array.MaxLength} bytes of data, which cannot be loaded; the header is corrupt");
                }
            }

            var payload = new byte[total];
            got = ReadFully(input, payload);
            string promise = $"{total} bytes ({Describe(expectedMagic, dims)})";
            if (got < total)
            {
                throw Error(name,
                    $"the file is truncated{where}: the header promises {promise} of data but only {got} bytes follow " +
                    "the header; download the file again");
            }
            long extra = CountRemaining(input);
            if (extra > 0)
            {
                throw Error(name,
                    $"the file has {extra} bytes of trailing data{where} after the {promise} the header promises; " +
                    "the header dimensions do not match the data");
            }
            return (dims, payload);
        }
        catch (InvalidDataException ex) when (gzip)
        {
            throw Error(name, $"the gzip data is corrupt ({ex.Message}); download the file again");
        }
    }

    private static void CheckMagic(string name, uint magic, uint expected)
    {
        if (magic == expected)
        {
            return;
        }
        string expectedText = $"{Kind(expected)} file (0x{expected:X8})";
        if (magic is ImageMagic or LabelMagic)
        {
            throw Error(name,
                $"magic number 0x{magic:X8} is {Article(magic)} {Kind(magic)} file, expected {Article(expected)} {expectedText}; " +
                "check that the images and labels files are not swapped");
        }
        if ((magic >> 16) != 0)
        {
            throw Error(name,
                $"magic number 0x{magic:X8} is not an IDX magic number (expected {Article(expected)} {expectedText}); " +
                "the file is not an IDX file (only raw or gzip-compressed IDX files can be read)");
        }
        byte type = (byte)(magic >> 8);
        if (type != UnsignedByteType)
        {
            throw Error(name,
                $"magic number 0x{magic:X8} declares data type 0x{type:X2} ({TypeName(type)}), expected unsigned byte (0x08) " +
                $"as in {Article(expected)} {expectedText}; only unsigned-byte IDX files such as MNIST and Fashion-MNIST are supported");
        }
        throw Error(name,
            $"magic number 0x{magic:X8} declares {magic & 0xFF} dimensions, expected {expected & 0xFF} for " +
            $"{Article(expected)} {expectedText}");
    }

    private static bool IsGzip(ref Stream stream)
    {
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }
        long start = stream.Position;
        Span<byte> head = stackalloc byte[2];
        int got = ReadFully(stream, head);
        stream.Position = start;
        return got == 2 && head[0] == 0x1f && head[1] == 0x8b;
    }

    private static int ReadFully(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0)
            {
                break;
            }
            total += n;
        }
        return total;
    }

    private static long CountRemaining(Stream stream)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            total += n;
        }
        return total;
    }

    private static string Kind(uint magic) => magic == ImageMagic ? "image" : "label";

    private static string Article(uint magic) => magic == ImageMagic ? "an" : "a";

    private static string DimName(uint magic, int d) =>
        magic == ImageMagic ? d switch { 0 => "number of images", 1 => "rows", _ => "columns" } : "number of labels";

    private static string Describe(uint magic, int[] dims) =>
        magic == ImageMagic
            ? $"{dims[0]} images of {dims[1]}x{dims[2]}"
            : $"{dims[0]} labels";

    private static string DescribeDims(uint magic, ReadOnlySpan<byte> dimBytes, int rank)
    {
        var values = new string[rank];
        for (int d = 0; d < rank; d++)
        {
            values[d] = BinaryPrimitives.ReadUInt32BigEndian(dimBytes[(4 * d)..]).ToString(CultureInfo.InvariantCulture);
        }
        return magic == ImageMagic && rank == 3
            ? $"{values[0]} images of {values[1]}x{values[2]}"
            : $"{string.Join(" x ", values)} labels";
    }

    private static string TypeName(byte type) => type switch
    {
        0x09 => "signed byte",
        0x0B => "16-bit integer",
        0x0C => "32-bit integer",
        0x0D => "32-bit float",
        0x0E => "64-bit float",
        _ => "not a valid IDX data type",
    };

    private static UserInputException Error(string name, string message) => new($"{name}: {message}");
}
