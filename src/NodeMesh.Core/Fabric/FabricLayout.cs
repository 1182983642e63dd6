using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Fabric;

/// <summary>
/// Placement of every unit, reducer, input pixel and the loss site on the emulated
/// processor-in-memory fabric, and XY routing between them. All coordinates are in hops.
/// <list type="bullet">
/// <item>Conv unit (l, m, u, v) sits at (u·s, v·s) on level l, where s = <see cref="Stride"/>(l) is
///   the product of the conv strides up to and including l and the pool strides of the layers
///   before l on the chain of <see cref="WeightedLayer.Source"/>s that leads to l (the reference
///   net: conv1 s = 1, conv2 s = 2; a residual block's projection shortcut and first conv, which
///   both read the block's input, get the same spacing), i.e. over input position
///   (u·S, v·S) of its layer, S its conv stride: the receptive-field centre for a stride-1 layer
///   with same padding, the window's corner shifted by the padding otherwise. With
///   <see cref="MapLayout.Spread"/> map m is shifted by <see cref="MapOffset"/>.</item>
/// <item>Dense neuron o of layer l sits at the centre of its source layer's grid, on level l
///   (one level above the previous layer): Column (⌊H/2⌋·s, ⌊W/2⌋·s) with H×W the previous conv
///   layer's unit grid and s its stride; Spread (⌊R·H/2⌋·s, ⌊c·W/2⌋·s) with c×R the block grid of
///   its maps; after a dense layer, the previous layer's point; as the first layer, the centre
///   (⌊H/2⌋, ⌊W/2⌋) of the input image. All neurons of a dense layer share that point.</item>
/// <item>The star reducer of map m of conv layer l sits at its map centre, unit (m, ⌊H/2⌋, ⌊W/2⌋)
///   (the same point as that unit, so their messages travel 0 hops).</item>
/// <item>Input pixel (y, x) enters at (y, x) on level 0: 0 layer hops into the first layer.</item>
/// <item>The value (y, x) of a conv layer's pooled output lives at its pooling site, the top-left
///   unit of its window: unit (m, y·P, x·P), P = the layer's pool factor (product of pool strides;
///   unit (m, 0, 0) for <c>gap</c>).</item>
/// <item>The loss site is the point of the last (dense) layer: logits and deltas travel 0 hops.</item>
/// </list>
/// Routing is dimension-ordered (XY), so a message from a to b travels
/// |Δy| + |Δx| + LayerHops·|Δlevel| hops (<see cref="Hops(MeshPoint, MeshPoint)"/>).
/// <para>
/// Layers sit on the levels of a stack in plan order (layer l on level l), and an edge between
/// layers climbs through every level between them: from layer a to layer b it costs
/// LayerHops·(b − a) level hops (<see cref="LevelHops"/>), LayerHops for adjacent layers as
/// always. A residual net has longer edges: a block's skip from its input (identity shortcut,
/// two or more levels below the block's last conv) or from its projection shortcut (two levels
/// below), and the edge into a projection block's first conv from the block's input (two levels:
/// the shortcut's level lies between them).
/// </para>
/// </summary>
public sealed partial class FabricLayout
{
    private readonly int[] _stride;
    private readonly int[] _mapColumns;
    private readonly int[] _mapRows;
    private readonly (int Y, int X)[] _densePoint;

    public NetworkPlan Plan { get; }
    public FabricOptions Options { get; }

    public FabricLayout(NetworkPlan plan, FabricOptions? options = null)
    {
        Plan = plan;
        Options = (options ?? FabricOptions.Default).Validate();
        int n = plan.Layers.Count;
        _stride = new int[n];
        _mapColumns = new int[n];
        _mapRows = new int[n];
        _densePoint = new (int, int)[n];
        for (int i = 0; i < n; i++)
        {
            var l = plan.Layers[i];
            // Hops between neighbouring positions of layer i's input grid: those of its source's output.
            int s = l.Source < 0 ? 1 : _stride[l.Source] * plan.Layers[l.Source].PoolFactor;
            _stride[i] = s * l.Stride;
            bool spread = Options.Layout == MapLayout.Spread && l.Kind == LayerKind.Conv;
            _mapColumns[i] = spread ? CeilSqrt(l.OutMaps) : 1;
            _mapRows[i] = spread ? (l.OutMaps + _mapColumns[i] - 1) / _mapColumns[i] : 1;
            if (l.Kind != LayerKind.Dense) continue;
            if (l.Source < 0) { _densePoint[i] = (plan.InputHeight / 2, plan.InputWidth / 2); continue; }
            int j = l.Source;
            var prev = plan.Layers[j];
            _densePoint[i] = prev.Kind == LayerKind.Dense
                ? _densePoint[j]
                : (_mapRows[j] * prev.OutHeight / 2 * _stride[j], _mapColumns[j] * prev.OutWidth / 2 * _stride[j]);
        }
    }

