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
    /// whose window holds (y, x); a position no window reads (cut off by a stride or valid
    /// padding) sends nothing. Dense layers: one tree (a path) per input position or, after a
    /// dense layer, per input neuron, to the layer's one point. Column conv in closed form: the
    /// consumers of (y, x) fill a rows(y) × cols(x) rectangle of units (<see cref="WeightedLayer.Consumers"/>),
    /// so its tree has L + span_X(x) + cols(x)·span_Y(y) hops, where span is the extent along
    /// that axis of the consumers' points and the source's point together and
    /// L = <see cref="InputLevelHops"/> (LayerHops·(l − source), 0 for the first layer); summed over the read positions, N_Y·N_X·L + N_Y·Σspan_X +
    /// Σcols·Σspan_Y. (For stride 1 and same padding the source is one of the consumers and this
    /// is n·(L − s) + s·R_H·R_W with the window pair counts of <see cref="AxisSums"/>.)
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
        long level = InputLevelHops(l);
        var (ny, spanY, _) = AxisTrees(l, l.InHeight, l.OutHeight);
        var (nx, spanX, colsX) = AxisTrees(l, l.InWidth, l.OutWidth);
        long positions = ny * nx;
        long bytes = (long)l.InChannels * batch * FabricModel.FloatBytes;
        long hops = positions * level + ny * spanX + colsX * spanY;
        return new TransportCost(positions, positions, positions * bytes, hops, hops * bytes);
    }

    /// <summary>
    /// Along one axis of conv layer <paramref name="l"/>: the input positions some window reads
    /// (<c>Read</c>), the sum over them of the span in hops of their consumers' points and their
    /// own point (<c>Span</c>), and the sum of their consumer counts (<c>Consumers</c>).
    /// </summary>
    private (long Read, long Span, long Consumers) AxisTrees(WeightedLayer l, int inSize, int outSize)
    {
        long step = InputSpacing(l.Index), unit = _stride[l.Index];
        long read = 0, span = 0, consumers = 0;
        for (int y = 0; y < inSize; y++)
        {
            var (first, last) = l.Consumers(y, outSize);
            if (first > last) continue;
            read++;
            consumers += last - first + 1;
            long source = y * step;
            span += Math.Max(source, last * unit) - Math.Min(source, first * unit);
        }
        return (read, span, consumers);
    }

    /// <summary>
    /// Under multicast, the trees whose counts unit <paramref name="unit"/> adds to the ledger per
    /// batch: all trees of a conv layer's input position (y, x) are accounted by their anchor, the
    /// consumer unit (map 0, a(y), a(x)) with a(y) = ⌊y/S⌋ clamped to the units that read row y
    /// (for stride 1 and same padding the unit (0, y, x) itself: offset 0 of its own window); all
    /// trees into a dense layer by neuron 0. Every other unit accounts for nothing, so a layer's
    /// units sum to <see cref="LayerMulticast"/>.
    /// </summary>
    public TransportCost UnitMulticastShare(UnitCoord unit, int batch)
    {
        var l = Plan.Layers[unit.Layer];
        Place(unit); // checks the coordinates
        if (unit.Map != 0) return TransportCost.Zero;
        if (l.Kind == LayerKind.Dense) return DenseMulticast(l, batch);
        var sum = TransportCost.Zero;
        var (y0, rows) = l.WindowRows(unit.U, l.InHeight);
        var (x0, cols) = l.WindowRows(unit.V, l.InWidth);
        for (int y = y0; y < y0 + rows; y++)
        {
            if (Anchor(l, y, l.OutHeight) != unit.U) continue;
            for (int x = x0; x < x0 + cols; x++)
                if (Anchor(l, x, l.OutWidth) == unit.V) sum += PositionMulticast(l, y, x, batch);
        }
        return sum;
    }

    /// <summary>The anchor row (or column) of input row <paramref name="y"/>: ⌊y/S⌋ clamped to its consumers (−1 when none).</summary>
    private static int Anchor(WeightedLayer l, int y, int outSize)
    {
        var (first, last) = l.Consumers(y, outSize);
        return first > last ? -1 : Math.Clamp(y / l.Stride, first, last);
    }

    /// <summary>The trees into a dense layer: one path per input position or input neuron to the layer's point.</summary>
    private TransportCost DenseMulticast(WeightedLayer l, int batch)
    {
        var sum = TransportCost.Zero;
        if (l.Source >= 0 && Plan.Layers[l.Source].Kind == LayerKind.Dense)
        {
            long bytes = (long)batch * FabricModel.FloatBytes;
            MeshPoint[] target = [Place(new UnitCoord(l.Index, 0, 0, 0))];
            for (int i = 0; i < l.InChannels; i++)
                sum += TransportCost.Single(bytes, TreeHops(Place(new UnitCoord(l.Source, i, 0, 0)), target));
            return sum;
        }
        for (int y = 0; y < l.InHeight; y++)
            for (int x = 0; x < l.InWidth; x++)
                sum += PositionMulticast(l, y, x, batch);
        return sum;
    }

    /// <summary>
    /// The tree (Spread: one tree per source map) of input position (y, x) of layer
    /// <paramref name="l"/> per batch; nothing for a conv input position that no window reads.
    /// Under Column the maps of a unit share its point, so map 0's points stand for all.
    /// </summary>
    private TransportCost PositionMulticast(WeightedLayer l, int y, int x, int batch)
    {
        var targets = new List<MeshPoint>();
        if (l.Kind == LayerKind.Dense) targets.Add(Place(new UnitCoord(l.Index, 0, 0, 0)));
        else
        {
            var (u0, u1) = l.Consumers(y, l.OutHeight);
            var (v0, v1) = l.Consumers(x, l.OutWidth);
            if (u0 > u1 || v0 > v1) return TransportCost.Zero;
            int maps = Options.Layout == MapLayout.Column ? 1 : l.OutMaps;
            for (int m = 0; m < maps; m++)
                for (int u = u0; u <= u1; u++)
                    for (int v = v0; v <= v1; v++)
                        targets.Add(Place(new UnitCoord(l.Index, m, u, v)));
        }
        return FromSources(l, y, x, batch, source => TreeHops(source, targets));
    }
}
