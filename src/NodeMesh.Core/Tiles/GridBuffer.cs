namespace NodeMesh.Core.Tiles;

/// <summary>
/// A batch of feature maps laid out [H + 2·Pad][W + 2·Pad][C][B] (sample innermost), the layout
/// every unit kernel reads. Padding rows/columns stay zero. Once handed to another actor a
/// buffer is never written again: it is an immutable value.
/// </summary>
public sealed class GridBuffer
{
    public int Height { get; }
    public int Width { get; }
    public int Channels { get; }
    public int Pad { get; }
    public int Batch { get; }
    public float[] Data { get; }

    public GridBuffer(int height, int width, int channels, int pad, int batch, float[]? data = null)
    {
        Height = height; Width = width; Channels = channels; Pad = pad; Batch = batch;
        long n = (long)PaddedHeight * PaddedWidth * channels * batch;
        if (data is not null && data.Length != n)
            throw new ArgumentException($"grid data has {data.Length} floats, expected {n}", nameof(data));
        Data = data ?? new float[n];
    }

    public int PaddedHeight => Height + 2 * Pad;
    public int PaddedWidth => Width + 2 * Pad;

    /// <summary>Row index (in units of B floats) of channel c at interior position (y, x).</summary>
    public int Row(int y, int x, int c) => ((y + Pad) * PaddedWidth + (x + Pad)) * Channels + c;

    /// <summary>
    /// Builds the first layer's input from images laid out [N][C][H][W] (dataset order), taking
    /// the samples listed in <paramref name="indices"/>.
    /// </summary>
    public static GridBuffer FromImages(ReadOnlySpan<float> images, int channels, int height, int width, int pad, ReadOnlySpan<int> indices)
    {
        int batch = indices.Length;
        var g = new GridBuffer(height, width, channels, pad, batch);
        int plane = height * width, per = channels * plane;
        var data = g.Data;
        for (int b = 0; b < batch; b++)
        {
            int baseIdx = indices[b] * per;
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < height; y++)
                {
                    int src = baseIdx + c * plane + y * width;
                    int row = g.Row(y, 0, c);
                    for (int x = 0; x < width; x++, row += channels)
                        data[(long)row * batch + b] = images[src + x];
                }
        }
        return g;
    }

    /// <summary>Copies a region laid out [h][w][C][B] into this grid's interior at (y0, x0).</summary>
    public void WriteRegion(int y0, int x0, int h, int w, ReadOnlySpan<float> region)
    {
        int rowLen = w * Channels * Batch;
        if (region.Length != h * rowLen) throw new ArgumentException("region size mismatch", nameof(region));
        for (int y = 0; y < h; y++)
            region.Slice(y * rowLen, rowLen).CopyTo(Data.AsSpan(Row(y0 + y, x0, 0) * Batch, rowLen));
    }

    /// <summary>Adds a region laid out [h][w][C][B] given in padded coordinates (py0, px0).</summary>
    public void AddPaddedRegion(int py0, int px0, int h, int w, ReadOnlySpan<float> region)
    {
        int rowLen = w * Channels * Batch;
        if (region.Length != h * rowLen) throw new ArgumentException("region size mismatch", nameof(region));
        for (int y = 0; y < h; y++)
        {
            var dst = Data.AsSpan(((py0 + y) * PaddedWidth + px0) * Channels * Batch, rowLen);
            System.Numerics.Tensors.TensorPrimitives.Add(dst, region.Slice(y * rowLen, rowLen), dst);
        }
    }

    /// <summary>Copies the interior region (y0, x0, h, w) out as [h][w][C][B].</summary>
    public void ReadRegion(int y0, int x0, int h, int w, Span<float> region)
    {
        int rowLen = w * Channels * Batch;
        if (region.Length != h * rowLen) throw new ArgumentException("region size mismatch", nameof(region));
        for (int y = 0; y < h; y++)
            Data.AsSpan(Row(y0 + y, x0, 0) * Batch, rowLen).CopyTo(region.Slice(y * rowLen, rowLen));
    }
}
