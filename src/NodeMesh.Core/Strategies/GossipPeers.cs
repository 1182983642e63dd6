using System.Numerics;

namespace NodeMesh.Core.Strategies;

/// <summary>
/// Who a unit may gossip with, inside its own map of H×W positions (p = u·W + v):
/// <list type="bullet">
/// <item><c>grid</c>: its 4 grid neighbours (fewer on the border); each round draws <c>fanout</c> of them.</item>
/// <item><c>random</c>: any other unit of the map, <c>fanout</c> distinct ones drawn each round.</item>
/// <item><c>exp</c>: a directed exponential graph over the snake order: the peers of snake rank k are
/// ranks k + 2^i (mod N), i = 0 … ⌈log₂N⌉−1; round r uses i = r·fanout + j (mod the peer count),
/// j = 0 … fanout−1, so consecutive rounds cycle through the distances.</item>
/// </list>
/// Draws come from the unit's own seeded <see cref="Random"/>.
/// </summary>
public static class GossipPeers
{
    /// <summary>The fixed candidate list of a position (grid neighbours or exponential peers); empty for random.</summary>
    public static int[] Candidates(TopologyKind kind, int height, int width, int position)
    {
        int n = height * width;
        switch (kind)
        {
            case TopologyKind.Grid:
                {
                    int u = position / width, v = position % width;
                    var list = new List<int>(4);
                    if (u > 0) list.Add(position - width);
                    if (v > 0) list.Add(position - 1);
                    if (v < width - 1) list.Add(position + 1);
                    if (u < height - 1) list.Add(position + width);
                    return list.ToArray();
                }
            case TopologyKind.Exp:
                {
                    var topo = new MapTopology(TopologyKind.Ring, height, width);
                    int k = topo.SnakeRank[position];
                    var list = new List<int>();
                    for (int d = 1; d < n; d *= 2)
                    {
                        int peer = topo.Snake[(k + d) % n];
                        if (peer != position && !list.Contains(peer)) list.Add(peer);
                    }
                    return list.ToArray();
                }
            case TopologyKind.Random:
                return [];
            default:
                throw new ArgumentException($"{kind} is not a gossip topology", nameof(kind));
        }
    }

    /// <summary>Chooses the peers (positions) of one round into <paramref name="peers"/>; returns how many.</summary>
    public static int Choose(TopologyKind kind, int[] candidates, int mapSize, int self, int fanout, long round, Random rng, Span<int> peers)
    {
        switch (kind)
        {
            case TopologyKind.Exp:
                {
                    int c = candidates.Length;
                    int k = Math.Min(fanout, c);
                    for (int j = 0; j < k; j++) peers[j] = candidates[(int)((round * fanout + j) % c)];
                    return k;
                }
            case TopologyKind.Grid:
                {
                    int c = candidates.Length;
                    int k = Math.Min(fanout, c);
                    Span<int> pool = stackalloc int[c];
                    candidates.CopyTo(pool);
                    for (int j = 0; j < k; j++)
                    {
                        int pick = j + rng.Next(c - j);
                        (pool[j], pool[pick]) = (pool[pick], pool[j]);
                        peers[j] = pool[j];
                    }
                    return k;
                }
            case TopologyKind.Random:
                {
                    int k = Math.Min(fanout, mapSize - 1);
                    for (int j = 0; j < k; j++)
                    {
                        int p;
                        do
                        {
                            p = rng.Next(mapSize - 1);
                            if (p >= self) p++;
                        } while (peers[..j].Contains(p));
                        peers[j] = p;
                    }
                    return k;
                }
            default:
                throw new ArgumentException($"{kind} is not a gossip topology", nameof(kind));
        }
    }

    /// <summary>The seed of a unit's own gossip random source.</summary>
    public static int UnitSeed(int runSeed, int layer, int globalUnitIndex) =>
        unchecked(runSeed * 1_000_003 + layer * 7_919 + globalUnitIndex * 31 + 17);

    /// <summary>Pairwise mixing: w ← (1−a)·w + a·peer.</summary>
    public static void Mix(Span<float> w, ReadOnlySpan<float> peer, float a) => Mix(w, peer, a, w);

    /// <summary>
    /// Pairwise mixing into <paramref name="result"/> (which may be <paramref name="w"/> or
    /// <paramref name="peer"/>): result ← (1−a)·w + a·peer, computed as w + a·(peer − w) element by
    /// element, a subtraction, a multiplication and an addition each rounded to float (no fused
    /// multiply-add), so that every vector width gives the same bits.
    /// </summary>
    public static void Mix(ReadOnlySpan<float> w, ReadOnlySpan<float> peer, float a, Span<float> result)
    {
        if (peer.Length != w.Length || result.Length != w.Length)
            throw new ArgumentException($"mixing vectors of {w.Length} and {peer.Length} values into {result.Length}");
        int i = 0;
        if (Vector.IsHardwareAccelerated && w.Length >= Vector<float>.Count)
        {
            var va = new Vector<float>(a);
            for (; i <= w.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var x = new Vector<float>(w[i..]);
                var y = new Vector<float>(peer[i..]);
                Vector.Add(x, Vector.Multiply(va, Vector.Subtract(y, x))).CopyTo(result[i..]);
            }
        }
        for (; i < w.Length; i++) result[i] = w[i] + a * (peer[i] - w[i]);
    }

    /// <summary>
    /// Open grid spectral gap estimate: λ₂ of the H×W grid Laplacian, 2 − 2cos(π / max(H, W)).
    /// Randomised pairwise averaging with uniform neighbour choice contracts E[Ξ²] by at least
    /// 1 − λ₂/(N·d_max) per exchange, i.e. about exp(−λ₂/d_max) per round of N exchanges.
    /// </summary>
    public static double GridSpectralGap(int height, int width) => 2 - 2 * Math.Cos(Math.PI / Math.Max(height, width));
}
