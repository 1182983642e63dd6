using NodeMesh.Core.Exchanges;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Placement;

/// <summary>
/// The NodeMesh message types of a training step that can leave their member, in the order of
/// their wire manifests (<see cref="CrossMemberTraffic.Manifest"/>).
/// </summary>
public enum CrossKind
{
    /// <summary><c>ap</c>: images from the driver into a first-layer tile, or a piece of a tile's pooled output to a consumer tile.</summary>
    Activations,
    /// <summary><c>lp</c>: the last layer's logits to the driver.</summary>
    Logits,
    /// <summary><c>ep</c>: the logits' gradient from the driver, or a piece of a tile's input error back to a producer tile.</summary>
    Errors,
    /// <summary><c>sb</c>: a first-layer tile tells the driver it finished the step's backward pass.</summary>
    StepDone,
    /// <summary><c>sp</c>: an all-reduce partial (a unit's vector or a partial sum) toward the end of the reduction.</summary>
    SyncPartial,
    /// <summary><c>sr</c>: the reduced vector on its way back to the units.</summary>
    SyncResult,
}

/// <summary>Messages and serialized payload bytes (the protobuf message, no Akka envelope).</summary>
public readonly record struct CrossCount(long Messages, long PayloadBytes)
{
    public static CrossCount operator +(CrossCount a, CrossCount b) => new(a.Messages + b.Messages, a.PayloadBytes + b.PayloadBytes);
}

