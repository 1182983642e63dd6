using System.Numerics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NodeMesh.Core.Devices;

/// <summary>
/// The random source of a <see cref="DeviceArray"/> (its <see cref="DeviceNoiseSource"/> and each
/// parameter-draw stream): xoshiro256** (Blackman &amp; Vigna) seeded
/// through SplitMix64, with a 128-layer ziggurat for standard normal draws (Marsaglia &amp; Tsang
/// 2000; the layer index and the magnitude come from disjoint bits of one 64-bit draw). A mutable
/// struct: keep it in a field and call it through that field, never copy it.
/// </summary>
internal struct DeviceRng
{
    private const int Layers = 128;
    private const double TailStart = 3.442619855899;      // r: start of the tail of the base layer
    private const double LayerArea = 9.91256303526217e-3; // v: area of every layer
    private static readonly long[] Kn = new long[Layers];
    private static readonly float[] Wn = new float[Layers];
    private static readonly float[] Fn = new float[Layers];

    private ulong _s0, _s1, _s2, _s3;

    static DeviceRng()
    {
        const double m1 = 2147483648.0; // 2^31: |hz| of a signed 32-bit draw
        double dn = TailStart, tn = dn;
        double q = LayerArea / Math.Exp(-0.5 * dn * dn);
        Kn[0] = (long)(dn / q * m1);
        Kn[1] = 0;
        Wn[0] = (float)(q / m1);
        Wn[Layers - 1] = (float)(dn / m1);
        Fn[0] = 1f;
        Fn[Layers - 1] = (float)Math.Exp(-0.5 * dn * dn);
        for (int i = Layers - 2; i >= 1; i--)
        {
            dn = Math.Sqrt(-2.0 * Math.Log(LayerArea / dn + Math.Exp(-0.5 * dn * dn)));
            Kn[i + 1] = (long)(dn / tn * m1);
            tn = dn;
            Fn[i] = (float)Math.Exp(-0.5 * dn * dn);
            Wn[i] = (float)(dn / m1);
        }
    }

