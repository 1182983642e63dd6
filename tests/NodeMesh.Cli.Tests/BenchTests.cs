using NodeMesh.Cli.Commands;
using NodeMesh.Core;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Cli.Tests;

public class BenchTests
{
    private static readonly string[] Tiny = ["bench", "--steps", "2", "--batch", "8", "--arch", Cli.TinyArch];

    private static string[] TableRows(string stdout) =>
        stdout.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| strategy", StringComparison.Ordinal)).ToArray();

    [Fact]
    public async Task BenchPrintsARowPerStrategy()
    {
        var r = await Cli.RunAsync([.. Tiny, "--strategies", "none,allreduce-star"]);
        Assert.True(r.Code == 0, r.ToString());
        Assert.Contains($"nodemesh bench: {Cli.TinyArch}", r.Out, StringComparison.Ordinal);
        Assert.Contains("batch 8, 2 timed steps", r.Out, StringComparison.Ordinal);
        Assert.Contains("| strategy | actors samples/s |", r.Out, StringComparison.Ordinal);
        var rows = TableRows(r.Out);
        Assert.Equal(2, rows.Length);
        Assert.StartsWith("| none | ", rows[0], StringComparison.Ordinal);
        Assert.StartsWith("| allreduce-star-every1 | ", rows[1], StringComparison.Ordinal);
        foreach (var row in rows)
        {
            var cells = row.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            Assert.Equal(8, cells.Length);
            foreach (var cell in cells.Skip(1).Take(5))
                Assert.True(double.TryParse(cell, System.Globalization.CultureInfo.InvariantCulture, out double v) && v > 0, $"cell '{cell}' of '{row}'");
            Assert.Matches(@"^[0-9.,]+ (B|kB|MB|GB)$", cells[6]); // managed bytes allocated per timed step
            Assert.Matches(@"^[0-9.]+%$", cells[7]); // share of the timed epoch paused by the GC
        }
        Assert.Contains("peak working set:", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BenchWithEngineOffWritesCsv()
    {
        using var tmp = new TempDir();
        string csv = tmp["bench.csv"];
        var r = await Cli.RunAsync([.. Tiny, "--strategies", "none,allreduce-ring-every2", "--engine", "off", "--out", csv]);
        Assert.True(r.Code == 0, r.ToString());
        var rows = TableRows(r.Out);
        Assert.Equal(2, rows.Length);
        Assert.Contains("| - |", rows[0], StringComparison.Ordinal); // engine columns not measured
        var lines = File.ReadAllLines(csv);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("strategy,actor_samples_per_second,", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("none,", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("allreduce-ring-every2,", lines[2], StringComparison.Ordinal);
        var header = lines[0].Split(',');
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split(',');
            // A timed step allocates at least its messages; the GC's pause share is a fraction of the epoch.
            Assert.True(Cli.D(cells[Array.IndexOf(header, "actor_allocated_bytes_per_step")]) > 0, line);
            double pause = Cli.D(cells[Array.IndexOf(header, "actor_gc_pause_share")]);
            Assert.True(pause >= 0 && pause < 1, line);
        }
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("none,bogus")]
    [InlineData("allreduce-grid")]
    [InlineData("allreduce-star-often")]
    [InlineData("none-star")]
    public async Task BadStrategyListIsAClearError(string list)
    {
        var r = await Cli.RunAsync([.. Tiny, "--strategies", list]);
        string bad = list.Split(',').Last();
        Cli.AssertUserError(r, singleLine: true, "--strategies", $"'{bad}'", "allreduce[-star|-tree|-ring][-everyF]");
        Assert.Empty(r.Out);
    }

    [Theory]
    [InlineData("--data", "full", "--data does not apply to --scale")]
    [InlineData("--input", "32x32x3", "--input does not apply to --scale")]
    [InlineData("--scale-inputs", "8x8x1", "kernel 5 is larger than its 4x4 input")] // the reference net does not fit 8x8: found before any process starts
    [InlineData("--scale-inputs", "16x16", "'16x16' is not HxWxC")]
    [InlineData("--scale-inputs", ",", "--scale-inputs is empty")]
    public async Task ScaleRefusesWhatItCannotBuild(string option, string value, string expected)
    {
        var r = await Cli.RunAsync("bench", "--scale", option, value);
        Cli.AssertUserError(r, singleLine: true, expected);
        Assert.DoesNotContain("| input |", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void ScaleFitsTheExponentOfAPowerLaw()
    {
        var points = new[] { 1e3, 1e4, 1e5 }.Select(x => (x, 7 * Math.Pow(x, 1.3) * (x == 1e4 ? 1.1 : 1))).ToArray();
        Assert.InRange(ScaleBench.FitExponent(points), 1.29, 1.31);
        Assert.Equal(1.3, ScaleBench.FitExponent(points.Where(p => p.x != 1e4)), 9);
    }

    [Fact]
    public async Task ZeroStepsIsAnError()
    {
        var r = await Cli.RunAsync("bench", "--steps", "0");
        Cli.AssertUserError(r, singleLine: true, "--steps 0");
    }

    [Fact]
    public async Task BadEngineChoiceIsAnError()
    {
        var r = await Cli.RunAsync([.. Tiny, "--strategies", "none", "--engine", "maybe"]);
        Cli.AssertUserError(r, singleLine: true, "--engine 'maybe'");
    }

    [Fact]
    public async Task ZeroBatchIsAnError()
    {
        var r = await Cli.RunAsync("bench", "--steps", "1", "--batch", "0", "--strategies", "none", "--engine", "off", "--arch", Cli.TinyArch);
        Cli.AssertUserError(r, singleLine: true, "--batch 0");
    }

    [Fact]
    public async Task OutIntoAMissingDirectoryIsAnError()
    {
        using var tmp = new TempDir();
        var r = await Cli.RunAsync([.. Tiny, "--strategies", "none", "--engine", "off", "--out", Path.Combine(tmp["nodir"], "b.csv")]);
        Cli.AssertUserError(r, singleLine: true, "--out");
    }

    [Fact]
    public async Task EmptyStrategyListIsAnError()
    {
        var r = await Cli.RunAsync([.. Tiny, "--strategies", ",", "--engine", "off"]);
        Cli.AssertUserError(r, singleLine: true, "--strategies");
    }

    [Theory]
    [InlineData("none", StrategyKind.None, TopologyKind.Star, 1)]
    [InlineData("allreduce-star", StrategyKind.AllReduce, TopologyKind.Star, 1)]
    [InlineData("allreduce-tree", StrategyKind.AllReduce, TopologyKind.Tree, 1)]
    [InlineData(" AllReduce-Ring-Every10 ", StrategyKind.AllReduce, TopologyKind.Ring, 10)]
    public void ParseStrategyAcceptsTheDocumentedForms(string text, StrategyKind kind, TopologyKind topology, int every)
    {
        var s = BenchCommand.ParseStrategy(text);
        Assert.Equal(kind, s.Kind);
        if (kind != StrategyKind.None) Assert.Equal(topology, s.Topology);
        Assert.Equal(every, s.Every);
    }

    [Theory]
    [InlineData("allreduce-star-every")]
    [InlineData("allreduce-star-everyx")]
    [InlineData("allreduce-star-every0")]
    [InlineData("allreduce-star-every2-x")]
    [InlineData("gossip-ring")]
    [InlineData("allreduce-every1-star")]
    [InlineData("")]
    public void ParseStrategyRejectsOtherForms(string text) =>
        Assert.Throws<UserInputException>(() => BenchCommand.ParseStrategy(text));
}