/// <summary>
/// Projected cross-member traffic of a cluster run: which of a training window's NodeMesh
/// messages leave their member under a placement, counted as the members' serializers count them
/// (<c>summary.json</c> → <c>cluster.epochs[].types</c>). The driver is a member of its own that
/// holds no tiles, so images, logits, the loss gradient and the step-done notices always cross;
/// a tile-to-tile piece crosses when producer and consumer tiles are on different members
/// (<see cref="TilePlacement.MemberOf"/>). The pieces are the links of <see cref="TileLinks"/>:
/// input links along each layer's <see cref="WeightedLayer.Source"/>, and a residual block's skip
/// links (all maps over the consumer's units), each an <c>ActivationsProduced</c> forward and an
/// <c>ErrorsProduced</c> back, carrying <c>from_layer</c> when the other end is not the
/// neighbouring layer (<see cref="FromLayer"/>); a tying message crosses when its two
/// units' tiles are, or when a unit and its map's star reducer are
/// (<see cref="TilePlacement.ReducerMember"/>), the messages being those
/// <see cref="TyingWiring.AllReduce"/> wires.
/// <para>
/// Exact: message counts, and payload bytes — protobuf proto3 omits zero fields and every other
/// field has a size fixed by its value (float arrays are 4 bytes a value), so the size of each
/// message follows from its layer, tile, map, positions, step and length
/// (<see cref="ProtoSize"/>; the step field is 0 bytes at step 0, 2 at steps 1–127, 3 up to 16,383,
/// 4 up to 2,097,151). Not projected: gossip (which peers a unit reaches and whether offers are
/// declined depend on timing), the end-of-epoch counter collection and other control messages
/// except <c>sb</c> (a fixed handful per epoch, not per sample), Akka's housekeeping, and the
/// Akka envelope around each message (see <see cref="WireEstimate"/>).
/// </para>
/// </summary>
/// <param name="Placement">Where the tiles are.</param>
/// <param name="Strategy">The tying strategy (none or all-reduce).</param>
/// <param name="Batch">Samples per training step.</param>
/// <param name="FirstStep">The run's global step number of the window's first step (0 for the first epoch).</param>
/// <param name="Steps">Training steps in the window, each of a full batch.</param>
/// <param name="ByKind">Messages and payload bytes per message type over the window.</param>
public sealed record CrossMemberTraffic(TilePlacement Placement, StrategyOptions Strategy, int Batch, long FirstStep, long Steps,
    IReadOnlyDictionary<CrossKind, CrossCount> ByKind)
{
    /// <summary>
    /// Akka envelope bytes per message assumed by <see cref="WireEstimate"/>: the
    /// <c>AckAndEnvelopeContainer</c> (recipient path of the member's host, serializer id, two-letter
    /// manifest, sequence number) and the 4-byte frame length prefix. Measured in the calibration
    /// runs on loopback addresses (docs/projection.md): about 90 bytes per message; the driver's
    /// images and loss gradient also carry the driver's path as sender (about 150 bytes). It grows
    /// with the length of the host names in the paths.
    /// </summary>
    public const double DefaultEnvelopeBytes = 90;

    /// <summary>Training samples in the window.</summary>
    public long Samples => Steps * Batch;

    /// <summary>The serializer manifest of a message type.</summary>
    public static string Manifest(CrossKind kind) => kind switch
    {
        CrossKind.Activations => "ap",
        CrossKind.Logits => "lp",
        CrossKind.Errors => "ep",
        CrossKind.StepDone => "sb",
        CrossKind.SyncPartial => "sp",
        CrossKind.SyncResult => "sr",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The traffic category of a message type (as the serializer files it).</summary>
    public static TrafficCategory CategoryOf(CrossKind kind) => kind switch
    {
        CrossKind.Activations or CrossKind.Logits => TrafficCategory.Activation,
        CrossKind.Errors => TrafficCategory.Error,
        CrossKind.SyncPartial or CrossKind.SyncResult => TrafficCategory.Sync,
        _ => TrafficCategory.Control,
    };

    /// <summary>Messages and payload bytes of one category over the window (control: <c>sb</c> only).</summary>
    public CrossCount Category(TrafficCategory category) =>
        ByKind.Where(k => CategoryOf(k.Key) == category).Aggregate(default(CrossCount), (a, k) => a + k.Value);

    /// <summary>All projected messages and payload bytes over the window.</summary>
    public CrossCount Total => ByKind.Values.Aggregate(default(CrossCount), (a, b) => a + b);

    /// <summary>Estimated wire bytes of a count: payload plus <paramref name="envelopeBytes"/> per message.</summary>
    public static double WireEstimate(CrossCount c, double envelopeBytes = DefaultEnvelopeBytes) => c.PayloadBytes + c.Messages * envelopeBytes;

    /// <summary>
    /// Projects the cross-member messages of <paramref name="steps"/> training steps of
    /// <paramref name="batch"/> samples from global step <paramref name="firstStep"/> on, with the
    /// tiles placed by <paramref name="placement"/>. Enumerates the tile links once and, per conv
    /// layer, the tying messages of one map (every map of a layer has the same edges; only the map
    /// field's size differs).
    /// </summary>
    public static CrossMemberTraffic Compute(TilePlacement placement, StrategyOptions strategy, int batch, long firstStep, long steps)
    {
        ArgumentNullException.ThrowIfNull(placement);
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), "the batch must hold at least one sample");
        if (firstStep < 0 || steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), "steps are counted from 0");
        if (strategy.Kind == StrategyKind.Gossip)
            throw new ArgumentException("gossip's cross-member traffic depends on timing and is not projected", nameof(strategy));
        var plan = placement.Tiles.Network;
        int last = plan.Layers.Count - 1;
        // Per step: messages and payload without the step field, for every step (data plane) and for exchange steps (tying).
        var everyStep = new Dictionary<CrossKind, CrossCount>();
        var exchangeStep = new Dictionary<CrossKind, CrossCount>();
        void Add(Dictionary<CrossKind, CrossCount> d, CrossKind k, long messages, long bytes) => d[k] = d.GetValueOrDefault(k) + new CrossCount(messages, bytes);

        var first = plan.Layers[0];
        foreach (var t in placement.Tiles.Tiles[0])
        {
            // Driver (from −1) → every first-layer tile: its whole input region; the tile's notice back.
            long floats = (long)TileLinks.InputRegion(first, t).Cells * first.InChannels * batch;
            Add(everyStep, CrossKind.Activations, 1, ProtoSize.Activations(0, t.Index, -1, train: true, floats));
            Add(everyStep, CrossKind.StepDone, 1, ProtoSize.StepDone(t.Index));
        }
        // A piece between a producer of layer a and a consumer of layer b: activations forward,
        // errors back, each naming the other end's layer (from_layer) unless it is the neighbour.
        var links = new TileLinks(placement.Tiles);
        foreach (var layer in plan.Layers)
            foreach (var c in placement.Tiles.Tiles[layer.Index])
                foreach (var link in links.InputsOf(layer.Index, c.Index).Concat(links.SkipsOf(layer.Index, c.Index)))
                {
                    int a = link.ProducerLayer, l = link.Layer;
                    if (placement.MemberOf(a, link.Producer) == placement.MemberOf(l, c.Index)) continue;
                    // An input piece carries the producer's maps forward and the consumer's input channels back
                    // (the same number); a skip piece the consumer's maps both ways.
                    long floats = (long)link.Area.Cells * (link.Kind == LinkKind.Skip ? c.Maps : layer.InChannels) * batch;
                    Add(everyStep, CrossKind.Activations, 1, ProtoSize.Activations(l, c.Index, link.Producer, train: true, floats, FromLayer(a, l - 1)));
                    Add(everyStep, CrossKind.Errors, 1, ProtoSize.Errors(a, link.Producer, c.Index, floats, FromLayer(l, a + 1)));
                }
        long logits = (long)plan.Classes * batch;
        Add(everyStep, CrossKind.Logits, 1, ProtoSize.Logits(0, train: true, logits));
        Add(everyStep, CrossKind.Errors, 1, ProtoSize.Errors(last, 0, -1, logits));

        if (strategy.Kind == StrategyKind.AllReduce)
        {
            var kind = strategy.Every > 1 ? SyncKind.Weights : SyncKind.Gradient;
            foreach (var layer in plan.Layers.Where(x => x.Kind == LayerKind.Conv))
                AddTying(placement, layer, kind, strategy.Topology, exchangeStep);
        }

        var total = new Dictionary<CrossKind, CrossCount>();
        void Over(Dictionary<CrossKind, CrossCount> perStep, (long Steps, long FieldBytes) window)
        {
            foreach (var (k, c) in perStep)
                total[k] = total.GetValueOrDefault(k) + new CrossCount(c.Messages * window.Steps, c.PayloadBytes * window.Steps + c.Messages * window.FieldBytes);
        }
        Over(everyStep, StepFields(firstStep, steps, 1));
        if (strategy.Kind == StrategyKind.AllReduce) Over(exchangeStep, StepFields(firstStep, steps, Math.Max(1, strategy.Every)));
        foreach (var k in Enum.GetValues<CrossKind>()) total.TryAdd(k, default);
        return new CrossMemberTraffic(placement, strategy, batch, firstStep, steps, total);
    }

    /// <summary>
    /// The <c>from_layer</c> field of a tile piece: the other end's layer + 1 when it is not
    /// <paramref name="neighbour"/> (the layer a plain net's piece comes from or goes to), else 0
    /// (absent, so a plain net's messages keep their bytes).
    /// </summary>
    public static int FromLayer(int other, int neighbour) => other == neighbour ? 0 : other + 1;

    /// <summary>
    /// The steps s of [<paramref name="first"/>, first + <paramref name="count"/>) with (s + 1) a
    /// multiple of <paramref name="every"/> (every step for 1; the weight-averaging steps of F &gt; 1,
    /// <see cref="StrategyOptions.AveragesWeightsAfter"/>), and the bytes of their step fields in
    /// total: counted per varint length band, so a window of any length costs the same.
    /// </summary>
    public static (long Steps, long FieldBytes) StepFields(long first, long count, int every)
    {
        if (first < 0 || count < 0 || every < 1) throw new ArgumentOutOfRangeException(nameof(count));
        long end = first + count, steps = 0, bytes = 0;
        // Band 0 is step 0 (no field); band k ≥ 1 holds the steps whose varint takes k bytes: [2^(7(k−1)), 2^(7k)), 1 = 2^0 for k = 1.
        for (int k = 0; k <= 9; k++)
        {
            long lo = k == 0 ? 0 : 1L << (7 * (k - 1)), hi = k == 0 ? 1 : k == 9 ? long.MaxValue : 1L << (7 * k);
            long a = Math.Max(lo, first), b = Math.Min(hi, end);
            if (a >= b) continue;
            long n = b / every - a / every; // s in [a, b) with every | s + 1
            steps += n;
            bytes += n * (k == 0 ? 0 : 1 + k);
        }
        return (steps, bytes);
    }

    /// <summary>
    /// The all-reduce messages of every map of <paramref name="layer"/> that cross a member boundary,
    /// per exchange (payload without the step field): partials up the wiring, results down it, and
    /// for star the reducer's results to every unit.
    /// </summary>
    private static void AddTying(TilePlacement placement, WeightedLayer layer, SyncKind kind, TopologyKind topologyKind,
        Dictionary<CrossKind, CrossCount> perExchange)
    {
        int h = layer.OutHeight, w = layer.OutWidth, n = h * w;
        var member = new int[n];
        foreach (var t in placement.Tiles.Tiles[layer.Index])
            for (int u = t.U0; u < t.U1; u++)
                for (int v = t.V0; v < t.V1; v++)
                    member[u * w + v] = placement.MemberOf(layer.Index, t.Index);
        int reducerMember = topologyKind == TopologyKind.Star ? placement.ReducerMember(layer.Index) : -1;
        int MemberAt(int p) => p == TyingWiring.Reducer ? reducerMember : member[p];
        long floats = layer.FanIn + 1;
        long partials = 0, partialBytes = 0, results = 0, resultBytes = 0;
        // Map 0's messages; the other maps differ only in the size of their map field.
        var topology = new MapTopology(topologyKind, h, w);
        for (int p = 0; p < n; p++)
        {
            var tying = TyingWiring.AllReduce(topology, p);
            if (!tying.EndsReduction && MemberAt(tying.Up) != member[p])
            {
                partials++;
                partialBytes += ProtoSize.SyncPartial(layer.Index, 0, tying.Up, p, kind, floats);
            }
            foreach (int d in tying.Down)
                if (MemberAt(d) != member[p]) { results++; resultBytes += ProtoSize.SyncResult(layer.Index, 0, d, kind, floats); }
            if (topologyKind == TopologyKind.Star && reducerMember != member[p]) { results++; resultBytes += ProtoSize.SyncResult(layer.Index, 0, p, kind, floats); }
        }
        long mapFieldBytes = 0;
        for (int m = 0; m < layer.OutMaps; m++) mapFieldBytes += ProtoSize.Int32(m);
        int maps = layer.OutMaps;
        perExchange[CrossKind.SyncPartial] = perExchange.GetValueOrDefault(CrossKind.SyncPartial) + new CrossCount(partials * maps, partialBytes * maps + partials * mapFieldBytes);
        perExchange[CrossKind.SyncResult] = perExchange.GetValueOrDefault(CrossKind.SyncResult) + new CrossCount(results * maps, resultBytes * maps + results * mapFieldBytes);
    }
}

