using NodeMesh.Core.Devices;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Core.Fabric;

/// <summary>
/// How long the weight writes of a step take, per unit: the pulse slots of one weight update.
/// All devices of a unit's array sit on their own rows and are pulsed in parallel (the fully
/// parallel update of a resistive cross-point array), so an update takes its slots × the pulse
/// width, whatever the unit's fan-in.
/// </summary>
/// <param name="UpdateSlots">Pulse slots of one update: the device's maximal pulse-train length BL (<c>desired_bl</c>); 0 for the ideal float store, which writes in no time.</param>
public sealed record DeviceWrites(int UpdateSlots)
{
    /// <summary>The ideal float store: writes take no time.</summary>
    public static DeviceWrites Ideal { get; } = new(0);

    /// <summary>True for a store whose writes are pulses.</summary>
    public bool Pulsed => UpdateSlots > 0;

    /// <summary>The writes of <paramref name="device"/>: none for <c>ideal</c>, else BL = <c>desired_bl</c> slots per update.</summary>
    public static DeviceWrites Of(DeviceConfig device) => device.IsIdeal ? Ideal : new DeviceWrites(device.DesiredBl);
}

/// <summary>
/// The projected time of one training step on the fabric (<see cref="FabricLatency.Step"/>), ns.
/// A step is a batch of B samples; over a period of F steps (F = 1 for none and for all-reduce
/// at F = 1) F − 1 steps are plain and one also carries the tying exchange.
/// </summary>
/// <param name="Batch">Samples per step, B.</param>
/// <param name="Period">Steps per tying period, F.</param>
/// <param name="ForwardNs">The forward wave, input to loss: transport into each layer, its reads and conversions, its pooling, the logits.</param>
/// <param name="BackwardNs">The backward wave from the loss back to the first layer: deltas, pooling scatter, transposed reads, input errors.</param>
/// <param name="UntiedStepNs">The same step with no tying at all (what none takes): the waves, then every unit's own update.</param>
/// <param name="PlainStepNs">A step of the period without the tying exchange (= <paramref name="ExchangeStepNs"/> when every step exchanges).</param>
/// <param name="ExchangeStepNs">The step that carries the tying exchange (= <paramref name="PlainStepNs"/> for none).</param>
/// <param name="WriteNs">Device write time of a plain step's update, per unit (0 for ideal stores).</param>
/// <param name="ExchangeNs">Each weighted layer's tying exchange latency, ns (0 for dense layers and for none).</param>
public sealed record StepTime(int Batch, int Period, double ForwardNs, double BackwardNs, double UntiedStepNs, double PlainStepNs, double ExchangeStepNs,
    double WriteNs, IReadOnlyList<double> ExchangeNs)
{
    /// <summary>Mean step time over a period, ns: ((F − 1)·plain + exchange step) / F.</summary>
    public double MeanStepNs => ((Period - 1) * PlainStepNs + ExchangeStepNs) / Period;

    /// <summary>What tying adds to the mean step, ns (mean − untied); negative when a tied write is shorter than the untied updates it replaces.</summary>
    public double TyingNs => MeanStepNs - UntiedStepNs;

    /// <summary>Mean step time per training sample, ns (mean step / B).</summary>
    public double PerSampleNs => MeanStepNs / Batch;

    /// <summary>Seconds for an epoch of <paramref name="samples"/> samples: per sample × samples.</summary>
    public double EpochSeconds(long samples) => PerSampleNs * samples * 1e-9;
}

