using NodeMesh.Core.Model;
using NodeMesh.Core.Tiles;
using NodeMesh.TestSupport.Reference;

namespace NodeMesh.Core.Tests.Tiles;

/// <summary>
/// <see cref="TilePostOps"/> (tile layout [h][w][M][B]) against <see cref="ReferenceKernels"/>
/// (NCHW, planes = B·M), on odd region sizes where pooling floors.
/// </summary>
public sealed class TilePostOpsTests
{
    private const double RelTol = 1e-5;
    private const double AbsTol = 1e-6;

    private static LayerSpec Op(string token) => token switch
    {
        "relu" => new ActivationSpec(token, ActivationKind.Relu),
        "tanh" => new ActivationSpec(token, ActivationKind.Tanh),
        _ when token.StartsWith("maxpool", StringComparison.Ordinal) => new PoolSpec(token, PoolKind.Max, int.Parse(token[7..], System.Globalization.CultureInfo.InvariantCulture)),
        _ => new PoolSpec(token, PoolKind.Avg, int.Parse(token[7..], System.Globalization.CultureInfo.InvariantCulture)),
    };

    private static LayerSpec[] Ops(string list) => list.Length == 0 ? [] : list.Split(',').Select(Op).ToArray();

    private static float[] RandomArray(Random rng, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    /// <summary>[h][w][M][B] → [B][M][h][w].</summary>
    private static float[] TileToNchw(ReadOnlySpan<float> t, int h, int w, int m, int batch)
    {
        var r = new float[t.Length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < m; c++)
                    for (int b = 0; b < batch; b++)
                        r[((b * m + c) * h + y) * w + x] = t[((y * w + x) * m + c) * batch + b];
        return r;
    }

    /// <summary>Forward and backward of <paramref name="ops"/> in NCHW with the reference kernels.</summary>
    private static (float[] Output, float[] InputGradient, int OutH, int OutW) Reference(
        LayerSpec[] ops, float[] x, int planes, int h, int w, float[] gradOutOf)
    {
        var inputs = new List<(float[] In, float[] Out, int[]? Argmax, int H, int W)>();
        var cur = x;
        foreach (var op in ops)
        {
            float[] y; int[]? am = null; int oh = h, ow = w;
            switch (op)
            {
                case ActivationSpec { Kind: ActivationKind.Relu }: ReferenceKernels.ReluForward(cur, y = new float[cur.Length]); break;
                case ActivationSpec { Kind: ActivationKind.Tanh }: ReferenceKernels.TanhForward(cur, y = new float[cur.Length]); break;
                case PoolSpec p:
                    oh = h / p.Size; ow = w / p.Size;
                    y = new float[planes * oh * ow];
                    if (p.Kind == PoolKind.Max) ReferenceKernels.MaxPoolForward(cur, planes, h, w, p.Size, y, am = new int[y.Length]);
                    else ReferenceKernels.AvgPoolForward(cur, planes, h, w, p.Size, y);
                    break;
                default: throw new NotSupportedException(op.Token);
            }
            inputs.Add((cur, y, am, h, w));
            cur = y; h = oh; w = ow;
        }
        var g = gradOutOf;
        for (int k = ops.Length - 1; k >= 0; k--)
        {
            var (inp, outp, am, ih, iw) = inputs[k];
            var dx = new float[inp.Length];
            switch (ops[k])
            {
                case ActivationSpec { Kind: ActivationKind.Relu }: ReferenceKernels.ReluBackward(inp, g, dx); break;
                case ActivationSpec { Kind: ActivationKind.Tanh }: ReferenceKernels.TanhBackward(outp, g, dx); break;
                case PoolSpec { Kind: PoolKind.Max }: ReferenceKernels.MaxPoolBackward(g, am, dx); break;
                case PoolSpec p: ReferenceKernels.AvgPoolBackward(g, planes, ih, iw, p.Size, dx); break;
            }
            g = dx;
        }
        return (cur, g, h, w);
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tol = Math.Max(AbsTol, RelTol * Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
        }
    }

    [Theory]
    [InlineData("relu", 7, 5, 3, 5)]
    [InlineData("tanh", 7, 5, 3, 5)]
    [InlineData("maxpool2", 7, 5, 3, 5)]
    [InlineData("avgpool2", 7, 5, 3, 5)]
    [InlineData("maxpool3", 7, 11, 2, 9)]
    [InlineData("avgpool3", 7, 11, 2, 9)]
    [InlineData("relu,maxpool2", 9, 7, 4, 3)]
    [InlineData("tanh,avgpool2", 9, 7, 4, 3)]
    [InlineData("maxpool2,maxpool2", 9, 11, 2, 1)]
    [InlineData("relu,avgpool2,tanh,maxpool2", 11, 9, 3, 2)]
    [InlineData("", 3, 5, 2, 4)]
    public void Forward_and_backward_equal_the_reference_kernels(string ops, int h, int w, int maps, int batch)
    {
        var rng = new Random(h * 1000 + w * 10 + batch + ops.Length);
        var spec = Ops(ops);
        var post = new TilePostOps(spec, h, w, maps);
        var pre = RandomArray(rng, h * w * maps * batch);
        var output = new float[post.OutputLength(batch)];
        post.Forward(pre, batch, output);

        int oh = post.OutputHeight, ow = post.OutputWidth;
        var gradOut = RandomArray(rng, output.Length);
        var delta = new float[pre.Length];
        Array.Fill(delta, float.NaN); // must be overwritten everywhere
        post.Backward(gradOut, batch, delta);

        var (refOut, refGrad, rh, rw) = Reference(spec, TileToNchw(pre, h, w, maps, batch), batch * maps, h, w,
            TileToNchw(gradOut, oh, ow, maps, batch));
        Assert.Equal((rh, rw), (oh, ow));
        AssertClose(refOut, TileToNchw(output, oh, ow, maps, batch), "output");
        AssertClose(refGrad, TileToNchw(delta, h, w, maps, batch), "delta");
    }

    [Fact]
    public void Pooling_floors_odd_sizes_and_the_cut_off_rows_and_columns_get_zero_gradient()
    {
        const int h = 7, w = 5, maps = 2, batch = 3;
        var post = new TilePostOps(Ops("avgpool2"), h, w, maps);
        Assert.Equal((3, 2), (post.OutputHeight, post.OutputWidth));
        var pre = RandomArray(new Random(3), h * w * maps * batch);
        post.Forward(pre, batch, new float[post.OutputLength(batch)]);
        var gradOut = Enumerable.Repeat(1f, post.OutputLength(batch)).ToArray();
        var delta = new float[pre.Length];
        post.Backward(gradOut, batch, delta);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int i = 0; i < maps * batch; i++)
                    Assert.Equal(y == 6 || x == 4 ? 0f : 0.25f, delta[(y * w + x) * maps * batch + i]);
    }

