using NodeMesh.Core.Data;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;
using NodeMesh.Core.Units;

namespace NodeMesh.Core.Engine;

/// <summary>
/// The actor-free loop: the same unit states, tile computations and tying sums as the actor
/// system, in the same order, driven by plain loops (tiles in parallel). It reproduces the
/// actors' numbers without actors and is the baseline of <c>nodemesh bench</c>.
/// Gossip is not modelled here (it is asynchronous by nature).
/// </summary>
public sealed class UnitEngine
{
    private readonly TilePlan _tiles;
    private readonly TrainOptions _options;
    private readonly NetworkPlan _plan;
    private readonly UnitState[][][] _units;        // [layer][tile][index in tile]
    private readonly UnitState[][][] _byMap;        // [layer][map][position]
    private readonly TileCompute[][] _compute;
    private readonly MapTopology?[] _topology;
    private readonly ParallelOptions _parallel;
    private long _step;

    public UnitEngine(TilePlan tiles, TrainOptions options, float[][] initialWeights, bool parallel = true)
    {
        _tiles = tiles;
        _options = options;
        _plan = tiles.Network;
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = parallel ? Environment.ProcessorCount : 1 };
        int n = _plan.Layers.Count;
        _units = new UnitState[n][][];
        _byMap = new UnitState[n][][];
        _compute = new TileCompute[n][];
        _topology = new MapTopology?[n];
        foreach (var l in _plan.Layers)
        {
            var list = tiles.Tiles[l.Index];
            _units[l.Index] = new UnitState[list.Count][];
            _compute[l.Index] = list.Select(t => new TileCompute(l, t)).ToArray();
            _byMap[l.Index] = Enumerable.Range(0, l.OutMaps).Select(_ => new UnitState[l.Positions]).ToArray();
            int stride = l.FanIn + 1;
            foreach (var t in list)
            {
                var arr = new UnitState[t.UnitCount];
                for (int i = 0; i < t.UnitCount; i++)
                {
                    var (m, u, v) = t.UnitAt(i);
                    var store = new IdealWeightStore(stride);
                    store.ProgramTo(initialWeights[l.Index].AsSpan(TilePlan.GlobalUnitIndex(l, m, u, v) * stride, stride));
                    arr[i] = new UnitState(l, t, i, store);
                    _byMap[l.Index][m][u * l.OutWidth + v] = arr[i];
                }
                _units[l.Index][t.Index] = arr;
            }
            if (l.Kind == LayerKind.Conv && options.Strategy.Kind == StrategyKind.AllReduce)
                _topology[l.Index] = new MapTopology(options.Strategy.Topology, l.OutHeight, l.OutWidth);
        }
        if (options.Strategy.Kind == StrategyKind.Gossip)
            throw new NotSupportedException("the actor-free engine does not model asynchronous gossip");
    }

    /// <summary>Runs the forward pass; returns the logits grid and every layer's input.</summary>
    private GridBuffer Forward(GridBuffer input, GridBuffer[] inputs)
    {
        var cur = input;
        foreach (var l in _plan.Layers)
        {
            inputs[l.Index] = cur;
            var next = l.Index + 1 < _plan.Layers.Count
                ? LayerAssembler.NewInput(_plan.Layers[l.Index + 1], cur.Batch)
                : new GridBuffer(1, 1, l.OutMaps, 0, cur.Batch);
            var outputs = new float[_compute[l.Index].Length][];
            var layerInput = cur;
            Parallel.For(0, _compute[l.Index].Length, _parallel, t =>
            {
                var c = _compute[l.Index][t];
                var buf = c.ForwardBuffer(layerInput.Batch);
                var units = _units[l.Index][t];
                for (int i = 0; i < units.Length; i++)
                    units[i].Forward(layerInput, buf.AsSpan(i * layerInput.Batch, layerInput.Batch));
                outputs[t] = c.FinishForward(buf, layerInput.Batch, null);
            });
            foreach (var t in _tiles.Tiles[l.Index]) LayerAssembler.WriteOutput(next, l, t, outputs[t.Index]);
            cur = next;
        }
        return cur;
    }

    /// <summary>One SGD step on a batch; returns the summed loss and the number of correct predictions.</summary>
    public (double Loss, int Correct) TrainStep(GridBuffer input, ReadOnlySpan<byte> labels)
    {
        var inputs = new GridBuffer[_plan.Layers.Count];
        var logits = Forward(input, inputs);
        int batch = input.Batch;
        var grad = new GridBuffer(1, 1, _plan.Classes, 0, batch);
        double loss = SoftmaxCrossEntropy.Evaluate(logits.Data, labels, _plan.Classes, batch, grad.Data, out int correct);
        var strategy = _options.Strategy;
        for (int li = _plan.Layers.Count - 1; li >= 0; li--)
        {
            var l = _plan.Layers[li];
            var errors = new float[_compute[li].Length][];
            var g = grad;
            bool tiedGradient = _topology[li] is not null && strategy.TiesGradients;
            Parallel.For(0, _compute[li].Length, _parallel, t =>
            {
                var c = _compute[li][t];
                var delta = c.BeginBackward(g, null);
                var err = c.NewInputError(batch);
                var units = _units[li][t];
                for (int i = 0; i < units.Length; i++)
                {
                    units[i].Backward(inputs[li], delta.AsSpan(i * batch, batch), err);
                    if (!tiedGradient) units[i].Store.ApplyGradient(units[i].Gradient, _options.LearningRate);
                }
                errors[t] = err;
            });
            if (_topology[li] is { } topo)
            {
                if (tiedGradient) Reduce(li, topo, u => u.Gradient, strategy.Reduce == ReduceOp.Mean,
                    (u, total) => u.Store.ApplyGradient(total, _options.LearningRate));
                else if (strategy.AveragesWeightsAfter(_step)) Reduce(li, topo, u => u.Store.Read().ToArray(), true,
                    (u, total) => u.Store.ProgramTo(total));
            }
            if (li > 0)
            {
                grad = LayerAssembler.NewInput(l, batch);
                foreach (var t in _tiles.Tiles[li]) LayerAssembler.AddError(grad, l, t, errors[t.Index]);
            }
        }
        _step++;
        return (loss, correct);
    }

    private void Reduce(int layer, MapTopology topo, Func<UnitState, float[]> vector, bool mean, Action<UnitState, float[]> apply)
    {
        var maps = _byMap[layer];
        Parallel.For(0, maps.Length, _parallel, m =>
        {
            var units = maps[m];
            var total = new float[units[0].Store.Length];
            topo.Sum(p => vector(units[p]), total);
            if (mean) System.Numerics.Tensors.TensorPrimitives.Multiply(total, 1f / units.Length, total);
            foreach (var u in units) apply(u, total);
        });
    }

    /// <summary>Forward only; returns summed loss and correct count.</summary>
    public (double Loss, int Correct) EvaluateBatch(GridBuffer input, ReadOnlySpan<byte> labels)
    {
        var logits = Forward(input, new GridBuffer[_plan.Layers.Count]);
        double loss = SoftmaxCrossEntropy.Evaluate(logits.Data, labels, _plan.Classes, input.Batch, [], out int correct);
        return (loss, correct);
    }

    /// <summary>Trains one epoch with the same sample order and batches as the actor trainer.</summary>
    public (double MeanLoss, double Accuracy, int Samples) TrainEpoch(Dataset train, int epoch)
    {
        int count = _options.TrainLimit > 0 ? Math.Min(_options.TrainLimit, train.Count) : train.Count;
        var order = EpochOrder.Build(count, _options.Shuffle, _options.Seed, epoch);
        double loss = 0; int correct = 0;
        for (int start = 0; start < count; start += _options.Batch)
        {
            var idx = order.AsSpan(start, Math.Min(_options.Batch, count - start));
            var first = _plan.Layers[0];
            var input = GridBuffer.FromImages(train.Images, _plan.InputChannels, _plan.InputHeight, _plan.InputWidth, first.Kind == LayerKind.Conv ? first.Padding : 0, idx);
            var labels = new byte[idx.Length];
            for (int b = 0; b < idx.Length; b++) labels[b] = train.Labels[idx[b]];
            var (l, c) = TrainStep(input, labels);
            loss += l; correct += c;
        }
        return (loss / count, (double)correct / count, count);
    }

    /// <summary>Every unit's weights per layer in global unit order.</summary>
    public float[][] Weights()
    {
        var result = new float[_plan.Layers.Count][];
        foreach (var l in _plan.Layers)
        {
            int stride = l.FanIn + 1;
            var all = new float[(long)l.UnitCount * stride];
            foreach (var tile in _units[l.Index])
                foreach (var u in tile)
                    u.Store.Read().CopyTo(all.AsSpan(u.GlobalIndex * stride, stride));
            result[l.Index] = all;
        }
        return result;
    }
}
