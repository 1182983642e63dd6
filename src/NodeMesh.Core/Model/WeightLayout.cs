using NodeMesh.Core.Checkpoints;

namespace NodeMesh.Core.Model;

/// <summary>
/// Converts between the units' own weight vectors and checkpoint tensors.
/// A unit's vector is its FanIn weights followed by its bias. Inside a unit, a conv kernel is
/// ordered [ky][kx][c] and a dense row [h][w][c] (the order of the input grid rows); checkpoints
/// use PyTorch's orders: conv [Cout, H, W, Cin, kh, kw] (or a shared [Cout, Cin, kh, kw]) and
/// dense [out, in] with in flattened as (channel, row, column).
/// Layer vectors hold all units in global order: map-major, then row, then column.
/// </summary>
public static class WeightLayout
{
    /// <summary>Index in the unit vector of input (c, y, x) — kernel offset for conv, input position for dense.</summary>
    public static int UnitWeightIndex(WeightedLayer l, int c, int y, int x) =>
        l.Kind == LayerKind.Conv
            ? (y * l.Kernel + x) * l.InChannels + c
            : (y * l.InWidth + x) * l.InChannels + c;

    /// <summary>Tensor names of a layer.</summary>
    public static (string Weight, string Bias) Names(WeightedLayer l) => ($"{l.Name}.weight", $"{l.Name}.bias");

    /// <summary>Unit-layout shape of the layer's weight and bias tensors.</summary>
    public static (int[] Weight, int[] Bias) UnitShapes(WeightedLayer l) =>
        l.Kind == LayerKind.Conv
            ? ([l.OutMaps, l.OutHeight, l.OutWidth, l.InChannels, l.Kernel, l.Kernel], [l.OutMaps, l.OutHeight, l.OutWidth])
            : ([l.OutMaps, l.FanIn], [l.OutMaps]);

    /// <summary>Shared (PyTorch Conv2d) shapes of a conv layer's weight and bias.</summary>
    public static (int[] Weight, int[] Bias) SharedShapes(WeightedLayer l) =>
        ([l.OutMaps, l.InChannels, l.Kernel, l.Kernel], [l.OutMaps]);

    private static string Shape(int[] s) => "[" + string.Join(", ", s) + "]";

    /// <summary>
    /// Builds the layer vector from checkpoint tensors. Conv layers accept the per-position layout
    /// or a shared kernel, broadcast to every position. Throws <see cref="UserInputException"/> on a
    /// shape that fits neither, naming the tensor and the expected shapes.
    /// </summary>
    public static float[] ToUnitVectors(WeightedLayer l, NamedTensor weight, NamedTensor bias, string source)
    {
        var (uw, ub) = UnitShapes(l);
        int stride = l.FanIn + 1;
        var result = new float[(long)l.UnitCount * stride];
        int hw = l.OutHeight * l.OutWidth;
        if (l.Kind == LayerKind.Conv)
        {
            var (sw, sb) = SharedShapes(l);
            bool perPosition = weight.Shape.SequenceEqual(uw);
            bool shared = weight.Shape.SequenceEqual(sw);
            if (!perPosition && !shared)
                throw new UserInputException($"{source}: tensor '{weight.Name}' has shape {Shape(weight.Shape)}; {l.Name} needs {Shape(uw)} (one kernel per position) or {Shape(sw)} (a shared Conv2d kernel).");
            var wantBias = perPosition ? ub : sb;
            if (!bias.Shape.SequenceEqual(wantBias))
                throw new UserInputException($"{source}: tensor '{bias.Name}' has shape {Shape(bias.Shape)}; with a {(perPosition ? "per-position" : "shared")} weight {l.Name} needs a bias of {Shape(wantBias)}.");
            int k = l.Kernel, cin = l.InChannels, kk = k * k;
            for (int m = 0; m < l.OutMaps; m++)
                for (int p = 0; p < hw; p++)
                {
                    int unit = m * hw + p;
                    long dst = (long)unit * stride;
                    int srcBase = perPosition ? unit * cin * kk : m * cin * kk;
                    for (int c = 0; c < cin; c++)
                        for (int y = 0; y < k; y++)
                            for (int x = 0; x < k; x++)
                                result[dst + UnitWeightIndex(l, c, y, x)] = weight.Data[srcBase + (c * k + y) * k + x];
                    result[dst + l.FanIn] = bias.Data[perPosition ? unit : m];
                }
        }
        else
        {
            if (!weight.Shape.SequenceEqual(uw))
                throw new UserInputException($"{source}: tensor '{weight.Name}' has shape {Shape(weight.Shape)}; {l.Name} needs {Shape(uw)} ([out, in] with in = channel·row·column = {l.InChannels}·{l.InHeight}·{l.InWidth}).");
            if (!bias.Shape.SequenceEqual(ub))
                throw new UserInputException($"{source}: tensor '{bias.Name}' has shape {Shape(bias.Shape)}; {l.Name} needs {Shape(ub)}.");
            int plane = l.InHeight * l.InWidth;
            for (int o = 0; o < l.OutMaps; o++)
            {
                long dst = (long)o * stride;
                for (int c = 0; c < l.InChannels; c++)
                    for (int y = 0; y < l.InHeight; y++)
                        for (int x = 0; x < l.InWidth; x++)
                            result[dst + UnitWeightIndex(l, c, y, x)] = weight.Data[o * l.FanIn + c * plane + y * l.InWidth + x];
                result[dst + l.FanIn] = bias.Data[o];
            }
        }
        return result;
    }

