using NodeMesh.Core.Fabric;
using NodeMesh.Core.Model;
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
}
