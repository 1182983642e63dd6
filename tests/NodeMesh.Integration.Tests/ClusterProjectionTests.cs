using System.Text.Json;

namespace NodeMesh.Integration.Tests;

/// <summary>
/// <c>nodemesh project --members</c> calibrated against real clusters: a short run of the small
/// net on 1, 2 and 3 local worker processes counts, per message type and category, exactly the
/// cross-member messages and payload bytes that the projection of the same net, tiles, batch,
/// steps and placement predicts; the Akka envelope around them stays within the documented
/// per-message bound.
/// </summary>
[Collection("processes")]
public sealed class ClusterProjectionTests : ProcessTest
{
    private static readonly TimeSpan RunBound = TimeSpan.FromSeconds(90);

    private const int Samples = 128, Batch = 16; // 8 steps: steps 0..7

    /// <summary>
    /// The Akka envelope per cross-member message on loopback (docs/projection.md): about 90 bytes,
    /// about 150 for the driver's images and loss gradient, which carry the driver as sender; with margin.
    /// </summary>
    private const double EnvelopeMin = 80, EnvelopeMax = 160;

    private const string Small = "conv3x3x4,relu,maxpool2,conv3x3x6,relu,maxpool2,dense10";

    /// <summary>A residual net: skip pieces and links past a shortcut cross members with their from_layer field.</summary>
    private const string Residual = "conv3x3x4,relu,res(conv3x3x4,relu,conv3x3x4),relu,res(conv3x3x8s2,relu,conv3x3x8;conv1x1x8s2pvalid),relu,maxpool2,dense10";

    [Theory]
    [InlineData("none", 1, "block", Small)]
    [InlineData("allreduce-star", 2, "block", Small)]
    [InlineData("allreduce-tree", 3, "stripe", Small)]
    [InlineData("allreduce-tree", 2, "round-robin", Residual)]
    public async Task Measured_cross_member_messages_and_payload_equal_the_projection(string strategy, int workers, string placement, string arch)
    {
        string[] net = ["--arch", arch, "--tile", "7", "--batch", Batch.ToString()];
        string[] train = strategy switch
        {
            "none" => ["--strategy", "none"],
            "allreduce-star" => ["--strategy", "allreduce", "--topology", "star"],
            "allreduce-tree" => ["--strategy", "allreduce", "--topology", "tree"],
            _ => throw new ArgumentException(strategy),
        };
        var projection = Start("project", ["project", .. net, "--samples", Samples.ToString(), "--strategies", strategy, "--members", workers.ToString(),
            "--placement", placement, "--fabric-cast", "unicast", "--out", Path.Combine(Dir, "projected")]);
        Assert.True(await projection.WaitForExit(TimeSpan.FromSeconds(60)) == 0, projection.Output);
        var run = Start("cluster", ["cluster", "--workers", workers.ToString(), "train", .. net, .. train, "--train-limit", Samples.ToString(), "--test-limit", "20",
            "--quiet", "--placement", placement, "--out", Path.Combine(Dir, "run")]);
        Assert.True(await run.WaitForExit(RunBound) == 0, run.Output);

        using var projected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "projected", "project.json")));
        var p = Assert.Single(projected.RootElement.GetProperty("cluster").GetProperty("projections").EnumerateArray());
        Assert.Equal(workers, p.GetProperty("members").GetInt32());
        Assert.Equal(Samples / Batch, p.GetProperty("steps").GetInt64());
        var perSample = p.GetProperty("per_sample");
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "run", "summary.json")));
        var epoch = summary.RootElement.GetProperty("cluster").GetProperty("epochs")[0];
        Assert.Equal(Samples, epoch.GetProperty("samples").GetInt32());
        var types = epoch.GetProperty("types");

        static long Total(JsonElement perSampleCount, string field) => (long)Math.Round(perSampleCount.GetProperty(field).GetDouble() * Samples);
        static (long Messages, long Payload, long Wire) Measured(JsonElement parent, string name) =>
            parent.TryGetProperty(name, out var m)
                ? (m.GetProperty("messages").GetInt64(), m.GetProperty("payload_bytes").GetInt64(), m.GetProperty("wire_bytes").GetInt64())
                : (0, 0, 0);

        foreach (var type in perSample.GetProperty("types").EnumerateObject())
        {
            var (messages, payload, _) = Measured(types, type.Name);
            Assert.True(Total(type.Value, "messages") == messages, $"{type.Name}: projected {Total(type.Value, "messages")} messages, measured {messages}");
            Assert.True(Total(type.Value, "payload_bytes") == payload, $"{type.Name}: projected {Total(type.Value, "payload_bytes")} payload bytes, measured {payload}");
        }
        var categories = epoch.GetProperty("categories");
        foreach (var c in new[] { "activation", "error", "sync" })
        {
            var (messages, payload, wire) = Measured(categories, c);
            Assert.Equal(Total(perSample.GetProperty(c), "messages"), messages);
            Assert.Equal(Total(perSample.GetProperty(c), "payload_bytes"), payload);
            if (messages == 0) continue;
            double envelope = (double)(wire - payload) / messages;
            Assert.True(envelope >= EnvelopeMin && envelope <= EnvelopeMax, $"{c}: {envelope:F1} envelope bytes per message, outside {EnvelopeMin}..{EnvelopeMax}");
        }
        // Control: the projection covers the per-step notices (sb); the end-of-epoch counter collection comes on top.
        Assert.True(Measured(categories, "control").Messages >= Total(perSample.GetProperty("control"), "messages"));
        long sync = Measured(categories, "sync").Messages;
        if (strategy == "none" || workers == 1) Assert.Equal(0, sync);
        else Assert.True(sync > 0, "the maps span workers, so tying messages must cross");
    }
}
