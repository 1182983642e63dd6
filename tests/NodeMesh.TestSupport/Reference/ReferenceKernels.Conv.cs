using System.Numerics.Tensors;

namespace NodeMesh.TestSupport.Reference;

/// <summary>
/// Shape of one stride-1 convolution over a batch in NCHW layout. Output size is
/// <c>In + 2·Padding − Kernel + 1</c> (equal to the input for same padding, <c>Padding = Kernel/2</c>).
/// </summary>
public readonly record struct ConvGeometry(
    int Batch, int InChannels, int InHeight, int InWidth, int OutChannels, int Kernel, int Padding)
{
    /// <summary>Output rows per map.</summary>
    public int OutHeight => InHeight + 2 * Padding - Kernel + 1;

    /// <summary>Output columns per map.</summary>
    public int OutWidth => InWidth + 2 * Padding - Kernel + 1;

    /// <summary>Output positions of one map: the number of distinct kernels of a local layer per map.</summary>
    public int Positions => OutHeight * OutWidth;

    /// <summary>Weights of one kernel: Cin·k·k, in (ci, ky, kx) order.</summary>
    public int KernelLength => InChannels * Kernel * Kernel;

    /// <summary>Elements of the input batch x [B, Cin, H, W].</summary>
    public int InputLength => Batch * InChannels * InHeight * InWidth;

    /// <summary>Elements of the output batch y [B, Cout, OH, OW].</summary>
    public int OutputLength => Batch * OutChannels * OutHeight * OutWidth;

    /// <summary>Weight length for <paramref name="sharing"/>: [Cout,Cin,k,k] or [Cout,OH,OW,Cin,k,k].</summary>
    public int WeightLength(WeightSharing sharing) =>
        OutChannels * (sharing == WeightSharing.Local ? Positions : 1) * KernelLength;

    /// <summary>Bias length for <paramref name="sharing"/>: [Cout] or [Cout,OH,OW].</summary>
    public int BiasLength(WeightSharing sharing) => OutChannels * (sharing == WeightSharing.Local ? Positions : 1);
}

// The convolution half of ReferenceKernels (documented in ReferenceKernels.cs): shared-weight and
// locally connected layers share one im2col loop nest, so the two modes differ in one line only.
public static partial class ReferenceKernels
{
    // ------------------------------------------------------------------ convolution (shared / local)

    /// <summary>Shared-weight conv: <c>y[b,co,oy,ox] = bias[co] + Σ w[co,ci,ky,kx]·x[b,ci,oy−p+ky,ox−p+kx]</c> (zero padding).</summary>
    public static void Conv2dForward(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> y) => ConvForward(g, WeightSharing.Shared, x, weight, bias, y);

    /// <summary>Gradients of a shared-weight conv given <c>dy = ∂L/∂y</c>. Pass an empty <paramref name="dx"/> to skip it.</summary>
    public static void Conv2dBackward(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> dy, Span<float> dx, Span<float> dWeight, Span<float> dBias) =>
        ConvBackward(g, WeightSharing.Shared, x, weight, dy, dx, dWeight, dBias);

    /// <summary>
    /// Locally connected layer: as <see cref="Conv2dForward"/> but with one kernel and bias per output
    /// position, weight [Cout,OH,OW,Cin,k,k], bias [Cout,OH,OW].
    /// </summary>
    public static void LocalForward(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> y) => ConvForward(g, WeightSharing.Local, x, weight, bias, y);

    /// <summary>Gradients of a locally connected layer. Pass an empty <paramref name="dx"/> to skip it.</summary>
    public static void LocalBackward(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> dy, Span<float> dx, Span<float> dWeight, Span<float> dBias) =>
        ConvBackward(g, WeightSharing.Local, x, weight, dy, dx, dWeight, dBias);