    /// <summary>Smallest c with c·c ≥ <paramref name="m"/> (⌈√m⌉ for m ≥ 1).</summary>
    public static int CeilSqrt(int m)
    {
        int c = (int)Math.Sqrt(m);
        while (c * c < m) c++;
        while (c > 1 && (c - 1) * (c - 1) >= m) c--;
        return Math.Max(c, 1);
    }

    /// <summary>
    /// Mesh stride s of layer <paramref name="layer"/> in hops: the product of its conv stride and
    /// the conv strides and pool factors of the layers before it. Grid-adjacent units of a conv map
    /// are s hops apart; neighbouring positions of its input grid s / (conv stride) hops.
    /// </summary>
    public int Stride(int layer) => _stride[layer];

    /// <summary>
    /// Level hops of an edge from layer <paramref name="from"/> (−1: the images, which enter on
    /// level 0) up to layer <paramref name="to"/>: LayerHops·|to − max(from, 0)|. The stack holds
    /// one level per layer in plan order, so an edge that skips layers climbs through their levels.
    /// </summary>
    public long LevelHops(int from, int to) => (long)Options.LayerHops * Math.Abs(to - Math.Max(from, 0));

    /// <summary>Level hops of layer <paramref name="l"/>'s input edge, from its <see cref="WeightedLayer.Source"/> (0 for the first layer).</summary>
    public long InputLevelHops(WeightedLayer l) => LevelHops(l.Source, l.Index);

    /// <summary>Hops between neighbouring positions of <paramref name="layer"/>'s input grid: s / conv stride.</summary>
    public int InputSpacing(int layer) => _stride[layer] / Plan.Layers[layer].Stride;

    /// <summary>Hops between two grid-adjacent units of one map of <paramref name="layer"/> (= its stride).</summary>
    public int LinkHops(int layer) => _stride[layer];

    /// <summary>Block columns c of the Spread layout of <paramref name="layer"/> (⌈√M⌉; 1 under Column or for a dense layer).</summary>
    public int MapColumns(int layer) => _mapColumns[layer];

    /// <summary>Block rows ⌈M / c⌉ of the Spread layout of <paramref name="layer"/> (1 under Column or for a dense layer).</summary>
    public int MapRows(int layer) => _mapRows[layer];

    /// <summary>
    /// Offset in hops (Y, X) of map <paramref name="map"/> of a conv layer: (0, 0) under Column;
    /// under Spread ((m / c)·H·s, (m % c)·W·s) with c = ⌈√M⌉, H×W the layer's unit grid and s its stride.
    /// </summary>
    public (int Y, int X) MapOffset(int layer, int map)
    {
        var l = Plan.Layers[layer];
        if (Options.Layout == MapLayout.Column || l.Kind == LayerKind.Dense) return (0, 0);
        int c = _mapColumns[layer], s = _stride[layer];
        return (map / c * l.OutHeight * s, map % c * l.OutWidth * s);
    }

