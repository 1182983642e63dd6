using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Core.Fabric;

/// <summary>
/// Device reads and ADC conversions of the arrays. A run counts them (<see cref="Of(TrafficCounts)"/>,
/// from the compute counters every unit adds to its ledger once per batch); <see cref="PerSample(NetworkPlan)"/>
/// is the closed form of the same counts for single-device weights, which tests use as a
/// cross-check. Each unit's array holds FanIn weight devices and one bias device (driven by a
/// constant input 1); a one-sided pair reads two devices per weight, so its counted reads are twice
/// the closed form's.
/// <list type="bullet">
/// <item>Forward, per sample: every unit reads all FanIn + 1 devices (one analog MAC each) and
///   converts its one output: FanIn + 1 reads and 1 conversion per unit.</item>
/// <item>Backward, per sample, layers after the first: the transposed read of the FanIn weight
///   devices gives one input-error value per input, each converted: FanIn reads and FanIn
///   conversions per unit. The first layer sends no input error and reads nothing backward.</item>
/// <item>The weight update programs the devices by pulses (priced separately) and reads nothing.</item>
/// </list>
/// </summary>
/// <param name="ForwardReads">Device reads of the forward pass.</param>
/// <param name="BackwardReads">Device reads of the backward (input-error) pass.</param>
/// <param name="ForwardConversions">ADC conversions of the forward pass.</param>
/// <param name="BackwardConversions">ADC conversions of the backward pass.</param>
public sealed record ArrayActivity(long ForwardReads, long BackwardReads, long ForwardConversions, long BackwardConversions)
{
    /// <summary>All device reads.</summary>
    public long Reads => ForwardReads + BackwardReads;

    /// <summary>All ADC conversions.</summary>
    public long Conversions => ForwardConversions + BackwardConversions;

    /// <summary>These counts repeated <paramref name="k"/> times (e.g. per batch of k samples).</summary>
    public ArrayActivity Times(long k) => new(ForwardReads * k, BackwardReads * k, ForwardConversions * k, BackwardConversions * k);

    /// <summary>The activity the units counted in <paramref name="counts"/> (all layers; training passes only).</summary>
    public static ArrayActivity Of(TrafficCounts counts) => new(
        counts.TotalCompute(ComputeField.ForwardReads), counts.TotalCompute(ComputeField.BackwardReads),
        counts.TotalCompute(ComputeField.ForwardConversions), counts.TotalCompute(ComputeField.BackwardConversions));

    /// <summary>The array activity of one training sample of layer <paramref name="l"/> (closed form, one device per weight).</summary>
    public static ArrayActivity PerSample(WeightedLayer l)
    {
        long units = l.UnitCount, fanIn = l.FanIn;
        bool backward = l.Source >= 0; // every layer but the first, which sends no input error
        return new ArrayActivity(units * (fanIn + 1), backward ? units * fanIn : 0, units, backward ? units * fanIn : 0);
    }

    /// <summary>The array activity of one training sample of the whole network (closed form, one device per weight).</summary>
    public static ArrayActivity PerSample(NetworkPlan plan) =>
        plan.Layers.Select(PerSample).Aggregate(new ArrayActivity(0, 0, 0, 0),
            (a, b) => new ArrayActivity(a.ForwardReads + b.ForwardReads, a.BackwardReads + b.BackwardReads,
                a.ForwardConversions + b.ForwardConversions, a.BackwardConversions + b.BackwardConversions));
}

/// <summary>The fabric's energy per training sample, from the closed-form traffic of a layout and strategy.</summary>
public static class FabricEnergy
{
    /// <summary>
    /// Energy per training sample, pJ, by category:
    /// compute = <see cref="ArrayActivity.PerSample(NetworkPlan)"/> priced by the model;
    /// writes = <paramref name="pulsesPerSample"/> × pJ per pulse (0 for the ideal store);
    /// transport = (Σ over layers of activation + error byte-hops per batch, the skip transfers of
    /// residual adds included) / B × 8 × pJ/bit/hop;
    /// sync = (Σ over conv layers of the tying byte-hops of one period of F steps) / (F·B) × 8 × pJ/bit/hop.
    /// </summary>
    public static EnergyBreakdown PerSample(FabricLayout layout, StrategyOptions strategy, int batch, EnergyModel energy, double pulsesPerSample = 0)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), "the batch must hold at least one sample");
        int period = Math.Max(1, strategy.Every);
        return PerSample(layout.Plan, layout.PerBatch(batch), layout.Plan.Layers.Select(l => layout.SyncOverSteps(l, strategy, period)), period, batch, energy, pulsesPerSample);
    }

    /// <summary>
    /// <see cref="PerSample(FabricLayout, StrategyOptions, int, EnergyModel, double)"/> from traffic
    /// already computed: <paramref name="perBatch"/> = every layer's <see cref="FabricLayout.LayerTraffic"/>
    /// per batch, <paramref name="syncPerPeriod"/> = every layer's <see cref="FabricLayout.SyncOverSteps"/>
    /// over one period of <paramref name="period"/> steps (so a caller that needs the traffic too
    /// computes it once).
    /// </summary>
    public static EnergyBreakdown PerSample(NetworkPlan plan, IEnumerable<LayerTraffic> perBatch, IEnumerable<ExpectedCost> syncPerPeriod, int period, int batch,
        EnergyModel energy, double pulsesPerSample = 0)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), "the batch must hold at least one sample");
        if (period < 1) throw new ArgumentOutOfRangeException(nameof(period), "the tying period is at least one step");
        double transport = perBatch.Sum(t => (double)(t.Activation.ByteHops + t.Error.ByteHops)) / batch;
        double sync = syncPerPeriod.Sum(c => c.ByteHops) / ((double)period * batch);
        return energy.Breakdown(ArrayActivity.PerSample(plan), pulsesPerSample, transport, sync);
    }
}
