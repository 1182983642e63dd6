using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace NodeMesh.Core.Tests.Reference;

/// <summary>A float32 tensor from a golden file: row-major data and its shape.</summary>
internal sealed record GoldenTensor(int[] Shape, float[] Data)
{
    public static GoldenTensor From(JsonElement e) =>
        new(e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
            e.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray());
}

/// <summary>
/// Golden vectors written by <c>tools/golden/make_golden.py</c> (PyTorch 1.13) into
/// <c>tests/NodeMesh.Core.Tests/Golden/</c>. They are not copied to the output directory: the
/// repository root is found by walking up from the test binaries to the folder holding
/// <c>NodeMesh.sln</c> (falling back to this source file's location).
/// </summary>
internal static class Golden
{
    public static JsonElement Load(string fileName)
    {
        string path = Path.Combine(Directory(), fileName);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.Clone();
    }

    public static GoldenTensor Tensor(this JsonElement e, string name) => GoldenTensor.From(e.GetProperty(name));

    public static string Directory([CallerFilePath] string sourceFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) })
        {
            for (var dir = start is null ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "NodeMesh.sln")))
                    return Path.Combine(dir.FullName, "tests", "NodeMesh.Core.Tests", "Golden");
            }
        }
        throw new DirectoryNotFoundException($"No NodeMesh.sln above {AppContext.BaseDirectory} or {sourceFile}; cannot find the golden files.");
    }
}

/// <summary>Element-wise closeness: |actual − expected| ≤ Abs + Rel·|expected|.</summary>
internal readonly record struct Tolerance(double Abs, double Rel)
{
    /// <summary>
    /// Any comparison with PyTorch golden values: abs 1e-6 + rel 1e-5. Both sides accumulate in double
    /// (PyTorch runs the goldens in float64); observed errors are ≤ 0.5 float32 ulp for single layers and
    /// within abs 1e-7 + rel 1e-6 after three whole-network SGD steps, so this leaves a 10× margin.
    /// </summary>
    public static readonly Tolerance Golden = new(1e-6, 1e-5);

    /// <summary>Identities that sum float32 values in a different order (abs 1e-5 + rel 1e-4).</summary>
    public static readonly Tolerance Float32Sums = new(1e-5, 1e-4);

    public void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}.");
        int failures = 0;
        double worst = 0;
        var report = new StringBuilder();
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i], err = Math.Abs(a - e);
            double allowed = Abs + Rel * Math.Abs(e);
            worst = Math.Max(worst, err / allowed);
            if (!(err <= allowed))
            {
                if (failures++ < 5)
                    report.AppendLine(CultureInfo.InvariantCulture, $"  [{i}] expected {e:R} actual {a:R} |diff| {err:E3} > {allowed:E3}");
            }
        }
        Assert.True(failures == 0,
            $"{what}: {failures} of {expected.Length} elements outside abs {Abs} + rel {Rel} (worst at {worst:F1}x the tolerance):\n{report}");
    }

    public void AssertClose(GoldenTensor expected, ReadOnlySpan<float> actual, string what) => AssertClose(expected.Data, actual, what);
}
