namespace NodeMesh.Core.Model;

/// <summary>Kind of a weighted layer.</summary>
public enum LayerKind { Conv, Dense }

/// <summary>
/// A weighted layer with its resolved shapes. A conv layer has one unit per (map, u, v); a dense
/// layer one unit per output neuron. <see cref="PostOps"/> are the activations and pools applied
/// to its output before the next weighted layer (handled by tiles, not by units). Unit (u, v) of a
/// conv layer reads the K×K window whose top-left corner is input position
/// (u·<see cref="Stride"/> − <see cref="Padding"/>, v·Stride − Padding); rows and columns outside
/// the input are the zero padding.
/// </summary>
public sealed record WeightedLayer(
    int Index,
    string Name,
    LayerKind Kind,
    int InChannels,
    int InHeight,
    int InWidth,
    int Kernel,
    int Padding,
    int OutMaps,
    int OutHeight,
    int OutWidth,
    IReadOnlyList<LayerSpec> PostOps,
    int PostHeight,
    int PostWidth)
{
    /// <summary>Conv stride: input positions between neighbouring units' windows (1 for dense layers).</summary>
    public int Stride { get; init; } = 1;

    /// <summary>Weights per unit, excluding the bias.</summary>
    public int FanIn => Kind == LayerKind.Conv ? Kernel * Kernel * InChannels : InChannels * InHeight * InWidth;

    /// <summary>Number of units (actors) of this layer.</summary>
    public int UnitCount => OutMaps * OutHeight * OutWidth;

    /// <summary>Units per map (positions) — the size N of one map's tying group.</summary>
    public int Positions => OutHeight * OutWidth;

    /// <summary>
    /// Product of the pool strides after this layer (1 without pooling): unit rows between
    /// neighbouring pooled values. Equals the product of the pool sizes for non-overlapping pools.
    /// </summary>
    public int PoolFactor => PostOps.OfType<PoolSpec>().Aggregate(1, (a, p) => a * p.Stride);

    /// <summary>
    /// True when a pooling window of this layer can cover units of two tiles (an overlapping pool
    /// such as <c>maxpool3s2</c>, or <c>gap</c>): the layer is then one tile (<see cref="Tiles.TilePlan.Build"/>).
    /// </summary>
    public bool PoolsAcrossTiles => PostOps.OfType<PoolSpec>().Any(p => p.Overlaps);

    /// <summary>Input rows (or columns) [first, first + count) that unit row (or column) <paramref name="u"/> reads, clipped to an input of <paramref name="size"/>.</summary>
    public (int First, int Count) WindowRows(int u, int size)
    {
        int y0 = u * Stride - Padding;
        int first = Math.Max(y0, 0), last = Math.Min(y0 + Kernel, size);
        return (first, Math.Max(0, last - first));
    }

    /// <summary>
    /// Unit rows (or columns) whose windows hold input row <paramref name="y"/>: [first, last], empty
    /// (first &gt; last) when no window reaches it; <paramref name="outSize"/> is the unit grid's side.
    /// </summary>
    public (int First, int Last) Consumers(int y, int outSize)
    {
        // u·S − P ≤ y < u·S − P + K  ⇔  (y + P − K)/S < u ≤ (y + P)/S
        int last = Math.Min(FloorDiv(y + Padding, Stride), outSize - 1);
        int first = Math.Max(FloorDiv(y + Padding - Kernel, Stride) + 1, 0);
        return (first, last);
    }

    private static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    /// <summary>Trainable parameters of the unit layer (one kernel per position).</summary>
    public long UnitParameters => (long)UnitCount * (FanIn + 1);

    /// <summary>Trainable parameters of the equivalent shared-weight layer.</summary>
    public long SharedParameters => Kind == LayerKind.Conv ? (long)OutMaps * (FanIn + 1) : UnitParameters;
}

/// <summary>An architecture resolved against an input shape: every weighted layer with its shapes.</summary>
public sealed class NetworkPlan
{
    public ArchSpec Arch { get; }
    public int InputChannels { get; }
    public int InputHeight { get; }
    public int InputWidth { get; }
    public int Classes { get; }
    public IReadOnlyList<WeightedLayer> Layers { get; }

    private NetworkPlan(ArchSpec arch, int c, int h, int w, int classes, IReadOnlyList<WeightedLayer> layers)
    {
        Arch = arch; InputChannels = c; InputHeight = h; InputWidth = w; Classes = classes; Layers = layers;
    }

