using NodeMesh.Core.Units;

namespace NodeMesh.Benchmarks;

/// <summary>
/// Shapes of conv2 of the reference net (<c>conv5x5x16,relu,maxpool2,conv5x5x32,...</c> on
/// Fashion-MNIST): a 5×5 kernel over 16 channels of a 14×14 input padded to 18×18, batch 32, so a
/// unit has 400 weights plus a bias and its map has 14×14 = 196 units. Inputs are drawn from a
/// fixed seed so every run measures the same data.
/// </summary>
internal static class ReferenceShapes
{
    public const int Kernel = 5;
    public const int Channels = 16;
    public const int MapSide = 14;
    public const int PaddedSide = MapSide + Kernel - 1;
    public const int Batch = 32;
    public const int FanIn = Kernel * Kernel * Channels;
    public const int Weights = FanIn + 1;
    public const int Seed = 20261201;

    /// <summary>Rows of the padded [H][W][C] input buffer (each row holds <see cref="Batch"/> floats).</summary>
    public const int InputRows = PaddedSide * PaddedSide * Channels;

    /// <summary>The receptive field of the conv2 unit at map position (u, v) in the padded input buffer.</summary>
    public static PatchGeometry Patch(int u, int v) =>
        new(FirstRow: (u * PaddedSide + v) * Channels, RunCount: Kernel, RunLength: Kernel * Channels, RunStride: PaddedSide * Channels);

    /// <summary>n values uniform in [−scale, scale) from <paramref name="rng"/>.</summary>
    public static float[] Uniform(Random rng, int n, float scale)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return a;
    }
}
