using NodeMesh.Core.Strategies;

namespace NodeMesh.Core.Training;

/// <summary>Options of a training run. Defaults are the reference settings of the design brief.</summary>
/// <param name="Arch">Layer list (see <see cref="Model.ArchSpec"/>).</param>
/// <param name="Strategy">Weight-tying strategy.</param>
/// <param name="Epochs">Passes over the training set.</param>
/// <param name="Batch">Mini-batch size (samples).</param>
/// <param name="LearningRate">Plain SGD learning rate (no momentum).</param>
/// <param name="Seed">Seed of every random draw of the run (initial weights, shuffling, gossip).</param>
/// <param name="Shuffle">Shuffle each epoch (seeded); false = dataset order.</param>
/// <param name="TrainLimit">Use only the first N training samples (0 = all).</param>
/// <param name="TestLimit">Use only the first N test samples (0 = all).</param>
/// <param name="EvalBatch">Batch size of evaluation passes (does not change results).</param>
/// <param name="TileSide">Tile side in positions (0 = about 4×4 tiles per layer).</param>
public sealed record TrainOptions(
    string Arch = Model.ArchSpec.Default,
    StrategyOptions? Strategy = null,
    int Epochs = 1,
    int Batch = 32,
    float LearningRate = 0.05f,
    int Seed = 1,
    bool Shuffle = true,
    int TrainLimit = 0,
    int TestLimit = 0,
    int EvalBatch = 250,
    int TileSide = 0)
{
    public StrategyOptions Strategy { get; init; } = Strategy ?? new StrategyOptions();

    /// <summary>Checks ranges; throws <see cref="UserInputException"/> naming the setting and saying what to change.</summary>
    public TrainOptions Validate()
    {
        if (Epochs < 1) throw new UserInputException($"{Epochs}: train at least 1 epoch.", SettingKeys.Epochs);
        if (Batch < 1 || Batch > 4096) throw new UserInputException($"{Batch}: the batch size must be 1..4096.", SettingKeys.Batch);
        if (!(LearningRate > 0f) || float.IsInfinity(LearningRate)) throw new UserInputException($"{LearningRate}: the learning rate must be a positive number.", SettingKeys.LearningRate);
        if (TrainLimit < 0) throw new UserInputException($"{TrainLimit}: give a positive number of samples, or 0 for all.", SettingKeys.TrainLimit);
        if (TestLimit < 0) throw new UserInputException($"{TestLimit}: give a positive number of samples, or 0 for all.", SettingKeys.TestLimit);
        if (EvalBatch < 1 || EvalBatch > 4096) throw new UserInputException($"{EvalBatch}: must be 1..4096.", SettingKeys.EvalBatch);
        Strategy.Validate();
        return this;
    }
}

/// <summary>The sample order of an epoch.</summary>
public static class EpochOrder
{
    /// <summary>0..count−1, shuffled (Fisher–Yates, seeded by seed and epoch) unless <paramref name="shuffle"/> is false.</summary>
    public static int[] Build(int count, bool shuffle, int seed, int epoch)
    {
        var order = Enumerable.Range(0, count).ToArray();
        if (!shuffle) return order;
        var rng = new Random(unchecked(seed * 7919 + epoch));
        for (int i = count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
