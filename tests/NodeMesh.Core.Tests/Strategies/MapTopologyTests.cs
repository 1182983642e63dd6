using NodeMesh.Core.Strategies;

namespace NodeMesh.Core.Tests.Strategies;

/// <summary>Structure and summation of the all-reduce topologies of one map.</summary>
public sealed class MapTopologyTests
{
    public static TheoryData<int, int> Grids() => new() { { 1, 1 }, { 1, 5 }, { 5, 1 }, { 2, 3 }, { 4, 4 }, { 5, 5 }, { 6, 9 }, { 28, 28 } };

    public static TheoryData<TopologyKind, int, int> KindsAndGrids()
    {
        var data = new TheoryData<TopologyKind, int, int>();
        foreach (var kind in new[] { TopologyKind.Star, TopologyKind.Tree, TopologyKind.Ring })
            foreach (var (h, w) in new[] { (1, 1), (1, 5), (4, 4), (5, 5), (28, 28), (3, 7) })
                data.Add(kind, h, w);
        return data;
    }

    private static bool Adjacent(int a, int b, int width) =>
        Math.Abs(a / width - b / width) + Math.Abs(a % width - b % width) == 1;

    [Theory]
    [MemberData(nameof(Grids))]
    public void The_tree_is_a_spanning_tree_of_grid_neighbours_rooted_at_the_centre(int h, int w)
    {
        var t = new MapTopology(TopologyKind.Tree, h, w);
        int n = h * w;
        Assert.Equal((h / 2) * w + w / 2, t.Root);
        Assert.Equal(t.Centre, t.Root);
        Assert.Equal(-1, t.Parent[t.Root]);
        int edges = 0;
        for (int p = 0; p < n; p++)
        {
            if (p == t.Root) continue;
            int parent = t.Parent[p];
            Assert.InRange(parent, 0, n - 1);
            Assert.True(Adjacent(p, parent, w), $"edge {p}->{parent} joins non-neighbours on a {h}x{w} grid");
            Assert.Contains(p, t.Children[parent]);
            edges++;
            // Following parents reaches the root in fewer than n steps (no cycles).
            int cur = p, steps = 0;
            while (cur != t.Root && steps < n) { cur = t.Parent[cur]; steps++; }
            Assert.True(cur == t.Root, $"position {p} does not reach the root");
        }
        Assert.Equal(n - 1, edges);
        Assert.Equal(n - 1, t.Children.Sum(c => c.Length));
        for (int p = 0; p < n; p++)
            Assert.All(t.Children[p], c => Assert.Equal(p, t.Parent[c]));
    }

    [Theory]
    [MemberData(nameof(Grids))]
    public void The_snake_visits_every_position_once_with_consecutive_positions_adjacent(int h, int w)
    {
        var t = new MapTopology(TopologyKind.Ring, h, w);
        int n = h * w;
        Assert.Equal(n, t.Snake.Length);
        Assert.Equal(Enumerable.Range(0, n), t.Snake.Order());
        for (int k = 0; k < n; k++) Assert.Equal(k, t.SnakeRank[t.Snake[k]]);
        for (int k = 1; k < n; k++)
            Assert.True(Adjacent(t.Snake[k - 1], t.Snake[k], w), $"snake step {k - 1}->{k} ({t.Snake[k - 1]}->{t.Snake[k]}) is not a grid step on {h}x{w}");
        Assert.Equal(0, t.Snake[0]);
    }

    [Theory]
    [MemberData(nameof(Grids))]
    public void Messages_per_reduce_follow_the_closed_forms(int h, int w)
    {
        long n = h * w;
        Assert.Equal(2 * n, new MapTopology(TopologyKind.Star, h, w).MessagesPerReduce);
        Assert.Equal(2 * (n - 1), new MapTopology(TopologyKind.Tree, h, w).MessagesPerReduce);
        Assert.Equal(2 * (n - 1), new MapTopology(TopologyKind.Ring, h, w).MessagesPerReduce);
    }

    [Theory]
    [InlineData(TopologyKind.Grid)]
    [InlineData(TopologyKind.Random)]
    [InlineData(TopologyKind.Exp)]
    public void Gossip_topologies_are_not_all_reduce_topologies(TopologyKind kind)
    {
        var t = new MapTopology(kind, 3, 3);
        Assert.Throws<InvalidOperationException>(() => t.MessagesPerReduce);
        Assert.Throws<InvalidOperationException>(() => t.Sum(_ => new float[2], new float[2]));
    }

    [Theory]
    [MemberData(nameof(KindsAndGrids))]
    public void Sum_equals_a_plain_sum_of_all_positions(TopologyKind kind, int h, int w)
    {
        const int length = 37; // not a multiple of any SIMD width
        int n = h * w;
        var rng = new Random(n * 31 + (int)kind);
        var vectors = new float[n][];
        for (int p = 0; p < n; p++)
        {
            vectors[p] = new float[length];
            // Mixed signs but a positive mean, so that the sum is not a cancellation.
            for (int i = 0; i < length; i++) vectors[p][i] = (float)(rng.NextDouble() * 2 - 0.5);
        }
        var result = new float[length];
        Array.Fill(result, float.NaN);
        var asked = new int[n];
        new MapTopology(kind, h, w).Sum(p => { asked[p]++; return vectors[p]; }, result);

        Assert.All(asked, c => Assert.Equal(1, c)); // each position's vector is read exactly once
        for (int i = 0; i < length; i++)
        {
            double exact = 0, scale = 0;
            for (int p = 0; p < n; p++) { exact += vectors[p][i]; scale += Math.Abs(vectors[p][i]); }
            double tol = 1e-5 * Math.Max(Math.Abs(exact), 1e-3 * scale);
            Assert.True(Math.Abs(result[i] - exact) <= tol, $"{kind} {h}x{w} element {i}: {result[i]} vs {exact}");
        }
    }

    [Fact]
    public void Sum_on_a_single_position_is_that_position_bit_for_bit()
    {
        var v = new[] { 1.5f, -2.25f, float.Epsilon };
        foreach (var kind in new[] { TopologyKind.Star, TopologyKind.Tree, TopologyKind.Ring })
        {
            var r = new float[3];
            new MapTopology(kind, 1, 1).Sum(_ => v, r);
            Assert.Equal(v, r);
        }
    }
}
