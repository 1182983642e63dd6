using NodeMesh.Core.Data;

namespace NodeMesh.Actors.Tests;

/// <summary>Small deterministic datasets for actor tests.</summary>
internal static class TestData
{
    /// <summary>Random images in [0,1] with labels that depend on the image (so a net can learn them).</summary>
    public static DatasetPair Random(int train, int test, int size, int seed)
    {
        return new DatasetPair(Make(train, size, seed), Make(test, size, seed + 1));
    }

    private static Dataset Make(int n, int size, int seed)
    {
        var rng = new Random(seed);
        var images = new float[n * size * size];
        var labels = new byte[n];
        for (int i = 0; i < n; i++)
        {
            int label = rng.Next(10);
            labels[i] = (byte)label;
            for (int p = 0; p < size * size; p++)
                images[i * size * size + p] = (float)rng.NextDouble() * 0.5f + ((p % 10) == label ? 0.5f : 0f);
        }
        return new Dataset(images, labels, size, size, $"random {n} images {size}x{size} (seed {seed})");
    }

    private static DatasetPair? _embedded;

    public static DatasetPair Embedded => _embedded ??= DatasetLoader.Load(null);
}
