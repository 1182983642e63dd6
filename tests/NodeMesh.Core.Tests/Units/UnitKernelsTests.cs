using NodeMesh.Core.Units;

namespace NodeMesh.Core.Tests.Units;

/// <summary>
/// <see cref="UnitKernels"/> against a naive scalar loop written here, for batch sizes that hit the
/// 4-vector, 1-vector and scalar paths of the SIMD code (and their remainders).
/// </summary>
public sealed class UnitKernelsTests
{
    private const double RelTol = 1e-5;
    private const double AbsTol = 1e-6;

    public static TheoryData<int, string> BatchesAndGeometries()
    {
        var data = new TheoryData<int, string>();
        foreach (int b in new[] { 1, 7, 8, 17, 32, 33, 65 }) // 65 also reaches the 4-vector path with 16 lanes
            foreach (string g in new[] { "conv", "dense" })
                data.Add(b, g);
        return data;
    }

    /// <summary>
    /// A test geometry: conv = a 3×3 kernel over 3 channels at (u, v) = (2, 1) of a padded 7×6 grid;
    /// dense = 37 consecutive rows starting at row 0. Returns the geometry and the number of rows of the buffer.
    /// </summary>
    private static (PatchGeometry G, int Rows) Geometry(string kind)
    {
        if (kind == "conv")
        {
            const int c = 3, k = 3, pw = 6, ph = 7, u = 2, v = 1;
            return (new PatchGeometry((u * pw + v) * c, k, k * c, pw * c), ph * pw * c);
        }
        return (new PatchGeometry(0, 1, 37, 0), 37);
    }

    /// <summary>The error geometry of the same receptive field in a differently shaped (5-wide) error region.</summary>
    private static (PatchGeometry G, int Rows) ErrorGeometry(string kind)
    {
        if (kind == "conv")
        {
            const int c = 3, k = 3, rw = 5, rh = 4, u = 1, v = 2;
            return (new PatchGeometry((u * rw + v) * c, k, k * c, rw * c), rh * rw * c);
        }
        return (new PatchGeometry(0, 1, 37, 0), 37);
    }

    private static float[] RandomArray(Random rng, int n, float scale = 1f)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>Input row of weight i under geometry g.</summary>
    private static int RowOf(PatchGeometry g, int i) => g.FirstRow + i / g.RunLength * g.RunStride + i % g.RunLength;

    private static void AssertClose(double expected, double actual, string what)
    {
        double tol = Math.Max(AbsTol, RelTol * Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tol, $"{what}: expected {expected}, got {actual} (tolerance {tol})");
    }

    [Theory]
    [MemberData(nameof(BatchesAndGeometries))]
    public void Forward_equals_a_naive_scalar_loop(int batch, string kind)
    {
        var rng = new Random(100 + batch);
        var (g, rows) = Geometry(kind);
        var w = RandomArray(rng, g.Rows + 1);
        var x = RandomArray(rng, rows * batch);
        var y = new float[batch + 3];
        Array.Fill(y, 12345f);

        UnitKernels.Forward(w, x, g, batch, y);

        for (int b = 0; b < batch; b++)
        {
            double expected = w[g.Rows];
            for (int i = 0; i < g.Rows; i++) expected += (double)w[i] * x[RowOf(g, i) * batch + b];
            AssertClose(expected, y[b], $"y[{b}]");
        }
        for (int b = batch; b < y.Length; b++) Assert.Equal(12345f, y[b]);
    }

    /// <summary>
    /// The forward pass that also takes the input scales: the same outputs bit for bit, and scales
    /// equal to the device code's own abs-max pass (bias input 1 included), with inputs spread over
    /// ±3 so that some samples' maxima lie above 1 and, at batch 1, some below.
    /// </summary>
    [Theory]
    [MemberData(nameof(BatchesAndGeometries))]
    public void Forward_with_input_scales_gives_the_same_outputs_and_the_abs_max_of_each_sample(int batch, string kind)
    {
        var rng = new Random(300 + batch);
        var (g, rows) = Geometry(kind);
        var w = RandomArray(rng, g.Rows + 1);
        var x = RandomArray(rng, rows * batch, batch == 1 ? 0.9f : 3f);
        var y = new float[batch];
        var yWith = new float[batch];
        var scales = new float[batch + 2];
        Array.Fill(scales, -7f);

        UnitKernels.Forward(w, x, g, batch, y);
        UnitKernels.Forward(w, x, g, batch, yWith, scales);

        Assert.Equal(y, yWith);
        var expected = new float[batch];
        NodeMesh.Core.Devices.PatchInputScales.AbsMax(x, g, batch, implicitBias: true, expected);
        Assert.Equal(expected, scales.AsSpan(0, batch).ToArray());
        Assert.Equal([-7f, -7f], scales.AsSpan(batch).ToArray());
        if (batch == 1) Assert.Equal(1f, scales[0]); // all |x| < 1: the bias input's 1
        else Assert.Contains(scales.AsSpan(0, batch).ToArray(), s => s > 1f);
        Assert.Throws<ArgumentException>(() => UnitKernels.Forward(w, x, g, batch, yWith, new float[batch - 1]));
    }

