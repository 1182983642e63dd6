using System.Text.Json;
using NodeMesh.Core.Model;
using NodeMesh.TestSupport.Reference;

namespace NodeMesh.Core.Tests.Reference;

/// <summary>
/// Whole-network SGD of <see cref="ReferenceNet"/> against PyTorch (nn.Conv2d, and a locally connected
/// net built with F.unfold + einsum), Tolerance.Golden: abs 1e-6 + rel 1e-5 on logits, every step's
/// loss and every final parameter.
/// </summary>
public sealed class ReferenceNetGoldenTests
{
    /// <summary>Builds the golden file's net in <paramref name="sharing"/> mode with its initial parameters.</summary>
    private static ReferenceNet NetFrom(JsonElement gold, WeightSharing sharing)
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(gold.GetProperty("arch").GetString()!),
            gold.GetProperty("channels").GetInt32(), gold.GetProperty("height").GetInt32(),
            gold.GetProperty("width").GetInt32(), gold.GetProperty("classes").GetInt32());
        var net = new ReferenceNet(plan, sharing);
        var initial = gold.GetProperty("initial"); // shared layout: local nets get the kernel broadcast to every position
        for (int l = 0; l < plan.Layers.Count; l++)
        {
            var layer = plan.Layers[l];
            var w = initial[l].Tensor("weight").Data;
            var b = initial[l].Tensor("bias").Data;
            if (layer.Kind == LayerKind.Conv && sharing == WeightSharing.Local)
            {
                ReferenceKernels.BroadcastToPositions(w, layer.OutMaps, layer.Positions, layer.FanIn, net.Weight(l));
                ReferenceKernels.BroadcastToPositions(b, layer.OutMaps, layer.Positions, 1, net.Bias(l));
            }
            else
            {
                Assert.Equal(net.Weight(l).Length, w.Length);
                Assert.Equal(net.Bias(l).Length, b.Length);
                w.CopyTo(net.Weight(l), 0);
                b.CopyTo(net.Bias(l), 0);
            }
        }
        return net;
    }

    private static string ModeKey(WeightSharing sharing) => sharing == WeightSharing.Shared ? "shared" : "local";

    [Theory]
    [InlineData("net_sgd.json", WeightSharing.Shared)]
    [InlineData("net_sgd.json", WeightSharing.Local)]
    [InlineData("net_sgd_tanh_avg.json", WeightSharing.Shared)]
    [InlineData("net_sgd_tanh_avg.json", WeightSharing.Local)]
    public void Initial_logits_match_pytorch_golden(string file, WeightSharing sharing)
    {
        var gold = Golden.Load(file);
        var net = NetFrom(gold, sharing);
        int batch = gold.GetProperty("batch").GetInt32();
        var images = GoldenTensor.From(gold.GetProperty("images")[0]).Data;
        var logits = net.Forward(images, batch);
        Tolerance.Golden.AssertClose(gold.GetProperty(ModeKey(sharing)).Tensor("logits0"), logits, $"{file} {sharing} logits0");
    }

    [Theory]
    [InlineData("net_sgd.json", WeightSharing.Shared)]
    [InlineData("net_sgd.json", WeightSharing.Local)]
    [InlineData("net_sgd_tanh_avg.json", WeightSharing.Shared)]
    [InlineData("net_sgd_tanh_avg.json", WeightSharing.Local)]
    public void Three_sgd_steps_match_pytorch_golden_losses_and_final_parameters(string file, WeightSharing sharing)
    {
        var gold = Golden.Load(file);
        var net = NetFrom(gold, sharing);
        int batch = gold.GetProperty("batch").GetInt32(), steps = gold.GetProperty("steps").GetInt32();
        float lr = gold.GetProperty("lr").GetSingle();
        var expected = gold.GetProperty(ModeKey(sharing));

        var losses = new float[steps];
        for (int s = 0; s < steps; s++)
        {
            var images = GoldenTensor.From(gold.GetProperty("images")[s]).Data;
            var labels = gold.GetProperty("labels")[s].EnumerateArray().Select(v => checked((byte)v.GetInt32())).ToArray();
            losses[s] = net.TrainStep(images, labels, batch, lr);
        }
        var expectedLosses = expected.GetProperty("loss").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Tolerance.Golden.AssertClose(expectedLosses, losses, $"{file} {sharing} losses");

        var final = expected.GetProperty("final");
        for (int l = 0; l < net.Plan.Layers.Count; l++)
        {
            var w = final[l].Tensor("weight");
            var b = final[l].Tensor("bias");
            Assert.Equal(w.Data.Length, net.Weight(l).Length);
            Tolerance.Golden.AssertClose(w, net.Weight(l), $"{file} {sharing} final {net.Plan.Layers[l].Name}.weight");
            Tolerance.Golden.AssertClose(b, net.Bias(l), $"{file} {sharing} final {net.Plan.Layers[l].Name}.bias");
        }
    }

    [Fact]
    public void Golden_local_parameter_shapes_are_the_checkpoint_layouts()
    {
        var gold = Golden.Load("net_sgd.json");
        var final = gold.GetProperty("local").GetProperty("final");
        // conv3x3x4 on 12x12x1, maxpool2, conv3x3x6 on 6x6x4, maxpool2, dense10 on 6x3x3
        Assert.Equal(new[] { 4, 12, 12, 1, 3, 3 }, final[0].Tensor("weight").Shape);
        Assert.Equal(new[] { 4, 12, 12 }, final[0].Tensor("bias").Shape);
        Assert.Equal(new[] { 6, 6, 6, 4, 3, 3 }, final[1].Tensor("weight").Shape);
        Assert.Equal(new[] { 10, 54 }, final[2].Tensor("weight").Shape);
        var net = NetFrom(gold, WeightSharing.Local);
        for (int l = 0; l < 3; l++)
            Assert.Equal(final[l].Tensor("weight").Data.Length, net.Weight(l).Length);
    }
}
