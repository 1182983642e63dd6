using NodeMesh.Core.Units;

namespace NodeMesh.Core.Devices;

/// <summary>
/// A weight store whose training update is a pulsed outer-product update on simulated devices
/// (see <see cref="DeviceArray"/>). A unit holding one calls <see cref="ApplyBatchUpdate(ReadOnlySpan{float}, PatchGeometry, ReadOnlySpan{float}, int, float)"/> with
/// its input patch and delta instead of <see cref="IWeightStore.ApplyGradient"/>; a tied (summed)
/// gradient still goes through <see cref="IWeightStore.ApplyGradient"/> and averaged weights through
/// <see cref="IWeightStore.ProgramTo"/>, both of which also write by pulses.
/// </summary>
public interface IPulsedWeightStore : IWeightStore
{
    /// <summary>
    /// W ← W − lr·Σ_b d[b]·x_b as <paramref name="batch"/> sequential rank-1 pulse-train updates;
    /// x_b is sample b of the unit's patch in the sample-innermost buffer <paramref name="x"/>
    /// (rows of <paramref name="batch"/> floats, laid out as for <see cref="UnitKernels.Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, PatchGeometry, int, Span{float})"/>)
    /// followed by the bias input 1; <paramref name="d"/>[b] is the unit's delta (it carries the 1/B
    /// of the batch mean). Ends the mini-batch (decay, one-sided refresh).
    /// </summary>
    void ApplyBatchUpdate(ReadOnlySpan<float> x, PatchGeometry g, ReadOnlySpan<float> d, int batch, float lr);

    /// <summary>
    /// As <see cref="ApplyBatchUpdate(ReadOnlySpan{float}, PatchGeometry, ReadOnlySpan{float}, int, float)"/>
    /// with each sample's input scale max(1, max_j |x_jb|) of <paramref name="x"/> over <paramref name="g"/>
    /// given by the caller, who took it in the forward pass over the same, unchanged patch
    /// (<see cref="UnitState.Forward(Tiles.GridBuffer, Span{float}, Span{float}, Metrics.IComputeCounter?)"/>).
    /// </summary>
    void ApplyBatchUpdate(ReadOnlySpan<float> x, PatchGeometry g, ReadOnlySpan<float> d, int batch, float lr, ReadOnlySpan<float> inputScales);

    /// <summary>Adds Gaussian output noise out_noise·α_b·ξ to each pre-activation y[b]; α_b is the sample's input scale (max(1, max_j |x_jb|)).</summary>
    void AddOutputNoise(Span<float> y, ReadOnlySpan<float> x, PatchGeometry g, int batch);

    /// <summary>As <see cref="AddOutputNoise(Span{float}, ReadOnlySpan{float}, PatchGeometry, int)"/> with the input scales α_b given (one per sample).</summary>
    void AddOutputNoise(Span<float> y, ReadOnlySpan<float> inputScales);

    /// <summary>
    /// The store's buffer for the input scales of its unit's forward pass (at least
    /// <paramref name="batch"/> floats, the same buffer on every call with a batch no larger): the
    /// unit fills it in its forward pass and hands it back to the read noise and, in training, to
    /// the step's update, so that neither passes over the patch again.
    /// </summary>
    Span<float> InputScales(int batch);

    /// <summary>Advances simulated time by <paramref name="seconds"/> (conductance drift); a no-op without drift.</summary>
    void AdvanceTime(double seconds);

    /// <summary>Device activity since construction or the last <see cref="ResetCounters"/>.</summary>
    DeviceCounters Counters { get; }

    /// <summary>Zeroes the activity counters (not the stuck-device count, which is a property of the array).</summary>
    void ResetCounters();
}