    /// <summary>The input error alone is bit for bit the one the full backward pass accumulates.</summary>
    [Theory]
    [MemberData(nameof(BatchesAndGeometries))]
    public void The_input_error_alone_equals_the_backward_passes(int batch, string kind)
    {
        var rng = new Random(400 + batch);
        var (g, rows) = Geometry(kind);
        var (eg, errorRows) = ErrorGeometry(kind);
        var w = RandomArray(rng, g.Rows + 1);
        var x = RandomArray(rng, rows * batch);
        var d = RandomArray(rng, batch, 0.1f);
        var dxFull = RandomArray(rng, errorRows * batch);
        var dxAlone = (float[])dxFull.Clone();

        UnitKernels.Backward(w, x, g, d, batch, new float[g.Rows + 1], dxFull, eg);
        UnitKernels.InputError(w, d, batch, dxAlone, eg);

        Assert.Equal(dxFull, dxAlone);
        Assert.Throws<ArgumentException>(() => UnitKernels.InputError(w, d, batch, dxAlone.AsSpan(1).ToArray(), eg));
    }

    [Theory]
    [MemberData(nameof(BatchesAndGeometries))]
    public void Backward_computes_the_weight_gradient_the_bias_gradient_and_accumulates_the_input_error(int batch, string kind)
    {
        var rng = new Random(200 + batch);
        var (g, rows) = Geometry(kind);
        var (eg, errorRows) = ErrorGeometry(kind);
        int fanIn = g.Rows;
        var w = RandomArray(rng, fanIn + 1);
        var x = RandomArray(rng, rows * batch);
        var d = RandomArray(rng, batch, 0.1f);
        var grad = new float[fanIn + 1];
        var dx = RandomArray(rng, errorRows * batch); // pre-existing error: must be accumulated into
        var dxBefore = (float[])dx.Clone();

        UnitKernels.Backward(w, x, g, d, batch, grad, dx, eg);

        for (int i = 0; i < fanIn; i++)
        {
            double expected = 0;
            for (int b = 0; b < batch; b++) expected += (double)d[b] * x[RowOf(g, i) * batch + b];
            AssertClose(expected, grad[i], $"grad[{i}]");
        }
        double db = 0;
        for (int b = 0; b < batch; b++) db += d[b];
        AssertClose(db, grad[fanIn], "bias gradient");

        var expectedDx = dxBefore.Select(v => (double)v).ToArray();
        for (int i = 0; i < fanIn; i++)
            for (int b = 0; b < batch; b++)
                expectedDx[RowOf(eg, i) * batch + b] += (double)w[i] * d[b];
        var inPatch = new HashSet<int>(Enumerable.Range(0, fanIn).Select(i => RowOf(eg, i)));
        for (int r = 0; r < errorRows; r++)
            for (int b = 0; b < batch; b++)
            {
                int at = r * batch + b;
                if (inPatch.Contains(r)) AssertClose(expectedDx[at], dx[at], $"dx[row {r}][{b}]");
                else Assert.Equal(dxBefore[at], dx[at]); // outside the receptive field: untouched, bit for bit
            }
    }

    [Theory]
    [MemberData(nameof(BatchesAndGeometries))]
    public void Backward_with_an_empty_error_buffer_touches_nothing_else_and_still_computes_the_gradient(int batch, string kind)
    {
        var rng = new Random(300 + batch);
        var (g, rows) = Geometry(kind);
        int fanIn = g.Rows;
        var w = RandomArray(rng, fanIn + 1);
        var x = RandomArray(rng, rows * batch);
        var d = RandomArray(rng, batch, 0.1f);
        var (wBefore, xBefore, dBefore) = ((float[])w.Clone(), (float[])x.Clone(), (float[])d.Clone());
        var grad = new float[fanIn + 1 + 4];
        Array.Fill(grad, -777f);

        // An error geometry that would not even fit: it must be ignored when dx is empty.
        UnitKernels.Backward(w, x, g, d, batch, grad, Span<float>.Empty, new PatchGeometry(1_000_000, 9, 9, 9));

        for (int i = 0; i < fanIn; i++)
        {
            double expected = 0;
            for (int b = 0; b < batch; b++) expected += (double)d[b] * x[RowOf(g, i) * batch + b];
            AssertClose(expected, grad[i], $"grad[{i}]");
        }
        AssertClose(d.Sum(v => (double)v), grad[fanIn], "bias gradient");
        for (int i = fanIn + 1; i < grad.Length; i++) Assert.Equal(-777f, grad[i]);
        Assert.Equal(wBefore, w);
        Assert.Equal(xBefore, x);
        Assert.Equal(dBefore, d);
    }

