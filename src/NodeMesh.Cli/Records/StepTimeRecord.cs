using NodeMesh.Core.Fabric;

namespace NodeMesh.Cli.Records;

/// <summary>
/// A run's projected step time on the fabric as summary.json holds it (<see cref="StepTime"/>):
/// ns per mean step over a tying period and its parts, ns per sample, and seconds per epoch of
/// the run's own training set.
/// </summary>
/// <param name="StepNs">Mean step time over a tying period, ns.</param>
/// <param name="PerSampleNs">Step / batch, ns.</param>
/// <param name="ForwardNs">The forward wave, ns.</param>
/// <param name="BackwardNs">The backward wave, ns.</param>
/// <param name="DeviceWritesNs">One unit's untied weight writes per step, ns (0 for ideal stores).</param>
/// <param name="TyingNs">What the tying exchanges add to the mean step, ns.</param>
/// <param name="EpochSamples">Training samples per epoch of the run.</param>
/// <param name="EpochSeconds">Per sample × epoch samples, s.</param>
public sealed record StepTimeRecord(double StepNs, double PerSampleNs, double ForwardNs, double BackwardNs, double DeviceWritesNs, double TyingNs,
    long EpochSamples, double EpochSeconds)
{
    public static StepTimeRecord Of(StepTime t, long epochSamples) =>
        new(t.MeanStepNs, t.PerSampleNs, t.ForwardNs, t.BackwardNs, t.WriteNs, t.TyingNs, epochSamples, t.EpochSeconds(epochSamples));
}
