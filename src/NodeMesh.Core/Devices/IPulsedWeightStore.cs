using NodeMesh.Core.Units;

namespace NodeMesh.Core.Devices;

/// <summary>
/// A weight store whose training update is a pulsed outer-product update on simulated devices
/// (see <see cref="DeviceArray"/>). A unit holding one calls <see cref="ApplyBatchUpdate"/> with
/// its input patch and delta instead of <see cref="IWeightStore.ApplyGradient"/>; a tied (summed)
/// gradient still goes through <see cref="IWeightStore.ApplyGradient"/> and averaged weights through
/// <see cref="IWeightStore.ProgramTo"/>, both of which also write by pulses.
/// </summary>
public interface IPulsedWeightStore : IWeightStore
{
    /// <summary>
    /// W ← W − lr·Σ_b d[b]·x_b as <paramref name="batch"/> sequential rank-1 pulse-train updates;
    /// x_b is sample b of the unit's patch in the sample-innermost buffer <paramref name="x"/>
    /// (rows of <paramref name="batch"/> floats, laid out as for <see cref="UnitKernels.Forward"/>)
    /// followed by the bias input 1; <paramref name="d"/>[b] is the unit's delta (it carries the 1/B
    /// of the batch mean). Ends the mini-batch (decay, one-sided refresh).
    /// </summary>
    void ApplyBatchUpdate(ReadOnlySpan<float> x, PatchGeometry g, ReadOnlySpan<float> d, int batch, float lr);

    /// <summary>Adds Gaussian output noise out_noise·α_b·ξ to each pre-activation y[b]; α_b is the sample's input scale (max(1, max_j |x_jb|)).</summary>
    void AddOutputNoise(Span<float> y, ReadOnlySpan<float> x, PatchGeometry g, int batch);

    /// <summary>Advances simulated time by <paramref name="seconds"/> (conductance drift); a no-op without drift.</summary>
    void AdvanceTime(double seconds);

    /// <summary>Device activity since construction or the last <see cref="ResetCounters"/>.</summary>
    DeviceCounters Counters { get; }

    /// <summary>Zeroes the activity counters (not the stuck-device count, which is a property of the array).</summary>
    void ResetCounters();
}
