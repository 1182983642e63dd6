using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json.Nodes;

namespace NodeMesh.Cli.Tests.Reports;

/// <summary>Checks that a file is a PNG and reads its size from the IHDR chunk.</summary>
public static class Png
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static (int Width, int Height) Size(string path)
    {
        Assert.True(File.Exists(path), $"{path} should exist");
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 33, $"{path} is too short for a PNG ({bytes.Length} bytes)");
        Assert.True(bytes.AsSpan(0, 8).SequenceEqual(Signature), $"{path} does not start with the PNG signature");
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(13u, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(8, 4)));
        int w = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(16, 4));
        int h = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(20, 4));
        Assert.Equal("IEND", System.Text.Encoding.ASCII.GetString(bytes, bytes.Length - 8, 4));
        return (w, h);
    }

    /// <summary>Asserts the file is a PNG of the reports' size.</summary>
    public static void AssertReportSize(string path) =>
        Assert.Equal((NodeMesh.Cli.Reports.Plots.Width, NodeMesh.Cli.Reports.Plots.Height), Size(path));
}

/// <summary>
/// Two tiny real runs shared by the report tests: "none" for 2 epochs and "allreduce-star" for 1
/// epoch; copies of them without the optional fabric and energy keys (plain/), and copies whose
/// optional keys hold known synthetic values (rich/).
/// </summary>
public sealed class TinyRuns : IAsyncLifetime
{
    public TempDir Tmp { get; } = new();
    public string None => Tmp["none"];
    public string Star => Tmp["allreduce-star"];
    public string NonePlain => Tmp["plain/none"];
    public string StarPlain => Tmp["plain/allreduce-star"];
    public string NoneRich => Tmp["rich/none"];
    public string StarRich => Tmp["rich/allreduce-star"];

    public async Task InitializeAsync()
    {
        var a = Cli.TrainAsync("--epochs", "2", "--out", None);
        var b = Cli.TrainAsync("--strategy", "allreduce", "--epochs", "1", "--out", Star);
        foreach (var r in await Task.WhenAll(a, b)) Assert.True(r.Code == 0, r.ToString());
        Copy(None, NonePlain, null);
        Copy(Star, StarPlain, null);
        Copy(None, NoneRich, 2.0);
        Copy(Star, StarRich, 3.0);
    }

    public Task DisposeAsync()
    {
        Tmp.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Copies a run without the optional keys of the fabric and energy models; with
    /// <paramref name="hops"/>, adds them back with known values in the shape those models write:
    /// byte_hops = payload bytes × hops per category, energy per sample per epoch, the
    /// conventional baseline and the lower bounds.
    /// </summary>
    public static void Copy(string from, string to, double? hops)
    {
        Directory.CreateDirectory(to);
        foreach (var f in new[] { "config.json", "metrics.csv" }) File.Copy(Path.Combine(from, f), Path.Combine(to, f), overwrite: true);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(from, "summary.json")))!.AsObject();
        string[] optional = ["energy_pj_per_sample", "baseline", "lower_bounds"];
        foreach (var k in optional) summary.Remove(k);
        foreach (var e in summary["epochs"]!.AsArray())
        {
            foreach (var k in optional) e!.AsObject().Remove(k);
            foreach (var (_, t) in e!["traffic"]!.AsObject()) { t!.AsObject().Remove("byte_hops"); t.AsObject().Remove("byte_hops_per_sample"); }
            foreach (var (_, l) in e["layers"]!.AsObject())
                foreach (var (_, t) in l!.AsObject()) t!.AsObject().Remove("byte_hops");
        }
        File.WriteAllText(Path.Combine(to, "summary.json"), summary.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        if (hops is { } h) Enrich(to, h);
    }

    private static void Enrich(string dir, double hops)
    {
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!.AsObject();
        foreach (var e in summary["epochs"]!.AsArray())
        {
            foreach (var (_, t) in e!["traffic"]!.AsObject())
                t!["byte_hops"] = t["payload_bytes"]!.GetValue<double>() * hops;
            double sync = e["traffic"]!["sync"]!["payload_bytes"]!.GetValue<double>() / e["samples"]!.GetValue<double>();
            e["energy_pj_per_sample"] = new JsonObject
            {
                ["compute"] = 1000.0,
                ["device_writes"] = 200.0,
                ["activation_transport"] = 300.0,
                ["error_transport"] = 250.0,
                ["sync_transport"] = sync * 0.5,
                ["total"] = 1750.0 + sync * 0.5,
            };
        }
        summary["baseline"] = new JsonObject
        {
            ["dram_bytes_per_sample"] = 12345.0,
            ["sram_bytes_per_sample"] = 67890.0,
            ["energy_pj_per_sample"] = new JsonObject { ["dram"] = 5000.0, ["sram"] = 800.0, ["mac"] = 400.0, ["total"] = 6200.0 },
        };
        summary["lower_bounds"] = new JsonObject
        {
            ["conv1"] = new JsonObject
            {
                ["measured_sync_bytes_per_unit"] = 80.0,
                ["min_sync_bytes_per_unit"] = 40.0,
                ["bytes_ratio"] = 2.0,
                ["measured_byte_hops"] = 9000.0,
                ["min_byte_hops"] = 3000.0,
                ["byte_hops_ratio"] = 3.0,
            },
        };
        File.WriteAllText(Path.Combine(dir, "summary.json"), summary.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    public static string F(double v) => v.ToString(CultureInfo.InvariantCulture);
}
