namespace NodeMesh.Core.Fabric;

/// <summary>
/// Exact transport counts of a set of logical messages on the fabric.
/// A logical message (the unit of <see cref="Metrics.FabricModel"/>) travels as one packet when all
/// the values it carries start at one mesh point, and as one packet per source map when they do
/// not (messages that gather the channels of a position under <see cref="MapLayout.Spread"/>).
/// </summary>
/// <param name="Messages">Logical messages (as counted in the traffic ledger).</param>
/// <param name="Packets">Routed packets (= messages except for multi-source messages under Spread).</param>
/// <param name="Bytes">Payload bytes (float32 × 4); the same total as the ledger's payload bytes.</param>
/// <param name="Hops">Sum over packets of the hops each travels.</param>
/// <param name="ByteHops">Sum over packets of payload bytes × hops (byte-hops).</param>
public readonly record struct TransportCost(long Messages, long Packets, long Bytes, long Hops, long ByteHops)
{
    /// <summary>No traffic.</summary>
    public static TransportCost Zero => default;

    /// <summary>One message of <paramref name="bytes"/> payload bytes sent as one packet over <paramref name="hops"/> hops.</summary>
    public static TransportCost Single(long bytes, long hops) => new(1, 1, bytes, hops, bytes * hops);

    /// <summary>Bits × hops (bit-hops), the quantity priced by <see cref="EnergyModel.LinkPjPerBitHop"/>.</summary>
    public long BitHops => ByteHops * 8;

    public static TransportCost operator +(TransportCost a, TransportCost b) =>
        new(a.Messages + b.Messages, a.Packets + b.Packets, a.Bytes + b.Bytes, a.Hops + b.Hops, a.ByteHops + b.ByteHops);

    /// <summary>These counts repeated <paramref name="k"/> times (e.g. once per map, or per exchange).</summary>
    public TransportCost Times(long k) => new(Messages * k, Packets * k, Bytes * k, Hops * k, ByteHops * k);
}

/// <summary>
/// Expected (mean) transport counts, for traffic whose peers are drawn at random (gossip) or that is
/// amortised over steps.
/// </summary>
/// <param name="Messages">Expected logical messages.</param>
/// <param name="Bytes">Expected payload bytes.</param>
/// <param name="Hops">Expected sum of hops over messages.</param>
/// <param name="ByteHops">Expected byte-hops.</param>
public readonly record struct ExpectedCost(double Messages, double Bytes, double Hops, double ByteHops)
{
    /// <summary>No traffic.</summary>
    public static ExpectedCost Zero => default;

    /// <summary>Exact counts as an expectation.</summary>
    public static ExpectedCost From(TransportCost c) => new(c.Messages, c.Bytes, c.Hops, c.ByteHops);

    public static ExpectedCost operator +(ExpectedCost a, ExpectedCost b) =>
        new(a.Messages + b.Messages, a.Bytes + b.Bytes, a.Hops + b.Hops, a.ByteHops + b.ByteHops);

    /// <summary>These counts scaled by <paramref name="k"/>.</summary>
    public ExpectedCost Times(double k) => new(Messages * k, Bytes * k, Hops * k, ByteHops * k);
}