/// <summary>
/// Sizes of protobuf (proto3) fields as the NodeMesh wire contracts (<c>protos/</c>) use them: a
/// 1-byte tag (every field number is below 16), zero values omitted, negative int32 values as
/// 10-byte varints, float arrays as length-delimited bytes of 4 per value. Tested against the
/// serializer's own output.
/// </summary>
public static class ProtoSize
{
    /// <summary>Bytes of a varint holding <paramref name="value"/>.</summary>
    public static int Varint(ulong value)
    {
        int n = 1;
        while (value >= 0x80) { value >>= 7; n++; }
        return n;
    }

    /// <summary>An int32 or enum field: 0 when zero, tag + varint otherwise (10 bytes for a negative value).</summary>
    public static int Int32(int value) => value == 0 ? 0 : 1 + (value < 0 ? 10 : Varint((uint)value));

    /// <summary>An int64 field (the step).</summary>
    public static int Int64(long value) => value == 0 ? 0 : 1 + Varint((ulong)value);

    /// <summary>A bool field: 2 bytes when true.</summary>
    public static int Bool(bool value) => value ? 2 : 0;

    /// <summary>A float32 array as a bytes field: tag + length varint + 4 bytes a value; nothing when empty.</summary>
    public static long Floats(long count) => count == 0 ? 0 : 1 + Varint((ulong)(4 * count)) + 4 * count;