    /// <summary>Mesh point of a unit (a conv unit, or dense neuron Map with U = V = 0).</summary>
    public MeshPoint Place(UnitCoord unit)
    {
        if ((uint)unit.Layer >= (uint)Plan.Layers.Count)
            throw new ArgumentOutOfRangeException(nameof(unit), $"layer {unit.Layer} is not in the plan ({Plan.Layers.Count} layers)");
        var l = Plan.Layers[unit.Layer];
        if ((uint)unit.Map >= (uint)l.OutMaps || (uint)unit.U >= (uint)l.OutHeight || (uint)unit.V >= (uint)l.OutWidth)
            throw new ArgumentOutOfRangeException(nameof(unit), $"{unit} is outside {l.Name} ({l.OutMaps} maps of {l.OutHeight}x{l.OutWidth})");
        if (l.Kind == LayerKind.Dense)
        {
            var (dy, dx) = _densePoint[unit.Layer];
            return new MeshPoint(dy, dx, unit.Layer);
        }
        int s = _stride[unit.Layer];
        var (oy, ox) = MapOffset(unit.Layer, unit.Map);
        return new MeshPoint(unit.U * s + oy, unit.V * s + ox, unit.Layer);
    }

    /// <summary>Mesh point where input pixel (y, x) enters (all its channels): (y, x) on level 0.</summary>
    public MeshPoint InputPlace(int y, int x) => new(y, x, 0);

    /// <summary>
    /// Mesh point of value (y, x) of map <paramref name="map"/> of layer <paramref name="layer"/>'s
    /// output after its post-ops (pooled grid): the pooling site, unit (map, y·P, x·P). For a dense
    /// layer, neuron <paramref name="map"/>.
    /// </summary>
    public MeshPoint OutputSite(int layer, int map, int y, int x)
    {
        var l = Plan.Layers[layer];
        if (l.Kind == LayerKind.Dense) return Place(new UnitCoord(layer, map, 0, 0));
        int p = l.PoolFactor;
        return Place(new UnitCoord(layer, map, y * p, x * p));
    }

    /// <summary>Mesh point of the star reducer of map <paramref name="map"/> of conv layer <paramref name="layer"/>: its map centre (⌊H/2⌋, ⌊W/2⌋).</summary>
    public MeshPoint ReducerPlace(int layer, int map)
    {
        var l = Plan.Layers[layer];
        return Place(new UnitCoord(layer, map, l.OutHeight / 2, l.OutWidth / 2));
    }

    /// <summary>Mesh point of the loss site: the point of the last (dense) layer.</summary>
    public MeshPoint LossPlace => Place(new UnitCoord(Plan.Layers.Count - 1, 0, 0, 0));

    /// <summary>XY-routed hops from <paramref name="a"/> to <paramref name="b"/>: |Δy| + |Δx| + LayerHops·|Δlevel|.</summary>
    public int Hops(MeshPoint a, MeshPoint b) =>
        Math.Abs(a.Y - b.Y) + Math.Abs(a.X - b.X) + Options.LayerHops * Math.Abs(a.Level - b.Level);

    /// <summary>XY-routed hops between two units.</summary>
    public int Hops(UnitCoord a, UnitCoord b) => Hops(Place(a), Place(b));

    /// <summary>Hops between the unit at map position p = u·W + v of map <paramref name="map"/> and the map's star reducer.</summary>
    public int HopsToReducer(int layer, int map, int position)
    {
        var l = Plan.Layers[layer];
        return Hops(Place(new UnitCoord(layer, map, position / l.OutWidth, position % l.OutWidth)), ReducerPlace(layer, map));
    }

    /// <summary>
    /// Hops of one tying message between map positions <paramref name="from"/> and <paramref name="to"/>
    /// (p = u·W + v; <see cref="SyncEdge.Reducer"/> for the star reducer) of any map of conv layer
    /// <paramref name="layer"/>: the grid distance times the stride (the same for every map).
    /// </summary>
    public int SyncHops(int layer, int from, int to)
    {
        var l = Plan.Layers[layer];
        MeshPoint At(int p) => p == SyncEdge.Reducer
            ? ReducerPlace(layer, 0)
            : Place(new UnitCoord(layer, 0, p / l.OutWidth, p % l.OutWidth));
        return Hops(At(from), At(to));
    }

    // ---- per-message transport, for the actors ----------------------------------------------

