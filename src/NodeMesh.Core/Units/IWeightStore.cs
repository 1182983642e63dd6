using System.Numerics.Tensors;

namespace NodeMesh.Core.Units;

/// <summary>
/// Where a unit's synaptic weights live. Only the unit that owns a store reads or writes it.
/// The vector holds the unit's FanIn weights followed by its bias. An ideal float store is
/// exact SGD; memristor arrays implement the same contract with device physics.
/// </summary>
public interface IWeightStore
{
    /// <summary>Number of values (FanIn weights + 1 bias).</summary>
    int Length { get; }

    /// <summary>The weights as the forward pass sees them.</summary>
    ReadOnlySpan<float> Read();

    /// <summary>Applies an SGD step w ← w − lr·g.</summary>
    void ApplyGradient(ReadOnlySpan<float> gradient, float lr);

    /// <summary>Sets the weights to a target (initialisation, checkpoint load, weight averaging).</summary>
    void ProgramTo(ReadOnlySpan<float> target);

    /// <summary>
    /// Writes the store's complete mutable state (for checkpoints with resume) as one record: a
    /// header (format tag "NMWS", version, store kind, length, seed, configuration hash, payload
    /// size), the kind's payload and a checksum, little-endian (layout in <see cref="WeightStoreState"/>).
    /// Changes nothing: no read is counted, no random number drawn.
    /// </summary>
    void WriteState(BinaryWriter writer);

    /// <summary>
    /// Replaces this store's mutable state by a record of <see cref="WriteState"/>. The store must
    /// have been built like the writer (same kind, length, and for devices the same configuration
    /// and seed, whose construction-time draws are recomputed rather than stored); afterwards every
    /// operation gives bit-identical results and counters to the writer continuing uninterrupted.
    /// Reads exactly one record. Throws <see cref="InvalidDataException"/> for a record of another
    /// format, version, kind, length, configuration or seed, a truncated or corrupt one; the store
    /// is then unchanged (the record is read and checked completely before anything is replaced).
    /// </summary>
    void ReadState(BinaryReader reader);
}

/// <summary>
/// An exact float32 store: the update is plain SGD. Its state record's payload is its weights
/// (Length float32 values, weight units); seed and configuration hash are 0.
/// </summary>
public sealed class IdealWeightStore : IWeightStore
{
    private readonly float[] _w;

    public IdealWeightStore(int length) => _w = new float[length];

    public int Length => _w.Length;

    public ReadOnlySpan<float> Read() => _w;

    public void ApplyGradient(ReadOnlySpan<float> gradient, float lr) =>
        TensorPrimitives.MultiplyAdd(gradient, -lr, _w, _w);

    public void ProgramTo(ReadOnlySpan<float> target) => target.CopyTo(_w);

    /// <inheritdoc />
    public void WriteState(BinaryWriter writer) =>
        WeightStoreState.Write(writer, Header, w => WeightStoreState.WriteFloats(w, _w));

    /// <inheritdoc />
    public void ReadState(BinaryReader reader)
    {
        using var payload = WeightStoreState.ReadPayload(reader, Header);
        WeightStoreState.ReadFloats(payload, _w.Length).CopyTo(_w);
    }

    private WeightStoreHeader Header => new(WeightStoreKind.Ideal, _w.Length, 0, 0, sizeof(float) * _w.Length);
}
