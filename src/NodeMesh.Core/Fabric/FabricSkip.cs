using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Fabric;

/// <summary>
/// The skip transport of residual blocks (<see cref="WeightedLayer.Skip"/>). The add of a block
/// happens at the units of its last conv L, before their activation: forward, unit (L, m, u, v)
/// receives value (m, u, v) of the skip source S's output (after S's activation and pools; S's
/// output grid is L's unit grid) from where S produces it, its output site
/// (<see cref="OutputSite"/>); backward, the unit's delta (the gradient at its pre-activation,
/// which is also the gradient at S's output through the add) goes back the same way. Per sample
/// that is one message of one float per unit and direction (B floats per batch, as a pool message),
/// routed XY: |Δy| + |Δx| + <see cref="LevelHops"/>(S, L) hops. Under the Column layout with the
/// shapes ResNet uses (S's output spacing equals L's, <see cref="Stride"/>) every message travels
/// only the levels between S and L. Multicast changes nothing (each value has one consumer).
/// </summary>
public sealed partial class FabricLayout
{
    /// <summary>
    /// The skip messages of tile <paramref name="t"/> of layer <paramref name="l"/> per batch of
    /// <paramref name="batch"/> samples, in one direction (forward into the tile's units; backward
    /// the mirror, the same cost): one message of B floats per unit of the tile, each routed from
    /// the skip source's output site of (m, u, v) to unit (m, u, v); zero without a skip. Summed
    /// over a layer's tiles this is <see cref="SkipTransfers(WeightedLayer, int)"/>.
    /// </summary>
    public TransportCost SkipTransfers(WeightedLayer l, Tile t, int batch)
    {
        if (l.Skip is not int s) return TransportCost.Zero;
        long hops = 0;
        for (int m = 0; m < t.Maps; m++)
            for (int u = t.U0; u < t.U1; u++)
                for (int v = t.V0; v < t.V1; v++)
                    hops += Hops(OutputSite(s, m, u, v), Place(new UnitCoord(l.Index, m, u, v)));
        long messages = (long)t.Maps * t.Positions, bytes = (long)batch * FabricModel.FloatBytes;
        return new TransportCost(messages, messages, messages * bytes, hops, hops * bytes);
    }

    /// <summary>
    /// The skip messages of all units of layer <paramref name="l"/> per batch, one direction, in
    /// closed form: M·H·W messages of B floats; unit (m, u, v) sits u·a + oy(m) hops down, its
    /// source u·b + sy(m) (a = <see cref="Stride"/>(L), b = Stride(S)·S's pool factor, o and s the
    /// <see cref="MapOffset"/>s), so the hops separate by axis: per map
    /// W·Σ_u |u(a − b) + oy − sy| + H·Σ_v |v(a − b) + ox − sx| + H·W·LevelHops(S, L).
    /// </summary>
    public TransportCost SkipTransfers(WeightedLayer l, int batch)
    {
        if (l.Skip is not int s) return TransportCost.Zero;
        var source = Plan.Layers[s];
        long slope = _stride[l.Index] - (long)_stride[s] * source.PoolFactor;
        int h = l.OutHeight, w = l.OutWidth;
        long level = LevelHops(s, l.Index), hops = 0;
        for (int m = 0; m < l.OutMaps; m++)
        {
            var (ty, tx) = MapOffset(l.Index, m);
            var (sy, sx) = MapOffset(s, m);
            hops += w * AbsSum(h, slope, ty - sy) + h * AbsSum(w, slope, tx - sx) + (long)h * w * level;
        }
        long messages = (long)l.OutMaps * h * w, bytes = (long)batch * FabricModel.FloatBytes;
        return new TransportCost(messages, messages, messages * bytes, hops, hops * bytes);
    }

    /// <summary>Σ over u ∈ [0, n) of |u·slope + offset|.</summary>
    private static long AbsSum(int n, long slope, long offset)
    {
        if (slope == 0) return n * Math.Abs(offset);
        long sum = 0;
        for (int u = 0; u < n; u++) sum += Math.Abs(u * slope + offset);
        return sum;
    }
}