    /// <summary>
    /// The one convolution loop nest, in im2col form: every output (b, co, pos) is
    /// <c>bias[unit] + kernel[unit] · cols[b, pos]</c>, where <c>unit</c> is <c>co</c> (shared) or
    /// <c>(co, pos)</c> (local) — the only difference between the two modes. The kernel and the
    /// input window are both contiguous vectors of Cin·k·k in (ci, ky, kx) order; the dot product is
    /// taken in double. Loop order (pos, co, b) keeps a local kernel hot in cache across the batch.
    /// </summary>
    private static void ConvForward(in ConvGeometry g, WeightSharing sharing, ReadOnlySpan<float> x,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y)
    {
        CheckConv(g, sharing, x.Length, weight.Length, bias.Length, y.Length, "y");
        int positions = g.Positions, klen = g.KernelLength;
        bool local = sharing == WeightSharing.Local;
        double[] cols = Im2Col(g, x);
        double[] w = ToDouble(weight);
        for (int pos = 0; pos < positions; pos++)
        for (int co = 0; co < g.OutChannels; co++)
        {
            int unit = local ? co * positions + pos : co; // which kernel / bias
            var kernel = w.AsSpan(unit * klen, klen);
            for (int b = 0; b < g.Batch; b++)
            {
                var window = cols.AsSpan((b * positions + pos) * klen, klen);
                y[(b * g.OutChannels + co) * positions + pos] = (float)(bias[unit] + TensorPrimitives.Dot(kernel, window));
            }
        }
    }

    /// <summary>
    /// The transpose of <see cref="ConvForward"/>: each output gradient <c>dy[b, co, pos]</c> adds
    /// <c>dy·cols[b, pos]</c> to its kernel's gradient, <c>dy</c> to its bias's, and
    /// <c>dy·kernel</c> to the window's gradient, which <see cref="Col2Im"/> then sums back onto
    /// the input pixels. All accumulators are double.
    /// </summary>
    private static void ConvBackward(in ConvGeometry g, WeightSharing sharing, ReadOnlySpan<float> x,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dWeight, Span<float> dBias)
    {
        CheckConv(g, sharing, x.Length, weight.Length, dBias.Length, dy.Length, "dy");
        if (dWeight.Length != weight.Length) throw new ArgumentException($"dWeight has {dWeight.Length} elements, expected {weight.Length}.", nameof(dWeight));
        bool wantDx = !dx.IsEmpty;
        if (wantDx && dx.Length != g.InputLength) throw new ArgumentException($"dx has {dx.Length} elements, expected {g.InputLength} (or 0 to skip).", nameof(dx));

        int positions = g.Positions, klen = g.KernelLength;
        bool local = sharing == WeightSharing.Local;
        double[] cols = Im2Col(g, x);
        double[] w = ToDouble(weight);
        var dwAcc = new double[dWeight.Length];
        var dbAcc = new double[dBias.Length];
        var dcols = wantDx ? new double[cols.Length] : [];
        for (int pos = 0; pos < positions; pos++)
        for (int co = 0; co < g.OutChannels; co++)
        {
            int unit = local ? co * positions + pos : co;
            var kernel = w.AsSpan(unit * klen, klen);
            var dKernel = dwAcc.AsSpan(unit * klen, klen);
            for (int b = 0; b < g.Batch; b++)
            {
                double grad = dy[(b * g.OutChannels + co) * positions + pos];
                if (grad == 0) continue; // contributes nothing (common after ReLU / max-pool)
                int window = (b * positions + pos) * klen;
                dbAcc[unit] += grad;
                TensorPrimitives.MultiplyAdd(cols.AsSpan(window, klen), grad, dKernel, dKernel);
                if (wantDx)
                {
                    var dWindow = dcols.AsSpan(window, klen);
                    TensorPrimitives.MultiplyAdd(kernel, grad, dWindow, dWindow);
                }
            }
        }
        Store(dwAcc, dWeight);
        Store(dbAcc, dBias);
        if (wantDx) Col2Im(g, dcols, dx);
    }

