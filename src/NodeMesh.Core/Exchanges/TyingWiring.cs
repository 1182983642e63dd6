using NodeMesh.Core.Fabric;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Core.Exchanges;

/// <summary>What a tying exchange carries.</summary>
public enum SyncKind
{
    /// <summary>Gradients, combined by sum or mean, applied as an SGD step (all-reduce, F = 1).</summary>
    Gradient = 0,
    /// <summary>Weights, averaged and written into the units (periodic model averaging).</summary>
    Weights = 1,
}

/// <summary>
/// One unit's place in its map's all-reduce. Positions are p = u·W + v within the map;
/// <see cref="TyingWiring.Reducer"/> names the star's reducer and <see cref="TyingWiring.None"/>
/// "nobody" (the end of the reduction).
/// </summary>
/// <param name="Up">Where this unit's partial goes once it has all its <paramref name="Inputs"/>.</param>
/// <param name="Down">Where the final result goes next, in send order.</param>
/// <param name="Inputs">Whose partials this unit adds to its own vector, in summation order.</param>
/// <param name="GroupSize">Units of the map (N).</param>
public sealed record UnitTying(int Up, int[] Down, int[] Inputs, int GroupSize)
{
    /// <summary>True for the unit that ends the reduction and starts the broadcast (tree root, ring tail).</summary>
    public bool EndsReduction => Up == TyingWiring.None;
}

/// <summary>
/// Who talks to whom when the units of a map tie their weights: a pure function of the map
/// shape and the strategy, shared by the unit actors, the star reducers, the actor-free engine
/// and the wiring of a cluster (which only has to translate positions into addresses).
/// </summary>
public static class TyingWiring
{
    /// <summary>The star reducer of a map (the same value as <see cref="SyncEdge.Reducer"/>).</summary>
    public const int Reducer = SyncEdge.Reducer;

    /// <summary>No peer: the end of a reduction.</summary>
    public const int None = -2;

    /// <summary>The all-reduce role of <paramref name="position"/> in <paramref name="topology"/>.</summary>
    public static UnitTying AllReduce(MapTopology topology, int position)
    {
        int n = topology.Count;
        switch (topology.Kind)
        {
            case TopologyKind.Star:
                return new UnitTying(Reducer, [], [], n);
            case TopologyKind.Tree:
                {
                    int parent = topology.Parent[position];
                    var children = topology.Children[position];
                    return new UnitTying(parent < 0 ? None : parent, children, children, n);
                }
            case TopologyKind.Ring:
                {
                    // Reduce along the snake (rank k adds rank k−1's partial); the tail finishes and
                    // passes the result to rank 0, and every rank k < n−2 passes it to rank k+1.
                    int k = topology.SnakeRank[position];
                    int up = k < n - 1 ? topology.Snake[k + 1] : None;
                    int[] inputs = k > 0 ? [topology.Snake[k - 1]] : [];
                    int[] down = k == n - 1 ? (n > 1 ? [topology.Snake[0]] : []) : (k < n - 2 ? [topology.Snake[k + 1]] : []);
                    return new UnitTying(up, down, inputs, n);
                }
            default:
                throw new ArgumentException($"{topology.Kind} is not an all-reduce topology", nameof(topology));
        }
    }

    /// <summary>
    /// The positions a gossiping unit may send to: the peers it offers to (its candidates) and
    /// the units that offer to it (it answers them), ascending. Random gossip may meet any unit
    /// of the map. For every position of the map at once (the exponential graph is directed, so
    /// the in-neighbours come from inverting every unit's candidates).
    /// </summary>
    public static int[][] GossipRoutes(TopologyKind kind, int height, int width)
    {
        int n = height * width;
        if (kind == TopologyKind.Random)
            return Enumerable.Range(0, n).Select(p => Enumerable.Range(0, n).Where(q => q != p).ToArray()).ToArray();
        var sets = new SortedSet<int>[n];
        for (int p = 0; p < n; p++) sets[p] = [];
        for (int p = 0; p < n; p++)
            foreach (int q in GossipPeers.Candidates(kind, height, width, p))
            {
                sets[p].Add(q);
                sets[q].Add(p);
            }
        return sets.Select(s => s.ToArray()).ToArray();
    }

    /// <summary>The gossip routes of one position (see <see cref="GossipRoutes(TopologyKind, int, int)"/>).</summary>
    public static int[] GossipRoutes(TopologyKind kind, int height, int width, int position) => GossipRoutes(kind, height, width)[position];

    /// <summary>
    /// The one definition of how a tying exchange sums: the unit's own vector, then each input
    /// partial in the order the wiring lists them. Units, reducers and the actor-free engine all
    /// call this, so every execution adds the same floats in the same order.
    /// </summary>
    public static void Combine(ReadOnlySpan<float> own, ReadOnlySpan<float[]> inputsInOrder, Span<float> result)
    {
        own.CopyTo(result);
        for (int i = 0; i < inputsInOrder.Length; i++)
            System.Numerics.Tensors.TensorPrimitives.Add(result, inputsInOrder[i], result);
    }

    /// <summary>
    /// The end of a reduction: weights are averaged, and gradients too when the run reduces by
    /// mean (scaled in place by 1/N).
    /// </summary>
    public static void Finish(Span<float> sum, SyncKind kind, ReduceOp reduce, int groupSize)
    {
        if (kind == SyncKind.Weights || reduce == ReduceOp.Mean)
            System.Numerics.Tensors.TensorPrimitives.Multiply(sum, 1f / groupSize, sum);
    }
}
