using NodeMesh.Core.Strategies;
using NodeMesh.TestSupport.Gossip;

namespace NodeMesh.Core.Tests.Strategies;

public sealed class GossipTests
{
    private static float[][] RandomUnits(int n, int dim, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, dim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToArray();
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 3)]
    [InlineData(7, 4)]
    public void Grid_peers_are_the_four_neighbours_fewer_on_the_border(int position, int count)
    {
        var peers = GossipPeers.Candidates(TopologyKind.Grid, 4, 5, position);
        Assert.Equal(count, peers.Length);
        foreach (int q in peers)
            Assert.Equal(1, Math.Abs(q / 5 - position / 5) + Math.Abs(q % 5 - position % 5));
    }

    [Fact]
    public void Exponential_peers_sit_at_powers_of_two_along_the_snake()
    {
        var ring = new MapTopology(TopologyKind.Ring, 4, 4);
        for (int p = 0; p < 16; p++)
        {
            var peers = GossipPeers.Candidates(TopologyKind.Exp, 4, 4, p);
            Assert.Equal(4, peers.Length); // distances 1, 2, 4, 8
            int k = ring.SnakeRank[p];
            Assert.Equal(new[] { 1, 2, 4, 8 }.Select(d => ring.Snake[(k + d) % 16]), peers);
        }
    }

    [Fact]
    public void Exponential_rounds_cycle_through_the_distances()
    {
        var cand = GossipPeers.Candidates(TopologyKind.Exp, 4, 4, 0);
        var peers = new int[1];
        var chosen = Enumerable.Range(0, 8).Select(r => { GossipPeers.Choose(TopologyKind.Exp, cand, 16, 0, 1, r, new Random(1), peers); return peers[0]; }).ToArray();
        Assert.Equal(cand.Concat(cand), chosen);
    }

    [Fact]
    public void Random_peers_are_distinct_and_never_the_unit_itself()
    {
        var rng = new Random(3);
        var peers = new int[5];
        for (int trial = 0; trial < 200; trial++)
        {
            int k = GossipPeers.Choose(TopologyKind.Random, [], 9, 4, 5, trial, rng, peers);
            Assert.Equal(5, k);
            Assert.DoesNotContain(4, peers);
            Assert.Equal(5, peers.Distinct().Count());
            Assert.All(peers, p => Assert.InRange(p, 0, 8));
        }
    }

    [Fact]
    public void Pairwise_mixing_keeps_the_pair_sum()
    {
        float[] a = [1f, 2f, -3f], b = [5f, -2f, 1f];
        var a0 = (float[])a.Clone();
        GossipPeers.Mix(a, b, 0.3f);
        GossipPeers.Mix(b, a0, 0.3f);
        for (int i = 0; i < 3; i++) Assert.Equal(a0[i] + new[] { 5f, -2f, 1f }[i], a[i] + b[i], 5);
    }

    [Theory]
    [InlineData(401)] // a conv2 unit of the reference net: whole vectors and a 1-element tail
    [InlineData(26)]
    [InlineData(5)]   // shorter than one vector
    public void Mixing_gives_the_bits_of_w_plus_a_times_peer_minus_w_rounded_step_by_step_at_every_width(int n)
    {
        var rng = new Random(n);
        var w = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var peer = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        const float a = 0.37f;
        var expected = new float[n];
        for (int i = 0; i < n; i++)
        {
            float d = peer[i] - w[i], m = a * d; // each operation rounded to float, as the engine's scalar loop did
            expected[i] = w[i] + m;
        }
        var into = new float[n];
        GossipPeers.Mix(w, peer, a, into);
        Assert.Equal(expected, into);
        var inPeer = (float[])peer.Clone();
        GossipPeers.Mix(w, inPeer, a, inPeer); // into the peer's own array, as a unit mixes an offer
        Assert.Equal(expected, inPeer);
        GossipPeers.Mix(w, peer, a); // in place
        Assert.Equal(expected, w);
    }

    [Fact]
    public void Mixing_vectors_of_different_lengths_is_refused() =>
        Assert.Throws<ArgumentException>(() => GossipPeers.Mix(new float[3], new float[4], 0.5f));

    [Theory]
    [InlineData(TopologyKind.Grid)]
    [InlineData(TopologyKind.Random)]
    [InlineData(TopologyKind.Exp)]
    public void Identical_kernels_stay_identical_under_gossip(TopologyKind kind)
    {
        var units = Enumerable.Range(0, 25).Select(_ => new[] { 0.25f, -1.5f, 3f }).ToArray();
        var (xi, _) = GossipSimulator.Run(kind, 5, 5, units, 10, 2, 0.5f, 7);
        Assert.All(xi, x => Assert.Equal(0.0, x));
        Assert.All(units, u => Assert.Equal(new[] { 0.25f, -1.5f, 3f }, u));
    }

    // Closed-form bounds on the rounds needed to shrink Ξ² to a fraction f of its start (a = 0.5):
    // randomised pairwise averaging contracts E[Ξ²] by at least 1 − λ₂/(N·d_max) per exchange over a
    // graph with Laplacian gap λ₂, hence by exp(−λ₂/d_max) per round of N exchanges: R(f) = ln(1/f)·d_max/λ₂.
    //  grid:   open H×W grid, λ₂ = 2 − 2cos(π/max(H,W)), d_max = 4.
    //  random: complete graph, λ₂ = N, d_max = N − 1, so R = ln(1/f)·(N−1)/N.
    //  exp:    every c = ⌈log₂N⌉ rounds each unit exchanges once at snake distance 1, i.e. one round on
    //          the snake ring (λ₂ = 2 − 2cos(2π/N), d_max = 2); R = c·ln(1/f)·2/λ₂. Loose: the longer
    //          distances only speed mixing up.
    public static TheoryData<TopologyKind, int, int> Maps => new()
    {
        { TopologyKind.Grid, 6, 6 }, { TopologyKind.Grid, 8, 8 },
        { TopologyKind.Random, 6, 6 }, { TopologyKind.Random, 14, 14 },
        { TopologyKind.Exp, 6, 6 }, { TopologyKind.Exp, 8, 8 },
    };

    public static int RoundBound(TopologyKind kind, int h, int w, double fraction)
    {
        int n = h * w;
        double ln = Math.Log(1 / fraction);
        return kind switch
        {
            TopologyKind.Grid => (int)Math.Ceiling(ln * 4 / GossipPeers.GridSpectralGap(h, w)),
            TopologyKind.Random => (int)Math.Ceiling(ln * (n - 1) / n),
            _ => (int)Math.Ceiling(Math.Ceiling(Math.Log2(n)) * ln * 2 / (2 - 2 * Math.Cos(2 * Math.PI / n))),
        };
    }

    [Theory]
    [MemberData(nameof(Maps))]
    public void Gossip_without_training_shrinks_consensus_distance_monotonically_within_the_closed_form_rounds(TopologyKind kind, int h, int w)
    {
        const double fraction = 0.1;
        int bound = RoundBound(kind, h, w, fraction);
        double[] mean = new double[bound + 1];
        const int seeds = 8;
        for (int s = 0; s < seeds; s++)
        {
            var units = RandomUnits(h * w, 6, 100 + s);
            var (xi, exchanges) = GossipSimulator.Run(kind, h, w, units, bound, 1, 0.5f, 100 + s);
            Assert.Equal((long)bound * h * w, exchanges);
            for (int r = 1; r <= bound; r++)
                Assert.True(xi[r] <= xi[r - 1] + 1e-9, $"Ξ² rose from {xi[r - 1]} to {xi[r]} in round {r}"); // pairwise averaging never increases it
            for (int r = 0; r <= bound; r++) mean[r] += xi[r] / seeds;
        }
        Assert.True(mean[bound] <= fraction * mean[0], $"{kind} {h}x{w}: mean Ξ² after {bound} rounds is {mean[bound] / mean[0]:P1} of its start (bound {fraction:P0})");
    }
}
