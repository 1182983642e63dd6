using System.Runtime.CompilerServices;
using NodeMesh.Core.Units;

namespace NodeMesh.Actors.Units;

/// <summary>
/// A tile's unit actors in sweep order, for cache hints only. A sweep visits a tile's units one
/// mailbox run after another, and what a run costs is mostly the cache misses of reaching a unit
/// that the sweep last touched a step ago (its actor, state, counters, weights and mailbox). While
/// one unit computes, it asks the processor to fetch the lines of the next unit (and the actor
/// object of the one after), so they are in cache when their turn comes. Nothing is read from a
/// peer that changes what any unit computes: the hints take addresses, never values, and a wrong or
/// stale address costs only the hint. Each unit puts itself in the table as it is constructed.
/// </summary>
public sealed class SweepPeers(int units)
{
    private readonly UnitActor?[] _units = new UnitActor?[units];

    /// <summary>Enters the unit at its sweep index; each index once.</summary>
    public void Register(int index, UnitActor unit)
    {
        if ((uint)index >= (uint)_units.Length) throw new ArgumentOutOfRangeException(nameof(index), $"sweep index {index} outside a tile of {_units.Length} units");
        if (Interlocked.CompareExchange(ref _units[index], unit, null) is not null)
            throw new InvalidOperationException($"two units claimed sweep index {index}");
    }

    /// <summary>The unit <paramref name="ahead"/> places after <paramref name="index"/> in the sweep, or null (past the tile's end, or not constructed yet).</summary>
    public UnitActor? After(int index, int ahead)
    {
        int i = index + ahead;
        return (uint)i < (uint)_units.Length ? Volatile.Read(ref _units[i]) : null;
    }

    /// <summary>Hints the first three cache lines of an object (its header and first fields).</summary>
    public static unsafe void Object(object? o)
    {
        if (o is null) return;
        CacheHints.Lines(*(byte**)Unsafe.AsPointer(ref o), 192);
    }

    /// <summary>Hints up to the first 512 bytes of a float vector (the hardware prefetcher streams the rest).</summary>
    public static unsafe void Floats(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) return;
        fixed (float* p = values) CacheHints.Lines(p, Math.Min(values.Length * sizeof(float), 512));
    }
}
