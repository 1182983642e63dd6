namespace NodeMesh.Core.Data;

/// <summary>
/// A labelled image set held in memory: <see cref="Count"/> images of <see cref="Channels"/> planes of
/// <see cref="Rows"/> × <see cref="Cols"/> pixels (channel-major, each plane row-major), one image after the
/// other, each pixel in [0, 1] (IDX data: the raw byte value divided by 255, one channel), and one label in
/// 0..<see cref="Classes"/>-1 per image.
/// The arrays are shared, not copied: treat them as read-only.
/// </summary>
public sealed class Dataset
{
    /// <summary>Creates a dataset; throws <see cref="ArgumentException"/> when the array sizes disagree.</summary>
    public Dataset(float[] images, byte[] labels, int rows, int cols, string source, int classes = 10, int channels = 1)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        if ((long)labels.Length * channels * rows * cols != images.Length)
        {
            throw new ArgumentException(
                $"{images.Length} pixels do not make {labels.Length} images of {rows}x{cols}x{channels}", nameof(images));
        }
        Channels = channels;
        Images = images;
        Labels = labels;
        Rows = rows;
        Cols = cols;
        Classes = classes;
        Source = source;
    }

    /// <summary>All pixels, <c>Count * Channels * Rows * Cols</c> values in [0, 1]; image i starts at <c>i * PixelsPerImage</c>.</summary>
    public float[] Images { get; }

    /// <summary>One label per image, each in 0..<see cref="Classes"/>-1.</summary>
    public byte[] Labels { get; }

    public int Count => Labels.Length;

    public int Rows { get; }

    public int Cols { get; }

    /// <summary>Channels (planes) per image: 1 for MNIST and Fashion-MNIST.</summary>
    public int Channels { get; }

    /// <summary>Number of classes (10 for MNIST and Fashion-MNIST).</summary>
    public int Classes { get; }

    /// <summary>Where the data came from, for reports (e.g. "embedded Fashion-MNIST subset (2000 train / 500 test)").</summary>
    public string Source { get; }

    /// <summary>Values per image, all channels: <c>Channels * Rows * Cols</c>.</summary>
    public int PixelsPerImage => Channels * Rows * Cols;

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Images.AsSpan(index * PixelsPerImage, PixelsPerImage);
    }

    /// <summary>
    /// The first <paramref name="n"/> examples, copied, with ", first n" appended to <see cref="Source"/>.
    /// When <paramref name="n"/> is at least <see cref="Count"/> this dataset itself is returned.
    /// </summary>
    public Dataset Take(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n >= Count)
        {
            return this;
        }
        return new Dataset(
            Images.AsSpan(0, n * PixelsPerImage).ToArray(),
            Labels.AsSpan(0, n).ToArray(),
            Rows,
            Cols,
            $"{Source}, first {n}",
            Classes,
            Channels);
    }

    /// <summary>Builds a dataset from IDX images and labels, scaling each pixel byte by 1/255.</summary>
    public static Dataset FromIdx(IdxImages images, byte[] labels, string source, int classes = 10, int channels = 1)
    {
        ArgumentNullException.ThrowIfNull(images);
        var pixels = new float[images.Pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = images.Pixels[i] / 255f;
        }
        return new Dataset(pixels, labels, images.Rows, images.Cols, source, classes);
    }

    public override string ToString() => $"{Source}: {Count} images of {Rows}x{Cols}x{Channels}, {Classes} classes";
}

/// <summary>A training set and its test set.</summary>
public sealed record DatasetPair(Dataset Train, Dataset Test);
