namespace NodeMesh.Core.Model;

/// <summary>Kind of a weighted layer.</summary>
public enum LayerKind { Conv, Dense }

/// <summary>
/// A weighted layer with its resolved shapes. A conv layer has one unit per (map, u, v); a dense
/// layer one unit per output neuron. <see cref="PostOps"/> are the activations and pools applied
/// to its output before the next weighted layer (handled by tiles, not by units).
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
    /// <summary>Weights per unit, excluding the bias.</summary>
    public int FanIn => Kind == LayerKind.Conv ? Kernel * Kernel * InChannels : InChannels * InHeight * InWidth;

    /// <summary>Number of units (actors) of this layer.</summary>
    public int UnitCount => OutMaps * OutHeight * OutWidth;

    /// <summary>Units per map (positions) — the size N of one map's tying group.</summary>
    public int Positions => OutHeight * OutWidth;

    /// <summary>Product of the pool sizes after this layer (1 without pooling).</summary>
    public int PoolFactor => PostOps.OfType<PoolSpec>().Aggregate(1, (a, p) => a * p.Size);

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
            int k = 1, pad = 0, outMaps, outH, outW, inC = c, inH = h, inW = w;
            switch (spec)
            {
                case ConvSpec conv:
                    if (denseCount > 0)
                        throw new UserInputException($"{where(spec, idx)}: a conv layer cannot follow a dense layer; put all conv layers first.", SettingKeys.Arch);
                    if (conv.Kernel > h || conv.Kernel > w)
                        throw new UserInputException($"{where(spec, idx)}: kernel {conv.Kernel} is larger than its {h}x{w} input; use a smaller kernel or fewer pools.", SettingKeys.Arch);
                    name = $"conv{++convCount}";
                    kind = LayerKind.Conv;
                    k = conv.Kernel; pad = k / 2; outMaps = conv.Maps; outH = h; outW = w;
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
                    if (ph / pool.Size < 1 || pw / pool.Size < 1)
                        throw new UserInputException($"{where(op, idx)}: pooling a {ph}x{pw} map by {pool.Size} leaves nothing; remove the pool or use a smaller one.", SettingKeys.Arch);
                    ph /= pool.Size; pw /= pool.Size;
                }
                post.Add(op);
                idx++;
            }
            layers.Add(new WeightedLayer(layers.Count, name, kind, inC, inH, inW, k, pad, outMaps, outH, outW, post, ph, pw));
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
