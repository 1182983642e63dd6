using NodeMesh.Core.Model;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Metrics;

/// <summary>
/// The logical message model of the emulated processor-in-memory fabric. Each unit sits at its
/// (u, v); the maps of one position share a column, so one message carries all channels of a
/// position. Logical messages are counted per batch (a message carries the B values of the
/// batch for each float it names):
/// <list type="bullet">
/// <item>activation into a conv unit: one message per in-bounds position of its K×K window (at its
///   stride and padding; padding sends nothing), C·B floats;</item>
/// <item>activation into a dense unit: one message per input position (C·B floats) after a conv
///   layer or the image, one per neuron (B floats) after a dense layer;</item>
/// <item>error out of a unit (not in the first layer): the mirror image of its activation inputs;</item>
/// <item>pooling: in each window of K² units (the whole map for <c>gap</c>) the K²−1 non-site units
///   send B floats to the window's site (activation) and receive B floats back (error); where
///   windows overlap a unit sends to every window it is in;</item>
/// <item>loss: each output neuron sends its B logits to the loss site and receives B deltas;</item>
/// <item>skip (the last conv of a residual block, <see cref="WeightedLayer.Skip"/>): each unit
///   (m, u, v) receives value (m, u, v) of the skip source's output (B floats, activation) and
///   sends its delta back (B floats, error), one message each way.</item>
/// </list>
/// </summary>
public static class FabricModel
{
    public const int FloatBytes = 4;

    /// <summary>Logical activation messages into one unit per batch, and floats per sample each carries.</summary>
    public static (int Messages, int FloatsPerSample) UnitInputs(NetworkPlan plan, WeightedLayer l, int u, int v)
    {
        if (l.Kind == LayerKind.Conv)
        {
            int rows = l.WindowRows(u, l.InHeight).Count, cols = l.WindowRows(v, l.InWidth).Count;
            return (rows * cols, l.InChannels);
        }
        bool afterDense = l.Source >= 0 && plan.Layers[l.Source].Kind == LayerKind.Dense;
        return afterDense ? (l.InChannels, 1) : (l.InHeight * l.InWidth, l.InChannels);
    }

    /// <summary>Logical pool messages of a tile per batch in each direction (messages, floats per sample each).</summary>
    public static long PoolMessages(WeightedLayer l, Tile t)
    {
        long total = 0;
        int h = t.Height, w = t.Width;
        foreach (var op in l.PostOps)
        {
            if (op is not PoolSpec p) continue;
            var (kh, kw) = p.Window(h, w);
            (h, w) = p.Output(h, w);
            total += (long)h * w * t.Maps * (kh * kw - 1);
        }
        return total;
    }

    /// <summary>
    /// Logical skip messages of a tile per batch in each direction, one float per sample each: one
    /// per unit of a residual block's last conv (its input from the skip source forward, its delta
    /// back), 0 for a layer without a skip.
    /// </summary>
    public static long SkipMessages(WeightedLayer l, Tile t) => l.Skip is null ? 0 : (long)t.Maps * t.Positions;

    /// <summary>Payload bytes of one unit's tying message: its FanIn weights (or gradients) and bias.</summary>
    public static int SyncBytes(WeightedLayer l) => (l.FanIn + 1) * FloatBytes;
}
