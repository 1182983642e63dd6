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
    public void The_tests_run_with_the_pools_ownership_checks_on() => Assert.True(PieceBuffers.Checking);

    [Fact]
    public void An_array_given_back_twice_is_refused_with_what_went_wrong()
    {
        var a = PieceBuffers.Rent(Length + 3);
        PieceBuffers.Return(a);
        var e = Assert.Throws<InvalidOperationException>(() => PieceBuffers.Return(a));
        Assert.Contains("float[7922] was given back to the piece pool while the pool already held it", e.Message);
        Assert.Same(a, PieceBuffers.Rent(Length + 3)); // still pooled once, and rented out again
        PieceBuffers.Return(a); // given back once more after renting: allowed
        Assert.Same(a, PieceBuffers.Rent(Length + 3));
    }

    [Fact]
    public void A_returned_array_reads_NaN_for_a_holder_that_still_uses_it_and_RentZeroed_clears_it()
    {
        var a = PieceBuffers.Rent(Length + 1);
        Array.Fill(a, 3f);
        PieceBuffers.Return(a);
        Assert.All(a, v => Assert.True(float.IsNaN(v))); // the ownership checks poison what is given back
        var b = PieceBuffers.RentZeroed(Length + 1);
        Assert.Same(a, b);
        Assert.All(b, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(Length + 2, 2_118, 132)] // the 64 MiB budget allows 2,118 of 7,921 floats; a thread keeps 4 MiB more
    [InlineData(100_003, 1_024, 10)] // very long ones: the count bound
    [InlineData(401, 41_838, 256)] // short ones: the thread's count bound
    public void The_pool_keeps_at_most_its_bound_per_length_plus_one_threads_own(int n, int shared, int local)
    {
        Assert.Equal(shared, PieceBuffers.Capacity(n));
        Assert.Equal(local, PieceBuffers.LocalCapacity(n));
        if (n == 401) return; // a length the tiles use: only the bounds, not the contents, are this test's
        int bound = shared + local;
        var arrays = Enumerable.Range(0, bound + 5).Select(_ => new float[n]).ToList();
        foreach (var a in arrays) PieceBuffers.Return(a);
        var kept = new HashSet<float[]>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < bound + 5; i++) kept.Add(PieceBuffers.Rent(n));
        int back = kept.Count(a => arrays.Contains(a));
        // The shared pool fills to its bound; this thread keeps between half and all of its own.
        Assert.InRange(back, shared + local / 2, bound);
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

    [Fact]
    public void Arrays_returned_on_one_thread_are_rented_on_another()
    {
        // A piece is rented by its producer tile and returned by its consumer, often on the other
        // core: the arrays must reach the other thread through the shared pool, not pile up.
        const int n = 7_927;
        int local = PieceBuffers.LocalCapacity(n);
        var arrays = Enumerable.Range(0, 4 * local).Select(_ => new float[n]).ToList();
        RunOnNewThread(() => { foreach (var a in arrays) PieceBuffers.Return(a); });
        var rented = new List<float[]>();
        RunOnNewThread(() => { for (int i = 0; i < arrays.Count; i++) rented.Add(PieceBuffers.Rent(n)); });
        // The returning thread keeps at most its own capacity; every other array was handed over.
        Assert.True(rented.Count(a => arrays.Contains(a)) >= arrays.Count - local,
            $"{rented.Count(a => arrays.Contains(a))} of {arrays.Count} arrays came back on the other thread");
    }

    [Fact]
    public void A_producer_and_a_consumer_thread_never_own_one_array_at_once()
    {
        // As tiles do: one thread rents pieces and hands them on, the other reads and returns them,
        // so every array goes back through the shared pool. An array handed out twice would be
        // stamped by the producer while the consumer still holds it.
        const int n = 7_933, pieces = 50_000;
        using var inFlight = new System.Collections.Concurrent.BlockingCollection<float[]>(boundedCapacity: 64);
        int torn = 0;
        var producer = new Thread(() =>
        {
            for (int r = 1; r <= pieces; r++)
            {
                var a = PieceBuffers.Rent(n);
                a[0] = r; a[n - 1] = r;
                inFlight.Add(a);
            }
            inFlight.CompleteAdding();
        });
        var consumer = new Thread(() =>
        {
            int expected = 1;
            foreach (var a in inFlight.GetConsumingEnumerable())
            {
                if (a[0] != expected || a[n - 1] != expected) torn++;
                expected++;
                PieceBuffers.Return(a);
            }
        });
        producer.Start(); consumer.Start();
        producer.Join(); consumer.Join();
        Assert.Equal(0, torn);
    }

    private static void RunOnNewThread(Action action)
    {
        Exception? error = null;
        var t = new Thread(() => { try { action(); } catch (Exception e) { error = e; } });
        t.Start();
        t.Join();
        if (error is not null) throw error;
    }
}
