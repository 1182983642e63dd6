using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Core.Fabric;

/// <summary>
/// One weighted layer of a <see cref="Projection"/>: its activation and error transport per batch
/// (<see cref="FabricLayout.LayerTraffic"/>) and its tying traffic over one period of F steps, all
/// maps (<see cref="FabricLayout.SyncOverSteps"/>; zero for dense layers and for none).
/// </summary>
public sealed record LayerProjection(WeightedLayer Layer, LayerTraffic PerBatch, ExpectedCost SyncPerPeriod);

/// <summary>
/// The cost of training a network on the fabric under one strategy and one cast, per training
/// sample, from the same closed forms the runs are checked against (<see cref="FabricLayout"/>,
/// <see cref="FabricEnergy"/>, <see cref="ConventionalBaseline"/>): what <c>nodemesh project</c>
/// prints for nets too large to train. Nothing here is enumerated per unit except the tying edges
/// of one map per layer (star, tree, ring) and one exponential-gossip round per offset.
/// Per-sample figures are per-batch totals / B and per-period totals / (F·B): a run whose step
/// count is a multiple of F counts exactly steps × B × these.
/// </summary>
/// <param name="Plan">The network.</param>
/// <param name="Strategy">The tying strategy.</param>
/// <param name="Fabric">Layout, layer hops and cast of the fabric.</param>
/// <param name="Batch">Samples per training step.</param>
/// <param name="Layers">Every weighted layer's traffic.</param>
/// <param name="Energy">Fabric energy per sample by category, pJ (ideal stores: no write pulses).</param>
/// <param name="Baseline">The conventional baseline of the same net and batch.</param>
public sealed record Projection(
    NetworkPlan Plan, StrategyOptions Strategy, FabricOptions Fabric, int Batch,
    IReadOnlyList<LayerProjection> Layers, EnergyBreakdown Energy, BaselineReport Baseline)
{
    /// <summary>Steps per tying period: F (1 for none).</summary>
    public int Period => Math.Max(1, Strategy.Every);

    /// <summary>Activation traffic (inputs, pool gather, logits) per sample.</summary>
    public ExpectedCost ActivationPerSample => Sum(Layers.Select(l => ExpectedCost.From(l.PerBatch.Activation))).Times(1.0 / Batch);

    /// <summary>Error traffic (input errors, pool scatter, deltas) per sample.</summary>
    public ExpectedCost ErrorPerSample => Sum(Layers.Select(l => ExpectedCost.From(l.PerBatch.Error))).Times(1.0 / Batch);

    /// <summary>
    /// Skip traffic of residual adds per sample, one direction (<see cref="LayerTraffic.Skip"/>; zero for a
    /// net without residual blocks). <see cref="ActivationPerSample"/> and <see cref="ErrorPerSample"/>
    /// each include it once.
    /// </summary>
    public ExpectedCost SkipPerSample => Sum(Layers.Select(l => ExpectedCost.From(l.PerBatch.Skip))).Times(1.0 / Batch);

    /// <summary>Tying traffic per sample (expected for random and exponential gossip; exact otherwise).</summary>
    public ExpectedCost SyncPerSample => Sum(Layers.Select(l => l.SyncPerPeriod)).Times(1.0 / ((double)Period * Batch));

    /// <summary>Tying traffic of layer <paramref name="layer"/> per sample.</summary>
    public ExpectedCost LayerSyncPerSample(int layer) => Layers[layer].SyncPerPeriod.Times(1.0 / ((double)Period * Batch));

    /// <summary>Share of tying in all byte-hops on the fabric (0 when nothing moves).</summary>
    public double SyncShareOfByteHops
    {
        get
        {
            double sync = SyncPerSample.ByteHops, total = sync + ActivationPerSample.ByteHops + ErrorPerSample.ByteHops;
            return total > 0 ? sync / total : 0;
        }
    }

    /// <summary>Share of tying in all fabric energy.</summary>
    public double SyncShareOfEnergy => Energy.TotalPj > 0 ? Energy.SyncPj / Energy.TotalPj : 0;

    private static ExpectedCost Sum(IEnumerable<ExpectedCost> costs) => costs.Aggregate(ExpectedCost.Zero, (a, b) => a + b);

    /// <summary>
    /// Projects <paramref name="plan"/> for every strategy under every fabric: activation and error
    /// traffic once per fabric, tying traffic once per strategy (it does not depend on the cast).
    /// Results are ordered fabric by fabric, strategies in the order given.
    /// </summary>
    public static IReadOnlyList<Projection> Compute(NetworkPlan plan, IReadOnlyList<StrategyOptions> strategies, IReadOnlyList<FabricOptions> fabrics,
        int batch, EnergyModel? energy = null)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), "the batch must hold at least one sample");
        energy ??= EnergyModel.Default;
        var baseline = ConventionalBaseline.Compute(plan, batch, energy);
        var sync = new Dictionary<(StrategyOptions, MapLayout, int), ExpectedCost[]>();
        var result = new List<Projection>();
        foreach (var fabric in fabrics)
        {
            var layout = new FabricLayout(plan, fabric);
            var perBatch = layout.PerBatch(batch);
            foreach (var strategy in strategies)
            {
                int period = Math.Max(1, strategy.Every);
                var key = (strategy, fabric.Layout, fabric.LayerHops);
                if (!sync.TryGetValue(key, out var tying))
                    sync[key] = tying = plan.Layers.Select(l => layout.SyncOverSteps(l, strategy, period)).ToArray();
                var layers = plan.Layers.Select(l => new LayerProjection(l, perBatch[l.Index], tying[l.Index])).ToArray();
                var e = FabricEnergy.PerSample(plan, perBatch, tying, period, batch, energy);
                result.Add(new Projection(plan, strategy, fabric, batch, layers, e, baseline));
            }
        }
        return result;
    }
}
