using System.Collections.Concurrent;

namespace NodeMesh.Core.Tiles;

/// <summary>
/// A process-wide pool of float arrays of exact lengths for the pieces tiles send each other (and
/// their per-step output and input-error regions), so that a training step allocates no new
/// piece arrays once the first steps have filled the pool. Ownership moves with the array: whoever
/// holds a rented array may hand it on (in a message: the receiver then owns it) or give it back with
/// <see cref="Return"/>, after which nobody may read or write it. Giving back an array that was not
/// rented (e.g. one a serializer made) is allowed; not giving one back only costs the garbage collector.
/// Each thread keeps a few arrays of each length for itself (<see cref="LocalCapacity"/>) and
/// trades with the shared pool in batches, so that the two cores do not contend for one lock per piece.
/// Rented arrays hold stale values: every caller overwrites or clears them.
/// With <see cref="Checking"/> on (the tests turn it on; <c>NODEMESH_POOL_CHECK=1</c> turns it on in
/// any process) the pool also enforces that ownership: an array given back twice throws, and every
/// array given back is filled with NaN, so that a holder that still reads it after giving it back
/// sees NaN instead of somebody else's values.
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

    /// <summary>How many arrays of <paramref name="length"/> floats the shared pool keeps (each thread keeps up to <see cref="LocalCapacity"/> more).</summary>
    public static int Capacity(int length) =>
        (int)Math.Max(MaxPerLength, MaxBytesPerLength / (sizeof(float) * (long)Math.Max(1, length)));

    /// <summary>Bytes of arrays of one length that a thread keeps for itself before it hands half of them to the shared pool.</summary>
    public const long LocalBytesPerLength = 4L << 20;

    /// <summary>
    /// How many arrays of <paramref name="length"/> floats one thread keeps beside the shared pool
    /// (between 2 and 256). The process keeps at most <see cref="Capacity"/> shared arrays per length
    /// plus this many per thread.
    /// </summary>
    public static int LocalCapacity(int length) =>
        (int)Math.Clamp(LocalBytesPerLength / (sizeof(float) * (long)Math.Max(1, length)), 2, 256);

    private static readonly ConcurrentDictionary<int, Stack<float[]>> Shared = new();

    /// <summary>The environment variable that turns <see cref="Checking"/> on when set to 1.</summary>
    public const string CheckingVariable = "NODEMESH_POOL_CHECK";

    private static bool s_checking = Environment.GetEnvironmentVariable(CheckingVariable) == "1";
    private static readonly HashSet<float[]> s_pooled = new(ReferenceEqualityComparer.Instance); // arrays in the pool, while checking

    /// <summary>
    /// Whether the pool checks ownership (off by default: it takes a lock per rent and return):
    /// <see cref="Return"/> throws for an array already in the pool and fills what it takes with NaN.
    /// Arrays given back before it was turned on are not tracked.
    /// </summary>
    public static bool Checking
    {
        get => Volatile.Read(ref s_checking);
        set => Volatile.Write(ref s_checking, value);
    }

    // Each thread's own arrays by length, and the last length it used: a tile's or unit's rent and
    // return touch no lock and no shared cache line until a thread runs out or over. Arrays move
    // between threads (a piece rented by one tile is returned by its consumer on another thread)
    // through the shared pool, in batches of half a thread's capacity.
    [ThreadStatic] private static Dictionary<int, Local>? t_locals;
    [ThreadStatic] private static Local? t_last;

    private sealed class Local(int length)
    {
        public readonly int Length = length;
        public readonly float[][] Items = new float[LocalCapacity(length)][];
        public readonly Stack<float[]> Shared = PieceBuffers.Shared.GetOrAdd(length, static _ => new Stack<float[]>());
        public int Count;
    }

    /// <summary>An array of exactly <paramref name="length"/> floats, with stale contents.</summary>
    public static float[] Rent(int length)
    {
        if (length == 0) return [];
        var local = LocalFor(length);
        if (local.Count == 0)
        {
            var shared = local.Shared;
            lock (shared)
            {
                int take = Math.Min(shared.Count, Math.Max(1, local.Items.Length / 2));
                for (int i = 0; i < take; i++) local.Items[local.Count++] = shared.Pop();
            }
            if (local.Count == 0) return new float[length];
        }
        var a = local.Items[--local.Count];
        local.Items[local.Count] = null!;
        if (s_checking) lock (s_pooled) s_pooled.Remove(a);
        return a;
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
        if (s_checking) Check(array);
        var local = LocalFor(array.Length);
        if (local.Count == local.Items.Length)
        {
            // Full: half of this thread's arrays go to the shared pool, as far as its bound allows.
            var shared = local.Shared;
            int give = local.Items.Length / 2, capacity = Capacity(array.Length);
            lock (shared)
            {
                for (int i = 0; i < give; i++)
                {
                    var a = local.Items[--local.Count];
                    local.Items[local.Count] = null!;
                    if (shared.Count < capacity) shared.Push(a);
                    else if (s_checking) lock (s_pooled) s_pooled.Remove(a); // left to the collector
                }
            }
        }
        local.Items[local.Count++] = array;
    }

    private static void Check(float[] array)
    {
        lock (s_pooled)
        {
            if (!s_pooled.Add(array))
                throw new InvalidOperationException($"a float[{array.Length}] was given back to the piece pool while the pool already held it: " +
                    "two owners gave back the same array (e.g. one array sent in two messages, or given back after it was handed on)");
        }
        array.AsSpan().Fill(float.NaN);
    }

    private static Local LocalFor(int length)
    {
        var last = t_last;
        if (last is not null && last.Length == length) return last;
        var locals = t_locals ??= [];
        if (!locals.TryGetValue(length, out var local)) locals[length] = local = new Local(length);
        t_last = local;
        return local;
    }
}
