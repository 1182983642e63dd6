using BenchmarkDotNet.Attributes;
using NodeMesh.Core.Units;

namespace NodeMesh.Benchmarks;

/// <summary>
/// One conv2 unit of the reference net through <see cref="UnitKernels.Forward"/> and
/// <see cref="UnitKernels.Backward"/> for a batch of 32 (the work of one unit per step, in either
/// the actors or the actor-free engine). Both kernels must stay allocation-free.
/// </summary>
[MemoryDiagnoser]
public class UnitKernelBenchmarks
{
    private float[] _w = [], _x = [], _y = [], _d = [], _grad = [], _dx = [], _scales = [];
    private PatchGeometry _g;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(ReferenceShapes.Seed);
        _w = ReferenceShapes.Uniform(rng, ReferenceShapes.Weights, 0.05f);
        _x = ReferenceShapes.Uniform(rng, ReferenceShapes.InputRows * ReferenceShapes.Batch, 1f);
        _d = ReferenceShapes.Uniform(rng, ReferenceShapes.Batch, 0.01f);
        _y = new float[ReferenceShapes.Batch];
        _scales = new float[ReferenceShapes.Batch];
        _grad = new float[ReferenceShapes.Weights];
        _dx = new float[ReferenceShapes.InputRows * ReferenceShapes.Batch];
        _g = ReferenceShapes.Patch(6, 7);
    }

    /// <summary>y = bias + w·x over the unit's 400-row patch, 32 samples.</summary>
    [Benchmark]
    public float Forward()
    {
        UnitKernels.Forward(_w, _x, _g, ReferenceShapes.Batch, _y);
        return _y[0];
    }

    /// <summary>The unit's gradient and its input error (dx accumulates across calls, which does not change the cost).</summary>
    [Benchmark]
    public float Backward()
    {
        UnitKernels.Backward(_w, _x, _g, _d, ReferenceShapes.Batch, _grad, _dx, _g);
        return _grad[0];
    }

    /// <summary>The gradient alone (the first layer, which has no input error to propagate).</summary>
    [Benchmark]
    public float BackwardWithoutInputError()
    {
        UnitKernels.Backward(_w, _x, _g, _d, ReferenceShapes.Batch, _grad, [], default);
        return _grad[0];
    }

    /// <summary>The forward pass that also takes each sample's input scale (a device unit's).</summary>
    [Benchmark]
    public float ForwardWithInputScales()
    {
        UnitKernels.Forward(_w, _x, _g, ReferenceShapes.Batch, _y, _scales);
        return _scales[0];
    }

    /// <summary>The input error alone (an untied device unit's backward pass: no gradient).</summary>
    [Benchmark]
    public float InputError()
    {
        UnitKernels.InputError(_w, _d, ReferenceShapes.Batch, _dx, _g);
        return _dx[0];
    }
}
