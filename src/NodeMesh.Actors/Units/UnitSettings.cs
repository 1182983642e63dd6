using System.Collections.Concurrent;
using NodeMesh.Core.Fabric;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Training;

namespace NodeMesh.Actors.Units;

/// <summary>
/// What every tile, unit and reducer of a member shares, all immutable and rebuilt by each member
/// from the run's <see cref="RunSpec"/>: the spec itself, the network plan and the fabric layout
/// used for hop counting.
/// </summary>
public sealed record UnitSettings(RunSpec Spec, NetworkPlan Plan, FabricLayout Fabric)
{
    /// <summary>Builds the shared settings of a run from its spec.</summary>
    public static UnitSettings From(RunSpec spec)
    {
        var plan = spec.Plan();
        return new UnitSettings(spec, plan, new FabricLayout(plan, spec.Fabric));
    }

    public int LayerCount => Plan.Layers.Count;

    private readonly ConcurrentDictionary<int, MapTopology> _topologies = new();

    /// <summary>
    /// The all-reduce topology of a conv layer's maps (read-only), built once per layer and shared by
    /// its units: built per unit it cost the build O(positions) work and memory for every unit.
    /// </summary>
    private readonly ConcurrentDictionary<int, UnitLines> _lines = new();

    /// <summary>
    /// The line records of a layer's unit actors on this member, indexed map × positions + position,
    /// for the tying messages' cache hints (<see cref="UnitLines"/>); made on first use.
    /// </summary>
    public UnitLines Lines(WeightedLayer layer) =>
        _lines.GetOrAdd(layer.Index, static (_, l) => new UnitLines(l.UnitCount), layer);

    public MapTopology Topology(WeightedLayer layer) =>
        _topologies.GetOrAdd(layer.Index, static (_, a) => new MapTopology(a.Kind, a.Layer.OutHeight, a.Layer.OutWidth), (Kind: Spec.Strategy.Topology, Layer: layer));
}
