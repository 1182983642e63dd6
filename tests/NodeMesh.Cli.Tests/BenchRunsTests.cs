using NodeMesh.Cli.Commands;

namespace NodeMesh.Cli.Tests;

/// <summary><c>nodemesh bench --runs N</c>: its summary over the runs, the CSV it reads back, and its errors.</summary>
public class BenchRunsTests
{
    private static BenchRow Row(int run, string strategy, double actor, double seq = double.NaN, double par = double.NaN, double allocated = 1000, double pause = 0.01) =>
        new(run, strategy, actor, seq, par, seq / actor, par / actor, allocated, pause);

    private static string[] Cells(string row) => row.Trim('|').Split('|').Select(c => c.Trim()).ToArray();

    [Fact]
    public void MedianIsTheMiddleValueOrTheMeanOfTheMiddleTwo()
    {
        Assert.Equal(3, BenchRuns.Median([5, 1, 3]));
        Assert.Equal(2.5, BenchRuns.Median([4, 1, 3, 2]));
        Assert.Equal(7, BenchRuns.Median([double.NaN, 7]));
        Assert.True(double.IsNaN(BenchRuns.Median([double.NaN])));
    }

    [Fact]
    public void SummaryGivesEachStrategysMedianAndRangeInTheOrderOfTheRuns()
    {
        var rows = new[]
        {
            Row(1, "none", 100, seq: 50, par: 80, allocated: 1000, pause: 0.02),
            Row(1, "gossip-grid-every1", 40),
            Row(2, "none", 300, seq: 60, par: 120, allocated: 3000, pause: 0.00),
            Row(2, "gossip-grid-every1", 60),
            Row(3, "none", 200, seq: 70, par: 100, allocated: 2000, pause: 0.04),
            Row(3, "gossip-grid-every1", 50),
        };
        var lines = BenchRuns.Summarize(rows);
        Assert.Equal(4, lines.Count);
        Assert.StartsWith("| strategy | actors samples/s |", lines[0], StringComparison.Ordinal);
        var none = Cells(lines[2]);
        Assert.Equal("none", none[0]);
        Assert.Equal("200 (100–300)", none[1]);
        Assert.Equal("60 (50–70)", none[2]);
        Assert.Equal("100 (80–120)", none[3]);
        // Each ratio is taken per run (engine time over actor time in that run): 0.5, 0.2, 0.35.
        Assert.Equal("0.35 (0.20–0.50)", none[4]);
        Assert.Equal("0.50 (0.40–0.80)", none[5]);
        Assert.Equal("2.00 kB", none[6]);
        Assert.Equal("2.00%", none[7]);
        var gossip = Cells(lines[3]);
        Assert.Equal("gossip-grid-every1", gossip[0]);
        Assert.Equal("50 (40–60)", gossip[1]);
        Assert.Equal(["-", "-", "-", "-"], gossip[2..6]); // the engine does not model gossip
    }

    [Fact]
    public void OneRunIsShownWithoutARange()
    {
        var lines = BenchRuns.Summarize([Row(1, "none", 123.4, seq: 100, par: 150)]);
        Assert.Equal(["none", "123", "100", "150", "0.81", "1.22"], Cells(lines[2])[..6]);
    }

    [Fact]
    public void TheCsvOfARunIsReadBackAndAForeignOneRefused()
    {
        string[] good = [BenchRuns.CsvHeader, "none,1229.5,2955.0,NaN,2.403,NaN,100492,0.0000"];
        var row = Assert.Single(BenchRuns.ParseCsv(good, 4, "x"));
        Assert.Equal(4, row.Run);
        Assert.Equal("none", row.Strategy);
        Assert.Equal(1229.5, row.ActorRate);
        Assert.True(double.IsNaN(row.EngineParallelRate));

        var header = Assert.Throws<InvalidDataException>(() => BenchRuns.ParseCsv(["strategy,samples", "none,1"], 1, "run 1's CSV"));
        Assert.Contains("run 1's CSV: not a bench CSV", header.Message, StringComparison.Ordinal);
        var short_ = Assert.Throws<InvalidDataException>(() => BenchRuns.ParseCsv([BenchRuns.CsvHeader, "none,1,2"], 1, "x"));
        Assert.Contains("has 3 cells, not 8", short_.Message, StringComparison.Ordinal);
        var word = Assert.Throws<InvalidDataException>(() => BenchRuns.ParseCsv([BenchRuns.CsvHeader, "none,fast,1,1,1,1,1,0"], 1, "x"));
        Assert.Contains("'fast'", word.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", "--runs 0: give 1 to 100 runs")]
    [InlineData("101", "--runs 101: give 1 to 100 runs")]
    [InlineData("many", "--runs 'many' is not a whole number")]
    public async Task ARunCountOutsideItsRangeIsAClearError(string runs, string expected)
    {
        var r = await Cli.RunAsync("bench", "--steps", "1", "--strategies", "none", "--runs", runs);
        Cli.AssertUserError(r, singleLine: true, expected);
        Assert.Empty(r.Out);
    }

    [Theory]
    [InlineData("--scale", null, "--runs does not apply to --scale")]
    [InlineData("--arch", "conv3x3x2,bogus", "bogus")]
    [InlineData("--device", "no-such-device", "no-such-device")]
    [InlineData("--input", "16x16", "'16x16' is not HxWxC")]
    public async Task AMistakeIsReportedOnceBeforeAnyRunStarts(string option, string? value, string expected)
    {
        string[] args = ["bench", "--steps", "1", "--strategies", "none", "--runs", "3", option, .. value is null ? Array.Empty<string>() : [value]];
        var r = await Cli.RunAsync(args);
        Cli.AssertUserError(r, singleLine: true, expected);
        Assert.DoesNotContain("run 1 of 3", r.Out, StringComparison.Ordinal);
    }
}