    /// <summary>
    /// The activation transport one unit accounts for per batch of <paramref name="batch"/>
    /// samples; for a layer other than the first, its input-error transport is the mirror image
    /// and costs the same. Unicast: the messages into the unit (those of
    /// <see cref="FabricModel.UnitInputs"/>: each carries its floats × B, 4 bytes per float).
    /// Multicast: the trees the unit anchors (<see cref="UnitMulticastShare"/>). Summed over a
    /// layer's units this is <see cref="LayerInputs"/> under either cast.
    /// </summary>
    public TransportCost UnitInputs(UnitCoord unit, int batch) =>
        Options.Cast == FabricCast.Multicast ? UnitMulticastShare(unit, batch) : UnitUnicastInputs(unit, batch);

    /// <summary>The unicast messages into one unit per batch (see <see cref="UnitInputs"/>).</summary>
    private TransportCost UnitUnicastInputs(UnitCoord unit, int batch)
    {
        var l = Plan.Layers[unit.Layer];
        var target = Place(unit);
        var cost = TransportCost.Zero;
        if (l.Kind == LayerKind.Conv)
        {
            var (y0, rows) = l.WindowRows(unit.U, l.InHeight);
            var (x0, cols) = l.WindowRows(unit.V, l.InWidth);
            for (int y = y0; y < y0 + rows; y++)
                for (int x = x0; x < x0 + cols; x++)
                    cost += PositionMessage(target, l, y, x, batch);
            return cost;
        }
        if (l.Source >= 0 && Plan.Layers[l.Source].Kind == LayerKind.Dense)
        {
            long bytes = (long)batch * FabricModel.FloatBytes;
            for (int i = 0; i < l.InChannels; i++)
                cost += TransportCost.Single(bytes, Hops(Place(new UnitCoord(l.Source, i, 0, 0)), target));
            return cost;
        }
        for (int y = 0; y < l.InHeight; y++)
            for (int x = 0; x < l.InWidth; x++)
                cost += PositionMessage(target, l, y, x, batch);
        return cost;
    }

    /// <summary>
    /// One message carrying all C input channels of position (y, x) of layer l's input grid (the
    /// output of its <see cref="WeightedLayer.Source"/>) to
    /// <paramref name="target"/>: one packet from the input pixel or (Column) the shared pooling
    /// site; under Spread one packet of B floats from each source map's pooling site.
    /// </summary>
    private TransportCost PositionMessage(MeshPoint target, WeightedLayer l, int y, int x, int batch) =>
        FromSources(l, y, x, batch, source => Hops(source, target));

    /// <summary>
    /// The cost of moving position (y, x) of layer l's input grid (all C channels, B floats each)
    /// from where it is produced, given the hops that one packet takes from a source
    /// (<paramref name="hopsFrom"/>: to one consumer for unicast, along the tree for multicast):
    /// one packet from the input pixel or (Column) the shared pooling site; under Spread one packet
    /// of B floats from each source map's pooling site.
    /// </summary>
    private TransportCost FromSources(WeightedLayer l, int y, int x, int batch, Func<MeshPoint, long> hopsFrom)
    {
        long perChannel = (long)batch * FabricModel.FloatBytes;
        int c = l.InChannels;
        if (l.Source < 0) return TransportCost.Single(c * perChannel, hopsFrom(InputPlace(y, x)));
        if (Options.Layout == MapLayout.Column || c == 1)
            return TransportCost.Single(c * perChannel, hopsFrom(OutputSite(l.Source, 0, y, x)));
        long hops = 0;
        for (int ch = 0; ch < c; ch++) hops += hopsFrom(OutputSite(l.Source, ch, y, x));
        return new TransportCost(1, c, c * perChannel, hops, hops * perChannel);
    }

    /// <summary>
    /// Transport of the pooling messages of tile <paramref name="t"/> per batch, in one direction
    /// (the gather of the forward pass; the scatter of the backward pass is its mirror): in each
    /// K×K window the K²−1 non-site units send B floats to the site (the window's top-left unit;
    /// with overlapping windows a unit sends to each window it is in). A member at offset (a, b)
    /// of the window travels (a + b)·q·s hops, q the product of the layer's earlier pool strides,
    /// so a window costs K²(K−1)·q·s hops; a Kh×Kw window (<c>gap</c>: the whole map)
    /// [Kw·Kh(Kh−1)/2 + Kh·Kw(Kw−1)/2]·q·s.
    /// </summary>
    public TransportCost PoolTransfers(WeightedLayer l, Tile t, int batch) => Pool(l, t.Height, t.Width, t.Maps, batch);

