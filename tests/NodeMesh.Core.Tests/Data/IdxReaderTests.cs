using NodeMesh.Core.Data;

namespace NodeMesh.Core.Tests.Data;

public class IdxReaderTests
{
    private static UserInputException ImagesError(IdxTestFiles files, string name, byte[] bytes)
    {
        string path = files.Write(name, bytes);
        var ex = Assert.Throws<UserInputException>(() => IdxReader.ReadImages(path));
        Assert.StartsWith(path + ": ", ex.Message, StringComparison.Ordinal);
        return ex;
    }

    private static UserInputException LabelsError(IdxTestFiles files, string name, byte[] bytes, int classes = 10)
    {
        string path = files.Write(name, bytes);
        var ex = Assert.Throws<UserInputException>(() => IdxReader.ReadLabels(path, classes));
        Assert.StartsWith(path + ": ", ex.Message, StringComparison.Ordinal);
        return ex;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_images_and_labels(bool gzip)
    {
        using var files = new IdxTestFiles();
        var images = IdxTestFiles.Images(2, 3, 4);
        var labels = IdxTestFiles.Labels(3, 9);
        string imagesPath = files.Write("i", gzip ? IdxTestFiles.Gzip(images) : images);
        string labelsPath = files.Write("l", gzip ? IdxTestFiles.Gzip(labels) : labels);

        var read = IdxReader.ReadImages(imagesPath);
        Assert.Equal((2, 3, 4), (read.Count, read.Rows, read.Cols));
        Assert.Equal(Enumerable.Range(0, 24).Select(i => (byte)i), read.Pixels);
        Assert.Equal([3, 9], IdxReader.ReadLabels(labelsPath));
    }

    [Fact]
    public void Label_file_given_as_images_is_named()
    {
        using var files = new IdxTestFiles();
        var ex = ImagesError(files, "train-images-idx3-ubyte.gz", IdxTestFiles.Gzip(IdxTestFiles.Labels(1, 2)));
        Assert.Contains("magic number 0x00000801 is a label file, expected an image file (0x00000803)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Image_file_given_as_labels_is_named()
    {
        using var files = new IdxTestFiles();
        var ex = LabelsError(files, "train-labels-idx1-ubyte", IdxTestFiles.Images(1, 2, 2));
        Assert.Contains("magic number 0x00000803 is an image file, expected a label file (0x00000801)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_idx_magic_is_rejected()
    {
        using var files = new IdxTestFiles();
        var ex = ImagesError(files, "photo.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]);
        Assert.Contains("magic number 0x89504E47 is not an IDX magic number", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_byte_data_type_is_rejected()
    {
        using var files = new IdxTestFiles();
        var ex = ImagesError(files, "floats", IdxTestFiles.Idx(0x00000D03, [1, 1, 1], [0, 0, 0, 0]));
        Assert.Contains("data type 0x0D (32-bit float), expected unsigned byte (0x08)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_number_of_dimensions_is_rejected()
    {
        using var files = new IdxTestFiles();
        var ex = ImagesError(files, "2d", IdxTestFiles.Idx(0x00000802, [2, 2], [0, 0, 0, 0]));
        Assert.Contains("magic number 0x00000802 declares 2 dimensions, expected 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_dimension_is_rejected()
    {
        using var files = new IdxTestFiles();
        var ex = ImagesError(files, "zero-rows", IdxTestFiles.Idx(0x00000803, [5, 0, 28], []));
        Assert.Contains("dimension 1 (rows) is 0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("5 images of 0x28", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Huge_dimensions_are_rejected_without_allocating()
    {
        using var files = new IdxTestFiles();
        var ex = ImagesError(files, "huge", IdxTestFiles.Idx(0x00000803, [60000, 28000, 28000], []));
        Assert.Contains("60000 images of 28000x28000", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the header is corrupt", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Truncated_data_is_rejected(bool gzip)
    {
        using var files = new IdxTestFiles();
        var raw = IdxTestFiles.Images(3, 28, 28);
        raw = raw.AsSpan(0, raw.Length - 100).ToArray();
        var ex = ImagesError(files, "train-images-idx3-ubyte", gzip ? IdxTestFiles.Gzip(raw) : raw);
        Assert.Contains(
            "the file is truncated" + (gzip ? " (after gzip decompression)" : "") +
            ": the header promises 2352 bytes (3 images of 28x28) of data but only 2252 bytes follow the header",
            ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_gzip_stream_is_rejected()
    {
        using var files = new IdxTestFiles();
        var gz = IdxTestFiles.Gzip(IdxTestFiles.Images(3, 28, 28));
        var ex = ImagesError(files, "cut.gz", gz.AsSpan(0, gz.Length / 2).ToArray());
        Assert.Matches("truncated|gzip data is corrupt", ex.Message);
    }

    [Fact]
    public void Corrupt_gzip_is_rejected()
    {
        using var files = new IdxTestFiles();
        var ex = ImagesError(files, "bad.gz", [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        Assert.Contains("gzip data is corrupt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_header_is_rejected()
    {
        using var files = new IdxTestFiles();
        var ex = ImagesError(files, "short", [0, 0, 8, 3, 0, 0, 0, 1, 0, 0]);
        Assert.Contains("the header is truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_file_is_rejected()
    {
        using var files = new IdxTestFiles();
        var ex = LabelsError(files, "empty", []);
        Assert.Contains("the file is empty; expected an IDX label file", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Trailing_data_is_rejected(bool gzip)
    {
        using var files = new IdxTestFiles();
        byte[] raw = [.. IdxTestFiles.Labels(1, 2, 3), 7, 7];
        var ex = LabelsError(files, "labels", gzip ? IdxTestFiles.Gzip(raw) : raw);
        Assert.Contains("2 bytes of trailing data", ex.Message, StringComparison.Ordinal);
        Assert.Contains("3 bytes (3 labels)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Label_out_of_range_is_rejected()
    {
        using var files = new IdxTestFiles();
        var ex = LabelsError(files, "labels", IdxTestFiles.Labels(0, 9, 1, 10));
        Assert.Contains("label 10 at index 3 is out of range 0..9", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Label_range_follows_class_count()
    {
        using var files = new IdxTestFiles();
        string path = files.Write("labels", IdxTestFiles.Labels(0, 4, 2));
        Assert.Equal([0, 4, 2], IdxReader.ReadLabels(path, classes: 5));
        var ex = Assert.Throws<UserInputException>(() => IdxReader.ReadLabels(path, classes: 4));
        Assert.Contains("label 4 at index 1 is out of range 0..3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_is_named()
    {
        using var files = new IdxTestFiles();
        string path = Path.Combine(files.Dir, "nope.gz");
        var ex = Assert.Throws<UserInputException>(() => IdxReader.ReadImages(path));
        Assert.Equal(path + ": file not found; check the path (expected an IDX file such as train-images-idx3-ubyte.gz)", ex.Message);
    }

    [Fact]
    public void Reads_from_a_non_seekable_stream()
    {
        var gz = IdxTestFiles.Gzip(IdxTestFiles.Labels(5, 6));
        using var stream = new NonSeekableStream(gz);
        Assert.Equal([5, 6], IdxReader.ReadLabels(stream, "pipe"));
    }

    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
