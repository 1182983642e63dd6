using System.Text.Json;
using NodeMesh.TestSupport.Reference;

namespace NodeMesh.Core.Tests.Reference;

/// <summary>Single-layer kernels of <see cref="ReferenceKernels"/> against PyTorch (Tolerance.Golden: abs 1e-6 + rel 1e-5).</summary>
public sealed class ReferenceKernelsGoldenTests
{
    private static ConvGeometry Geometry(JsonElement g)
    {
        var x = g.Tensor("x").Shape;   // [B, Cin, H, W]
        var w = g.Tensor("weight").Shape; // [Cout, Cin, k, k] or [Cout, H, W, Cin, k, k]
        return new ConvGeometry(x[0], x[1], x[2], x[3], w[0], g.GetProperty("kernel").GetInt32(), g.GetProperty("padding").GetInt32());
    }

    [Theory]
    [InlineData("conv2d_k3.json")]
    [InlineData("conv2d_k5.json")]
    public void Conv2d_forward_matches_pytorch_golden(string file)
    {
        var gold = Golden.Load(file);
        var g = Geometry(gold);
        var y = new float[g.OutputLength];
        ReferenceKernels.Conv2dForward(g, gold.Tensor("x").Data, gold.Tensor("weight").Data, gold.Tensor("bias").Data, y);
        Tolerance.Golden.AssertClose(gold.Tensor("y"), y, $"{file} y");
    }

    [Theory]
    [InlineData("conv2d_k3.json")]
    [InlineData("conv2d_k5.json")]
    public void Conv2d_backward_matches_pytorch_golden(string file)
    {
        var gold = Golden.Load(file);
        var g = Geometry(gold);
        var weight = gold.Tensor("weight").Data;
        var dx = new float[g.InputLength];
        var dw = new float[weight.Length];
        var db = new float[g.OutChannels];
        ReferenceKernels.Conv2dBackward(g, gold.Tensor("x").Data, weight, gold.Tensor("dy").Data, dx, dw, db);
        Tolerance.Golden.AssertClose(gold.Tensor("dx"), dx, $"{file} dx");
        Tolerance.Golden.AssertClose(gold.Tensor("dweight"), dw, $"{file} dweight");
        Tolerance.Golden.AssertClose(gold.Tensor("dbias"), db, $"{file} dbias");
    }

    [Fact]
    public void Locally_connected_forward_matches_pytorch_golden()
    {
        var gold = Golden.Load("local_k3.json");
        var g = Geometry(gold);
        Assert.Equal(new[] { g.OutChannels, g.OutHeight, g.OutWidth, g.InChannels, g.Kernel, g.Kernel }, gold.Tensor("weight").Shape);
        var y = new float[g.OutputLength];
        ReferenceKernels.LocalForward(g, gold.Tensor("x").Data, gold.Tensor("weight").Data, gold.Tensor("bias").Data, y);
        Tolerance.Golden.AssertClose(gold.Tensor("y"), y, "local y");
    }

    [Fact]
    public void Locally_connected_backward_matches_pytorch_golden()
    {
        var gold = Golden.Load("local_k3.json");
        var g = Geometry(gold);
        var weight = gold.Tensor("weight").Data;
        var dx = new float[g.InputLength];
        var dw = new float[weight.Length];
        var db = new float[g.BiasLength(WeightSharing.Local)];
        ReferenceKernels.LocalBackward(g, gold.Tensor("x").Data, weight, gold.Tensor("dy").Data, dx, dw, db);
        Tolerance.Golden.AssertClose(gold.Tensor("dx"), dx, "local dx");
        Tolerance.Golden.AssertClose(gold.Tensor("dweight"), dw, "local dweight");
        Tolerance.Golden.AssertClose(gold.Tensor("dbias"), db, "local dbias");
    }

    [Fact]
    public void Conv_backward_without_dx_gives_the_same_weight_gradients()
    {
        var gold = Golden.Load("conv2d_k3.json");
        var g = Geometry(gold);
        var weight = gold.Tensor("weight").Data;
        var dw = new float[weight.Length];
        var db = new float[g.OutChannels];
        ReferenceKernels.Conv2dBackward(g, gold.Tensor("x").Data, weight, gold.Tensor("dy").Data, [], dw, db);
        Tolerance.Golden.AssertClose(gold.Tensor("dweight"), dw, "dweight");
        Tolerance.Golden.AssertClose(gold.Tensor("dbias"), db, "dbias");
    }

    [Theory]
    [InlineData("max2")]
    [InlineData("max3")]
    [InlineData("avg2")]
    [InlineData("avg3")]
    public void Pooling_on_an_odd_sized_map_matches_pytorch_golden(string which)
    {
        var gold = Golden.Load("pool_5x7.json");
        var x = gold.Tensor("x");
        var c = gold.GetProperty(which);
        int k = c.GetProperty("k").GetInt32();
        int planes = x.Shape[0] * x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        var y = new float[planes * (h / k) * (w / k)];
        var dx = new float[x.Data.Length];
        var dy = c.Tensor("dy").Data;
        if (which.StartsWith("max", StringComparison.Ordinal))
        {
            var argmax = new int[y.Length];
            ReferenceKernels.MaxPoolForward(x.Data, planes, h, w, k, y, argmax);
            ReferenceKernels.MaxPoolBackward(dy, argmax, dx);
        }
        else
        {
            ReferenceKernels.AvgPoolForward(x.Data, planes, h, w, k, y);
            ReferenceKernels.AvgPoolBackward(dy, planes, h, w, k, dx);
        }
        Assert.Equal(new[] { x.Shape[0], x.Shape[1], h / k, w / k }, c.Tensor("y").Shape);
        Tolerance.Golden.AssertClose(c.Tensor("y"), y, $"{which} y");
        Tolerance.Golden.AssertClose(c.Tensor("dx"), dx, $"{which} dx");
    }
}