    /// <summary>The pooling messages of a whole layer per batch, one direction (see <see cref="PoolTransfers(WeightedLayer, Tile, int)"/>).</summary>
    public TransportCost PoolTransfers(WeightedLayer l, int batch) => Pool(l, l.OutHeight, l.OutWidth, l.OutMaps, batch);

    private TransportCost Pool(WeightedLayer l, int h, int w, int maps, int batch)
    {
        long bytes = (long)batch * FabricModel.FloatBytes;
        long s = _stride[l.Index], q = 1;
        var cost = TransportCost.Zero;
        foreach (var op in l.PostOps)
        {
            if (op is not PoolSpec p) continue;
            var (kh, kw) = p.Window(h, w);
            (h, w) = p.Output(h, w);
            long windows = (long)h * w * maps;
            long messages = windows * ((long)kh * kw - 1);
            long hops = windows * ((long)kw * kh * (kh - 1) / 2 + (long)kh * kw * (kw - 1) / 2) * q * s;
            cost += new TransportCost(messages, messages, messages * bytes, hops, hops * bytes);
            q *= p.Stride;
        }
        return cost;
    }

    /// <summary>
    /// The loss flows per batch, one direction: each output neuron sends its B logits to the loss
    /// site (and receives B deltas back). 0 hops with the loss site at the last layer's point.
    /// </summary>
    public TransportCost LossTransfers(int batch)
    {
        int last = Plan.Layers.Count - 1;
        long bytes = (long)batch * FabricModel.FloatBytes;
        var cost = TransportCost.Zero;
        for (int o = 0; o < Plan.Layers[last].OutMaps; o++)
            cost += TransportCost.Single(bytes, Hops(Place(new UnitCoord(last, o, 0, 0)), LossPlace));
        return cost;
    }

    // ---- tying messages ---------------------------------------------------------------------

    /// <summary>
    /// The tying messages of one exchange of one map of an H×W grid, in the actors' protocol:
    /// <list type="bullet">
    /// <item>star: each position sends to the reducer, then the reducer sends to each position (2N);</item>
    /// <item>tree: each non-root position sends its partial to <see cref="MapTopology.Parent"/>, then
    ///   each parent passes the result to its children (2(N−1));</item>
    /// <item>ring: the partial travels the snake order Snake[0] → Snake[1] → … → Snake[N−1] (N−1);
    ///   the result goes from Snake[N−1] over the wrap link to Snake[0] and then along
    ///   Snake[0] → … → Snake[N−2] (N−1).</item>
    /// </list>
    /// Gossip topologies choose peers at run time and have no fixed edge list.
    /// </summary>
    public static IReadOnlyList<SyncEdge> SyncEdges(TopologyKind kind, int height, int width)
    {
        var topo = new MapTopology(kind, height, width);
        int n = topo.Count;
        var edges = new List<SyncEdge>();
        switch (kind)
        {
            case TopologyKind.Star:
                for (int p = 0; p < n; p++) edges.Add(new SyncEdge(p, SyncEdge.Reducer));
                for (int p = 0; p < n; p++) edges.Add(new SyncEdge(SyncEdge.Reducer, p));
                break;
            case TopologyKind.Tree:
                for (int p = 0; p < n; p++) if (topo.Parent[p] >= 0) edges.Add(new SyncEdge(p, topo.Parent[p]));
                for (int p = 0; p < n; p++) if (topo.Parent[p] >= 0) edges.Add(new SyncEdge(topo.Parent[p], p));
                break;
            case TopologyKind.Ring:
                for (int k = 0; k + 1 < n; k++) edges.Add(new SyncEdge(topo.Snake[k], topo.Snake[k + 1]));
                if (n > 1) edges.Add(new SyncEdge(topo.Snake[n - 1], topo.Snake[0]));
                for (int k = 0; k + 2 < n; k++) edges.Add(new SyncEdge(topo.Snake[k], topo.Snake[k + 1]));
                break;
            default:
                throw new ArgumentException($"{kind} gossip has no fixed exchange; use FabricTraffic.ExpectedGossipRound", nameof(kind));
        }
        return edges;
    }
}
