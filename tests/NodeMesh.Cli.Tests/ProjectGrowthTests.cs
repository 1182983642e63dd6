using System.Text.Json;

namespace NodeMesh.Cli.Tests;

/// <summary><c>nodemesh project --growth</c>: earlier projections set side by side against the net's size.</summary>
public sealed class ProjectGrowthTests
{
    private const string Strategies = "none,allreduce-tree,allreduce-star";

    /// <summary>Projects the reference net at 28×28 and 56×56 into two folders of <paramref name="t"/>.</summary>
    private static async Task TwoProjections(TempDir t)
    {
        var small = await Cli.RunAsync("project", "--strategies", Strategies, "--out", t["small"]);
        Assert.True(small.Code == 0, small.ToString());
        var large = await Cli.RunAsync("project", "--input", "56x56x1", "--strategies", Strategies, "--samples", "1000", "--out", t["large"]);
        Assert.True(large.Code == 0, large.ToString());
    }

    /// <summary>
    /// growth.csv carries each projection's own numbers, nets sorted by unit count (the larger net is
    /// given first), with the step time over no sharing on the same net and cast; growth.md names the
    /// differing epochs; the three PNGs are written.
    /// </summary>
    [Fact]
    public async Task Growth_sets_projections_side_by_side_sorted_by_size()
    {
        using var t = new TempDir();
        await TwoProjections(t);
        var r = await Cli.RunAsync("project", "--growth", $"big={t["large"]},ref={t["small"]}/project.json", "--out", t["growth"]);
        Assert.True(r.Code == 0, r.ToString());
        foreach (var f in new[] { "growth.md", "growth.csv", "growth.png", "growth-share.png", "growth-time.png" })
        {
            var bytes = File.ReadAllBytes(Path.Combine(t["growth"], f));
            Assert.True(bytes.Length > 1000, $"{f}: {bytes.Length} bytes");
            if (f.EndsWith(".png", StringComparison.Ordinal)) Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }
        var rows = Cli.ReadCsv(Path.Combine(t["growth"], "growth.csv"), out _);
        Assert.Equal(2 * 2 * 3, rows.Count); // 2 nets × 2 casts × 3 strategies
        Assert.Equal(["ref", "big"], rows.Select(x => x["net"]).Distinct());
        foreach (var (name, folder) in new[] { ("ref", "small"), ("big", "large") })
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(t[folder], "project.json")));
            var root = doc.RootElement;
            var projections = root.GetProperty("projections").EnumerateArray().ToList();
            Assert.Equal(root.GetProperty("units").GetDouble(), Cli.D(rows.First(x => x["net"] == name)["units"]));
            foreach (var p in projections)
            {
                string cast = p.GetProperty("cast").GetString()!, strategy = p.GetProperty("strategy").GetString()!;
                var row = rows.Single(x => x["net"] == name && x["cast"] == cast && x["strategy"] == strategy);
                Assert.Equal(p.GetProperty("sync_per_sample").GetProperty("bytes").GetDouble(), Cli.D(row["sync_bytes_per_sample"]));
                Assert.Equal(p.GetProperty("sync_share_of_byte_hops").GetDouble(), Cli.D(row["sync_share_of_byte_hops"]));
                Assert.Equal(p.GetProperty("activation_per_sample").GetProperty("byte_hops").GetDouble() + p.GetProperty("error_per_sample").GetProperty("byte_hops").GetDouble(),
                    Cli.D(row["activation_error_byte_hops_per_sample"]));
                Assert.Equal(p.GetProperty("step_time").GetProperty("epoch_seconds").GetDouble(), Cli.D(row["epoch_seconds"]));
                double none = projections.Single(q => q.GetProperty("cast").GetString() == cast && q.GetProperty("strategy").GetString() == "none")
                    .GetProperty("step_time").GetProperty("step_ns").GetDouble();
                Assert.Equal(p.GetProperty("step_time").GetProperty("step_ns").GetDouble() / none, Cli.D(row["step_over_none"]), 12);
            }
        }
        // A larger map means more tying bytes per sample for the same kernels (more positions to tie).
        double Bytes(string net) => Cli.D(rows.First(x => x["net"] == net && x["strategy"] == "allreduce-tree-every1")["sync_bytes_per_sample"]);
        Assert.True(Bytes("big") > 3 * Bytes("ref"), $"{Bytes("big")} vs {Bytes("ref")}");
        string md = File.ReadAllText(Path.Combine(t["growth"], "growth.md"));
        Assert.Contains("which differ (ref 1,281,167, big 1,000)", md, StringComparison.Ordinal);
        Assert.True(md.IndexOf("| ref |", StringComparison.Ordinal) < md.IndexOf("| big |", StringComparison.Ordinal), md);
    }

    [Theory]
    [InlineData("one", "give at least two projections")]
    [InlineData("missing", "no such file or folder")]
    [InlineData("empty", "the folder holds no project.json")]
    [InlineData("badjson", "is not a projection written by nodemesh project")]
    [InlineData("nounits", "no 'units'")]
    [InlineData("twice", "the name 'x' is given twice")]
    [InlineData("noname", "is not NAME=DIR")]
    [InlineData("arch", "drop --arch")]
    [InlineData("out", "the folder is not empty")]
    public async Task Bad_growth_input_gets_one_clear_line(string kind, string fragment)
    {
        using var t = new TempDir();
        await TwoProjections(t);
        string a = t["small"], b = t["large"];
        Directory.CreateDirectory(t["empty"]);
        File.WriteAllText(t["bad.json"], "{ \"units\": ");
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(a, "project.json"))))
            File.WriteAllText(t["nounits.json"], JsonSerializer.Serialize(doc.RootElement.EnumerateObject().Where(p => p.Name != "units").ToDictionary(p => p.Name, p => p.Value)));
        string[] args = kind switch
        {
            "one" => ["--growth", a],
            "missing" => ["--growth", $"{a},{t["nowhere"]}"],
            "empty" => ["--growth", $"{a},{t["empty"]}"],
            "badjson" => ["--growth", $"{a},{t["bad.json"]}"],
            "nounits" => ["--growth", $"{a},{t["nounits.json"]}"],
            "twice" => ["--growth", $"x={a},x={b}"],
            "noname" => ["--growth", $"{a},={b}"],
            "arch" => ["--growth", $"{a},{b}", "--arch", "conv3x3x2,relu,dense10"],
            _ => ["--growth", $"{a},{b}", "--out", b],
        };
        var r = await Cli.RunAsync(["project", .. args]);
        Cli.AssertUserError(r, true, fragment);
    }
}
