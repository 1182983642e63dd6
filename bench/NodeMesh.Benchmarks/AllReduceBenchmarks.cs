using BenchmarkDotNet.Attributes;
using NodeMesh.Core.Exchanges;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Benchmarks;

/// <summary>
/// The all-reduce combine of one conv2 unit's 401-float gradient in its 14×14 map: the bare sum
/// (<see cref="TyingWiring.Combine"/>) of a tree node with the most children, and one full
/// exchange of the <see cref="AllReduceExchange"/> state object (open, partials in, partial up,
/// result in and passed down) for that tree node and for a middle rank of the ring. The outbox
/// discards messages, so this measures the state object and its allocations, not the actors.
/// </summary>
[MemoryDiagnoser]
public class AllReduceBenchmarks
{
    private sealed class DiscardingOutbox : ITyingOutbox
    {
        public void SendPartial(int toPosition, long step, SyncKind kind, float[] values) { }
        public void SendResult(int toPosition, long step, SyncKind kind, float[] values) { }
    }

    private readonly DiscardingOutbox _outbox = new();
    private float[] _own = [], _result = [], _sum = [];
    private float[][] _treeInputs = [];
    private UnitTying _treeNode = null!, _ringStep = null!;
    private AllReduceExchange _treeExchange = null!, _ringExchange = null!;
    private long _treeStepNumber, _ringStepNumber;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(ReferenceShapes.Seed);
        var tree = new MapTopology(TopologyKind.Tree, ReferenceShapes.MapSide, ReferenceShapes.MapSide);
        int node = Enumerable.Range(0, tree.Count).Where(p => tree.Parent[p] >= 0).MaxBy(p => tree.Children[p].Length);
        _treeNode = TyingWiring.AllReduce(tree, node);
        var ring = new MapTopology(TopologyKind.Ring, ReferenceShapes.MapSide, ReferenceShapes.MapSide);
        _ringStep = TyingWiring.AllReduce(ring, ring.Snake[ring.Count / 2]);
        _own = ReferenceShapes.Uniform(rng, ReferenceShapes.Weights, 0.01f);
        _result = ReferenceShapes.Uniform(rng, ReferenceShapes.Weights, 0.01f);
        _treeInputs = _treeNode.Inputs.Select(_ => ReferenceShapes.Uniform(rng, ReferenceShapes.Weights, 0.01f)).ToArray();
        _sum = new float[ReferenceShapes.Weights];
        _treeExchange = new AllReduceExchange(_treeNode, ReduceOp.Mean);
        _ringExchange = new AllReduceExchange(_ringStep, ReduceOp.Mean);
    }

    /// <summary>Own vector plus the children's partials into a preallocated sum (the arithmetic alone).</summary>
    [Benchmark]
    public float TreeNodeCombine()
    {
        TyingWiring.Combine(_own, _treeInputs, _sum);
        return _sum[0];
    }

    /// <summary>One tree node's whole exchange: open, a partial from each child, partial up, result down.</summary>
    [Benchmark]
    public float TreeNodeExchange()
    {
        long step = ++_treeStepNumber;
        _treeExchange.Open(step, SyncKind.Gradient, _own, _outbox);
        for (int i = 0; i < _treeNode.Inputs.Length; i++)
            _treeExchange.OnPartial(step, SyncKind.Gradient, _treeNode.Inputs[i], _treeInputs[i], _outbox);
        return _treeExchange.OnResult(step, SyncKind.Gradient, _result, _outbox)[0];
    }

    /// <summary>One ring rank's whole exchange: open, the previous rank's partial, partial on, result on.</summary>
    [Benchmark]
    public float RingStepExchange()
    {
        long step = ++_ringStepNumber;
        _ringExchange.Open(step, SyncKind.Gradient, _own, _outbox);
        _ringExchange.OnPartial(step, SyncKind.Gradient, _ringStep.Inputs[0], _treeInputs[0], _outbox);
        return _ringExchange.OnResult(step, SyncKind.Gradient, _result, _outbox)[0];
    }
}
