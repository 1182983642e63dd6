namespace NodeMesh.Core.Strategies;

/// <summary>
/// The communication structure of one feature map's tying group: N = H·W units at grid
/// positions, indexed p = u·W + v. Every all-reduce topology defines the exact order in which
/// gradients are summed, so the actor system and the actor-free engine produce the same floats.
/// </summary>
public sealed class MapTopology
{
    public TopologyKind Kind { get; }
    public int Height { get; }
    public int Width { get; }
    public int Count => Height * Width;

    /// <summary>Star: position of the reducer (the map centre, (H/2, W/2)).</summary>
    public int Centre { get; }

    /// <summary>Tree: parent of each position (−1 at the root); children in summation order.</summary>
    public int[] Parent { get; }
    public int[][] Children { get; }

    /// <summary>Ring: the snake order (row 0 left→right, row 1 right→left, …) and each position's rank in it.</summary>
    public int[] Snake { get; }
    public int[] SnakeRank { get; }

    public MapTopology(TopologyKind kind, int height, int width)
    {
        Kind = kind; Height = height; Width = width;
        int n = height * width;
        int cu = height / 2, cv = width / 2;
        Centre = cu * width + cv;
        Parent = new int[n];
        var children = new List<int>[n];
        for (int i = 0; i < n; i++) children[i] = [];
        // Spanning tree: the centre column is the trunk; every row branches out from it.
        for (int u = 0; u < height; u++)
            for (int v = 0; v < width; v++)
            {
                int p = u * width + v;
                int parent;
                if (v != cv) parent = u * width + (v < cv ? v + 1 : v - 1);
                else if (u != cu) parent = (u < cu ? u + 1 : u - 1) * width + v;
                else parent = -1;
                Parent[p] = parent;
                if (parent >= 0) children[parent].Add(p);
            }
        Children = children.Select(c => c.ToArray()).ToArray();
        Snake = new int[n];
        SnakeRank = new int[n];
        int k = 0;
        for (int u = 0; u < height; u++)
            for (int j = 0; j < width; j++)
            {
                int v = u % 2 == 0 ? j : width - 1 - j;
                Snake[k] = u * width + v;
                SnakeRank[u * width + v] = k++;
            }
    }

    /// <summary>Root of the tree (the centre).</summary>
    public int Root => Centre;

    /// <summary>Messages one all-reduce of this map sends (closed form): star 2N, tree and ring 2(N−1).</summary>
    public long MessagesPerReduce => Kind switch
    {
        TopologyKind.Star => 2L * Count,
        TopologyKind.Tree or TopologyKind.Ring => 2L * (Count - 1),
        _ => throw new InvalidOperationException($"{Kind} is not an all-reduce topology"),
    };

    /// <summary>
    /// Reduces the vectors of all positions into <paramref name="result"/> (sum) in exactly the
    /// order the units' exchanges do: every partial is <see cref="Exchanges.TyingWiring.Combine"/>
    /// of a unit's own vector and its inputs' partials (see <see cref="Exchanges.TyingWiring.AllReduce"/>).
    /// <paramref name="vector"/> returns position p's vector.
    /// </summary>
    public void Sum(Func<int, float[]> vector, Span<float> result)
    {
        switch (Kind)
        {
            case TopologyKind.Star:
                {
                    var rest = new float[Count - 1][];
                    for (int p = 1; p < Count; p++) rest[p - 1] = vector(p);
                    Exchanges.TyingWiring.Combine(vector(0), rest, result);
                    break;
                }
            case TopologyKind.Tree:
                Partial(Root, vector, result);
                break;
            case TopologyKind.Ring:
                Partial(Snake[Count - 1], vector, result);
                break;
            default:
                throw new InvalidOperationException($"{Kind} is not an all-reduce topology");
        }
    }

    private void Partial(int p, Func<int, float[]> vector, Span<float> result)
    {
        var inputs = Exchanges.TyingWiring.AllReduce(this, p).Inputs;
        var partials = new float[inputs.Length][];
        for (int i = 0; i < inputs.Length; i++)
        {
            partials[i] = new float[result.Length];
            Partial(inputs[i], vector, partials[i]);
        }
        Exchanges.TyingWiring.Combine(vector(p), partials, result);
    }
}
