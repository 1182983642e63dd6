using NodeMesh.Core.Checkpoints;

namespace NodeMesh.Cli.Tests;

/// <summary><c>--save</c> and <c>--init</c> with safetensors files.</summary>
public class CheckpointTests
{
    // conv3x3x2 on 28x28x1 (same padding), maxpool2 -> 2x14x14 = 392 inputs to dense10
    private static readonly int[] ConvUnitWeight = [2, 28, 28, 1, 3, 3];
    private static readonly int[] ConvUnitBias = [2, 28, 28];
    private static readonly int[] ConvSharedWeight = [2, 1, 3, 3];
    private static readonly int[] ConvSharedBias = [2];
    private static readonly int[] DenseWeight = [10, 392];
    private static readonly int[] DenseBias = [10];

    [Fact]
    public async Task SaveWritesTheDocumentedShapesAndInitOfItRuns()
    {
        using var tmp = new TempDir();
        string w = tmp["w.safetensors"];
        var r = await Cli.TrainAsync("--out", tmp["run1"], "--save", w);
        Assert.True(r.Code == 0, r.ToString());
        Assert.Contains($"saved weights to {w}", r.Out, StringComparison.Ordinal);

        var t = SafeTensorsFile.Read(w, out var metadata);
        Assert.Equal(["conv1.bias", "conv1.weight", "dense1.bias", "dense1.weight"], t.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(ConvUnitWeight, t["conv1.weight"].Shape);
        Assert.Equal(ConvUnitBias, t["conv1.bias"].Shape);
        Assert.Equal(DenseWeight, t["dense1.weight"].Shape);
        Assert.Equal(DenseBias, t["dense1.bias"].Shape);
        Assert.All(t.Values, x => Assert.All(x.Data, v => Assert.True(float.IsFinite(v))));
        Assert.Equal(Cli.TinyArch, metadata["arch"]);
        Assert.Equal("none", metadata["strategy"]);
        Assert.False(File.Exists(w + ".tmp"));

        // --init of the saved file with a negligible learning rate: runs and keeps the weights
        string w2 = tmp["w2.safetensors"];
        var again = await Cli.TrainAsync("--out", tmp["run2"], "--init", w, "--epochs", "1", "--lr", "1e-12", "--save", w2);
        Assert.True(again.Code == 0, again.ToString());
        var t2 = SafeTensorsFile.Read(w2);
        foreach (var name in t.Keys)
        {
            Assert.Equal(t[name].Shape, t2[name].Shape);
            for (int i = 0; i < t[name].Count; i++)
                Assert.True(Math.Abs(t[name].Data[i] - t2[name].Data[i]) <= 1e-6f, $"{name}[{i}]: {t[name].Data[i]} became {t2[name].Data[i]}");
        }
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(tmp["run2"], "config.json")));
        Assert.Equal(w, config.RootElement.GetProperty("init").GetString());
    }

    [Fact]
    public async Task SaveOverwritesAnExistingCheckpointFile()
    {
        using var tmp = new TempDir();
        string w = tmp["w.safetensors"];
        File.WriteAllText(w, "old");
        var r = await Cli.TrainAsync("--out", tmp["run"], "--save", w);
        Assert.True(r.Code == 0, r.ToString());
        Assert.Equal(4, SafeTensorsFile.Read(w).Count);
    }

    private static float Value(int seed, int i) => ((seed * 7919 + i * 104729) % 2001 - 1000) / 10000f;

    private static NamedTensor Filled(string name, int[] shape, int seed)
    {
        var data = new float[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++) data[i] = Value(seed, i);
        return new NamedTensor(name, shape, data);
    }

    [Fact]
    public async Task SharedConv2dCheckpointIsBroadcastToEveryPosition()
    {
        using var tmp = new TempDir();
        string shared = tmp["shared.safetensors"];
        var cw = Filled("conv1.weight", ConvSharedWeight, 1);
        var cb = Filled("conv1.bias", ConvSharedBias, 2);
        var dw = Filled("dense1.weight", DenseWeight, 3);
        var db = Filled("dense1.bias", DenseBias, 4);
        SafeTensorsFile.Write(shared, [cw, cb, dw, db]);

        string saved = tmp["saved.safetensors"];
        var r = await Cli.TrainAsync("--out", tmp["run"], "--init", shared, "--epochs", "1", "--lr", "1e-12", "--save", saved);
        Assert.True(r.Code == 0, r.ToString());

        var t = SafeTensorsFile.Read(saved);
        var w = t["conv1.weight"];
        var b = t["conv1.bias"];
        Assert.Equal(ConvUnitWeight, w.Shape);
        // saved [Cout, H, W, Cin, kh, kw] must equal the shared [Cout, Cin, kh, kw] at every (h, w)
        for (int m = 0; m < 2; m++)
            for (int h = 0; h < 28; h++)
                for (int x = 0; x < 28; x++)
                {
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++)
                        {
                            float got = w.Data[((((m * 28 + h) * 28 + x) * 1 + 0) * 3 + ky) * 3 + kx];
                            float want = cw.Data[((m * 1 + 0) * 3 + ky) * 3 + kx];
                            Assert.True(Math.Abs(got - want) <= 1e-6f, $"conv1.weight[{m},{h},{x},0,{ky},{kx}] = {got}, shared kernel has {want}");
                        }
                    Assert.True(Math.Abs(b.Data[(m * 28 + h) * 28 + x] - cb.Data[m]) <= 1e-6f, $"conv1.bias[{m},{h},{x}]");
                }
        for (int i = 0; i < dw.Count; i++)
            Assert.True(Math.Abs(t["dense1.weight"].Data[i] - dw.Data[i]) <= 1e-6f, $"dense1.weight flat index {i}");
        for (int i = 0; i < db.Count; i++)
            Assert.True(Math.Abs(t["dense1.bias"].Data[i] - db.Data[i]) <= 1e-6f, $"dense1.bias[{i}]");
    }

    [Fact]
    public async Task SharedConv2dCheckpointTrainsWithAllReduce()
    {
        using var tmp = new TempDir();
        string shared = tmp["shared.safetensors"];
        SafeTensorsFile.Write(shared, [
            Filled("conv1.weight", ConvSharedWeight, 5), Filled("conv1.bias", ConvSharedBias, 6),
            Filled("dense1.weight", DenseWeight, 7), Filled("dense1.bias", DenseBias, 8)]);
        var r = await Cli.TrainAsync("--out", tmp["run"], "--init", shared, "--strategy", "allreduce", "--save", tmp["out.safetensors"]);
        Assert.True(r.Code == 0, r.ToString());
        // exact tying from a shared start keeps every position's kernel equal
        var w = SafeTensorsFile.Read(tmp["out.safetensors"])["conv1.weight"];
        int kernel = 9, positions = 28 * 28;
        for (int m = 0; m < 2; m++)
            for (int p = 1; p < positions; p++)
                for (int k = 0; k < kernel; k++)
                    Assert.Equal(w.Data[(m * positions) * kernel + k], w.Data[(m * positions + p) * kernel + k]);
    }
}
