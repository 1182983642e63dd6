using BenchmarkDotNet.Attributes;
using NodeMesh.Core.Devices;
using NodeMesh.Core.Units;

namespace NodeMesh.Benchmarks;

/// <summary>
/// The pulse-train batch update of one conv2 unit's simulated memristor array
/// (<see cref="DeviceArray.ApplyBatchUpdate(ReadOnlySpan{float}, PatchGeometry, ReadOnlySpan{float}, int, float)"/>):
/// 32 stochastic rank-1 pulse trains straight from the unit's patch, then the end of the
/// mini-batch. The array keeps evolving between invocations (as in training); the cost depends on
/// the pulse probabilities (from x and d), not on the weights reached.
/// </summary>
[MemoryDiagnoser]
public class PulseTrainBenchmarks
{
    private DeviceArray _array = null!;
    private float[] _x = [], _d = [], _gradient = [];
    private PatchGeometry _g;

    /// <summary>The device preset: gokmen-vlasov, the constant-step device of the reference runs, and idealized, the one of the speed target (8× finer steps, so more pulses).</summary>
    [Params("gokmen-vlasov", "idealized")]
    public string Preset { get; set; } = "gokmen-vlasov";

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(ReferenceShapes.Seed);
        _array = new DeviceArray(DeviceConfig.Preset(Preset), ReferenceShapes.Weights, ReferenceShapes.Seed);
        _array.ProgramTo(ReferenceShapes.Uniform(rng, ReferenceShapes.Weights, 0.05f));
        _x = ReferenceShapes.Uniform(rng, ReferenceShapes.InputRows * ReferenceShapes.Batch, 1f);
        _d = ReferenceShapes.Uniform(rng, ReferenceShapes.Batch, 0.01f);
        _g = ReferenceShapes.Patch(6, 7);
        _array.ApplyBatchUpdate(_x, _g, _d, ReferenceShapes.Batch, 0.05f); // the first call sizes the updater's buffers
        // A tied unit's summed gradient: |lr·g| up to 0.0006 per step, so about 1.5 pulses per
        // weight on idealized (dw_min 0.0002), as in the reference net's star runs.
        _gradient = ReferenceShapes.Uniform(rng, ReferenceShapes.Weights, 0.012f);
        _cold = new DeviceArray[ColdArrays];
        for (int i = 0; i < _cold.Length; i++) _cold[i] = new DeviceArray(DeviceConfig.Preset(Preset), ReferenceShapes.Weights, ReferenceShapes.Seed + 1 + i);
    }

    /// <summary>W ← W − lr·Σ_b d[b]·x_b as pulse trains, batch 32, lr 0.05.</summary>
    [Benchmark]
    public int ApplyBatchUpdate()
    {
        _array.ApplyBatchUpdate(_x, _g, _d, ReferenceShapes.Batch, 0.05f);
        return _array.Length;
    }

    /// <summary>A tied unit's update: W ← W − lr·g written as each weight's expected pulse count (stochastically rounded), lr 0.05; the sign alternates so that the weights stay in range.</summary>
    [Benchmark]
    public int ApplyGradient()
    {
        _array.ApplyGradient(_gradient, _flip = -_flip);
        return _array.Length;
    }

    private float _flip = 0.05f;

    /// <summary>
    /// Arrays visited in turn by <see cref="ApplyGradientCold"/>: 8,192 conv2 units' device state
    /// (about 14 KB each, 118 MB in all) is far beyond the caches, as the reference net's
    /// 1.07 million devices are in training, where a unit's state was last touched a step ago.
    /// </summary>
    private const int ColdArrays = 8192;

    private DeviceArray[] _cold = [];
    private int _next;

    /// <summary><see cref="ApplyGradient"/> on the next of <see cref="ColdArrays"/> arrays, so its device state comes from memory, not cache; the difference to <see cref="ApplyGradient"/> is the cost of reaching it.</summary>
    [Benchmark]
    public int ApplyGradientCold()
    {
        int i = _next;
        _next = i + 1 == _cold.Length ? 0 : i + 1;
        if (i == 0) _flip = -_flip;
        _cold[i].ApplyGradient(_gradient, _flip);
        return _cold[i].Length;
    }
}
