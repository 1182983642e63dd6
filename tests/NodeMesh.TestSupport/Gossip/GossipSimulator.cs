using NodeMesh.Core.Strategies;

namespace NodeMesh.TestSupport.Gossip;

/// <summary>
/// Gossip on one map without actors and without training, for studying mixing: in every round
/// each unit, in a seeded random order, runs its exchanges (the same peer choice and mixing rule
/// as the actors) one after another. Exchanges are sequential, so no offer is ever declined.
/// </summary>
public static class GossipSimulator
{
    /// <summary>Consensus distance Ξ² = mean over units of ‖w_i − w̄‖².</summary>
    public static double ConsensusDistance(float[][] units)
    {
        int n = units.Length, d = units[0].Length;
        double total = 0;
        for (int i = 0; i < d; i++)
        {
            double mean = 0;
            for (int p = 0; p < n; p++) mean += units[p][i];
            mean /= n;
            for (int p = 0; p < n; p++) { double x = units[p][i] - mean; total += x * x; }
        }
        return total / n;
    }

    /// <summary>
    /// Runs <paramref name="rounds"/> rounds on <paramref name="units"/> (vectors by position, changed
    /// in place); returns Ξ² before the first round and after every round, and counts exchanges.
    /// </summary>
    public static (double[] Consensus, long Exchanges) Run(TopologyKind kind, int height, int width, float[][] units,
        int rounds, int fanout, float mix, int seed)
    {
        int n = height * width;
        var candidates = Enumerable.Range(0, n).Select(p => GossipPeers.Candidates(kind, height, width, p)).ToArray();
        var rngs = Enumerable.Range(0, n).Select(p => new Random(GossipPeers.UnitSeed(seed, 0, p))).ToArray();
        var order = new Random(seed);
        var xi = new double[rounds + 1];
        xi[0] = ConsensusDistance(units);
        var peers = new int[Math.Max(1, fanout)];
        var mine = new float[units[0].Length];
        long exchanges = 0;
        for (int r = 0; r < rounds; r++)
        {
            var perm = Enumerable.Range(0, n).OrderBy(_ => order.Next()).ToArray();
            foreach (int p in perm)
            {
                int k = GossipPeers.Choose(kind, candidates[p], n, p, fanout, r, rngs[p], peers);
                for (int j = 0; j < k; j++)
                {
                    var q = units[peers[j]];
                    units[p].CopyTo(mine, 0);
                    GossipPeers.Mix(units[p], q, mix);
                    GossipPeers.Mix(q, mine, mix);
                    exchanges++;
                }
            }
            xi[r + 1] = ConsensusDistance(units);
        }
        return (xi, exchanges);
    }
}
