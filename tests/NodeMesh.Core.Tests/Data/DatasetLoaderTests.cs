using NodeMesh.TestSupport;
using NodeMesh.Core.Data;

namespace NodeMesh.Core.Tests.Data;

public class DatasetLoaderTests
{
    // Known values read from the Fashion-MNIST files (identical in the embedded subset and the full set).
    private static readonly byte[] FirstTrainLabels = [9, 0, 0, 3, 0, 2, 7, 2, 5, 5];
    private static readonly byte[] FirstTestLabels = [9, 2, 1, 1, 6, 1, 4, 6, 5, 7];

    private static void CheckFirstImages(DatasetPair pair)
    {
        Assert.Equal(FirstTrainLabels, pair.Train.Labels.Take(10).ToArray());
        Assert.Equal(FirstTestLabels, pair.Test.Labels.Take(10).ToArray());
        // Training image 0: first non-zero pixels are 96 -> 1, 99 -> 13, 100 -> 73; its bytes sum to 76247.
        var train0 = pair.Train.Image(0);
        Assert.Equal(0f, train0[95]);
        Assert.Equal(1 / 255f, train0[96]);
        Assert.Equal(13 / 255f, train0[99]);
        Assert.Equal(73 / 255f, train0[100]);
        Assert.Equal(76247, SumBytes(train0));
        // Test image 0: pixel 221 -> 37, bytes sum to 33456.
        var test0 = pair.Test.Image(0);
        Assert.Equal(37 / 255f, test0[221]);
        Assert.Equal(33456, SumBytes(test0));
    }

    private static long SumBytes(ReadOnlySpan<float> image)
    {
        long sum = 0;
        foreach (float p in image)
        {
            sum += (long)MathF.Round(p * 255f);
        }
        return sum;
    }

    [Fact]
    public void Embedded_subset_loads_2000_train_and_500_test()
    {
        var pair = DatasetLoader.Load(null);

        Assert.Equal(2000, pair.Train.Count);
        Assert.Equal(500, pair.Test.Count);
        foreach (var set in new[] { pair.Train, pair.Test })
        {
            Assert.Equal(28, set.Rows);
            Assert.Equal(28, set.Cols);
            Assert.Equal(10, set.Classes);
            Assert.Equal(set.Count * 28 * 28, set.Images.Length);
            Assert.All(set.Images, p => Assert.InRange(p, 0f, 1f));
            Assert.All(set.Labels, l => Assert.InRange(l, (byte)0, (byte)9));
            Assert.Equal("embedded Fashion-MNIST subset (2000 train / 500 test)", set.Source);
        }
        Assert.Equal(1f, pair.Train.Images.Max());
        CheckFirstImages(pair);
        Assert.Equal(8, pair.Train.Labels[^1]);
        Assert.Equal(0, pair.Test.Labels[^1]);
        int[] histogram = new int[10];
        foreach (byte l in pair.Train.Labels)
        {
            histogram[l]++;
        }
        Assert.Equal([194, 216, 202, 195, 186, 200, 194, 215, 198, 200], histogram);
    }

    [SkippableFact]
    public void Embedded_files_match_the_start_of_the_system_dataset()
    {
        Requirements.RequireFullData();
        var embedded = DatasetLoader.LoadEmbedded();
        var full = DatasetLoader.Load(DatasetLoader.FullKeyword);
        Assert.Equal(full.Train.Images.AsSpan(0, 2000 * 784).ToArray(), embedded.Train.Images);
        Assert.Equal(full.Test.Labels.AsSpan(0, 500).ToArray(), embedded.Test.Labels);
    }

