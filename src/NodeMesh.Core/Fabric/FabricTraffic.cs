using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Core.Fabric;

/// <summary>
/// The activation and error transport of one weighted layer per batch, by message class. Every
/// class has the message and byte totals of <see cref="FabricModel"/> and the ledger, plus hops
/// and byte-hops. Pool, loss and skip messages count in each direction: <see cref="Activation"/> holds
/// the gather, the logits and the skip values, <see cref="Error"/> the scatter and the deltas.
/// </summary>
/// <param name="Layer">Index of the weighted layer.</param>
/// <param name="Name">Its name (conv1, …, dense1, …).</param>
/// <param name="Inputs">Activation messages into the layer's units.</param>
/// <param name="InputErrors">Error messages out of its units (the mirror of <paramref name="Inputs"/>; under multicast the reduction back along the same trees; none in the first layer).</param>
/// <param name="Pool">Pooling messages in one direction (gather forward = scatter backward).</param>
/// <param name="Loss">Loss flows in one direction (last layer only).</param>
/// <param name="Skip">Skip messages of a residual block's last conv in one direction (the skip source's output forward = the deltas back; <see cref="FabricLayout.SkipTransfers(WeightedLayer, int)"/>; zero for other layers).</param>
public sealed record LayerTraffic(int Layer, string Name, TransportCost Inputs, TransportCost InputErrors, TransportCost Pool, TransportCost Loss,
    TransportCost Skip = default)
{
    /// <summary>Activation category: inputs, pool gather, logits and the skip into a residual add.</summary>
    public TransportCost Activation => Inputs + Pool + Loss + Skip;

    /// <summary>Error category: input errors, pool scatter, deltas and the skip's deltas back.</summary>
    public TransportCost Error => InputErrors + Pool + Loss + Skip;
}

/// <summary>Closed-form transport totals: activation and error per batch, and tying traffic per exchange.</summary>
public sealed partial class FabricLayout
{
    /// <summary>
    /// Sums along one axis of conv layer <paramref name="l"/> (<paramref name="inSize"/> input and
    /// <paramref name="outSize"/> unit positions on that axis): over every unit index u ∈ [0, outSize)
    /// and window offset k ∈ [0, K) whose input position y = u·S − P + k lies in [0, inSize),
    /// <c>Count</c> is the number of (u, k) pairs and <c>Distance</c> the sum of
    /// |<paramref name="offset"/> − (k − P)·<paramref name="step"/>| in hops (the source of y sits
    /// y·step, unit u u·S·step hops from the origin; step = <see cref="InputSpacing"/>). For stride 1
    /// and same padding (S = 1, P = ⌊K/2⌋, outSize = inSize) that is d = k − P ∈ [−P, P] over the
    /// n − |d| units that see offset d.
    /// </summary>
    public static (long Count, long Distance) AxisSums(WeightedLayer l, int inSize, int outSize, int step, int offset)
    {
        long count = 0, distance = 0;
        for (int k = 0; k < l.Kernel; k++)
        {
            // u·S − P + k ∈ [0, inSize)  ⇔  ⌈(P − k)/S⌉ ≤ u ≤ ⌊(inSize − 1 + P − k)/S⌋
            int lo = Math.Max(0, CeilDiv(l.Padding - k, l.Stride));
            int hi = Math.Min(outSize - 1, FloorDiv(inSize - 1 + l.Padding - k, l.Stride));
            long units = Math.Max(0, hi - lo + 1);
            count += units;
            distance += units * Math.Abs(offset - (long)(k - l.Padding) * step);
        }
        return (count, distance);
    }

    private static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    private static int CeilDiv(int a, int b) => -FloorDiv(-a, b);

