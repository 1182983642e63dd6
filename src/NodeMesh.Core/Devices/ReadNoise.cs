using NodeMesh.Core.Units;

namespace NodeMesh.Core.Devices;

/// <summary>
/// The analog read (output) noise of the array's matrix-vector product: Gaussian noise
/// out_noise·α·ξ on each pre-activation, in units of the input scale α. With a patch, α_b =
/// max(1, max_j |x_jb|) is the abs-max input scale of sample b (aihwkit's noise management
/// normalises inputs by it and scales the output back, so the noise scales with it). Draws from
/// the array's noise stream; its scale scratch is per thread (no allocation after a thread's first
/// call with a given batch size).
/// </summary>
internal sealed class ReadNoise
{
    private readonly float _outNoise;
    private readonly DeviceNoiseSource _noise;
    [ThreadStatic] private static float[]? t_scale; // per-call scratch: one per thread, not per array

    /// <summary>Read noise of <paramref name="config"/>'s out_noise, drawn from <paramref name="noise"/>.</summary>
    public ReadNoise(DeviceConfig config, DeviceNoiseSource noise)
    {
        _outNoise = (float)config.OutNoise;
        _noise = noise;
    }

    /// <summary>False for out_noise = 0: then nothing is added and nothing is drawn.</summary>
    public bool Enabled => _outNoise != 0f;

    /// <summary>y[i] += out_noise·<paramref name="inputScale"/>·ξ for every element (one normal each, in order).</summary>
    public void Add(Span<float> y, float inputScale)
    {
        if (_outNoise == 0f) return;
        float s = _outNoise * inputScale;
        for (int i = 0; i < y.Length; i++) y[i] += s * _noise.Normal();
    }

    /// <summary>
    /// y[b] += out_noise·α_b·ξ for b &lt; <paramref name="batch"/>, α_b the abs-max input scale of
    /// sample b of the patch (bias input 1 included). Arguments are checked by the caller.
    /// </summary>
    public void Add(Span<float> y, ReadOnlySpan<float> x, PatchGeometry g, int batch)
    {
        if (_outNoise == 0f) return;
        var scale = t_scale;
        if (scale is null || scale.Length < batch) t_scale = scale = new float[(batch + 7) & ~7];
        Span<float> alpha = scale.AsSpan(0, batch);
        PatchInputScales.AbsMax(x, g, batch, implicitBias: true, alpha);
        Add(y, alpha);
    }

    /// <summary>y[b] += out_noise·<paramref name="inputScales"/>[b]·ξ for every b of the scales (one normal each, in order).</summary>
    public void Add(Span<float> y, ReadOnlySpan<float> inputScales)
    {
        if (_outNoise == 0f) return;
        for (int b = 0; b < inputScales.Length; b++) y[b] += _outNoise * inputScales[b] * _noise.Normal();
    }
}
