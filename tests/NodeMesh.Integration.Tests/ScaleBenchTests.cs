using System.Globalization;
using NodeMesh.Core.Model;

namespace NodeMesh.Integration.Tests;

/// <summary>
/// <c>nodemesh bench --scale</c> as a user runs it: every net measured in a nodemesh process of its
/// own, rows that describe the nets actually built, and fitted growth exponents.
/// </summary>
public sealed class ScaleBenchTests : ProcessTest
{
    private const string Arch = "conv3x3x4,relu,maxpool2,conv3x3x8,relu,maxpool2,dense10";

    [Fact]
    public async Task Each_size_is_measured_in_its_own_process_and_described_by_the_net_it_built()
    {
        string csv = Path.Combine(Dir, "scale.csv");
        var bench = Start("bench", "bench", "--scale", "--arch", Arch, "--scale-inputs", "8x8x1,16x16x2", "--steps", "1", "--batch", "4", "--out", csv);
        Assert.True(await bench.WaitForExit(TimeSpan.FromMinutes(3)) == 0, bench.Output);

        var lines = File.ReadAllLines(csv);
        Assert.Equal(3, lines.Length);
        var header = lines[0].Split(',');
        int Col(string name) => Array.IndexOf(header, name);
        var expected = new[] { (InputShape.Parse("8x8x1"), "8x8x1"), (InputShape.Parse("16x16x2"), "16x16x2") };
        var pids = new HashSet<string>();
        for (int i = 0; i < 2; i++)
        {
            var cells = lines[i + 1].Split(',');
            var (shape, text) = expected[i];
            var plan = NetworkPlan.Build(ArchSpec.Parse(Arch), shape.Channels, shape.Height, shape.Width, 10);
            Assert.Equal(text, cells[Col("input")]);
            Assert.Equal(plan.UnitCount, long.Parse(cells[Col("unit_actors")], CultureInfo.InvariantCulture));
            Assert.Equal(plan.Layers.Sum(l => (long)l.UnitCount * (l.FanIn + 1)) * 4, long.Parse(cells[Col("weight_bytes")], CultureInfo.InvariantCulture));
            double perUnit = double.Parse(cells[Col("bytes_per_unit_actor")], CultureInfo.InvariantCulture);
            Assert.InRange(perUnit, 100, 100_000); // an actor, its unit state and counters: far more than nothing, far less than 100 kB
            Assert.True(long.Parse(cells[Col("peak_rss_bytes")], CultureInfo.InvariantCulture) >= long.Parse(cells[Col("rss_built_bytes")], CultureInfo.InvariantCulture));
            Assert.True(double.Parse(cells[Col("seconds_per_step")], CultureInfo.InvariantCulture) > 0);
            pids.Add(cells[Col("process_id")]);
        }
        pids.Add(bench.Id.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(3, pids.Count); // each net in a process of its own, neither of them the bench itself
        Assert.Contains("time per step grows as units^", bench.Output, StringComparison.Ordinal);
        Assert.Contains("largest net measured: ", bench.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_measuring_process_does_not_outlive_the_bench_that_started_it()
    {
        using var parent = NodeProcess.StartCommand("parent", "sleep", ["600"]);
        // A net that takes minutes to build and step: only the parent's end can stop it within the deadline.
        var child = Start("point", "bench", "--scale-point", "160x160x1", "--steps", "3", "--exit-with-pid", parent.Id.ToString(CultureInfo.InvariantCulture));
        parent.Kill();
        int code = await child.WaitForExit(TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, code);
        Assert.DoesNotContain("scale-point {", child.Output, StringComparison.Ordinal);
    }
}