    [SkippableFact]
    public void Full_keyword_loads_debian_fashion_mnist()
    {
        Requirements.RequireFullData();
        var pair = DatasetLoader.Load("full");

        Assert.Equal(60000, pair.Train.Count);
        Assert.Equal(10000, pair.Test.Count);
        Assert.Equal(60000 * 784, pair.Train.Images.Length);
        CheckFirstImages(pair);
        Assert.Equal(5, pair.Train.Labels[^1]);
        Assert.Equal(270000, pair.Train.Labels.Sum(l => (int)l)); // 6000 of each class 0..9
        Assert.Equal(45000, pair.Test.Labels.Sum(l => (int)l));
        Assert.Contains(DatasetLoader.SystemFashionMnistDir, pair.Train.Source, StringComparison.Ordinal);
        Assert.Contains("60000 train / 10000 test", pair.Train.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void Take_returns_the_first_examples()
    {
        var train = DatasetLoader.LoadEmbedded().Train;
        var first = train.Take(5);
        Assert.Equal(5, first.Count);
        Assert.Equal(5 * 784, first.Images.Length);
        Assert.Equal(train.Labels.AsSpan(0, 5).ToArray(), first.Labels);
        Assert.Equal(train.Images.AsSpan(0, 5 * 784).ToArray(), first.Images);
        Assert.EndsWith(", first 5", first.Source, StringComparison.Ordinal);
        Assert.Same(train, train.Take(2000));
        Assert.Same(train, train.Take(5000));
        Assert.Equal(0, train.Take(0).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => train.Take(-1));
    }

    [Theory]
    [InlineData(false, false, "")]
    [InlineData(true, false, "")]
    [InlineData(false, true, "")]
    [InlineData(true, false, "raw")]
    public void Directory_with_raw_or_gzip_files_loads(bool gzip, bool dotted, string sub)
    {
        using var files = new IdxTestFiles();
        files.WriteDataset(sub, gzip, dotted);

        var pair = DatasetLoader.Load(files.Dir);

        Assert.Equal(3, pair.Train.Count);
        Assert.Equal(2, pair.Test.Count);
        Assert.Equal(2, pair.Train.Rows);
        Assert.Equal(3, pair.Train.Cols);
        Assert.Equal([4, 0, 9], pair.Train.Labels);
        Assert.Equal([7, 1], pair.Test.Labels);
        Assert.Equal(Enumerable.Range(0, 18).Select(i => (byte)(i * 10) / 255f), pair.Train.Images);
        Assert.Equal(1f, pair.Test.Images[0]);
        Assert.Equal(0.2f, pair.Test.Images[1]);
        Assert.Contains("(3 train / 2 test)", pair.Train.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_directory_names_it_and_the_expected_files()
    {
        string dir = Path.Combine(Path.GetTempPath(), "nodemesh-no-such-dir-" + Guid.NewGuid().ToString("N"));
        var ex = Assert.Throws<UserInputException>(() => DatasetLoader.Load(dir));
        Assert.Contains(dir, ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
        foreach (string name in DatasetLoader.StandardFileNames)
        {
            Assert.Contains(name + "[.gz]", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Missing_file_is_listed()
    {
        using var files = new IdxTestFiles();
        files.WriteDataset();
        File.Delete(Path.Combine(files.Dir, "t10k-labels-idx1-ubyte"));

        var ex = Assert.Throws<UserInputException>(() => DatasetLoader.Load(files.Dir));
        Assert.Contains("missing t10k-labels-idx1-ubyte[.gz]", ex.Message, StringComparison.Ordinal);
        Assert.Contains(files.Dir, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_instead_of_directory_is_rejected()
    {
        using var files = new IdxTestFiles();
        string path = files.Write("x.gz", [1, 2, 3]);
        var ex = Assert.Throws<UserInputException>(() => DatasetLoader.Load(path));
        Assert.Contains("not a directory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_data_value_is_rejected()
    {
        var ex = Assert.Throws<UserInputException>(() => DatasetLoader.Load(" "));
        Assert.Equal(SettingKeys.Data, ex.Setting);
        Assert.StartsWith("is empty; pass \"full\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Label_count_must_match_image_count()
    {
        using var files = new IdxTestFiles();
        files.WriteDataset();
        files.Write("train-labels-idx1-ubyte", IdxTestFiles.Labels(1, 2));

        var ex = Assert.Throws<UserInputException>(() => DatasetLoader.Load(files.Dir));
        Assert.Contains("holds 3 images but", ex.Message, StringComparison.Ordinal);
        Assert.Contains("holds 2 labels", ex.Message, StringComparison.Ordinal);
        Assert.Contains("train-labels-idx1-ubyte", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_and_test_image_sizes_must_match()
    {
        using var files = new IdxTestFiles();
        files.WriteDataset();
        files.Write("t10k-images-idx3-ubyte", IdxTestFiles.Images(2, 3, 2));

        var ex = Assert.Throws<UserInputException>(() => DatasetLoader.Load(files.Dir));
        Assert.Contains("images of 2x3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("images of 3x2", ex.Message, StringComparison.Ordinal);
    }
}
