namespace NodeMesh.Core.Data;

/// <summary>
/// Loads a training set and a test set in the IDX format: the Fashion-MNIST subset embedded in this
/// assembly, the full Fashion-MNIST of Debian's <c>dataset-fashion-mnist</c> package, or the four IDX
/// files (gzip or raw) of any directory — Fashion-MNIST or the original MNIST.
/// </summary>
public static class DatasetLoader
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the four gzip IDX files.</summary>
    public const string SystemFashionMnistDir = "/usr/share/datasets/fashion-mnist";

    /// <summary>The value of the <see cref="SettingKeys.Data"/> setting that means <see cref="SystemFashionMnistDir"/>.</summary>
    public const string FullKeyword = "full";

    /// <summary>Examples in the embedded subset (the first of the Fashion-MNIST training and test sets).</summary>
    public const int EmbeddedTrainCount = 2000;

    public const int EmbeddedTestCount = 500;

    /// <summary>Number of classes of MNIST and Fashion-MNIST.</summary>
    public const int Classes = 10;

    /// <summary>Prefix of the logical names of the embedded IDX files (followed by the standard file name).</summary>
    public const string EmbeddedResourcePrefix = "NodeMesh.Core.Data.Embedded.";

    private const string TrainImages = "train-images-idx3-ubyte";
    private const string TrainLabels = "train-labels-idx1-ubyte";
    private const string TestImages = "t10k-images-idx3-ubyte";
    private const string TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>The standard base names of the four files, each accepted raw or with a <c>.gz</c> suffix.</summary>
    public static IReadOnlyList<string> StandardFileNames { get; } = [TrainImages, TrainLabels, TestImages, TestLabels];

    private static readonly string ExpectedFilesText =
        string.Join(", ", StandardFileNames.Select(n => n + "[.gz]"));

    /// <summary>
    /// <c>null</c>: the embedded subset; <c>"full"</c>: <see cref="SystemFashionMnistDir"/>; anything else:
    /// a directory holding the four IDX files. A bad choice is a <see cref="UserInputException"/> about
    /// the <see cref="SettingKeys.Data"/> setting.
    /// </summary>
    public static DatasetPair Load(string? dataDir)
    {
        if (dataDir is null)
        {
            return LoadEmbedded();
        }
        if (string.IsNullOrWhiteSpace(dataDir))
        {
            throw new UserInputException(
                $"is empty; pass \"{FullKeyword}\" for {SystemFashionMnistDir}, a directory holding " +
                $"{ExpectedFilesText}, or leave it out to use the embedded subset", SettingKeys.Data);
        }
        if (dataDir == FullKeyword)
        {
            if (!Directory.Exists(SystemFashionMnistDir))
            {
                throw new UserInputException(
                    $"{FullKeyword}: {SystemFashionMnistDir} does not exist; install the full Fashion-MNIST with " +
                    "`sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu) or pass a directory holding " +
                    $"{ExpectedFilesText} instead", SettingKeys.Data);
            }
            return LoadDirectory(SystemFashionMnistDir, "Fashion-MNIST");
        }
        return LoadDirectory(dataDir);
    }

    /// <summary>The embedded Fashion-MNIST subset: 2,000 training and 500 test examples.</summary>
    public static DatasetPair LoadEmbedded()
    {
        string source = $"embedded Fashion-MNIST subset ({EmbeddedTrainCount} train / {EmbeddedTestCount} test)";
        var train = Build(ReadEmbedded(TrainImages, IdxReader.ReadImages), ReadEmbedded(TrainLabels, ReadLabels),
            "embedded " + TrainImages, "embedded " + TrainLabels, source);
        var test = Build(ReadEmbedded(TestImages, IdxReader.ReadImages), ReadEmbedded(TestLabels, ReadLabels),
            "embedded " + TestImages, "embedded " + TestLabels, source);
        CheckSameSize(train, test, "embedded " + TrainImages, "embedded " + TestImages);
        return new DatasetPair(train, test);
    }

    /// <summary>
    /// Loads the four IDX files of <paramref name="dir"/> (or of its <c>raw</c> subdirectory, the torchvision
    /// layout). Each file may be raw or gzip: <c>train-images-idx3-ubyte[.gz]</c>,
    /// <c>train-labels-idx1-ubyte[.gz]</c>, <c>t10k-images-idx3-ubyte[.gz]</c>, <c>t10k-labels-idx1-ubyte[.gz]</c>;
    /// the dotted variants (<c>train-images.idx3-ubyte</c>) are accepted too.
    /// </summary>
    public static DatasetPair LoadDirectory(string dir) => LoadDirectory(dir, null);

    private static DatasetPair LoadDirectory(string dir, string? name)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        if (File.Exists(dir))
        {
            throw new UserInputException(
                $"{dir}: this is a file, not a directory; pass the directory that holds {ExpectedFilesText}", SettingKeys.Data);
        }
        if (!Directory.Exists(dir))
        {
            throw new UserInputException(
                $"{dir}: directory does not exist; pass a directory holding {ExpectedFilesText} " +
                $"(Fashion-MNIST or MNIST), \"{FullKeyword}\" for {SystemFashionMnistDir}, or leave it out to use the embedded subset",
                SettingKeys.Data);
        }

        var paths = new string?[StandardFileNames.Count];
        var missing = new List<string>();
        for (int i = 0; i < paths.Length; i++)
        {
            paths[i] = Find(dir, StandardFileNames[i]);
            if (paths[i] is null)
            {
                missing.Add(StandardFileNames[i] + "[.gz]");
            }
        }
        if (missing.Count > 0)
        {
            throw new UserInputException(
                $"{dir}: missing {string.Join(", ", missing)}; the directory (or its raw/ subdirectory) must hold " +
                $"the four IDX files {ExpectedFilesText}, each raw or gzip-compressed (Fashion-MNIST or MNIST)", SettingKeys.Data);
        }

        string full = Path.GetFullPath(dir);
        string trainImagesPath = paths[0]!, trainLabelsPath = paths[1]!, testImagesPath = paths[2]!, testLabelsPath = paths[3]!;
        var trainImages = IdxReader.ReadImages(trainImagesPath);
        var trainLabels = IdxReader.ReadLabels(trainLabelsPath, Classes);
        var testImages = IdxReader.ReadImages(testImagesPath);
        var testLabels = IdxReader.ReadLabels(testLabelsPath, Classes);
        string source = $"{(name is null ? "IDX files" : name)} from {full} ({trainImages.Count} train / {testImages.Count} test)";
        var train = Build(trainImages, trainLabels, trainImagesPath, trainLabelsPath, source);
        var test = Build(testImages, testLabels, testImagesPath, testLabelsPath, source);
        CheckSameSize(train, test, trainImagesPath, testImagesPath);
        return new DatasetPair(train, test);
    }

    private static string? Find(string dir, string baseName)
    {
        // "train-images-idx3-ubyte" is also distributed as "train-images.idx3-ubyte".
        int dash = baseName.LastIndexOf("-idx", StringComparison.Ordinal);
        string dotted = string.Concat(baseName.AsSpan(0, dash), ".", baseName.AsSpan(dash + 1));
        foreach (string folder in new[] { dir, Path.Combine(dir, "raw") })
        {
            foreach (string candidate in new[] { baseName, baseName + ".gz", dotted, dotted + ".gz" })
            {
                string path = Path.Combine(folder, candidate);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }
        return null;
    }

    private static Dataset Build(IdxImages images, byte[] labels, string imagesName, string labelsName, string source)
    {
        if (images.Count != labels.Length)
        {
            throw new UserInputException(
                $"{imagesName} holds {images.Count} images but {labelsName} holds {labels.Length} labels; " +
                "the two files must come from the same split of the same dataset");
        }
        return Dataset.FromIdx(images, labels, source, Classes);
    }

    private static void CheckSameSize(Dataset train, Dataset test, string trainName, string testName)
    {
        if (train.Rows != test.Rows || train.Cols != test.Cols)
        {
            throw new UserInputException(
                $"{trainName} has images of {train.Rows}x{train.Cols} but {testName} has images of {test.Rows}x{test.Cols}; " +
                "the training and test files must come from the same dataset");
        }
    }

    private static byte[] ReadLabels(Stream stream, string name) => IdxReader.ReadLabels(stream, name, Classes);

    private static T ReadEmbedded<T>(string baseName, Func<Stream, string, T> read)
    {
        string resource = EmbeddedResourcePrefix + baseName + ".gz";
        using var stream = typeof(DatasetLoader).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException(
                $"embedded resource {resource} is missing from {typeof(DatasetLoader).Assembly.GetName().Name}; " +
                "the build is broken (see src/NodeMesh.Core/NodeMesh.Core.csproj)");
        return read(stream, "embedded " + baseName + ".gz");
    }
}
