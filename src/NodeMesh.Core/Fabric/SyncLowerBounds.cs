using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;

namespace NodeMesh.Core.Fabric;

/// <summary>
/// The closed-form minimum traffic of one all-reduce of a map of N units, each holding S bytes
/// (S = (FanIn+1)·4), and the measured traffic of a topology beside it.
/// </summary>
/// <param name="Units">N, the units of the map.</param>
/// <param name="PayloadBytes">S, bytes of one unit's vector.</param>
/// <param name="LinkHops">Hops of one grid link between adjacent units of the map (the layer's stride s).</param>
/// <param name="MinBytesPerUnit">2(N−1)/N·S: bytes each unit must send in an all-reduce (ring all-reduce meets it).</param>
/// <param name="MinBytes">N × that = 2(N−1)·S bytes over the whole map.</param>
/// <param name="MinByteHops">2(N−1)·S·s byte-hops: a spanning tree over the grid carries S bytes over each of its N−1 links twice.</param>
public sealed record SyncLowerBound(int Units, long PayloadBytes, int LinkHops, double MinBytesPerUnit, long MinBytes, long MinByteHops);

/// <summary>Measured tying traffic of one map exchange against its lower bound (ratios ≥ 1 for the all-reduce topologies).</summary>
/// <param name="Bound">The closed-form minimum.</param>
/// <param name="MeasuredBytes">Payload bytes of the exchange.</param>
/// <param name="MeasuredByteHops">Byte-hops of the exchange.</param>
/// <param name="BytesRatio">MeasuredBytes / MinBytes.</param>
/// <param name="ByteHopsRatio">MeasuredByteHops / MinByteHops.</param>
public sealed record SyncEfficiency(SyncLowerBound Bound, double MeasuredBytes, double MeasuredByteHops, double BytesRatio, double ByteHopsRatio);

/// <summary>
/// Lower bounds on the data an all-reduce of one map must move.
/// <list type="bullet">
/// <item>Bytes: every unit must send at least 2(N−1)/N·S bytes (Patarasuk &amp; Yuan 2009: ring
///   all-reduce, reduce-scatter then all-gather in 2(N−1) steps of S/N bytes, meets it), so the
///   map moves at least 2(N−1)·S bytes.</item>
/// <item>Byte-hops: reducing over and broadcasting back along a spanning tree of the map's grid
///   carries S bytes over each of its N−1 links in each direction, 2(N−1)·S byte-hops with 1-hop
///   links. On the fabric a grid link between adjacent units of a layer of stride s is s hops
///   (conv2 of the reference net: 2), so the bound is 2(N−1)·S·s. A bandwidth-optimal ring over a
///   Hamiltonian cycle of grid links (N even) reaches the same 2(N−1)/N·S·N·s.</item>
/// </list>
/// </summary>
public static class SyncLowerBounds
{
    /// <summary>2(N−1)/N·S: minimum bytes each of N units sends in an all-reduce of S-byte vectors.</summary>
    public static double MinBytesPerUnit(int units, long payloadBytes) =>
        units < 2 ? 0 : 2.0 * (units - 1) / units * payloadBytes;

    /// <summary>2(N−1)·S: minimum bytes the whole map moves in one all-reduce.</summary>
    public static long MinBytes(int units, long payloadBytes) => units < 2 ? 0 : 2L * (units - 1) * payloadBytes;

    /// <summary>2(N−1)·S·linkHops: byte-hops of a spanning tree over the grid traversed up and down.</summary>
    public static long MinByteHops(int units, long payloadBytes, int linkHops = 1) =>
        units < 2 ? 0 : 2L * (units - 1) * payloadBytes * linkHops;

    /// <summary>
    /// measured / bound; 1 when both are 0, +∞ when only the bound is 0.
    /// </summary>
    public static double Ratio(double measured, double bound) =>
        bound > 0 ? measured / bound : measured == 0 ? 1.0 : double.PositiveInfinity;

    /// <summary>The bounds for one map of conv layer <paramref name="l"/> placed by <paramref name="layout"/>.</summary>
    public static SyncLowerBound ForLayer(FabricLayout layout, WeightedLayer l)
    {
        int n = l.Positions, s = layout.LinkHops(l.Index);
        long bytes = FabricModel.SyncBytes(l);
        return new SyncLowerBound(n, bytes, s, MinBytesPerUnit(n, bytes), MinBytes(n, bytes), MinByteHops(n, bytes, s));
    }

    /// <summary>Compares measured bytes and byte-hops of one map exchange with <paramref name="bound"/>.</summary>
    public static SyncEfficiency Compare(SyncLowerBound bound, double measuredBytes, double measuredByteHops) =>
        new(bound, measuredBytes, measuredByteHops, Ratio(measuredBytes, bound.MinBytes), Ratio(measuredByteHops, bound.MinByteHops));

    /// <summary>Compares one exchange of <paramref name="measured"/> traffic (one map) with the bound of its layer.</summary>
    public static SyncEfficiency Compare(FabricLayout layout, WeightedLayer l, TransportCost measured) =>
        Compare(ForLayer(layout, l), measured.Bytes, measured.ByteHops);
}