    /// <summary>
    /// Activation messages into all units of layer <paramref name="l"/> per batch, in closed form.
    /// For a conv layer every message from window offset (dy, dx) (relative to the padding) of a
    /// unit of map m travels |Dy − dy·s| + |Dx − dx·s| + <see cref="InputLevelHops"/> hops (LayerHops·(l − source), 0 for the
    /// first layer), s the input spacing, where (Dy, Dx) is the map offset of m
    /// minus that of the source map (both 0 under Column), so the total separates into the axis
    /// sums of <see cref="AxisSums"/>: Σ = A_H·R_W + R_H·A_W + LayerHops·R_H·R_W per (target map,
    /// source group). All dense neurons share one point, so a dense layer costs OutMaps times one
    /// neuron's <see cref="UnitInputs"/>.
    /// </summary>
    /// <remarks>Under <see cref="FabricCast.Multicast"/> the trees of <see cref="LayerMulticast"/> instead.</remarks>
    public TransportCost LayerInputs(WeightedLayer l, int batch)
    {
        if (Options.Cast == FabricCast.Multicast) return LayerMulticast(l, batch);
        if (l.Kind == LayerKind.Dense) return UnitInputs(new UnitCoord(l.Index, 0, 0, 0), batch).Times(l.OutMaps);
        int s = InputSpacing(l.Index), c = l.InChannels;
        long level = InputLevelHops(l);
        long perChannel = (long)batch * FabricModel.FloatBytes;
        var (rh, _) = AxisSums(l, l.InHeight, l.OutHeight, s, 0);
        var (rw, _) = AxisSums(l, l.InWidth, l.OutWidth, s, 0);
        long messages = l.OutMaps * rh * rw;
        // Source groups: (map offset, channels carried). The image and the Column layout send all
        // C channels of a position from one point; Spread sends one packet per source map.
        bool perMap = l.Source >= 0 && Options.Layout == MapLayout.Spread;
        var groups = perMap
            ? Enumerable.Range(0, c).Select(ch => (Offset: MapOffset(l.Source, ch), Channels: 1)).ToArray()
            : [(Offset: (0, 0), Channels: c)];
        long hops = 0, byteHops = 0;
        for (int m = 0; m < l.OutMaps; m++)
        {
            var (ty, tx) = MapOffset(l.Index, m);
            foreach (var (offset, channels) in groups)
            {
                long h = AxisSums(l, l.InHeight, l.OutHeight, s, ty - offset.Item1).Distance * rw
                         + rh * AxisSums(l, l.InWidth, l.OutWidth, s, tx - offset.Item2).Distance
                         + level * rh * rw;
                hops += h;
                byteHops += h * channels * perChannel;
            }
        }
        return new TransportCost(messages, messages * groups.Length, messages * c * perChannel, hops, byteHops);
    }

    /// <summary>All activation and error transport of layer <paramref name="layer"/> per batch of <paramref name="batch"/> samples.</summary>
    public LayerTraffic LayerTraffic(int layer, int batch)
    {
        var l = Plan.Layers[layer];
        var inputs = LayerInputs(l, batch);
        return new LayerTraffic(
            layer, l.Name, inputs,
            l.Source >= 0 ? inputs : TransportCost.Zero,
            PoolTransfers(l, batch),
            layer == Plan.Layers.Count - 1 ? LossTransfers(batch) : TransportCost.Zero,
            SkipTransfers(l, batch));
    }

    /// <summary>Activation and error transport of every layer per batch.</summary>
    public IReadOnlyList<LayerTraffic> PerBatch(int batch) =>
        Plan.Layers.Select(l => LayerTraffic(l.Index, batch)).ToArray();

    // ---- tying traffic ----------------------------------------------------------------------

    /// <summary>
    /// The tying traffic of one exchange of one map of conv layer <paramref name="l"/>; every
    /// message carries S = <see cref="FabricModel.SyncBytes"/> bytes ((FanIn+1)·4).
    /// <list type="bullet">
    /// <item>star, tree, ring: the messages of <see cref="SyncEdges"/>, each routed XY;</item>
    /// <item>gossip grid, one round: each unit makes <paramref name="fanout"/> push-pull exchanges
    ///   (2 messages) with a grid neighbour, one grid link (= <see cref="LinkHops"/>) away:
    ///   2·N·fanout messages and 2·N·fanout·s hops.</item>
    /// </list>
    /// Random and exponential gossip draw their peers: see <see cref="ExpectedGossipRound"/>.
    /// </summary>
    public TransportCost SyncPerExchange(WeightedLayer l, TopologyKind topology, int fanout = 1)
    {
        if (l.Kind != LayerKind.Conv) throw new ArgumentException($"{l.Name} is a dense layer; only conv maps are tied", nameof(l));
        long bytes = FabricModel.SyncBytes(l);
        int n = l.Positions;
        switch (topology)
        {
            case TopologyKind.Star or TopologyKind.Tree or TopologyKind.Ring:
                var cost = TransportCost.Zero;
                foreach (var e in SyncEdges(topology, l.OutHeight, l.OutWidth))
                    cost += TransportCost.Single(bytes, SyncHops(l.Index, e.From, e.To));
                return cost;
            case TopologyKind.Grid:
                if (n < 2) return TransportCost.Zero;
                long messages = 2L * n * fanout;
                long hops = messages * LinkHops(l.Index);
                return new TransportCost(messages, messages, messages * bytes, hops, hops * bytes);
            default:
                throw new ArgumentException($"{topology} gossip draws its peers at random; use ExpectedGossipRound", nameof(topology));
        }
    }

