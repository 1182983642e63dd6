using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;

namespace NodeMesh.Core.Fabric;

/// <summary>
/// Multicast activation transport (<see cref="FabricCast.Multicast"/>): every packet a layer's
/// input is made of leaves its source once and travels its XY multicast tree to all its consumer
/// points; the input errors return over the same tree, summed where branches meet, so every tree
/// link carries one partial sum back and the error transport mirrors the activation transport.
/// </summary>
public sealed partial class FabricLayout
{
    /// <summary>
    /// Hops of the XY multicast tree from <paramref name="source"/> to <paramref name="targets"/>
    /// (all on one level): the union of the dimension-ordered routes (level first, then X, then Y)
    /// from the source to every target, each link counted once. The packet climbs
    /// LayerHops·|Δlevel| at the source, runs along X on the source's row to the westmost and the
    /// eastmost target column, and in every target column branches along Y from the source's row
    /// to the farthest target on each side:
    /// <code>LayerHops·|Δlevel| + (max X − min X) + Σ over target columns x of (max Y − min Y)</code>
    /// where each maximum and minimum includes the source's coordinate. Targets at one point (the
    /// maps of a column) share it. No targets: 0 hops.
    /// </summary>
    /// <exception cref="ArgumentException">The targets are not all on one level.</exception>
    public long TreeHops(MeshPoint source, IReadOnlyList<MeshPoint> targets)
    {
        if (targets.Count == 0) return 0;
        int level = targets[0].Level;
        int west = source.X, east = source.X;
        var columns = new Dictionary<int, (int North, int South)>();
        foreach (var t in targets)
        {
            if (t.Level != level) throw new ArgumentException($"the targets of one tree must share a level ({level} and {t.Level})", nameof(targets));
            west = Math.Min(west, t.X);
            east = Math.Max(east, t.X);
            columns[t.X] = columns.TryGetValue(t.X, out var c)
                ? (Math.Min(c.North, t.Y), Math.Max(c.South, t.Y))
                : (Math.Min(source.Y, t.Y), Math.Max(source.Y, t.Y));
        }
        long hops = (long)Options.LayerHops * Math.Abs(level - source.Level) + (east - west);
        foreach (var (north, south) in columns.Values) hops += south - north;
        return hops;
    }

    /// <summary>
    /// The multicast trees of layer <paramref name="l"/>'s input per batch. A conv layer's input
    /// position (y, x) is one logical message carrying its C channels (as under unicast): one
    /// packet of C·B floats from the input pixel or (Column) the shared pooling site, or (Spread)
    /// one packet of B floats from each source map's pooling site, to the points of every unit
    /// whose window holds (y, x). Dense layers: one tree (a path) per input position or, after a
    /// dense layer, per input neuron, to the layer's one point. Column conv in closed form: with
    /// n = H·W positions, R_H, R_W the window pair counts of <see cref="AxisSums"/>, s the stride and
    /// L = LayerHops·[l &gt; 0], the consumers of a position fill a rows × cols rectangle of units
    /// s hops apart that contains the source's point, so its tree has L + s·(rows·cols − 1) hops
    /// and the layer n·(L − s) + s·R_H·R_W.
    /// </summary>
    public TransportCost LayerMulticast(WeightedLayer l, int batch)
    {
        if (l.Kind == LayerKind.Dense) return DenseMulticast(l, batch);
        if (Options.Layout == MapLayout.Spread)
        {
            var sum = TransportCost.Zero;
            for (int y = 0; y < l.InHeight; y++)
                for (int x = 0; x < l.InWidth; x++)
                    sum += PositionMulticast(l, y, x, batch);
            return sum;
        }
        int s = _stride[l.Index], p = l.Padding;
        long level = l.Index == 0 ? 0 : Options.LayerHops;
        long positions = (long)l.InHeight * l.InWidth;
        long bytes = (long)l.InChannels * batch * FabricModel.FloatBytes;
        long pairs = AxisSums(l.InHeight, p, s, 0).Count * AxisSums(l.InWidth, p, s, 0).Count;
        long hops = positions * (level - s) + s * pairs;
        return new TransportCost(positions, positions, positions * bytes, hops, hops * bytes);
    }

    /// <summary>
    /// Under multicast, the trees whose counts unit <paramref name="unit"/> adds to the ledger per
    /// batch: all trees of a conv layer's input position (y, x) are accounted by their anchor, the
    /// consumer unit (map 0, y, x) (a conv layer keeps its input's H×W grid, and that unit is
    /// always a consumer: offset 0 of its own window); all trees into a dense layer by neuron 0.
    /// Every other unit accounts for nothing, so a layer's units sum to <see cref="LayerMulticast"/>.
    /// </summary>
    public TransportCost UnitMulticastShare(UnitCoord unit, int batch)
    {
        var l = Plan.Layers[unit.Layer];
        Place(unit); // checks the coordinates
        if (unit.Map != 0) return TransportCost.Zero;
        return l.Kind == LayerKind.Conv ? PositionMulticast(l, unit.U, unit.V, batch) : DenseMulticast(l, batch);
    }

    /// <summary>The trees into a dense layer: one path per input position or input neuron to the layer's point.</summary>
    private TransportCost DenseMulticast(WeightedLayer l, int batch)
    {
        var sum = TransportCost.Zero;
        if (l.Index > 0 && Plan.Layers[l.Index - 1].Kind == LayerKind.Dense)
        {
            long bytes = (long)batch * FabricModel.FloatBytes;
            MeshPoint[] target = [Place(new UnitCoord(l.Index, 0, 0, 0))];
            for (int i = 0; i < l.InChannels; i++)
                sum += TransportCost.Single(bytes, TreeHops(Place(new UnitCoord(l.Index - 1, i, 0, 0)), target));
            return sum;
        }
        for (int y = 0; y < l.InHeight; y++)
            for (int x = 0; x < l.InWidth; x++)
                sum += PositionMulticast(l, y, x, batch);
        return sum;
    }

    /// <summary>The tree (Spread: one tree per source map) of input position (y, x) of layer <paramref name="l"/> per batch.</summary>
    private TransportCost PositionMulticast(WeightedLayer l, int y, int x, int batch)
    {
        var targets = new List<MeshPoint>();
        if (l.Kind == LayerKind.Dense) targets.Add(Place(new UnitCoord(l.Index, 0, 0, 0)));
        else
        {
            int p = l.Padding;
            for (int m = 0; m < l.OutMaps; m++)
                for (int u = Math.Max(y - p, 0); u <= Math.Min(y + p, l.OutHeight - 1); u++)
                    for (int v = Math.Max(x - p, 0); v <= Math.Min(x + p, l.OutWidth - 1); v++)
                        targets.Add(Place(new UnitCoord(l.Index, m, u, v)));
        }
        return FromSources(l, y, x, batch, source => TreeHops(source, targets));
    }
}