/// <summary>
/// The time of a training step on the fabric from a <see cref="LatencyModel"/>, for the Column
/// layout (docs/latency.md states the model and what overlaps):
/// <list type="bullet">
/// <item>Batch-synchronous waves, as the transport model counts them: a layer starts when the
///   messages of its whole batch (B floats each) have arrived; its units compute in parallel, each
///   sample one array read; nothing of one layer overlaps the next.</item>
/// <item>A transfer takes hops × <see cref="LatencyModel.HopNs"/> for the farthest message plus the
///   serialization of the bytes queued at the busiest port: the consumer point's ejection port,
///   or under unicast equally the producer point's injection port (one copy per consumer unit);
///   under multicast a producer injects one packet and a consumer point receives one packet per
///   window position. Links inside the mesh are assumed free (no contention).</item>
/// <item>Forward per layer: input transfer, B × (read + 1 conversion), pool gather; then the
///   logits to the loss site. Backward per layer: pool scatter, B × (read + ⌈FanIn / ADCs⌉
///   conversions) for layers after the first, input errors back (the mirror of the input transfer).</item>
/// <item>The layers form a graph (<see cref="WeightedLayer.Source"/>, <see cref="WeightedLayer.Skip"/>);
///   a plain net is a chain and its waves are the sums above. Forward, a layer starts when its
///   source has finished; a residual block's last conv adds the skip (its source's output, moved by
///   <see cref="SkipNs"/>) after its own read and before its pools, when both have arrived; the
///   projection shortcut and the block's first conv both start when the block's input is ready and
///   run side by side. Backward, a layer's output gradient is complete when the input errors of
///   every layer it feeds and the skip deltas of the block it feeds (sent right after that block's
///   pool scatter, <see cref="SkipNs"/>) have arrived. Each wave is the longest path through
///   that graph, so a skip transfer counts only when it arrives last.</item>
/// <item>A layer's exchange and weight write start when its backward read ends and overlap the
///   backward wave of the layers below it; the step ends when the wave and every layer's write
///   have ended. Exchanges of different layers (own levels) run in parallel; the maps of a layer
///   share its points, so their vectors queue on the same ports.</item>
/// </list>
/// </summary>
public static class FabricLatency
{
    /// <summary>True when the model covers <paramref name="options"/> (the Column layout).</summary>
    public static bool Supports(FabricOptions options) => options.Layout == MapLayout.Column;