    /// <summary>
    /// The backward pass as it was written before the four-weight groups: one weight at a time, its
    /// lane accumulator reduced by <see cref="System.Numerics.Vector.Sum{T}(System.Numerics.Vector{T})"/>,
    /// then the scalar remainder in sample order. The kernel must match it bit for bit, since every
    /// trained result (and the actors' identity with the engine) rests on this arithmetic.
    /// </summary>
    private static void OneWeightAtATime(float[] w, float[] x, PatchGeometry g, float[] d, int batch, float[] grad, float[]? dx, PatchGeometry eg)
    {
        int lanes = System.Numerics.Vector<float>.Count, vecEnd = batch - batch % lanes;
        for (int i = 0; i < g.Rows; i++)
        {
            int xo = RowOf(g, i) * batch, eo = dx is null ? 0 : RowOf(eg, i) * batch;
            var acc = System.Numerics.Vector<float>.Zero;
            var wv = new System.Numerics.Vector<float>(w[i]);
            int b = 0;
            for (; b < vecEnd; b += lanes)
            {
                var dv = new System.Numerics.Vector<float>(d, b);
                acc = System.Numerics.Vector.FusedMultiplyAdd(new System.Numerics.Vector<float>(x, xo + b), dv, acc);
                if (dx is not null) System.Numerics.Vector.FusedMultiplyAdd(dv, wv, new System.Numerics.Vector<float>(dx, eo + b)).CopyTo(dx, eo + b);
            }
            float s = System.Numerics.Vector.Sum(acc);
            for (; b < batch; b++)
            {
                s = MathF.FusedMultiplyAdd(x[xo + b], d[b], s);
                if (dx is not null) dx[eo + b] = MathF.FusedMultiplyAdd(d[b], w[i], dx[eo + b]);
            }
            grad[i] = s;
        }
        float db = 0f;
        for (int b = 0; b < batch; b++) db += d[b];
        grad[g.Rows] = db;
    }

    public static TheoryData<int, int, bool> BatchesRunLengthsAndErrors()
    {
        var data = new TheoryData<int, int, bool>();
        foreach (int b in new[] { 1, 7, 8, 17, 32, 33, 65 })
            foreach (int runLength in new[] { 3, 5, 9, 80 }) // no group of four, one with one over, two with one over, twenty
                foreach (bool withError in new[] { true, false })
                    data.Add(b, runLength, withError);
        return data;
    }

    [Theory]
    [MemberData(nameof(BatchesRunLengthsAndErrors))]
    public void Backward_is_bit_for_bit_the_one_weight_at_a_time_loop(int batch, int runLength, bool withError)
    {
        var rng = new Random(900 + batch * 7 + runLength);
        // Five runs, as a 5×5 kernel over runLength/5 channels lies in a padded row-major grid.
        var g = new PatchGeometry(FirstRow: 3, RunCount: 5, RunLength: runLength, RunStride: runLength + 11);
        var eg = new PatchGeometry(FirstRow: 1, RunCount: 5, RunLength: runLength, RunStride: runLength + 4);
        int rows = g.FirstRow + 4 * g.RunStride + runLength + 2, errorRows = eg.FirstRow + 4 * eg.RunStride + runLength + 1;
        var w = RandomArray(rng, g.Rows + 1, 0.3f);
        var x = RandomArray(rng, rows * batch);
        var d = RandomArray(rng, batch, 0.05f);
        var dx = RandomArray(rng, errorRows * batch);
        var expectedDx = (float[])dx.Clone();
        var grad = new float[g.Rows + 1];
        var expected = new float[g.Rows + 1];

        UnitKernels.Backward(w, x, g, d, batch, grad, withError ? dx : Span<float>.Empty, eg);
        OneWeightAtATime(w, x, g, d, batch, expected, withError ? expectedDx : null, eg);

        Assert.Equal(expected, grad);
        Assert.Equal(expectedDx, dx);
    }

    [Fact]
    public void Backward_overwrites_the_previous_gradient_rather_than_adding_to_it()
    {
        var rng = new Random(5);
        var (g, rows) = Geometry("conv");
        const int batch = 9;
        var w = RandomArray(rng, g.Rows + 1);
        var x = RandomArray(rng, rows * batch);
        var d = RandomArray(rng, batch);
        var first = new float[g.Rows + 1];
        UnitKernels.Backward(w, x, g, d, batch, first, Span<float>.Empty, default);
        var second = new float[g.Rows + 1];
        Array.Fill(second, 99f);
        UnitKernels.Backward(w, x, g, d, batch, second, Span<float>.Empty, default);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Forward_rejects_a_patch_that_lies_outside_the_input_buffer()
    {
        var g = new PatchGeometry(10, 1, 5, 0);
        var w = new float[6];
        var x = new float[14 * 2]; // needs 15 rows of 2
        var y = new float[2];
        Assert.Throws<ArgumentException>(() => UnitKernels.Forward(w, x, g, 2, y));
    }

    [Fact]
    public void Backward_rejects_an_error_geometry_of_a_different_size_than_the_patch()
    {
        var g = new PatchGeometry(0, 1, 5, 0);
        var w = new float[6];
        var x = new float[5 * 3];
        var d = new float[3];
        var grad = new float[6];
        var dx = new float[100];
        Assert.Throws<ArgumentException>(() => UnitKernels.Backward(w, x, g, d, 3, grad, dx, new PatchGeometry(0, 1, 4, 0)));
    }
}
