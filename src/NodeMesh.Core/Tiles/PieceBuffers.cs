using System.Collections.Concurrent;

namespace NodeMesh.Core.Tiles;

/// <summary>
/// A process-wide pool of float arrays of exact lengths for the pieces tiles send each other (and
/// their per-step output and input-error regions), so that a training step allocates no new
/// piece arrays once the first steps have filled the pool. Ownership moves with the array: whoever
/// holds a rented array may hand it on (in a message: the receiver then owns it) or give it back with
/// <see cref="Return"/>, after which nobody may read or write it. Giving back an array that was not
/// rented (e.g. one a serializer made) is allowed; not giving one back only costs the garbage collector.
/// Rented arrays hold stale values: every caller overwrites or clears them.
/// </summary>
public static class PieceBuffers
{
    /// <summary>
    /// Arrays kept per length, at the least; more are left to the garbage collector. Short arrays
    /// may be kept up to <see cref="MaxBytesPerLength"/>: a star all-reduce holds one vector of
    /// every position of a map at once (6,272 of 401 floats in flight on the reference net's
    /// conv2), and a count bound alone sent most of them to the collector every step.
    /// </summary>
    public const int MaxPerLength = 1024;

    /// <summary>Bytes of arrays kept per length when that allows more than <see cref="MaxPerLength"/> of them.</summary>
    public const long MaxBytesPerLength = 64L << 20;

    /// <summary>How many arrays of <paramref name="length"/> floats the pool keeps.</summary>
    public static int Capacity(int length) =>
        (int)Math.Max(MaxPerLength, MaxBytesPerLength / (sizeof(float) * (long)Math.Max(1, length)));

    private static readonly ConcurrentDictionary<int, Stack<float[]>> Free = new();

    /// <summary>An array of exactly <paramref name="length"/> floats, with stale contents.</summary>
    public static float[] Rent(int length)
    {
        if (length == 0) return [];
        var stack = Free.GetOrAdd(length, static _ => new Stack<float[]>());
        lock (stack)
        {
            if (stack.Count > 0) return stack.Pop();
        }
        return new float[length];
    }

    /// <summary>An array of exactly <paramref name="length"/> zeros.</summary>
    public static float[] RentZeroed(int length)
    {
        var a = Rent(length);
        Array.Clear(a);
        return a;
    }

    /// <summary>Gives an array back; the caller must not use it afterwards. Null and empty arrays are ignored.</summary>
    public static void Return(float[]? array)
    {
        if (array is null || array.Length == 0) return;
        var stack = Free.GetOrAdd(array.Length, static _ => new Stack<float[]>());
        lock (stack)
        {
            if (stack.Count < Capacity(array.Length)) stack.Push(array);
        }
    }
}
