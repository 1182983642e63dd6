using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NodeMesh.Core.Units;

namespace NodeMesh.Core.Devices;

/// <summary>
/// The per-sample input scale of a unit's patch, max_j |x_jb| (aihwkit's abs-max noise and update
/// management): the pulse-train updater uses it for k and the probabilities, the read noise for the
/// noise amplitude. Reads the sample-innermost buffer directly; allocation-free.
/// </summary>
internal static class PatchInputScales
{
    /// <summary>
    /// Writes into <paramref name="scales"/>[b], for b &lt; <paramref name="batch"/>, the abs-max of
    /// sample b's inputs over the rows of <paramref name="g"/>, and the bias input 1 when
    /// <paramref name="implicitBias"/> (so the result is then at least 1). A maximum is exact, so the
    /// result does not depend on the machine's vector width.
    /// </summary>
    public static void AbsMax(ReadOnlySpan<float> x, PatchGeometry g, int batch, bool implicitBias, Span<float> scales)
    {
        Span<float> m = scales[..batch];
        float init = implicitBias ? 1f : 0f;
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float xr = ref MemoryMarshal.GetReference(x);
        int lanes = Vector<float>.Count, wide = 4 * lanes, b0 = 0;
        // Blocks of four vectors of samples kept in registers across all rows, then single vectors, then scalars.
        for (; b0 + wide <= batch; b0 += wide)
        {
            var a0 = new Vector<float>(init); var a1 = a0; var a2 = a0; var a3 = a0;
            for (int r = 0; r < g.RunCount; r++)
            {
                int row = g.FirstRow + r * g.RunStride;
                for (int t = 0; t < g.RunLength; t++, row++)
                {
                    ref float xs = ref Unsafe.Add(ref xr, (nint)row * batch + b0);
                    a0 = Vector.Max(a0, Vector.Abs(Vector.LoadUnsafe(ref xs)));
                    a1 = Vector.Max(a1, Vector.Abs(Vector.LoadUnsafe(ref xs, (nuint)lanes)));
                    a2 = Vector.Max(a2, Vector.Abs(Vector.LoadUnsafe(ref xs, (nuint)(2 * lanes))));
                    a3 = Vector.Max(a3, Vector.Abs(Vector.LoadUnsafe(ref xs, (nuint)(3 * lanes))));
                }
            }
            a0.StoreUnsafe(ref mr, (nuint)b0);
            a1.StoreUnsafe(ref mr, (nuint)(b0 + lanes));
            a2.StoreUnsafe(ref mr, (nuint)(b0 + 2 * lanes));
            a3.StoreUnsafe(ref mr, (nuint)(b0 + 3 * lanes));
        }
        for (; b0 + lanes <= batch; b0 += lanes)
        {
            var a0 = new Vector<float>(init);
            for (int r = 0; r < g.RunCount; r++)
            {
                int row = g.FirstRow + r * g.RunStride;
                for (int t = 0; t < g.RunLength; t++, row++)
                    a0 = Vector.Max(a0, Vector.Abs(Vector.LoadUnsafe(ref Unsafe.Add(ref xr, (nint)row * batch + b0))));
            }
            a0.StoreUnsafe(ref mr, (nuint)b0);
        }
        for (; b0 < batch; b0++)
        {
            float a0 = init;
            for (int r = 0; r < g.RunCount; r++)
            {
                int row = g.FirstRow + r * g.RunStride;
                for (int t = 0; t < g.RunLength; t++, row++)
                    a0 = MathF.Max(a0, MathF.Abs(Unsafe.Add(ref xr, (nint)row * batch + b0)));
            }
            Unsafe.Add(ref mr, b0) = a0;
        }
    }
}