    /// <summary>
    /// <c>cols[b, pos, j] = x[b, ci, oy−p+ky, ox−p+kx]</c> (0 where that falls in the padding), with
    /// pos = oy·OW + ox and j = (ci·k + ky)·k + kx: the input window seen by each output position.
    /// </summary>
    private static double[] Im2Col(in ConvGeometry g, ReadOnlySpan<float> x)
    {
        int k = g.Kernel, p = g.Padding, cin = g.InChannels, ih = g.InHeight, iw = g.InWidth;
        int oh = g.OutHeight, ow = g.OutWidth, klen = g.KernelLength;
        var cols = new double[g.Batch * g.Positions * klen];
        for (int b = 0; b < g.Batch; b++)
        for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
        {
            int row = (b * g.Positions + oy * ow + ox) * klen;
            for (int ci = 0; ci < cin; ci++)
            for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++)
            {
                int iy = oy - p + ky, ix = ox - p + kx;
                if (iy >= 0 && iy < ih && ix >= 0 && ix < iw)
                    cols[row + (ci * k + ky) * k + kx] = x[((b * cin + ci) * ih + iy) * iw + ix];
            }
        }
        return cols;
    }

    /// <summary>The transpose of <see cref="Im2Col"/>: each input pixel gets the sum of its window-gradient entries.</summary>
    private static void Col2Im(in ConvGeometry g, ReadOnlySpan<double> dcols, Span<float> dx)
    {
        int k = g.Kernel, p = g.Padding, cin = g.InChannels, ih = g.InHeight, iw = g.InWidth;
        int oh = g.OutHeight, ow = g.OutWidth, klen = g.KernelLength;
        var acc = new double[dx.Length];
        for (int b = 0; b < g.Batch; b++)
        for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
        {
            int row = (b * g.Positions + oy * ow + ox) * klen;
            for (int ci = 0; ci < cin; ci++)
            for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++)
            {
                int iy = oy - p + ky, ix = ox - p + kx;
                if (iy >= 0 && iy < ih && ix >= 0 && ix < iw)
                    acc[((b * cin + ci) * ih + iy) * iw + ix] += dcols[row + (ci * k + ky) * k + kx];
            }
        }
        Store(acc, dx);
    }

    private static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i];
        return result;
    }

    private static void CheckConv(in ConvGeometry g, WeightSharing sharing, int xLen, int wLen, int bLen, int yLen, string yName)
    {
        if (g.Batch < 0 || g.InChannels < 1 || g.OutChannels < 1 || g.Kernel < 1 || g.Padding < 0 || g.OutHeight < 1 || g.OutWidth < 1)
            throw new ArgumentException($"Invalid convolution geometry {g}.");
        if (xLen != g.InputLength) throw new ArgumentException($"x has {xLen} elements, expected {g.InputLength} for {g}.");
        if (wLen != g.WeightLength(sharing)) throw new ArgumentException($"{sharing} weight has {wLen} elements, expected {g.WeightLength(sharing)} for {g}.");
        if (bLen != g.BiasLength(sharing)) throw new ArgumentException($"{sharing} bias has {bLen} elements, expected {g.BiasLength(sharing)} for {g}.");
        if (yLen != g.OutputLength) throw new ArgumentException($"{yName} has {yLen} elements, expected {g.OutputLength} for {g}.");
    }

    /// <summary>
    /// Copies a per-map tensor [maps, perMap] (a shared kernel or bias) to every position of a
    /// local tensor [maps, positions, perMap].
    /// </summary>
    public static void BroadcastToPositions(ReadOnlySpan<float> shared, int maps, int positions, int perMap, Span<float> local)
    {
        if (shared.Length != maps * perMap) throw new ArgumentException($"shared has {shared.Length} elements, expected {maps * perMap}.", nameof(shared));
        if (local.Length != maps * positions * perMap) throw new ArgumentException($"local has {local.Length} elements, expected {maps * positions * perMap}.", nameof(local));
        for (int m = 0; m < maps; m++)
        for (int pos = 0; pos < positions; pos++)
            shared.Slice(m * perMap, perMap).CopyTo(local.Slice((m * positions + pos) * perMap, perMap));
    }
}
