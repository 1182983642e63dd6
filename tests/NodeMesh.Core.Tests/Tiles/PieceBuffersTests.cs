using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Tests.Tiles;

/// <summary>The piece pool: exact lengths, reuse after return, zeroed rents, and a bound on what it keeps.</summary>
public sealed class PieceBuffersTests
{
    // Lengths no other test or tile uses, so that tests running in parallel cannot take these arrays.
    private const int Length = 7_919;

    [Fact]
    public void A_returned_array_is_rented_again_and_rents_have_the_exact_length()
    {
        var a = PieceBuffers.Rent(Length);
        Assert.Equal(Length, a.Length);
        PieceBuffers.Return(a);
        Assert.Same(a, PieceBuffers.Rent(Length));
        Assert.NotSame(a, PieceBuffers.Rent(Length)); // the pool had only one
        Assert.Empty(PieceBuffers.Rent(0));
    }

    [Fact]
    public void RentZeroed_clears_the_stale_values_of_a_returned_array()
    {
        var a = PieceBuffers.Rent(Length + 1);
        Array.Fill(a, 3f);
        PieceBuffers.Return(a);
        var b = PieceBuffers.RentZeroed(Length + 1);
        Assert.Same(a, b);
        Assert.All(b, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(Length + 2, 2_118)] // the 64 MiB budget allows 2,118 of 7,921 floats
    [InlineData(100_003, 1_024)] // very long ones: the count bound
    public void The_pool_keeps_at_most_its_bound_per_length(int n, int bound)
    {
        Assert.Equal(bound, PieceBuffers.Capacity(n));
        var arrays = Enumerable.Range(0, bound + 5).Select(_ => new float[n]).ToList();
        foreach (var a in arrays) PieceBuffers.Return(a);
        var kept = new HashSet<float[]>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < bound + 5; i++) kept.Add(PieceBuffers.Rent(n));
        Assert.Equal(bound, kept.Count(a => arrays.Contains(a)));
    }

    [Fact]
    public void Short_arrays_are_kept_by_the_thousand_so_that_a_star_all_reduce_allocates_none()
    {
        // conv2 of the reference net: 32 maps of 196 positions, each a 401-float vector, all held by
        // the maps' reducers at once (a length no other test uses stands for 401).
        const int n = 409;
        Assert.True(PieceBuffers.Capacity(n) >= 32 * 196);
        var arrays = Enumerable.Range(0, 32 * 196).Select(_ => PieceBuffers.Rent(n)).ToList();
        foreach (var a in arrays) PieceBuffers.Return(a);
        var again = new HashSet<float[]>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < arrays.Count; i++) again.Add(PieceBuffers.Rent(n));
        Assert.Equal(arrays.Count, again.Count(a => arrays.Contains(a)));
    }
}
