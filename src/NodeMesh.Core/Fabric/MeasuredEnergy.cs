using NodeMesh.Core.Metrics;

namespace NodeMesh.Core.Fabric;

/// <summary>Energy of one training sample by category, in pJ.</summary>
/// <param name="Compute">Device reads and ADC conversions of the arrays.</param>
/// <param name="DeviceWrites">Programming pulses.</param>
/// <param name="ActivationTransport">Activation byte-hops on the fabric.</param>
/// <param name="ErrorTransport">Error byte-hops on the fabric.</param>
/// <param name="SyncTransport">Weight-tying (sync) byte-hops on the fabric.</param>
public sealed record EnergyPerSample(double Compute, double DeviceWrites, double ActivationTransport, double ErrorTransport, double SyncTransport)
{
    /// <summary>Sum of the categories, pJ.</summary>
    public double Total => Compute + DeviceWrites + ActivationTransport + ErrorTransport + SyncTransport;
}

/// <summary>
/// Energy per training sample of an epoch from what was counted during it, as opposed to
/// <see cref="FabricEnergy"/>, which prices the closed-form traffic of a layout.
/// </summary>
public static class MeasuredEnergy
{
    /// <summary>
    /// pJ per sample of an epoch of <paramref name="samples"/> training samples:
    /// compute = the device reads and ADC conversions the units counted in the epoch
    /// (<see cref="ArrayActivity.Of(TrafficCounts)"/>) priced by the model / samples; writes = the
    /// programming pulses of the epoch (the cumulative device
    /// counters of <paramref name="epoch"/> minus those of <paramref name="previous"/>) × pJ per
    /// pulse / samples; transport per category = its counted byte-hops × 8 × pJ/bit/hop / samples.
    /// An epoch without samples is priced as one sample, so the result stays finite.
    /// </summary>
    /// <param name="energy">The prices.</param>
    /// <param name="epoch">The epoch's counts: traffic and compute of the epoch, device counters cumulative.</param>
    /// <param name="samples">Training samples of the epoch.</param>
    /// <param name="previous">The previous epoch's counts; null for the first epoch (no pulses before it).</param>
    public static EnergyPerSample PerSample(EnergyModel energy, TrafficCounts epoch, int samples, TrafficCounts? previous = null)
    {
        double n = Math.Max(1, samples);
        long pulsesBefore = previous is null ? 0 : DeviceActivity.Of(previous).TotalPulses;
        long pulses = DeviceActivity.Of(epoch).TotalPulses - pulsesBefore;
        return new EnergyPerSample(
            energy.ComputePj(ArrayActivity.Of(epoch)) / n,
            energy.WritePj(pulses) / n,
            energy.TransportPj(epoch.TotalByteHops(TrafficCategory.Activation)) / n,
            energy.TransportPj(epoch.TotalByteHops(TrafficCategory.Error)) / n,
            energy.TransportPj(epoch.TotalByteHops(TrafficCategory.Sync)) / n);
    }
}
