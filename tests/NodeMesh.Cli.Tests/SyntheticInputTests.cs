using NodeMesh.Core.Data;
using NodeMesh.Core.Model;

namespace NodeMesh.Cli.Tests;

/// <summary><c>train --input HxWxC</c>: a cost-only run on seeded synthetic data.</summary>
public sealed class SyntheticInputTests
{
    [Fact]
    public void Synthetic_data_has_the_shape_and_is_reproducible_from_its_seed()
    {
        var shape = InputShape.Parse("5x4x3");
        var a = SyntheticData.Generate(shape, 10, 6, 2, seed: 7);
        var b = SyntheticData.Generate(shape, 10, 6, 2, seed: 7);
        Assert.Equal((6, 2, 3, 5, 4), (a.Train.Count, a.Test.Count, a.Train.Channels, a.Train.Rows, a.Train.Cols));
        Assert.Equal(6 * 60, a.Train.Images.Length);
        Assert.Equal(a.Train.Images, b.Train.Images);
        Assert.Equal(a.Test.Labels, b.Test.Labels);
        Assert.NotEqual(a.Train.Images, SyntheticData.Generate(shape, 10, 6, 2, seed: 8).Train.Images);
        Assert.All(a.Train.Images, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public async Task Train_with_input_records_a_cost_only_run_and_shows_no_accuracy()
    {
        string dir = Path.Combine(Path.GetTempPath(), "nodemesh-input-" + Guid.NewGuid().ToString("N"));
        try
        {
            var r = await Cli.RunAsync(["train", .. Cli.TinyWith("--train-limit", "32", "--test-limit", "16"), "--input", "12x10x3", "--out", dir]);
            Assert.True(r.Code == 0, r.ToString());
            Assert.Contains("acc n/a", r.Out, StringComparison.Ordinal);
            string config = File.ReadAllText(Path.Combine(dir, "config.json"));
            Assert.Contains("\"input\": \"12x10x3\"", config, StringComparison.Ordinal);
            Assert.Contains("\"synthetic\": true", config, StringComparison.Ordinal);
            string report = File.ReadAllText(Path.Combine(dir, "report.md"));
            Assert.Contains("Cost-only run", report, StringComparison.Ordinal);
            Assert.DoesNotContain("final test accuracy", report, StringComparison.Ordinal);
            Assert.Contains("3×12×10", report, StringComparison.Ordinal); // conv1's input (C×H×W)
            // compare does not show a synthetic run's accuracy either
            var c = await Cli.RunAsync(["compare", dir, "--out", dir]);
            Assert.True(c.Code == 0, c.ToString());
            string md = File.ReadAllText(Path.Combine(dir, "compare.md"));
            Assert.Matches(@"\| none \| n/a \|", md);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("32x32", "is not HxWxC")]
    [InlineData("32x32x0", "channels must be")]
    [InlineData("axbxc", "is not a whole number")]
    public async Task A_bad_input_shape_is_one_clear_line(string value, string fragment) =>
        Cli.AssertUserError(await Cli.TrainAsync("--input", value), true, "--input", fragment);

    [Fact]
    public async Task Input_with_data_is_refused() =>
        Cli.AssertUserError(await Cli.TrainAsync("--input", "8x8x1", "--data", "full"), true, "--input", "drop --data");
}
