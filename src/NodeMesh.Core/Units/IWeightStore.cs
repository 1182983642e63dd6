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
}

/// <summary>An exact float32 store: the update is plain SGD.</summary>
public sealed class IdealWeightStore : IWeightStore
{
    private readonly float[] _w;

    public IdealWeightStore(int length) => _w = new float[length];

    public int Length => _w.Length;

    public ReadOnlySpan<float> Read() => _w;

    public void ApplyGradient(ReadOnlySpan<float> gradient, float lr) =>
        TensorPrimitives.MultiplyAdd(gradient, -lr, _w, _w);

    public void ProgramTo(ReadOnlySpan<float> target) => target.CopyTo(_w);
}
