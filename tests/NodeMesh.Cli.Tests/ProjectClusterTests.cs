using System.Text.Json;

namespace NodeMesh.Cli.Tests;

/// <summary><c>nodemesh project --members</c>: its outputs and its errors (the calibration against real clusters is an Integration test).</summary>
public sealed class ProjectClusterTests
{
    [Fact]
    public async Task Members_add_a_cross_member_section_a_csv_and_a_json_object_with_gossip_marked_not_projected()
    {
        string dir = Path.Combine(Path.GetTempPath(), "nodemesh-project-cluster-" + Guid.NewGuid().ToString("N"));
        try
        {
            var r = await Cli.RunAsync("project", "--strategies", "none,allreduce-tree,gossip-grid", "--members", "1,2", "--placement", "stripe",
                "--samples", "640", "--fabric-cast", "unicast", "--out", dir);
            Assert.True(r.Code == 0, r.ToString());
            Assert.Contains("## Cross-member traffic per sample, stripe placement", r.Out, StringComparison.Ordinal);
            Assert.Contains("project-cluster.csv", r.Out, StringComparison.Ordinal);
            var rows = Cli.ReadCsv(Path.Combine(dir, "project-cluster.csv"), out _);
            Assert.Equal(6, rows.Count);
            Assert.All(rows, row => Assert.Equal("stripe", row["placement"]));
            var gossip = rows.Where(row => row["strategy"].StartsWith("gossip", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, gossip.Count);
            Assert.All(gossip, row => Assert.Equal("", row["payload_bytes_per_sample"]));
            // One worker: no tying crosses; two workers in stripes: the tree's trunk does.
            var tree = rows.Where(row => row["strategy"].StartsWith("allreduce-tree", StringComparison.Ordinal)).ToDictionary(row => row["members"]);
            Assert.Equal("0", tree["1"]["sync_messages_per_sample"]);
            Assert.True(double.Parse(tree["2"]["sync_messages_per_sample"], System.Globalization.CultureInfo.InvariantCulture) > 0);
            Assert.Equal("20", tree["1"]["steps"]); // 640 samples / batch 32

            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "project.json")));
            var cluster = json.RootElement.GetProperty("cluster");
            Assert.Equal("stripe", cluster.GetProperty("placement").GetString());
            var projections = cluster.GetProperty("projections").EnumerateArray().ToList();
            Assert.Equal(6, projections.Count);
            var types = projections.First(p => p.GetProperty("members").GetInt32() == 2 && p.GetProperty("strategy").GetString()!.StartsWith("allreduce-tree", StringComparison.Ordinal))
                .GetProperty("per_sample").GetProperty("types");
            foreach (var manifest in new[] { "ap", "lp", "ep", "sb", "sp", "sr" }) Assert.True(types.TryGetProperty(manifest, out _), manifest);
            Assert.True(projections.Count(p => p.TryGetProperty("not_projected", out _)) == 2);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Without_members_the_projection_has_no_cluster_part()
    {
        var r = await Cli.RunAsync("project", "--strategies", "none", "--fabric-cast", "unicast");
        Assert.True(r.Code == 0, r.ToString());
        Assert.DoesNotContain("Cross-member", r.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--members", "0" }, "--members '0': give a comma-separated list of member counts")]
    [InlineData(new[] { "--members", "two" }, "--members 'two'")]
    [InlineData(new[] { "--members", "2,,4" }, "--members '2,,4'")]
    [InlineData(new[] { "--members", "5000" }, "each 1..4096")]
    [InlineData(new[] { "--members", "2", "--placement", "diagonal" }, "--placement 'diagonal' is not one of: block, stripe, round-robin")]
    [InlineData(new[] { "--placement", "stripe" }, "--placement needs --members")]
    [InlineData(new[] { "--tile", "7" }, "--tile needs --members")]
    [InlineData(new[] { "--members", "2", "--tile", "-1" }, "--tile -1: the tile side must be")]
    public async Task Bad_cluster_options_get_one_clear_line(string[] args, string fragment)
    {
        var r = await Cli.RunAsync(["project", .. args]);
        Cli.AssertUserError(r, true, fragment);
    }
}