    /// <summary>Hops of one exchange of one map (see <see cref="SyncPerExchange"/>).</summary>
    public long SyncHopsPerExchange(WeightedLayer l, TopologyKind topology) => SyncPerExchange(l, topology).Hops;

    /// <summary>
    /// One round of exponential gossip in one map: every unit at snake rank k makes one push-pull
    /// exchange with the unit at rank (k + <paramref name="snakeOffset"/>) mod N (2 messages of S bytes).
    /// </summary>
    public TransportCost GossipRound(WeightedLayer l, int snakeOffset)
    {
        int n = l.Positions;
        if (n < 2 || snakeOffset % n == 0) return TransportCost.Zero;
        var topo = new MapTopology(TopologyKind.Exp, l.OutHeight, l.OutWidth);
        long bytes = FabricModel.SyncBytes(l), hops = 0;
        for (int k = 0; k < n; k++) hops += 2L * SyncHops(l.Index, topo.Snake[k], topo.Snake[((k + snakeOffset) % n + n) % n]);
        long messages = 2L * n;
        return new TransportCost(messages, messages, messages * bytes, hops, hops * bytes);
    }

    /// <summary>
    /// Expected tying traffic of one gossip round of one map, push-pull (2 messages of S bytes per
    /// peer, issue 3), <paramref name="fanout"/> peers per unit:
    /// grid: exact (<see cref="SyncPerExchange"/>); random: 2·N·fanout messages of
    /// <see cref="MeanPeerDistance"/>·s hops each; exp: the mean of <see cref="GossipRound"/> over
    /// the offsets 2^i &lt; N, times fanout. Star, tree and ring return their exact exchange.
    /// </summary>
    public ExpectedCost ExpectedGossipRound(WeightedLayer l, TopologyKind topology, int fanout = 1)
    {
        int n = l.Positions;
        switch (topology)
        {
            case TopologyKind.Random:
                if (n < 2) return ExpectedCost.Zero;
                double messages = 2.0 * n * fanout, bytes = FabricModel.SyncBytes(l);
                double hops = messages * MeanPeerDistance(l.OutHeight, l.OutWidth) * LinkHops(l.Index);
                return new ExpectedCost(messages, messages * bytes, hops, hops * bytes);
            case TopologyKind.Exp:
                if (n < 2) return ExpectedCost.Zero;
                var sum = ExpectedCost.Zero;
                int offsets = 0;
                for (long d = 1; d < n; d *= 2, offsets++) sum += ExpectedCost.From(GossipRound(l, (int)d));
                return sum.Times((double)fanout / offsets);
            default:
                return ExpectedCost.From(SyncPerExchange(l, topology, fanout));
        }
    }

    /// <summary>
    /// Mean grid distance (in grid links) between two distinct positions of an H×W map drawn
    /// uniformly: [W²·Σ_H + H²·Σ_W] / (N(N−1)), where Σ_n = (n−1)n(n+1)/3 is the sum of |a − b|
    /// over ordered pairs of indices in [0, n).
    /// </summary>
    public static double MeanPeerDistance(int height, int width)
    {
        long n = (long)height * width;
        if (n < 2) return 0;
        static long PairSum(long k) => (k - 1) * k * (k + 1) / 3;
        return ((double)width * width * PairSum(height) + (double)height * height * PairSum(width)) / (n * (n - 1));
    }

    /// <summary>
    /// Tying traffic of all maps of layer <paramref name="l"/> over <paramref name="steps"/> training
    /// steps under <paramref name="strategy"/>: all-reduce makes ⌊steps/F⌋ exchanges per map (every
    /// step for F = 1); gossip makes ⌊steps/F⌋ rounds per unit (expected cost); none and dense
    /// layers send nothing. Dropped gossip messages are counted as sent.
    /// </summary>
    public ExpectedCost SyncOverSteps(WeightedLayer l, StrategyOptions strategy, long steps)
    {
        if (l.Kind != LayerKind.Conv || strategy.Kind == StrategyKind.None) return ExpectedCost.Zero;
        long exchanges = steps / strategy.Every * l.OutMaps;
        return strategy.Kind == StrategyKind.AllReduce
            ? ExpectedCost.From(SyncPerExchange(l, strategy.Topology)).Times(exchanges)
            : ExpectedGossipRound(l, strategy.Topology, strategy.Fanout).Times(exchanges);
    }
}