    /// <summary>Seeds the four state words from <paramref name="seed"/> with SplitMix64 (never all zero).</summary>
    public DeviceRng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
        if ((_s0 | _s1 | _s2 | _s3) == 0) _s0 = 1;
    }

    /// <summary>Copies the four state words into <paramref name="words"/> (checkpoints; 4 words).</summary>
    public readonly void GetState(Span<ulong> words)
    {
        words[0] = _s0;
        words[1] = _s1;
        words[2] = _s2;
        words[3] = _s3;
    }

    /// <summary>Replaces the four state words (checkpoints; the caller has checked they are not all zero).</summary>
    public void SetState(ReadOnlySpan<ulong> words)
    {
        _s0 = words[0];
        _s1 = words[1];
        _s2 = words[2];
        _s3 = words[3];
    }

    /// <summary>One SplitMix64 step: advances <paramref name="x"/> and returns a well-mixed word.</summary>
    public static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Derives the seed of an independent stream <paramref name="stream"/> from a base seed.</summary>
    public static ulong Derive(ulong seed, ulong stream)
    {
        ulong x = seed ^ (stream * 0xD1B54A32D192ED03UL);
        SplitMix(ref x);
        return SplitMix(ref x);
    }

    /// <summary>One xoshiro256** step on state held in locals (inlined: the state stays in registers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Step(ref ulong s0, ref ulong s1, ref ulong s2, ref ulong s3)
    {
        ulong result = BitOperations.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = BitOperations.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>|<paramref name="hz"/>| as a long, without a branch (the sign of a draw is a coin toss no predictor can learn).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Abs(int hz)
    {
        long h = hz, m = h >> 63;
        return (h ^ m) - m;
    }

    /// <summary>The next 64 uniformly distributed bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        ulong result = Step(ref s0, ref s1, ref s2, ref s3);
        _s0 = s0;
        _s1 = s1;
        _s2 = s2;
        _s3 = s3;
        return result;
    }

    /// <summary>The next 32 uniformly distributed bits (the high half of a 64-bit draw).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint NextUInt32() => (uint)(NextUInt64() >> 32);

    /// <summary>Uniform in [0, 1) with 53 bits of resolution.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / 9007199254740992.0);

    /// <summary>A standard normal draw N(0, 1) (for one-off draws; bulk users call <see cref="FillNormals"/>).</summary>
    public float NextNormal()
    {
        Span<float> one = stackalloc float[1];
        FillNormals(one);
        return one[0];
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with standard normal draws (ziggurat; about 99% of draws
    /// take the fast path). The same sequence as that many <see cref="NextNormal"/> calls.
    /// </summary>
    public void FillNormals(Span<float> destination)
    {
        ulong s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        ref long kn = ref MemoryMarshal.GetArrayDataReference(Kn);
        ref float wn = ref MemoryMarshal.GetArrayDataReference(Wn);
        ref float fn = ref MemoryMarshal.GetArrayDataReference(Fn);
        for (int i = 0; i < destination.Length; i++)
        {
            ulong u = Step(ref s0, ref s1, ref s2, ref s3);
            int hz = (int)(u >> 32);
            int iz = (int)(u & (Layers - 1));
            long a = Abs(hz);
            if (a < Unsafe.Add(ref kn, iz))
            {
                destination[i] = hz * Unsafe.Add(ref wn, iz);
                continue;
            }
            float value;
            while (true)
            {
                if (iz == 0)
                {
                    // Tail beyond r: Marsaglia's exponential rejection.
                    double x, y;
                    do
                    {
                        x = -Math.Log(((Step(ref s0, ref s1, ref s2, ref s3) >> 11) + 0.5) * (1.0 / 9007199254740992.0)) / TailStart;
                        y = -Math.Log(((Step(ref s0, ref s1, ref s2, ref s3) >> 11) + 0.5) * (1.0 / 9007199254740992.0));
                    } while (y + y < x * x);
                    value = (float)(hz > 0 ? TailStart + x : -TailStart - x);
                    break;
                }
                float xf = hz * Unsafe.Add(ref wn, iz);
                float uniform = (float)((Step(ref s0, ref s1, ref s2, ref s3) >> 11) * (1.0 / 9007199254740992.0));
                float f = Unsafe.Add(ref fn, iz), fPrev = Unsafe.Add(ref fn, iz - 1);
                if (f + uniform * (fPrev - f) < MathF.Exp(-0.5f * xf * xf)) { value = xf; break; }
                u = Step(ref s0, ref s1, ref s2, ref s3);
                hz = (int)(u >> 32);
                iz = (int)(u & (Layers - 1));
                a = Abs(hz);
                if (a < Unsafe.Add(ref kn, iz)) { value = hz * Unsafe.Add(ref wn, iz); break; }
            }
            destination[i] = value;
        }
        _s0 = s0;
        _s1 = s1;
        _s2 = s2;
        _s3 = s3;
    }
}

/// <summary>
/// Eight independent xoshiro128** streams in the lanes of a <see cref="Vector256{T}"/>: eight
/// uniform draws per call for the vectorised Bernoulli trials of the pulse trains. The lane count
/// is fixed (8) so that results do not depend on the machine's vector width.
/// </summary>
internal struct DeviceVectorRng
{
    private Vector256<uint> _s0, _s1, _s2, _s3;

    public DeviceVectorRng(ulong seed)
    {
        Span<uint> s = stackalloc uint[32];
        ulong x = seed;
        for (int i = 0; i < 16; i++)
        {
            ulong z = DeviceRng.SplitMix(ref x);
            s[2 * i] = (uint)z;
            s[2 * i + 1] = (uint)(z >> 32);
        }
        for (int lane = 0; lane < 8; lane++)
            if ((s[lane] | s[8 + lane] | s[16 + lane] | s[24 + lane]) == 0) s[lane] = 1;
        _s0 = Vector256.Create<uint>(s[..8]);
        _s1 = Vector256.Create<uint>(s[8..16]);
        _s2 = Vector256.Create<uint>(s[16..24]);
        _s3 = Vector256.Create<uint>(s[24..32]);
    }

    /// <summary>Copies the state into <paramref name="words"/> (checkpoints; 32 words: the eight lanes of s0, then s1, s2, s3).</summary>
    public readonly void GetState(Span<uint> words)
    {
        _s0.CopyTo(words);
        _s1.CopyTo(words[8..]);
        _s2.CopyTo(words[16..]);
        _s3.CopyTo(words[24..]);
    }

    /// <summary>Replaces the state by <see cref="GetState"/>'s layout (the caller has checked that no lane is all zero).</summary>
    public void SetState(ReadOnlySpan<uint> words)
    {
        _s0 = Vector256.Create(words[..8]);
        _s1 = Vector256.Create(words[8..16]);
        _s2 = Vector256.Create(words[16..24]);
        _s3 = Vector256.Create(words[24..32]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Rotl(Vector256<uint> v, [ConstantExpected] int k) => (v << k) | (v >>> (32 - k));

    /// <summary>Eight uniformly distributed 32-bit words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<uint> Next()
    {
        Vector256<uint> s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        var result = Rotl(s1 * 5u, 7) * 9u;
        var t = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        _s3 = Rotl(s3, 11);
        _s0 = s0;
        _s1 = s1;
        _s2 = s2;
        return result;
    }

    /// <summary>Eight uniforms in [0, 1) with 24 bits of resolution.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> NextFloat() =>
        Vector256.ConvertToSingle((Next() >>> 8).AsInt32()) * Vector256.Create(1f / 16777216f);
}
