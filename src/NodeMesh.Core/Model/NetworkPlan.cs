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

    /// <summary>
    /// The weighted layer whose output (after its activation and pools) is this layer's input:
    /// −1 for the images, otherwise the layer before it, except for the first conv of a residual
    /// block with a projection shortcut, which reads the block's input as the shortcut does.
    /// </summary>
    public int Source { get; init; } = Index - 1;

    /// <summary>
    /// The layer whose output is added to this layer's pre-activation (a residual block's last
    /// conv; its shapes match), before this layer's activation and pools; null without a skip.
    /// </summary>
    public int? Skip { get; init; }

    /// <summary>True for a residual block's projection shortcut (it feeds only the block's add).</summary>
    public bool Shortcut { get; init; }

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
        int denseCount = 0;
        string where(LayerSpec s, int i) => $"'{arch.Text}': token {i + 1} '{s.Token}'";
        // The open residual block: index of its first layer, and its input (layer and shape).
        int blockFirst = -1, blockInput = -1, blockC = 0, blockH = 0, blockW = 0;

        var specs = arch.Layers;
        int idx = 0;
        while (idx < specs.Count)
        {
            var spec = specs[idx];
            LayerKind kind;
            int k = 1, pad = 0, stride = 1, outMaps, outH, outW, inC = c, inH = h, inW = w;
            switch (spec)
            {
                case ResidualBeginSpec:
                    if (layers.Count == 0 || layers[^1].Kind != LayerKind.Conv)
                        throw new UserInputException($"{where(spec, idx)}: a residual block needs a conv layer before it (its output is the block's input), e.g. conv3x3x16,relu,res(conv3x3x16,relu,conv3x3x16),relu.", SettingKeys.Arch);
                    blockFirst = layers.Count; blockInput = layers.Count - 1; (blockC, blockH, blockW) = (c, h, w);
                    idx++;
                    continue;
                case ConvSpec conv:
                    if (denseCount > 0)
                        throw new UserInputException($"{where(spec, idx)}: a conv layer cannot follow a dense layer; put all conv layers first.", SettingKeys.Arch);
                    (kind, k, pad, stride, outMaps, outH, outW) = ConvShape(conv, h, w, where(spec, idx));
                    break;
                case DenseSpec dense:
                    if (blockFirst >= 0)
                        throw new UserInputException($"{where(spec, idx)}: a residual block holds conv layers and activations only; close it with ')' before the dense layers.", SettingKeys.Arch);
                    denseCount++;
                    kind = LayerKind.Dense;
                    outMaps = dense.Outputs; outH = 1; outW = 1;
                    break;
                case ResidualEndSpec end:
                    throw new UserInputException($"{where(end, idx)}: a residual block must end with a conv (its pre-activation receives the add); put the activation after ')', e.g. res(conv3x3x16,relu,conv3x3x16),relu.", SettingKeys.Arch);
                default:
                    throw new UserInputException($"{where(spec, idx)}: '{spec.Token}' must follow a conv or dense layer; start the list with convKxKxC or denseN.", SettingKeys.Arch);
            }
            idx++;
            var post = new List<LayerSpec>();
            int? skip = null;
            int ph = outH, pw = outW;
            while (idx < specs.Count && specs[idx] is ActivationSpec or PoolSpec or ResidualEndSpec)
            {
                var op = specs[idx];
                if (op is ResidualEndSpec end)
                {
                    if (post.Count > 0)
                        throw new UserInputException($"{where(op, idx)}: a residual block must end with a conv (the add comes before its activation); move '{post[0].Token}' after ')'.", SettingKeys.Arch);
                    if (layers.Count == blockFirst && end.Shortcut is null)
                        throw new UserInputException($"{where(op, idx)}: this block holds one conv; a residual block needs at least two (ResNet's basic block: conv, relu, conv).", SettingKeys.Arch);
                    skip = blockInput;
                    if (end.Shortcut is { } sc)
                    {
                        var (_, sk, spad, sstride, smaps, sh, sw) = ConvShape(sc, blockH, blockW, where(op, idx));
                        if (smaps != outMaps || sh != outH || sw != outW)
                            throw new UserInputException($"{where(op, idx)}: the shortcut gives {smaps}x{sh}x{sw} (maps x rows x columns) but the block's last conv gives {outMaps}x{outH}x{outW}; the add needs equal shapes (match the maps and the stride).", SettingKeys.Arch);
                        // The shortcut goes before the block's first layer, so that layers stay in an order
                        // in which every layer's inputs come before it.
                        var shortcut = new WeightedLayer(blockFirst, "", LayerKind.Conv, blockC, blockH, blockW, sk, spad, smaps, sh, sw, [], sh, sw)
                        { Stride = sstride, Source = blockInput, Shortcut = true };
                        layers.Insert(blockFirst, shortcut);
                        for (int j = blockFirst + 1; j < layers.Count; j++)
                            layers[j] = layers[j] with { Index = j, Source = j == blockFirst + 1 ? blockInput : j - 1 };
                        skip = blockFirst;
                    }
                    else if (blockC != outMaps || blockH != outH || blockW != outW)
                        throw new UserInputException($"{where(op, idx)}: the block's input is {blockC}x{blockH}x{blockW} (maps x rows x columns) but its last conv gives {outMaps}x{outH}x{outW}; an identity shortcut needs equal shapes: give a projection shortcut, e.g. ';conv1x1x{outMaps}s{Math.Max(1, blockH / Math.Max(1, outH))}pvalid)'.", SettingKeys.Arch);
                    blockFirst = -1;
                    idx++;
                    continue;
                }
                if (op is PoolSpec pool)
                {
                    if (kind == LayerKind.Dense)
                        throw new UserInputException($"{where(op, idx)}: pooling needs a conv layer before it, not a dense layer.", SettingKeys.Arch);
                    if (blockFirst >= 0)
                        throw new UserInputException($"{where(op, idx)}: pooling inside a residual block is not supported; use a strided conv in the block, or pool after ')'.", SettingKeys.Arch);
                    var (oh, ow) = pool.Output(ph, pw);
                    if (oh < 1 || ow < 1)
                        throw new UserInputException($"{where(op, idx)}: pooling a {ph}x{pw} map by {pool.Size} leaves nothing (output size 0); remove the pool or use a smaller one.", SettingKeys.Arch);
                    (ph, pw) = (oh, ow);
                }
                post.Add(op);
                idx++;
            }
            layers.Add(new WeightedLayer(layers.Count, "", kind, inC, inH, inW, k, pad, outMaps, outH, outW, post, ph, pw) { Stride = stride, Skip = skip });
            if (kind == LayerKind.Conv) { c = outMaps; h = ph; w = pw; }
            else { c = outMaps; h = 1; w = 1; }
        }
        // Names in layer order: conv1, conv2, … then dense1, … (a shortcut is numbered where it sits).
        int convs = 0, denses = 0;
        for (int j = 0; j < layers.Count; j++)
            layers[j] = layers[j] with { Name = layers[j].Kind == LayerKind.Conv ? $"conv{++convs}" : $"dense{++denses}" };
        if (layers.Count == 0 || layers[^1].Kind != LayerKind.Dense)
            throw new UserInputException($"'{arch.Text}': the last weighted layer must be dense{classes} (it feeds the softmax over {classes} classes).", SettingKeys.Arch);
        var last = layers[^1];
        if (last.OutMaps != classes)
            throw new UserInputException($"'{arch.Text}': the last layer '{last.Name}' has {last.OutMaps} outputs but the data has {classes} classes; end with dense{classes}.", SettingKeys.Arch);
        if (last.PostOps.Count > 0)
            throw new UserInputException($"'{arch.Text}': '{last.PostOps[0].Token}' after the last dense layer; the logits go straight into softmax cross-entropy, remove it.", SettingKeys.Arch);
        return new NetworkPlan(arch, channels, height, width, classes, layers);
    }

    /// <summary>Checks a conv against its H×W input and gives its kind, kernel, padding, stride, maps and output size.</summary>
    private static (LayerKind, int K, int Pad, int Stride, int Maps, int OutH, int OutW) ConvShape(ConvSpec conv, int h, int w, string where)
    {
        int k = conv.Kernel, pad = conv.Padding, stride = conv.Stride;
        if (pad == k / 2 && k % 2 == 1 && stride == 1 && (k > h || k > w))
            throw new UserInputException($"{where}: kernel {k} is larger than its {h}x{w} input; use a smaller kernel or fewer pools.", SettingKeys.Arch);
        if (h + 2 * pad < k || w + 2 * pad < k)
            throw new UserInputException($"{where}: a {k}x{k} kernel with padding {pad} does not fit its {h}x{w} input (output size would be 0); use a smaller kernel, more padding or fewer pools.", SettingKeys.Arch);
        return (LayerKind.Conv, k, pad, stride, conv.Maps, (h + 2 * pad - k) / stride + 1, (w + 2 * pad - k) / stride + 1);
    }
}
