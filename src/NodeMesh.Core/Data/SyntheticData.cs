using NodeMesh.Core.Model;

namespace NodeMesh.Core.Data;

/// <summary>
/// A synthetic dataset for cost-only runs on inputs that no shipped dataset has (<c>--input HxWxC</c>):
/// every pixel drawn uniformly in [0, 1) and every label uniformly in 0..classes−1, from one seeded
/// source, so a run is reproducible from its seed. The labels are unrelated to the images: a net
/// trained on them learns nothing, and its accuracy is not meaningful — the traffic, energy and
/// throughput of the run are, because they do not depend on the pixel values.
/// </summary>
public static class SyntheticData
{
    /// <summary>Training samples when no limit is given.</summary>
    public const int DefaultTrainCount = 512;

    /// <summary>Test samples when no limit is given.</summary>
    public const int DefaultTestCount = 128;

    /// <summary>Most pixel values a synthetic set may hold in memory (2^27 floats = 512 MiB).</summary>
    public const long MaxValues = 1L << 27;

    /// <summary>
    /// Draws <paramref name="trainCount"/> training and <paramref name="testCount"/> test samples of
    /// <paramref name="shape"/>. Throws <see cref="UserInputException"/> when they would not fit in
    /// <see cref="MaxValues"/> floats.
    /// </summary>
    public static DatasetPair Generate(InputShape shape, int classes, int trainCount, int testCount, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classes, 256);
        ArgumentOutOfRangeException.ThrowIfLessThan(trainCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(testCount, 1);
        long values = (trainCount + (long)testCount) * shape.Values;
        if (values > MaxValues)
            throw new UserInputException(
                $"{shape}: {trainCount:N0} + {testCount:N0} synthetic samples hold {values:N0} values, more than the {MaxValues:N0} ({MaxValues * 4 / (1 << 20)} MiB) allowed; use fewer training or test samples (their limits), or a smaller input.",
                SettingKeys.Input);
        var rng = new Random(seed);
        string source = $"synthetic {shape} (uniform pixels, uniform labels, seed {seed}; cost only)";
        return new DatasetPair(Draw(rng, shape, classes, trainCount, source), Draw(rng, shape, classes, testCount, source));
    }

    private static Dataset Draw(Random rng, InputShape shape, int classes, int count, string source)
    {
        var images = new float[count * shape.Values];
        for (long i = 0; i < images.LongLength; i++) images[i] = rng.NextSingle();
        var labels = new byte[count];
        for (int i = 0; i < count; i++) labels[i] = (byte)rng.Next(classes);
        return new Dataset(images, labels, shape.Height, shape.Width, source, classes, shape.Channels);
    }
}
