using NodeMesh.Core.Model;

namespace NodeMesh.TestSupport.Reference;

/// <summary>How the kernels of a conv layer's positions relate.</summary>
public enum WeightSharing
{
    /// <summary>Ordinary ConvNet: one kernel and bias per map, shared by all positions.</summary>
    Shared,

    /// <summary>Locally connected: one kernel and bias per output position (map, u, v).</summary>
    Local,
}

/// <summary>
/// Plain, actor-free, single-threaded implementation of a <see cref="NetworkPlan"/>: the ground truth
/// that the actor system is compared against. NCHW layout; all sums accumulate in double
/// (see <see cref="ReferenceKernels"/>); parameters and activations are stored as float.
/// </summary>
/// <remarks>
/// Parameter layouts (also the checkpoint layouts), per weighted layer:
/// <list type="bullet">
/// <item>conv, <see cref="WeightSharing.Shared"/>: weight [Cout,Cin,k,k], bias [Cout];</item>
/// <item>conv, <see cref="WeightSharing.Local"/>: weight [Cout,H,W,Cin,k,k], bias [Cout,H,W] (H×W = output positions);</item>
/// <item>dense (either mode): weight [out,in] with <c>in</c> in (channel,row,column) flatten order, bias [out].</item>
/// </list>
/// Conv layers are stride 1 with same padding k/2; post-ops (relu, tanh, maxpoolK, avgpoolK with floor)
/// follow in plan order; the last dense layer's outputs are the logits of a softmax cross-entropy
/// loss averaged over the batch. Not thread-safe.
/// </remarks>
public sealed class ReferenceNet
{
    private readonly float[][] _weights;
    private readonly float[][] _biases;
    private readonly (float[] dW, float[] dB)[] _gradients;