    /// <summary>Builds checkpoint tensors (unit layout) from a layer vector.</summary>
    public static (NamedTensor Weight, NamedTensor Bias) FromUnitVectors(WeightedLayer l, ReadOnlySpan<float> vectors)
    {
        var (uw, ub) = UnitShapes(l);
        var (wn, bn) = Names(l);
        int stride = l.FanIn + 1;
        var w = new float[(long)l.UnitCount * l.FanIn];
        var b = new float[l.UnitCount];
        if (l.Kind == LayerKind.Conv)
        {
            int k = l.Kernel, cin = l.InChannels, kk = k * k;
            for (int unit = 0; unit < l.UnitCount; unit++)
            {
                int src = unit * stride;
                for (int c = 0; c < cin; c++)
                    for (int y = 0; y < k; y++)
                        for (int x = 0; x < k; x++)
                            w[unit * cin * kk + (c * k + y) * k + x] = vectors[src + UnitWeightIndex(l, c, y, x)];
                b[unit] = vectors[src + l.FanIn];
            }
        }
        else
        {
            int plane = l.InHeight * l.InWidth;
            for (int o = 0; o < l.OutMaps; o++)
            {
                int src = o * stride;
                for (int c = 0; c < l.InChannels; c++)
                    for (int y = 0; y < l.InHeight; y++)
                        for (int x = 0; x < l.InWidth; x++)
                            w[o * l.FanIn + c * plane + y * l.InWidth + x] = vectors[src + UnitWeightIndex(l, c, y, x)];
                b[o] = vectors[src + l.FanIn];
            }
        }
        return (new NamedTensor(wn, uw, w), new NamedTensor(bn, ub, b));
    }

    /// <summary>
    /// The seeded initial weights of every layer (one vector per layer, units in order, each unit's
    /// weights then its bias), drawn from <c>new Random(seed)</c> layer by layer. Dense neurons
    /// always get PyTorch's <c>nn.Linear</c> default: weights and bias uniform in ±1/√FanIn (that is
    /// kaiming-uniform with a = √5, whose bound is √(6/((1+a²)·FanIn)) = 1/√FanIn). Conv units follow
    /// <paramref name="init"/>: see <see cref="UnitInit"/>.
    /// </summary>
    public static float[][] InitialVectors(NetworkPlan plan, int seed, UnitInit init = UnitInit.Tied)
    {
        var rng = new Random(seed);
        var layers = new float[plan.Layers.Count][];
        foreach (var l in plan.Layers)
        {
            int stride = l.FanIn + 1;
            float bound = 1f / MathF.Sqrt(l.FanIn);
            var v = new float[(long)l.UnitCount * stride];
            if (l.Kind != LayerKind.Conv || init == UnitInit.Conv2d)
            {
                // One draw per value, unit by unit (map by map, position by position for conv):
                // for dense layers the same draws as the tied case, whose "maps" are single neurons.
                for (long i = 0; i < v.Length; i++) v[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
            }
            else if (init == UnitInit.HeNormal)
            {
                double std = Math.Sqrt(2.0 / l.FanIn);
                for (int u = 0; u < l.UnitCount; u++)
                {
                    long at = (long)u * stride;
                    for (int i = 0; i < l.FanIn; i++) v[at + i] = (float)(std * StandardNormal(rng));
                    // The bias (v[at + FanIn]) stays 0.
                }
            }
            else
            {
                int perMap = l.OutHeight * l.OutWidth;
                var kernel = new float[stride];
                for (int m = 0; m < l.OutMaps; m++)
                {
                    for (int i = 0; i < stride; i++) kernel[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
                    for (int p = 0; p < perMap; p++) kernel.CopyTo(v, (long)(m * perMap + p) * stride);
                }
            }
            layers[l.Index] = v;
        }
        return layers;
    }

    /// <summary>One N(0, 1) draw by the Box–Muller transform (two uniforms per draw; the second normal is not kept, so the stream does not depend on call parity).</summary>
    private static double StandardNormal(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(); // (0, 1]: the logarithm stays finite
        double u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
