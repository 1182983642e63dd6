using NodeMesh.Core.Exchanges;
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
    private readonly Dictionary<UnitState, ParityAnchor> _anchors = []; // step parity: each conv unit's anchor
    private readonly TileCompute[][] _compute;
    private readonly MapTopology?[] _topology;
    private readonly TileLinks _links;
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
        _links = new TileLinks(tiles);
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
            if (l.Kind == LayerKind.Conv && options.Strategy.AveragesAtParity)
                foreach (var map in _byMap[l.Index])
                    foreach (var u in map) _anchors[u] = new ParityAnchor(u.Store.Read(), l.Positions);
        }
        if (options.Strategy.Kind == StrategyKind.Gossip)
            throw new NotSupportedException("the actor-free engine does not model asynchronous gossip");
    }

    /// <summary>
    /// Runs the forward pass as the tiles do: each tile's input region is assembled from its
    /// producers' pieces (the padded images for the first layer); returns the logits
    /// ([classes][B]) and keeps every tile's input region for the backward pass.
    /// </summary>
    private float[] Forward(GridBuffer paddedImages, GridBuffer[][] regions)
    {
        int batch = paddedImages.Batch;
        var outputs = new float[_plan.Layers.Count][][]; // [layer][tile]: pooled outputs, kept for later consumers (residual adds)
        foreach (var l in _plan.Layers)
        {
            var compute = _compute[l.Index];
            var layerRegions = regions[l.Index] = new GridBuffer[compute.Length];
            var layerOutputs = outputs[l.Index] = new float[compute.Length][];
            Parallel.For(0, compute.Length, _parallel, t =>
            {
                var c = compute[t];
                var region = new GridBuffer(c.Region.Height, c.Region.Width, l.InChannels, 0, batch);
                if (l.Index == 0) c.WriteImages(paddedImages, region);
                else
                    foreach (var link in _links.InputsOf(l.Index, t))
                    {
                        var piece = _compute[link.ProducerLayer][link.Producer].OutputPiece(link, outputs[link.ProducerLayer][link.Producer], batch);
                        c.WriteInput(link, piece, region);
                        PieceBuffers.Return(piece);
                    }
                layerRegions[t] = region;
                var buf = c.ForwardBuffer(batch);
                var units = _units[l.Index][t];
                for (int i = 0; i < units.Length; i++)
                    units[i].Forward(region, buf.AsSpan(i * batch, batch));
                foreach (var link in _links.SkipsOf(l.Index, t))
                {
                    var piece = _compute[link.ProducerLayer][link.Producer].OutputPiece(link, outputs[link.ProducerLayer][link.Producer], batch);
                    c.AddSkip(link, piece, buf, batch);
                    PieceBuffers.Return(piece);
                }
                layerOutputs[t] = c.FinishForward(buf, batch, null);
            });
        }
        return outputs[^1][0]; // the last layer is dense: one tile holding every logit
    }

    /// <summary>One SGD step on a batch; returns the summed loss and the number of correct predictions.</summary>
    public (double Loss, int Correct) TrainStep(GridBuffer input, ReadOnlySpan<byte> labels)
    {
        int n = _plan.Layers.Count;
        var regions = new GridBuffer[n][];
        var logits = Forward(input, regions);
        int batch = input.Batch;
        var delta = new float[_plan.Classes * batch];
        double loss = SoftmaxCrossEntropy.Evaluate(logits, labels, _plan.Classes, batch, delta, out int correct);
        var strategy = _options.Strategy;
        var errors = new float[n][][];  // [layer][tile]: input errors, for the source layer's tiles
        var deltas = new float[n][][];  // [layer][tile]: pre-activation gradients, for a residual add's skip layer
        for (int li = n - 1; li >= 0; li--)
        {
            var l = _plan.Layers[li];
            var compute = _compute[li];
            var layerErrors = errors[li] = new float[compute.Length][];
            var layerDeltas = deltas[li] = new float[compute.Length][];
            bool tiedGradient = _topology[li] is not null && strategy.TiesGradients;
            Parallel.For(0, compute.Length, _parallel, t =>
            {
                var c = compute[t];
                float[] grad;
                if (li == n - 1) grad = delta; // the loss site's delta, as the driver sends it
                else
                {
                    grad = new float[c.Output.Cells * l.OutMaps * batch];
                    foreach (var link in _links.OutputsOf(li, t))
                    {
                        var consumer = _compute[link.Layer][link.Consumer];
                        var piece = link.Kind == LinkKind.Skip
                            ? consumer.SkipErrorPiece(link, deltas[link.Layer][link.Consumer], batch)
                            : consumer.ErrorPiece(link, errors[link.Layer][link.Consumer], batch);
                        c.AddGradPiece(link, piece, grad, batch);
                        PieceBuffers.Return(piece);
                    }
                }
                var d = layerDeltas[t] = c.BeginBackward(grad, batch, null);
                var err = c.NewInputError(batch);
                var units = _units[li][t];
                for (int i = 0; i < units.Length; i++)
                {
                    units[i].Backward(regions[li][t], d.AsSpan(i * batch, batch), err);
                    if (!tiedGradient) units[i].Store.ApplyGradient(units[i].Gradient, _options.LearningRate);
                }
                layerErrors[t] = err;
            });
            if (_topology[li] is { } topo)
            {
                if (tiedGradient) Reduce(li, topo, u => u.Gradient, strategy.Reduce == ReduceOp.Mean,
                    (u, total) => u.Store.ApplyGradient(total, _options.LearningRate));
                else if (strategy.AveragesWeightsAfter(_step) && strategy.AveragesAtParity)
                    Reduce(li, topo, u => _anchors[u].Contribution(u.Store.Read()), true,
                        (u, total) => { u.Store.ProgramTo(total); _anchors[u].Agreed(total); });
                else if (strategy.AveragesWeightsAfter(_step)) Reduce(li, topo, u => u.Store.Read().ToArray(), true,
                    (u, total) => u.Store.ProgramTo(total));
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
        var logits = Forward(input, new GridBuffer[_plan.Layers.Count][]);
        double loss = SoftmaxCrossEntropy.Evaluate(logits, labels, _plan.Classes, input.Batch, [], out int correct);
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