    /// <summary>A net of <paramref name="plan"/>'s shapes with every parameter 0 (see <see cref="InitDefault"/>).</summary>
    public ReferenceNet(NetworkPlan plan, WeightSharing sharing)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!Enum.IsDefined(sharing)) throw new ArgumentOutOfRangeException(nameof(sharing), sharing, "Unknown weight sharing.");
        foreach (var layer in plan.Layers)
            if (layer.Stride != 1 || (layer.Kind == LayerKind.Conv && layer.Padding != layer.Kernel / 2)
                || layer.PostOps.OfType<PoolSpec>().Any(p => p.Global || p.Stride != p.Size))
                throw new NotSupportedException($"{layer.Name}: the reference net knows stride-1 same-padded convs and non-overlapping pools only; strided nets are checked against PyTorch goldens directly (UnitEngineGoldenTests).");
        Plan = plan;
        Sharing = sharing;
        int n = plan.Layers.Count;
        _weights = new float[n][];
        _biases = new float[n][];
        _gradients = new (float[], float[])[n];
        for (int l = 0; l < n; l++)
        {
            var (w, b) = ParameterLengths(plan.Layers[l], sharing);
            _weights[l] = new float[w];
            _biases[l] = new float[b];
            _gradients[l] = (new float[w], new float[b]);
        }
    }

    /// <summary>The layers and shapes this net implements.</summary>
    public NetworkPlan Plan { get; }

    /// <summary>Whether conv positions share one kernel per map or own one each.</summary>
    public WeightSharing Sharing { get; }

    /// <summary>The weight array of layer <paramref name="layer"/> (live: write into it to set weights).</summary>
    public float[] Weight(int layer) => _weights[layer];

    /// <summary>The bias array of layer <paramref name="layer"/> (live: write into it to set biases).</summary>
    public float[] Bias(int layer) => _biases[layer];

    /// <summary>
    /// Gradients (dW, dB) of the loss of the last <see cref="TrainStep"/>, per layer, in the parameter
    /// layouts; all zero before the first step. The arrays are reused by the next step.
    /// </summary>
    public (float[] dW, float[] dB)[] LastGradients => _gradients;

    /// <summary>Lengths of a layer's weight and bias arrays under <paramref name="sharing"/>.</summary>
    public static (int Weights, int Biases) ParameterLengths(WeightedLayer layer, WeightSharing sharing)
    {
        ArgumentNullException.ThrowIfNull(layer);
        int units = layer.Kind == LayerKind.Conv && sharing == WeightSharing.Local ? layer.UnitCount : layer.OutMaps;
        return (units * layer.FanIn, units);
    }

    /// <summary>
    /// PyTorch-like default initialisation: every weight and bias of a layer is drawn from
    /// U(−b, b), <c>b = 1f/MathF.Sqrt(fanIn)</c> (fanIn = Cin·k·k for conv, inputs for dense), as
    /// <c>(float)((NextDouble()·2 − 1)·b)</c> from one <c>new Random(seed)</c>.
    /// Draw order (the same as <c>WeightLayout.InitialVectors</c>, so both start from the
    /// same network): layer by layer, map (output neuron) by map; per map first its fanIn weights
    /// in unit-vector order — conv (ky, kx, ci), dense (row, column, channel), last index fastest —
    /// then its bias. In <see cref="WeightSharing.Local"/> mode each map's kernel and bias are
    /// copied to every position, so the draws, and the initial network function, are identical to
    /// Shared mode.
    /// </summary>
    public void InitDefault(int seed)
    {
        var rng = new Random(seed);
        for (int l = 0; l < Plan.Layers.Count; l++)
        {
            var layer = Plan.Layers[l];
            float bound = 1f / MathF.Sqrt(layer.FanIn);
            float Draw() => (float)((rng.NextDouble() * 2 - 1) * bound);
            // Spatial extent and channels of one kernel (conv) or of the whole input (dense).
            int kh = layer.Kind == LayerKind.Conv ? layer.Kernel : layer.InHeight;
            int kw = layer.Kind == LayerKind.Conv ? layer.Kernel : layer.InWidth;
            int cin = layer.InChannels;
            var kernels = new float[layer.OutMaps * layer.FanIn]; // [maps, cin, kh, kw]
            var biases = new float[layer.OutMaps];
            for (int m = 0; m < layer.OutMaps; m++)
            {
                for (int y = 0; y < kh; y++)
                for (int x = 0; x < kw; x++)
                for (int c = 0; c < cin; c++)
                    kernels[m * layer.FanIn + (c * kh + y) * kw + x] = Draw();
                biases[m] = Draw();
            }
            if (layer.Kind == LayerKind.Conv && Sharing == WeightSharing.Local)
            {
                ReferenceKernels.BroadcastToPositions(kernels, layer.OutMaps, layer.Positions, layer.FanIn, _weights[l]);
                ReferenceKernels.BroadcastToPositions(biases, layer.OutMaps, layer.Positions, 1, _biases[l]);
            }
            else
            {
                kernels.CopyTo(_weights[l], 0);
                biases.CopyTo(_biases[l], 0);
            }
        }
    }

    /// <summary>Logits [B, classes] for images [B, C, H, W].</summary>
    public float[] Forward(ReadOnlySpan<float> images, int batch) => ForwardPass(images, batch).Logits;

    /// <summary>
    /// One plain SGD step on a mini-batch: forward, mean softmax cross-entropy, backward,
    /// <c>w −= lr·grad</c> for every weight and bias. Returns the loss before the update; the
    /// gradients are left in <see cref="LastGradients"/>.
    /// </summary>
    public float TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<byte> labels, int batch, float lr)
    {
        if (labels.Length != batch) throw new ArgumentException($"{labels.Length} labels for a batch of {batch}.", nameof(labels));
        var pass = ForwardPass(images, batch);
        var grad = new float[pass.Logits.Length];
        double loss = ReferenceKernels.SoftmaxCrossEntropy(pass.Logits, labels, batch, Plan.Classes, grad);

        for (int l = Plan.Layers.Count - 1; l >= 0; l--)
        {
            var layer = Plan.Layers[l];
            var trace = pass.Layers[l];
            for (int j = trace.Ops.Count - 1; j >= 0; j--)
                grad = trace.Ops[j].Backward(grad);

            var (dW, dB) = _gradients[l];
            float[] dx = l == 0 ? [] : new float[trace.Input.Length]; // the images need no gradient
            if (layer.Kind == LayerKind.Conv)
            {
                var g = Geometry(layer, batch);
                if (Sharing == WeightSharing.Shared)
                    ReferenceKernels.Conv2dBackward(g, trace.Input, _weights[l], grad, dx, dW, dB);
                else
                    ReferenceKernels.LocalBackward(g, trace.Input, _weights[l], grad, dx, dW, dB);
            }
            else
            {
                ReferenceKernels.DenseBackward(trace.Input, batch, layer.FanIn, _weights[l], layer.OutMaps, grad, dx, dW, dB);
            }
            grad = dx;
        }

        for (int l = 0; l < Plan.Layers.Count; l++)
        {
            Sgd(_weights[l], _gradients[l].dW, lr);
            Sgd(_biases[l], _gradients[l].dB, lr);
        }
        return (float)loss;
    }

    private static void Sgd(float[] param, float[] grad, float lr)
    {
        for (int i = 0; i < param.Length; i++) param[i] -= lr * grad[i];
    }

    private static ConvGeometry Geometry(WeightedLayer layer, int batch) =>
        new(batch, layer.InChannels, layer.InHeight, layer.InWidth, layer.OutMaps, layer.Kernel, layer.Padding);

    // ------------------------------------------------------------------ forward pass with its trace

    private sealed record ForwardResult(float[] Logits, LayerTrace[] Layers);

    /// <summary>What the backward pass needs from one weighted layer: its input and its post-ops.</summary>
    private sealed record LayerTrace(float[] Input, List<PostOpTrace> Ops);

    /// <summary>One post-op applied to [planes = B·C, h, w] maps, with what its backward needs.</summary>
    private sealed record PostOpTrace(LayerSpec Op, int Planes, int Height, int Width, float[] Input, float[] Output, int[]? Argmax)
    {
        public float[] Backward(float[] dy)
        {
            var dx = new float[Input.Length];
            switch (Op)
            {
                case ActivationSpec { Kind: ActivationKind.Relu }: ReferenceKernels.ReluBackward(Input, dy, dx); break;
                case ActivationSpec { Kind: ActivationKind.Tanh }: ReferenceKernels.TanhBackward(Output, dy, dx); break;
                case PoolSpec { Kind: PoolKind.Max }: ReferenceKernels.MaxPoolBackward(dy, Argmax, dx); break;
                case PoolSpec { Kind: PoolKind.Avg } p: ReferenceKernels.AvgPoolBackward(dy, Planes, Height, Width, p.Size, dx); break;
                default: throw new NotSupportedException($"post-op '{Op.Token}' is not supported.");
            }
            return dx;
        }
    }

    private ForwardResult ForwardPass(ReadOnlySpan<float> images, int batch)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be at least 1.");
        int expected = batch * Plan.InputChannels * Plan.InputHeight * Plan.InputWidth;
        if (images.Length != expected)
            throw new ArgumentException($"{images.Length} image values for a batch of {batch} x {Plan.InputChannels}x{Plan.InputHeight}x{Plan.InputWidth} (expected {expected}).", nameof(images));

        var traces = new LayerTrace[Plan.Layers.Count];
        float[] act = images.ToArray();
        for (int l = 0; l < Plan.Layers.Count; l++)
        {
            var layer = Plan.Layers[l];
            var z = new float[batch * layer.OutMaps * layer.OutHeight * layer.OutWidth];
            if (layer.Kind == LayerKind.Conv)
            {
                var g = Geometry(layer, batch);
                if (Sharing == WeightSharing.Shared)
                    ReferenceKernels.Conv2dForward(g, act, _weights[l], _biases[l], z);
                else
                    ReferenceKernels.LocalForward(g, act, _weights[l], _biases[l], z);
            }
            else
            {
                ReferenceKernels.DenseForward(act, batch, layer.FanIn, _weights[l], _biases[l], layer.OutMaps, z);
            }

            var ops = new List<PostOpTrace>(layer.PostOps.Count);
            traces[l] = new LayerTrace(act, ops);
            int planes = batch * layer.OutMaps, h = layer.OutHeight, w = layer.OutWidth;
            act = z;
            foreach (var op in layer.PostOps)
            {
                float[] output;
                int[]? argmax = null;
                int oh = h, ow = w;
                switch (op)
                {
                    case ActivationSpec { Kind: ActivationKind.Relu }:
                        ReferenceKernels.ReluForward(act, output = new float[act.Length]);
                        break;
                    case ActivationSpec { Kind: ActivationKind.Tanh }:
                        ReferenceKernels.TanhForward(act, output = new float[act.Length]);
                        break;
                    case PoolSpec pool:
                        oh = h / pool.Size; ow = w / pool.Size;
                        output = new float[planes * oh * ow];
                        if (pool.Kind == PoolKind.Max)
                            ReferenceKernels.MaxPoolForward(act, planes, h, w, pool.Size, output, argmax = new int[output.Length]);
                        else
                            ReferenceKernels.AvgPoolForward(act, planes, h, w, pool.Size, output);
                        break;
                    default:
                        throw new NotSupportedException($"post-op '{op.Token}' is not supported.");
                }
                ops.Add(new PostOpTrace(op, planes, h, w, act, output, argmax));
                act = output;
                h = oh; w = ow;
            }
        }
        return new ForwardResult(act, traces);
    }
}