    /// <summary>
    /// <c>ActivationsProduced</c> without its step field; <paramref name="fromLayer"/> is its
    /// <c>from_layer</c> field (the producer's layer + 1 when the producer is not layer − 1: a skip
    /// piece, or the input of a projection block's first conv; 0 and absent otherwise).
    /// </summary>
    public static long Activations(int layer, int tile, int from, bool train, long floats, int fromLayer = 0) =>
        Int32(layer) + Int32(tile) + Int32(from) + Bool(train) + Floats(floats) + Int32(fromLayer);

    /// <summary>
    /// <c>ErrorsProduced</c> without its step field; <paramref name="fromLayer"/> is its
    /// <c>from_layer</c> field (the consumer's layer + 1 when the consumer is not layer + 1; 0 and absent otherwise).
    /// </summary>
    public static long Errors(int layer, int tile, int from, long floats, int fromLayer = 0) =>
        Int32(layer) + Int32(tile) + Int32(from) + Floats(floats) + Int32(fromLayer);

    /// <summary><c>LogitsProduced</c> without its step field.</summary>
    public static long Logits(int tile, bool train, long floats) => Int32(tile) + Bool(train) + Floats(floats);

    /// <summary><c>StepBackpropagated</c> without its step field.</summary>
    public static long StepDone(int tile) => Int32(tile);

    /// <summary><c>SyncPartial</c> without its step field (<paramref name="to"/> = −1: the star reducer).</summary>
    public static long SyncPartial(int layer, int map, int to, int from, SyncKind kind, long floats) =>
        Int32(layer) + Int32(map) + Int32(to) + Int32(from) + Int32((int)kind) + Floats(floats);

    /// <summary><c>SyncResult</c> without its step field.</summary>
    public static long SyncResult(int layer, int map, int to, SyncKind kind, long floats) =>
        Int32(layer) + Int32(map) + Int32(to) + Int32((int)kind) + Floats(floats);
}
