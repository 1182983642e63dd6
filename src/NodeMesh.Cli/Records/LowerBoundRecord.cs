using NodeMesh.Core.Fabric;

namespace NodeMesh.Cli.Records;

/// <summary>
/// Measured sync traffic of one conv layer per map exchange next to its closed-form minimum
/// (<see cref="MeasuredSyncBound"/>): bytes per unit, byte-hops per map exchange, and their
/// ratios. <see cref="ExchangesPerMap"/> is null in hand-written or older files that lack it.
/// </summary>
public sealed record LowerBoundRecord(long? ExchangesPerMap, double MeasuredSyncBytesPerUnit, double MinSyncBytesPerUnit, double BytesRatio,
    double MeasuredByteHops, long MinByteHops, double ByteHopsRatio)
{
    public static LowerBoundRecord Of(MeasuredSyncBound b) =>
        new(b.ExchangesPerMap, b.MeasuredBytesPerUnit, b.MinBytesPerUnit, b.BytesRatio, b.MeasuredByteHops, b.MinByteHops, b.ByteHopsRatio);
}