    [Fact]
    public void A_second_forward_and_backward_with_the_same_batch_does_not_accumulate_old_gradients()
    {
        const int h = 6, w = 6, maps = 2, batch = 4;
        var spec = Ops("relu,maxpool2");
        var rng = new Random(8);
        var pre = RandomArray(rng, h * w * maps * batch);
        var gradOut = RandomArray(rng, 3 * 3 * maps * batch);
        var fresh = new TilePostOps(spec, h, w, maps);
        var reused = new TilePostOps(spec, h, w, maps);
        var other = RandomArray(rng, pre.Length);
        var scratch = new float[pre.Length];
        reused.Forward(other, batch, new float[reused.OutputLength(batch)]);
        reused.Backward(RandomArray(rng, gradOut.Length), batch, scratch);

        var d1 = new float[pre.Length];
        var d2 = new float[pre.Length];
        fresh.Forward(pre, batch, new float[fresh.OutputLength(batch)]);
        fresh.Backward(gradOut, batch, d1);
        reused.Forward(pre, batch, new float[reused.OutputLength(batch)]);
        reused.Backward(gradOut, batch, d2);
        Assert.Equal(d1, d2);
    }

    [Fact]
    public void Backward_with_a_batch_other_than_the_forward_batch_is_refused()
    {
        var post = new TilePostOps(Ops("relu"), 2, 2, 1);
        post.Forward(new float[2 * 2 * 3], 3, new float[2 * 2 * 3]);
        Assert.Throws<InvalidOperationException>(() => post.Backward(new float[2 * 2 * 2], 2, new float[2 * 2 * 2]));
    }
}
