namespace NodeMesh.Core.Devices;

// The updater's mutable state for checkpoints (DeviceArrayState): the eight-lane train generator
// and the mean-mode carries. The per-batch scratch is not state: every update writes it before
// reading it.
internal sealed partial class PulseTrainUpdater
{
    /// <summary>Mean mode: carried fractional UP pulses per weight; null in stochastic mode.</summary>
    public float[]? CarryUp => _carryUp;

    /// <summary>Mean mode: carried fractional DOWN pulses per weight; null in stochastic mode.</summary>
    public float[]? CarryDown => _carryDown;

    /// <summary>Copies the train generator's state (32 words, <see cref="DeviceVectorRng.GetState"/>).</summary>
    public void GetTrainState(Span<uint> words) => _vrng.GetState(words);

    /// <summary>Replaces the train generator's state (checked by the caller).</summary>
    public void SetTrainState(ReadOnlySpan<uint> words) => _vrng.SetState(words);
}
