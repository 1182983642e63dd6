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

    [Fact]
    public void The_pool_keeps_at_most_its_bound_per_length()
    {
        const int n = Length + 2;
        var arrays = Enumerable.Range(0, PieceBuffers.MaxPerLength + 5).Select(_ => new float[n]).ToList();
        foreach (var a in arrays) PieceBuffers.Return(a);
        var kept = new HashSet<float[]>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < PieceBuffers.MaxPerLength + 5; i++) kept.Add(PieceBuffers.Rent(n));
        Assert.Equal(PieceBuffers.MaxPerLength, kept.Count(a => arrays.Contains(a)));
    }
}
