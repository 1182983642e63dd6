using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NodeMesh.Core.Units;

/// <summary>
/// Describes where a unit's receptive field lies in a row-major input buffer whose rows are
/// B floats long (one value per sample of the batch): <see cref="RunCount"/> runs of
/// <see cref="RunLength"/> consecutive rows, the first starting at row <see cref="FirstRow"/>
/// and each next one <see cref="RunStride"/> rows further. A conv unit at (u, v) with a K×K
/// kernel over C channels in a padded [H][W][C][B] buffer has K runs of K·C rows; a dense unit
/// has one run of all its inputs. Weight i of the unit multiplies row i of the concatenated runs.
/// </summary>
public readonly record struct PatchGeometry(int FirstRow, int RunCount, int RunLength, int RunStride)
{
    public int Rows => RunCount * RunLength;
}

/// <summary>
/// The per-unit compute kernels: SIMD (System.Numerics.Vector with fused multiply-add),
/// allocation-free, over a batch laid out sample-innermost. These are the only routines that
/// touch a unit's weights in training; the actors and the actor-free engine both call them.
/// </summary>
public static class UnitKernels
{
    private static readonly int Lanes = Vector<float>.Count;

    /// <summary>y[b] = bias + Σ_i w[i]·x[row_i][b] for b in [0, batch). <paramref name="w"/> holds FanIn weights then the bias.</summary>
    public static void Forward(ReadOnlySpan<float> w, ReadOnlySpan<float> x, PatchGeometry g, int batch, Span<float> y) =>
        Forward(w, x, g, batch, y, default, scales: false);

