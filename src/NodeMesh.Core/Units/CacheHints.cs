using System.Runtime.Intrinsics.X86;

namespace NodeMesh.Core.Units;

/// <summary>
/// Cache hints: asks the processor to fetch memory lines before they are used (<c>prefetcht0</c>).
/// Addresses only, nothing is read; a dropped or wrong hint costs only the hint, so results cannot
/// change. A no-op where SSE is missing.
/// </summary>
public static class CacheHints
{
    /// <summary>Hints every 64-byte line of the <paramref name="bytes"/> bytes from <paramref name="start"/>.</summary>
    public static unsafe void Lines(void* start, int bytes)
    {
        if (!Sse.IsSupported) return;
        byte* p = (byte*)start;
        for (int i = 0; i < bytes; i += 64) Sse.Prefetch0(p + i);
    }

    /// <summary>Hints every line of <paramref name="values"/> (an array's elements, not its header).</summary>
    public static unsafe void Lines<T>(T[] values) where T : unmanaged
    {
        if (values.Length == 0) return;
        fixed (T* p = values) Lines(p, values.Length * sizeof(T));
    }
}