    /// <summary>
    /// The projected step time of <paramref name="layout"/>'s net under <paramref name="strategy"/>
    /// with batches of <paramref name="batch"/> samples, the constants of <paramref name="model"/> and
    /// the device writes <paramref name="writes"/> (default: ideal stores).
    /// </summary>
    public static StepTime Step(FabricLayout layout, StrategyOptions strategy, int batch, LatencyModel model, DeviceWrites? writes = null)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), "the batch must hold at least one sample");
        if (!Supports(layout.Options)) throw new ArgumentException("the latency model covers the column layout only", nameof(layout));
        writes ??= DeviceWrites.Ideal;
        var plan = layout.Plan;
        int n = plan.Layers.Count, period = Math.Max(1, strategy.Every);
        var input = new double[n];
        var pool = new double[n];
        var skip = new double[n];
        var done = new double[n]; // forward: when each layer's output (after its post-ops) is complete
        foreach (var l in plan.Layers)
        {
            int i = l.Index;
            input[i] = InputNs(layout, l, batch, model);
            pool[i] = PoolNs(layout, l, batch, model);
            skip[i] = SkipNs(layout, l, batch, model);
            double pre = (l.Source < 0 ? 0 : done[l.Source]) + input[i] + batch * (model.CrossbarReadNs + model.ConversionNs);
            if (l.Skip is int s) pre = Math.Max(pre, done[s] + skip[i]);
            done[i] = pre + pool[i];
        }
        double loss = LossNs(layout, batch, model);
        double forward = done[n - 1] + loss;

        // Backward wave: when each layer's output gradient is complete, and when its transposed
        // read ends (its gradient is then ready). Layers feed only later layers, so going down the
        // plan every layer has heard from all its consumers when it is reached.
        var ready = new double[n];
        var gradient = new double[n];
        gradient[n - 1] = forward + loss;
        double waves = 0;
        for (int i = n - 1; i >= 0; i--)
        {
            var l = plan.Layers[i];
            double delta = gradient[i] + pool[i];
            if (l.Skip is int s) gradient[s] = Math.Max(gradient[s], delta + skip[i]);
            ready[i] = l.Source < 0 ? delta : delta + batch * (model.CrossbarReadNs + Math.Ceiling(l.FanIn / model.AdcsPerUnit) * model.ConversionNs);
            if (l.Source >= 0) gradient[l.Source] = Math.Max(gradient[l.Source], ready[i] + input[i]);
            waves = Math.Max(waves, ready[i]);
        }

        double update = writes.UpdateSlots * model.WritePulseNs;     // one update's pulse train
        double untied = batch * update;                              // B rank-1 updates, one per sample
        var exchange = plan.Layers.Select(l => ExchangeNs(layout, l, strategy, model)).ToArray();
        double plain = waves, withExchange = waves, alone = waves;
        foreach (var l in plan.Layers)
        {
            int i = l.Index;
            bool tied = l.Kind == LayerKind.Conv && strategy.Kind != StrategyKind.None;
            alone = Math.Max(alone, ready[i] + untied);
            plain = Math.Max(plain, ready[i] + (tied && strategy.TiesGradients ? exchange[i] + update : untied));
            double end = !tied ? ready[i] + untied
                : strategy.TiesGradients ? ready[i] + exchange[i] + update
                : ready[i] + untied + exchange[i] + ProgramNs(l, writes, model);
            withExchange = Math.Max(withExchange, end);
        }
        // Under all-reduce at F = 1 every step carries the exchange.
        if (strategy.TiesGradients) plain = withExchange;
        return new StepTime(batch, period, forward, waves - forward, alone, plain, withExchange, untied, exchange);
    }

    /// <summary>
    /// Program-and-verify of a unit's FanIn + 1 devices after weight averaging, one device after
    /// the other: rounds × (read + conversion + one pulse slot) each; 0 for ideal stores.
    /// </summary>
    public static double ProgramNs(WeightedLayer l, DeviceWrites writes, LatencyModel model) =>
        writes.Pulsed ? (l.FanIn + 1) * model.ProgramVerifyRounds * (model.CrossbarReadNs + model.ConversionNs + model.WritePulseNs) : 0;

    /// <summary>
    /// The transfer of layer <paramref name="l"/>'s input per batch (the input errors go back the
    /// same way and take as long). Conv (Column): window K = 2p + 1; a position's packet of C·B
    /// floats reaches min(K, H)·min(K, W) points at most s·(min(p, H−1) + min(p, W−1)) + L hops
    /// away (L = <see cref="FabricLayout.InputLevelHops"/>: LayerHops·(l − source), 0 for the first layer); the busiest port carries OutMaps packets per
    /// window point under unicast, one under multicast. Dense: every input position (or input
    /// neuron) sends to the layer's one point; unicast one copy per neuron.
    /// </summary>
    public static double InputNs(FabricLayout layout, WeightedLayer l, int batch, LatencyModel model)
    {
        bool unicast = layout.Options.Cast == FabricCast.Unicast;
        long floatBytes = (long)batch * FabricModel.FloatBytes;
        var plan = layout.Plan;
        if (l.Kind == LayerKind.Conv)
        {
            // Unit (u, v) sits over input (u·S, v·S); its K×K window reaches P positions before and
            // K − 1 − P after that point (same padding: P either way), input positions InputSpacing hops apart.
            int p = l.Padding, k = l.Kernel, spacing = layout.InputSpacing(l.Index);
            int reach = Math.Max(p, k - 1 - p);
            long level = layout.InputLevelHops(l);
            long points = (long)Math.Min(k, l.InHeight) * Math.Min(k, l.InWidth);
            double hops = spacing * (Math.Min(reach, l.InHeight - 1) + Math.Min(reach, l.InWidth - 1)) + level;
            double packets = unicast ? points * l.OutMaps : points;
            return model.TransferNs(hops, packets * l.InChannels * floatBytes);
        }
        var target = layout.Place(new UnitCoord(l.Index, 0, 0, 0));
        if (l.Source >= 0 && plan.Layers[l.Source].Kind == LayerKind.Dense)
        {
            int hopsFromDense = layout.Hops(layout.Place(new UnitCoord(l.Source, 0, 0, 0)), target);
            double count = unicast ? (double)l.InChannels * l.OutMaps : l.InChannels;
            return model.TransferNs(hopsFromDense, count * floatBytes);
        }
        int farthest = 0;
        for (int y = 0; y < l.InHeight; y++)
            for (int x = 0; x < l.InWidth; x++)
            {
                var source = l.Source < 0 ? layout.InputPlace(y, x) : layout.OutputSite(l.Source, 0, y, x);
                farthest = Math.Max(farthest, layout.Hops(source, target));
            }
        double positions = (double)l.InHeight * l.InWidth * (unicast ? l.OutMaps : 1);
        return model.TransferNs(farthest, positions * l.InChannels * floatBytes);
    }

    /// <summary>
    /// Pool gather of layer <paramref name="l"/> per batch (the scatter takes as long): for each pool
    /// of window kh×kw (k×k, or the whole map for <c>gap</c>), the site receives the kh·kw − 1 other
    /// members' B floats of every map (all maps share the point), the farthest ((kh − 1) + (kw − 1))·q·s
    /// hops away (q = the product of the layer's earlier pool strides).
    /// </summary>
    public static double PoolNs(FabricLayout layout, WeightedLayer l, int batch, LatencyModel model)
    {
        long floatBytes = (long)batch * FabricModel.FloatBytes;
        long s = layout.Stride(l.Index), q = 1;
        long h = l.OutHeight, w = l.OutWidth; // the map side each pool sees
        double ns = 0;
        foreach (var op in l.PostOps)
        {
            if (op is not PoolSpec p) continue;
            long kh = p.Global ? h : p.Size, kw = p.Global ? w : p.Size;
            ns += model.TransferNs(((kh - 1) + (kw - 1)) * q * s, (double)(kh * kw - 1) * l.OutMaps * floatBytes);
            if (p.Global) { h = w = 1; continue; }
            h = (h - p.Size) / p.Stride + 1;
            w = (w - p.Size) / p.Stride + 1;
            q *= p.Stride;
        }
        return ns;
    }

    /// <summary>
    /// The skip transfer of a residual block's last conv <paramref name="l"/> per batch (the deltas
    /// go back the same way and take as long; 0 without a skip): every unit receives its B floats
    /// from the skip source's output site, the farthest over the layer's units
    /// (<see cref="FabricLayout.SkipTransfers(WeightedLayer, int)"/>'s routes); the busiest port is a
    /// unit point's ejection port, which takes the B floats of every map of its position (the maps
    /// share the point; each output site sends to one point only, so it is no busier).
    /// </summary>
    public static double SkipNs(FabricLayout layout, WeightedLayer l, int batch, LatencyModel model)
    {
        if (l.Skip is not int s) return 0;
        int farthest = 0;
        for (int u = 0; u < l.OutHeight; u++)
            for (int v = 0; v < l.OutWidth; v++)
                farthest = Math.Max(farthest, layout.Hops(layout.OutputSite(s, 0, u, v), layout.Place(new UnitCoord(l.Index, 0, u, v))));
        return model.TransferNs(farthest, (double)l.OutMaps * batch * FabricModel.FloatBytes);
    }

    /// <summary>The logits to the loss site (and the deltas back): every output neuron's B floats through the site's port.</summary>
    public static double LossNs(FabricLayout layout, int batch, LatencyModel model)
    {
        var last = layout.Plan.Layers[^1];
        int hops = 0;
        for (int o = 0; o < last.OutMaps; o++) hops = Math.Max(hops, layout.Hops(layout.Place(new UnitCoord(last.Index, o, 0, 0)), layout.LossPlace));
        return model.TransferNs(hops, (double)last.OutMaps * batch * FabricModel.FloatBytes);
    }

    /// <summary>
    /// The latency of one tying exchange of conv layer <paramref name="l"/> (all its maps at once:
    /// M = OutMaps vectors of S = (FanIn + 1)·4 bytes share each position's point); 0 for dense
    /// layers and none.
    /// <list type="bullet">
    /// <item>star: gather then broadcast, each the farthest position's hops plus N·M vectors through the reducer's port;</item>
    /// <item>tree: up the spanning tree, a node has its partial when its last child's has arrived plus the
    ///   hops and its children's M·S each through its port; down the same way (the parent's port);</item>
    /// <item>ring: the 2(N − 1) messages of the snake one after the other, each its hops plus M·S;</item>
    /// <item>gossip: fanout push-pull exchanges (there and back) with a peer at the round's largest
    ///   distance (grid: one link; exp: the mean over the offsets 2^i &lt; N of the largest distance
    ///   at that offset; random: the map's diameter), each M·S.</item>
    /// </list>
    /// </summary>
    public static double ExchangeNs(FabricLayout layout, WeightedLayer l, StrategyOptions strategy, LatencyModel model)
    {
        if (l.Kind != LayerKind.Conv || strategy.Kind == StrategyKind.None) return 0;
        int n = l.Positions;
        if (n < 2) return 0;
        double vector = (double)l.OutMaps * FabricModel.SyncBytes(l);
        int s = layout.LinkHops(l.Index);
        switch (strategy.Topology)
        {
            case TopologyKind.Star:
                {
                    int farthest = 0;
                    for (int p = 0; p < n; p++) farthest = Math.Max(farthest, layout.SyncHops(l.Index, p, SyncEdge.Reducer));
                    return 2 * model.TransferNs(farthest, n * vector);
                }
            case TopologyKind.Tree:
                return TreeNs(layout, l, vector, model);
            case TopologyKind.Ring:
                return FabricLayout.SyncEdges(TopologyKind.Ring, l.OutHeight, l.OutWidth)
                    .Sum(e => model.TransferNs(layout.SyncHops(l.Index, e.From, e.To), vector));
            case TopologyKind.Grid:
                return strategy.Fanout * 2 * model.TransferNs(s, vector);
            case TopologyKind.Random:
                return strategy.Fanout * 2 * model.TransferNs((l.OutHeight - 1 + l.OutWidth - 1) * s, vector);
            case TopologyKind.Exp:
                {
                    var topo = new MapTopology(TopologyKind.Exp, l.OutHeight, l.OutWidth);
                    double sum = 0;
                    int offsets = 0;
                    for (long d = 1; d < n; d *= 2, offsets++)
                    {
                        int farthest = 0;
                        for (int k = 0; k < n; k++) farthest = Math.Max(farthest, layout.SyncHops(l.Index, topo.Snake[k], topo.Snake[(int)((k + d) % n)]));
                        sum += 2 * model.TransferNs(farthest, vector);
                    }
                    return strategy.Fanout * sum / offsets;
                }
            default:
                throw new ArgumentException($"unknown topology {strategy.Topology}", nameof(strategy));
        }
    }

    /// <summary>Tree all-reduce: the up-sweep to the root, then the down-sweep to the last leaf (see <see cref="ExchangeNs"/>).</summary>
    private static double TreeNs(FabricLayout layout, WeightedLayer l, double vector, LatencyModel model)
    {
        var topo = new MapTopology(TopologyKind.Tree, l.OutHeight, l.OutWidth);
        int n = topo.Count;
        var up = new double[n];
        // Children are farther from the root than their parent: visit by decreasing grid distance.
        int cu = l.OutHeight / 2, cv = l.OutWidth / 2;
        int Depth(int p) => Math.Abs(p / l.OutWidth - cu) + Math.Abs(p % l.OutWidth - cv);
        var order = Enumerable.Range(0, n).OrderByDescending(Depth).ToArray();
        foreach (int p in order)
        {
            var children = topo.Children[p];
            if (children.Length == 0) continue;
            double last = 0;
            int farthest = 0;
            foreach (int c in children)
            {
                last = Math.Max(last, up[c]);
                farthest = Math.Max(farthest, layout.SyncHops(l.Index, c, p));
            }
            up[p] = last + model.TransferNs(farthest, children.Length * vector);
        }
        var down = new double[n];
        double end = 0;
        foreach (int p in order.Reverse())
        {
            if (p == topo.Root) down[p] = up[p];
            var children = topo.Children[p];
            foreach (int c in children)
            {
                down[c] = down[p] + model.TransferNs(layout.SyncHops(l.Index, p, c), children.Length * vector);
                end = Math.Max(end, down[c]);
            }
        }
        return end;
    }
}