    /// <summary>
    /// As <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, PatchGeometry, int, Span{float})"/>,
    /// and in the same pass over the patch writes each sample's input scale
    /// <paramref name="inputScales"/>[b] = max(1, max_i |x[row_i][b]|) (the bias input 1 included),
    /// the value <see cref="Devices.PatchInputScales.AbsMax"/> gives with the implicit bias: a device
    /// store's read noise and pulse-train update both need it, and taking it here saves them a pass.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> w, ReadOnlySpan<float> x, PatchGeometry g, int batch, Span<float> y, Span<float> inputScales)
    {
        if (inputScales.Length < batch) throw new ArgumentException("input-scale buffer shorter than batch", nameof(inputScales));
        Forward(w, x, g, batch, y, inputScales, scales: true);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Forward(ReadOnlySpan<float> w, ReadOnlySpan<float> x, PatchGeometry g, int batch, Span<float> y, Span<float> inputScales, bool scales)
    {
        int fanIn = g.Rows;
        if (w.Length < fanIn + 1) throw new ArgumentException("weight vector shorter than fan-in + bias", nameof(w));
        if (y.Length < batch) throw new ArgumentException("output shorter than batch", nameof(y));
        ref float wr = ref MemoryMarshal.GetReference(w);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float sr = ref MemoryMarshal.GetReference(inputScales);
        long lastRow = (long)(g.FirstRow + (g.RunCount - 1) * g.RunStride + g.RunLength) * batch;
        if (lastRow > x.Length) throw new ArgumentException("patch lies outside the input buffer", nameof(x));
        float bias = w[fanIn];
        int b0 = 0;
        int wide = 4 * Lanes;
        for (; b0 + wide <= batch; b0 += wide)
        {
            var a0 = new Vector<float>(bias); var a1 = a0; var a2 = a0; var a3 = a0;
            var m0 = Vector<float>.One; var m1 = m0; var m2 = m0; var m3 = m0;
            int wi = 0;
            for (int r = 0; r < g.RunCount; r++)
            {
                int row = g.FirstRow + r * g.RunStride;
                for (int j = 0; j < g.RunLength; j++, wi++, row++)
                {
                    var wv = new Vector<float>(Unsafe.Add(ref wr, wi));
                    ref float xs = ref Unsafe.Add(ref xr, (nint)row * batch + b0);
                    var x0 = Vector.LoadUnsafe(ref xs);
                    var x1 = Vector.LoadUnsafe(ref xs, (nuint)Lanes);
                    var x2 = Vector.LoadUnsafe(ref xs, (nuint)(2 * Lanes));
                    var x3 = Vector.LoadUnsafe(ref xs, (nuint)(3 * Lanes));
                    a0 = Vector.FusedMultiplyAdd(x0, wv, a0);
                    a1 = Vector.FusedMultiplyAdd(x1, wv, a1);
                    a2 = Vector.FusedMultiplyAdd(x2, wv, a2);
                    a3 = Vector.FusedMultiplyAdd(x3, wv, a3);
                    if (scales)
                    {
                        m0 = Vector.Max(m0, Vector.Abs(x0));
                        m1 = Vector.Max(m1, Vector.Abs(x1));
                        m2 = Vector.Max(m2, Vector.Abs(x2));
                        m3 = Vector.Max(m3, Vector.Abs(x3));
                    }
                }
            }
            ref float ys = ref Unsafe.Add(ref yr, b0);
            a0.StoreUnsafe(ref ys);
            a1.StoreUnsafe(ref ys, (nuint)Lanes);
            a2.StoreUnsafe(ref ys, (nuint)(2 * Lanes));
            a3.StoreUnsafe(ref ys, (nuint)(3 * Lanes));
            if (scales)
            {
                ref float ss = ref Unsafe.Add(ref sr, b0);
                m0.StoreUnsafe(ref ss);
                m1.StoreUnsafe(ref ss, (nuint)Lanes);
                m2.StoreUnsafe(ref ss, (nuint)(2 * Lanes));
                m3.StoreUnsafe(ref ss, (nuint)(3 * Lanes));
            }
        }
        for (; b0 + Lanes <= batch; b0 += Lanes)
        {
            var a0 = new Vector<float>(bias);
            var m0 = Vector<float>.One;
            int wi = 0;
            for (int r = 0; r < g.RunCount; r++)
            {
                int row = g.FirstRow + r * g.RunStride;
                for (int j = 0; j < g.RunLength; j++, wi++, row++)
                {
                    var x0 = Vector.LoadUnsafe(ref Unsafe.Add(ref xr, (nint)row * batch + b0));
                    a0 = Vector.FusedMultiplyAdd(x0, new Vector<float>(Unsafe.Add(ref wr, wi)), a0);
                    if (scales) m0 = Vector.Max(m0, Vector.Abs(x0));
                }
            }
            a0.StoreUnsafe(ref Unsafe.Add(ref yr, b0));
            if (scales) m0.StoreUnsafe(ref Unsafe.Add(ref sr, b0));
        }
        for (; b0 < batch; b0++)
        {
            float acc = bias, m = 1f;
            int wi = 0;
            for (int r = 0; r < g.RunCount; r++)
            {
                int row = g.FirstRow + r * g.RunStride;
                for (int j = 0; j < g.RunLength; j++, wi++, row++)
                {
                    float xv = Unsafe.Add(ref xr, (nint)row * batch + b0);
                    acc = MathF.FusedMultiplyAdd(xv, Unsafe.Add(ref wr, wi), acc);
                    if (scales) m = MathF.Max(m, MathF.Abs(xv));
                }
            }
            Unsafe.Add(ref yr, b0) = acc;
            if (scales) Unsafe.Add(ref sr, b0) = m;
        }
    }

    /// <summary>
    /// Gradient of one unit for a batch: grad[i] = Σ_b d[b]·x[row_i][b] and grad[FanIn] = Σ_b d[b]
    /// (the delta already carries the 1/B of the batch mean). When <paramref name="dx"/> is not
    /// empty, also accumulates the input error dx[row'_i][b] += w[i]·d[b] at the rows given by
    /// <paramref name="dxGeometry"/> (the same receptive field in the error buffer's coordinates),
    /// using the weights as they were before this step's update.
    /// </summary>
    public static void Backward(
        ReadOnlySpan<float> w, ReadOnlySpan<float> x, PatchGeometry g, ReadOnlySpan<float> d, int batch,
        Span<float> grad, Span<float> dx, PatchGeometry dxGeometry)
    {
        int fanIn = g.Rows;
        if (grad.Length < fanIn + 1) throw new ArgumentException("gradient shorter than fan-in + bias", nameof(grad));
        if (d.Length < batch) throw new ArgumentException("delta shorter than batch", nameof(d));
        long lastRow = (long)(g.FirstRow + (g.RunCount - 1) * g.RunStride + g.RunLength) * batch;
        if (lastRow > x.Length) throw new ArgumentException("patch lies outside the input buffer", nameof(x));
        bool wantDx = !dx.IsEmpty;
        if (wantDx)
        {
            if (dxGeometry.Rows != fanIn) throw new ArgumentException("error geometry differs from the patch", nameof(dxGeometry));
            CheckErrorPatch(dx, dxGeometry, batch);
        }
        ref float wr = ref MemoryMarshal.GetReference(w);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float dr = ref MemoryMarshal.GetReference(d);
        ref float gr = ref MemoryMarshal.GetReference(grad);
        ref float dxr = ref MemoryMarshal.GetReference(dx);
        // The bias gradient first: its sum in sample order is a chain of dependent adds, which the
        // core overlaps with the independent weight loop that follows instead of waiting on it at the end.
        float db = 0f;
        for (int b = 0; b < batch; b++) db += Unsafe.Add(ref dr, b);
        int vecEnd = batch - batch % Lanes;
        bool quads = GroupedSums && vecEnd > 0;
        int wi = 0;
        for (int r = 0; r < g.RunCount; r++)
        {
            int row = g.FirstRow + r * g.RunStride;
            int dxRow = dxGeometry.FirstRow + r * dxGeometry.RunStride;
            int j = 0;
            if (quads)
                for (; j + 4 <= g.RunLength; j += 4, wi += 4, row += 4, dxRow += 4)
                    BackwardQuad(ref Unsafe.Add(ref wr, wi), ref Unsafe.Add(ref xr, (nint)row * batch), ref dr, batch, vecEnd,
                        ref Unsafe.Add(ref gr, wi), wantDx, ref Unsafe.Add(ref dxr, wantDx ? (nint)dxRow * batch : 0));
            for (; j < g.RunLength; j++, wi++, row++, dxRow++)
            {
                ref float xs = ref Unsafe.Add(ref xr, (nint)row * batch);
                var acc = Vector<float>.Zero;
                int b = 0;
                if (wantDx)
                {
                    var wv = new Vector<float>(Unsafe.Add(ref wr, wi));
                    ref float dxs = ref Unsafe.Add(ref dxr, (nint)dxRow * batch);
                    for (; b < vecEnd; b += Lanes)
                    {
                        var dv = Vector.LoadUnsafe(ref dr, (nuint)b);
                        acc = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref xs, (nuint)b), dv, acc);
                        Vector.FusedMultiplyAdd(dv, wv, Vector.LoadUnsafe(ref dxs, (nuint)b)).StoreUnsafe(ref dxs, (nuint)b);
                    }
                    float s = Vector.Sum(acc);
                    float wScalar = Unsafe.Add(ref wr, wi);
                    for (; b < batch; b++)
                    {
                        float dv = Unsafe.Add(ref dr, b);
                        s = MathF.FusedMultiplyAdd(Unsafe.Add(ref xs, b), dv, s);
                        Unsafe.Add(ref dxs, b) = MathF.FusedMultiplyAdd(dv, wScalar, Unsafe.Add(ref dxs, b));
                    }
                    Unsafe.Add(ref gr, wi) = s;
                }
                else
                {
                    for (; b < vecEnd; b += Lanes)
                        acc = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref xs, (nuint)b), Vector.LoadUnsafe(ref dr, (nuint)b), acc);
                    float s = Vector.Sum(acc);
                    for (; b < batch; b++)
                        s = MathF.FusedMultiplyAdd(Unsafe.Add(ref xs, b), Unsafe.Add(ref dr, b), s);
                    Unsafe.Add(ref gr, wi) = s;
                }
            }
        }
        grad[fanIn] = db;
    }

    /// <summary>
    /// Whether <see cref="Backward"/> reduces four weights' lane sums at once: with 8-lane vectors and
    /// AVX, three horizontal adds and one add give the four sums in exactly the association that
    /// <see cref="Vector.Sum{T}(Vector{T})"/> uses for one, ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)), so the
    /// gradient is bit for bit the one-weight-at-a-time loop's (a test holds the two equal).
    /// </summary>
    internal static readonly bool GroupedSums = Vector<float>.Count == 8 && Avx.IsSupported;

    /// <summary>
    /// Four consecutive weights of a run (input rows <paramref name="x0"/> + k·batch, error rows
    /// <paramref name="dx0"/> + k·batch): each sample block of the delta is loaded once for the four,
    /// the four lane accumulators are reduced together, and each weight then takes the scalar
    /// remainder of the batch in sample order, as the one-weight loop does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BackwardQuad(ref float w0, ref float x0, ref float dr, int batch, int vecEnd, ref float g0, bool wantDx, ref float dx0)
    {
        ref float x1 = ref Unsafe.Add(ref x0, batch);
        ref float x2 = ref Unsafe.Add(ref x1, batch);
        ref float x3 = ref Unsafe.Add(ref x2, batch);
        var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        // The error rows are only located here; they are read and written only when wantDx holds.
        ref float dx1 = ref Unsafe.Add(ref dx0, batch);
        ref float dx2 = ref Unsafe.Add(ref dx1, batch);
        ref float dx3 = ref Unsafe.Add(ref dx2, batch);
        var w0v = Vector256.Create(w0);
        var w1v = Vector256.Create(Unsafe.Add(ref w0, 1));
        var w2v = Vector256.Create(Unsafe.Add(ref w0, 2));
        var w3v = Vector256.Create(Unsafe.Add(ref w0, 3));
        for (int b = 0; b < vecEnd; b += 8)
        {
            var dv = Vector256.LoadUnsafe(ref dr, (nuint)b);
            a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x0, (nuint)b), dv, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x1, (nuint)b), dv, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x2, (nuint)b), dv, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x3, (nuint)b), dv, a3);
            if (!wantDx) continue;
            Vector256.FusedMultiplyAdd(dv, w0v, Vector256.LoadUnsafe(ref dx0, (nuint)b)).StoreUnsafe(ref dx0, (nuint)b);
            Vector256.FusedMultiplyAdd(dv, w1v, Vector256.LoadUnsafe(ref dx1, (nuint)b)).StoreUnsafe(ref dx1, (nuint)b);
            Vector256.FusedMultiplyAdd(dv, w2v, Vector256.LoadUnsafe(ref dx2, (nuint)b)).StoreUnsafe(ref dx2, (nuint)b);
            Vector256.FusedMultiplyAdd(dv, w3v, Vector256.LoadUnsafe(ref dx3, (nuint)b)).StoreUnsafe(ref dx3, (nuint)b);
        }
        // hadd(a, b) = [a0+a1, a2+a3, b0+b1, b2+b3, a4+a5, a6+a7, b4+b5, b6+b7]; twice, then the halves.
        var h = Avx.HorizontalAdd(Avx.HorizontalAdd(a0, a1), Avx.HorizontalAdd(a2, a3));
        var sums = h.GetLower() + h.GetUpper();
        if (vecEnd == batch)
        {
            sums.StoreUnsafe(ref g0);
            return;
        }
        for (int k = 0; k < 4; k++)
        {
            ref float xs = ref Unsafe.Add(ref x0, k * batch);
            float s = sums.GetElement(k);
            float wk = Unsafe.Add(ref w0, k);
            for (int t = vecEnd; t < batch; t++)
            {
                float dv = Unsafe.Add(ref dr, t);
                s = MathF.FusedMultiplyAdd(Unsafe.Add(ref xs, t), dv, s);
                if (wantDx)
                {
                    ref float e = ref Unsafe.Add(ref dx0, k * batch + t);
                    e = MathF.FusedMultiplyAdd(dv, wk, e);
                }
            }
            Unsafe.Add(ref g0, k) = s;
        }
    }

    /// <summary>
    /// The input error alone, dx[row'_i][b] += w[i]·d[b] at the rows of <paramref name="dxGeometry"/>,
    /// bit for bit what <see cref="Backward"/> adds, without the gradient and so without reading the
    /// input: a device store's own update takes its pulses from the input and delta directly.
    /// </summary>
    public static void InputError(ReadOnlySpan<float> w, ReadOnlySpan<float> d, int batch, Span<float> dx, PatchGeometry dxGeometry)
    {
        int fanIn = dxGeometry.Rows;
        if (w.Length < fanIn) throw new ArgumentException("weight vector shorter than the error patch", nameof(w));
        if (d.Length < batch) throw new ArgumentException("delta shorter than batch", nameof(d));
        CheckErrorPatch(dx, dxGeometry, batch);
        ref float wr = ref MemoryMarshal.GetReference(w);
        ref float dr = ref MemoryMarshal.GetReference(d);
        ref float dxr = ref MemoryMarshal.GetReference(dx);
        int vecEnd = batch - batch % Lanes;
        int wi = 0;
        for (int r = 0; r < dxGeometry.RunCount; r++)
        {
            int dxRow = dxGeometry.FirstRow + r * dxGeometry.RunStride;
            for (int j = 0; j < dxGeometry.RunLength; j++, wi++, dxRow++)
            {
                float wScalar = Unsafe.Add(ref wr, wi);
                var wv = new Vector<float>(wScalar);
                ref float dxs = ref Unsafe.Add(ref dxr, (nint)dxRow * batch);
                int b = 0;
                for (; b < vecEnd; b += Lanes)
                    Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref dr, (nuint)b), wv, Vector.LoadUnsafe(ref dxs, (nuint)b)).StoreUnsafe(ref dxs, (nuint)b);
                for (; b < batch; b++)
                    Unsafe.Add(ref dxs, b) = MathF.FusedMultiplyAdd(Unsafe.Add(ref dr, b), wScalar, Unsafe.Add(ref dxs, b));
            }
        }
    }

    private static void CheckErrorPatch(Span<float> dx, PatchGeometry dxGeometry, int batch)
    {
        long lastDx = (long)(dxGeometry.FirstRow + (dxGeometry.RunCount - 1) * dxGeometry.RunStride + dxGeometry.RunLength) * batch;
        if (lastDx > dx.Length) throw new ArgumentException("error patch lies outside the error buffer", nameof(dx));
    }
}
