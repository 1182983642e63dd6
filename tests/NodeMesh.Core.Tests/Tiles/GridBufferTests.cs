using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Tests.Tiles;

/// <summary>Layout and region round trips of <see cref="GridBuffer"/> ([H+2P][W+2P][C][B], sample innermost).</summary>
public sealed class GridBufferTests
{
    private static float[] RandomArray(Random rng, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    [Theory]
    [InlineData(1, 5, 7, 0)]
    [InlineData(3, 4, 6, 2)]
    [InlineData(2, 28, 28, 1)]
    public void FromImages_places_each_pixel_of_each_selected_sample_at_its_row_and_leaves_the_padding_zero(int c, int h, int w, int pad)
    {
        var rng = new Random(c * 100 + h);
        const int n = 9;
        // Strictly non-zero images so that a zero can only be padding.
        var images = RandomArray(rng, n * c * h * w).Select(v => v + 2f).ToArray();
        int[] indices = [4, 0, 8, 4, 2];
        var g = GridBuffer.FromImages(images, c, h, w, pad, indices);

        Assert.Equal((h, w, c, pad, indices.Length), (g.Height, g.Width, g.Channels, g.Pad, g.Batch));
        Assert.Equal((h + 2 * pad) * (w + 2 * pad) * c * indices.Length, g.Data.Length);
        var interior = new bool[g.Data.Length];
        for (int b = 0; b < indices.Length; b++)
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                    {
                        int at = g.Row(y, x, ch) * g.Batch + b;
                        Assert.Equal(images[((indices[b] * c + ch) * h + y) * w + x], g.Data[at]);
                        interior[at] = true;
                    }
        for (int i = 0; i < g.Data.Length; i++)
            if (!interior[i]) Assert.Equal(0f, g.Data[i]);
    }

    [Fact]
    public void Row_counts_padded_positions_then_channels()
    {
        var g = new GridBuffer(4, 5, 3, 2, 7);
        Assert.Equal((8, 9), (g.PaddedHeight, g.PaddedWidth));
        Assert.Equal(((0 + 2) * 9 + 2) * 3, g.Row(0, 0, 0));
        Assert.Equal(((3 + 2) * 9 + (4 + 2)) * 3 + 2, g.Row(3, 4, 2));
        Assert.Equal(0, g.Row(-2, -2, 0)); // the top-left padding corner
    }

    [Theory]
    [InlineData(0, 0, 6, 5)]
    [InlineData(2, 1, 3, 4)]
    [InlineData(5, 4, 1, 1)]
    public void WriteRegion_then_ReadRegion_returns_the_region_and_writes_nothing_else(int y0, int x0, int h, int w)
    {
        var rng = new Random(y0 * 10 + x0);
        var g = new GridBuffer(6, 5, 3, 1, 4);
        int len = h * w * g.Channels * g.Batch;
        var region = RandomArray(rng, len);
        g.WriteRegion(y0, x0, h, w, region);
        var back = new float[len];
        g.ReadRegion(y0, x0, h, w, back);
        Assert.Equal(region, back);

        // Element by element, the region layout is [h][w][C][B] at the grid's rows.
        int written = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < g.Channels; c++)
                    for (int b = 0; b < g.Batch; b++)
                        Assert.Equal(region[((y * w + x) * g.Channels + c) * g.Batch + b], g.Data[g.Row(y0 + y, x0 + x, c) * g.Batch + b]);
        foreach (float v in g.Data) if (v != 0f) written++;
        Assert.Equal(len, written);
    }

    [Fact]
    public void ReadRegion_of_the_whole_interior_of_an_image_grid_is_the_image_in_region_layout()
    {
        var rng = new Random(2);
        var images = RandomArray(rng, 2 * 1 * 3 * 4);
        var g = GridBuffer.FromImages(images, 1, 3, 4, 2, [1, 0]);
        var region = new float[3 * 4 * 1 * 2];
        g.ReadRegion(0, 0, 3, 4, region);
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 4; x++)
            {
                Assert.Equal(images[12 + y * 4 + x], region[(y * 4 + x) * 2 + 0]);
                Assert.Equal(images[y * 4 + x], region[(y * 4 + x) * 2 + 1]);
            }
    }

    [Fact]
    public void AddPaddedRegion_adds_in_padded_coordinates_including_the_padding_and_accumulates()
    {
        var rng = new Random(4);
        var g = new GridBuffer(4, 4, 2, 1, 3); // padded 6x6
        var a = RandomArray(rng, 3 * 4 * 2 * 3);
        var b = RandomArray(rng, a.Length);
        g.AddPaddedRegion(0, 1, 3, 4, a); // rows 0..2 (row 0 is padding), columns 1..4
        g.AddPaddedRegion(0, 1, 3, 4, b);
        for (int py = 0; py < 6; py++)
            for (int px = 0; px < 6; px++)
                for (int c = 0; c < 2; c++)
                    for (int s = 0; s < 3; s++)
                    {
                        float got = g.Data[((py * 6 + px) * 2 + c) * 3 + s];
                        bool inside = py < 3 && px >= 1 && px < 5;
                        int at = (((py * 4) + px - 1) * 2 + c) * 3 + s;
                        Assert.Equal(inside ? a[at] + b[at] : 0f, got);
                    }
    }

    [Fact]
    public void AddPaddedRegion_at_the_interior_origin_is_WriteRegion_on_a_zero_grid()
    {
        var rng = new Random(6);
        var region = RandomArray(rng, 2 * 3 * 2 * 5);
        var added = new GridBuffer(5, 6, 2, 2, 5);
        var written = new GridBuffer(5, 6, 2, 2, 5);
        added.AddPaddedRegion(1 + 2, 2 + 2, 2, 3, region);
        written.WriteRegion(1, 2, 2, 3, region);
        Assert.Equal(written.Data, added.Data);
    }

    [Fact]
    public void Regions_of_the_wrong_size_and_data_of_the_wrong_length_are_refused()
    {
        var g = new GridBuffer(3, 3, 1, 0, 2);
        Assert.Throws<ArgumentException>(() => g.WriteRegion(0, 0, 2, 2, new float[7]));
        Assert.Throws<ArgumentException>(() => g.ReadRegion(0, 0, 2, 2, new float[9]));
        Assert.Throws<ArgumentException>(() => g.AddPaddedRegion(0, 0, 2, 2, new float[1]));
        Assert.Throws<ArgumentException>(() => new GridBuffer(3, 3, 1, 1, 2, new float[18]));
    }
}