    public long UnitParameters => Layers.Sum(l => l.UnitParameters);
    public long SharedParameters => Layers.Sum(l => l.SharedParameters);
    public int UnitCount => Layers.Sum(l => l.UnitCount);

    /// <summary>Resolves <paramref name="arch"/> for inputs of C×H×W and <paramref name="classes"/> outputs.</summary>
    public static NetworkPlan Build(ArchSpec arch, int channels = 1, int height = 28, int width = 28, int classes = 10)
    {
        var layers = new List<WeightedLayer>();
        int c = channels, h = height, w = width;
        int convCount = 0, denseCount = 0;
        string where(LayerSpec s, int i) => $"'{arch.Text}': token {i + 1} '{s.Token}'";

        var specs = arch.Layers;
        int idx = 0;
        while (idx < specs.Count)
        {
            var spec = specs[idx];
            int startIdx = idx;
            string name;
            LayerKind kind;
            int k = 1, pad = 0, stride = 1, outMaps, outH, outW, inC = c, inH = h, inW = w;
            switch (spec)
            {
                case ConvSpec conv:
                    if (denseCount > 0)
                        throw new UserInputException($"{where(spec, idx)}: a conv layer cannot follow a dense layer; put all conv layers first.", SettingKeys.Arch);
                    k = conv.Kernel; pad = conv.Padding; stride = conv.Stride;
                    if (pad == k / 2 && k % 2 == 1 && stride == 1 && (k > h || k > w))
                        throw new UserInputException($"{where(spec, idx)}: kernel {k} is larger than its {h}x{w} input; use a smaller kernel or fewer pools.", SettingKeys.Arch);
                    if (h + 2 * pad < k || w + 2 * pad < k)
                        throw new UserInputException($"{where(spec, idx)}: a {k}x{k} kernel with padding {pad} does not fit its {h}x{w} input (output size would be 0); use a smaller kernel, more padding or fewer pools.", SettingKeys.Arch);
                    name = $"conv{++convCount}";
                    kind = LayerKind.Conv;
                    outMaps = conv.Maps; outH = (h + 2 * pad - k) / stride + 1; outW = (w + 2 * pad - k) / stride + 1;
                    break;
                case DenseSpec dense:
                    name = $"dense{++denseCount}";
                    kind = LayerKind.Dense;
                    outMaps = dense.Outputs; outH = 1; outW = 1;
                    break;
                default:
                    throw new UserInputException($"{where(spec, idx)}: '{spec.Token}' must follow a conv or dense layer; start the list with convKxKxC or denseN.", SettingKeys.Arch);
            }
            idx++;
            var post = new List<LayerSpec>();
            int ph = outH, pw = outW;
            while (idx < specs.Count && specs[idx] is ActivationSpec or PoolSpec)
            {
                var op = specs[idx];
                if (op is PoolSpec pool)
                {
                    if (kind == LayerKind.Dense)
                        throw new UserInputException($"{where(op, idx)}: pooling needs a conv layer before it, not a dense layer.", SettingKeys.Arch);
                    var (oh, ow) = pool.Output(ph, pw);
                    if (oh < 1 || ow < 1)
                        throw new UserInputException($"{where(op, idx)}: pooling a {ph}x{pw} map by {pool.Size} leaves nothing (output size 0); remove the pool or use a smaller one.", SettingKeys.Arch);
                    (ph, pw) = (oh, ow);
                }
                post.Add(op);
                idx++;
            }
            layers.Add(new WeightedLayer(layers.Count, name, kind, inC, inH, inW, k, pad, outMaps, outH, outW, post, ph, pw) { Stride = stride });
            if (kind == LayerKind.Conv) { c = outMaps; h = ph; w = pw; }
            else { c = outMaps; h = 1; w = 1; }
            _ = startIdx;
        }
        if (layers.Count == 0 || layers[^1].Kind != LayerKind.Dense)
            throw new UserInputException($"'{arch.Text}': the last weighted layer must be dense{classes} (it feeds the softmax over {classes} classes).", SettingKeys.Arch);
        var last = layers[^1];
        if (last.OutMaps != classes)
            throw new UserInputException($"'{arch.Text}': the last layer '{last.Name}' has {last.OutMaps} outputs but the data has {classes} classes; end with dense{classes}.", SettingKeys.Arch);
        if (last.PostOps.Count > 0)
            throw new UserInputException($"'{arch.Text}': '{last.PostOps[0].Token}' after the last dense layer; the logits go straight into softmax cross-entropy, remove it.", SettingKeys.Arch);
        return new NetworkPlan(arch, channels, height, width, classes, layers);
    }
}
