using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NodeMesh.Core.Units;

namespace NodeMesh.Actors.Units;

/// <summary>
/// Where a layer's unit actors keep the memory lines that a tying message to them reaches, for
/// cache hints only. A tying message goes to a unit that the step last touched long ago, and its
/// delivery is a chain of loads that each wait for the one before: the receiver's reference, its
/// cell, mailbox and queue (the sender's enqueue), then the actor, its counters, exchange and
/// weights (the receiver's run). Each unit writes the addresses of those lines into a record of its
/// own, two cache lines in one pinned table, while it runs and its objects are in cache; a sender
/// reads the receiver's record (one or two misses at most) and asks for every line at once, so the
/// chain's misses overlap instead of following each other.
/// <para>
/// Addresses only: nothing a unit computes reads a record, a prefetch of a stale address (an object
/// the garbage collector has moved since the record was written) cannot fault and costs only the
/// hint, and a record left empty (a unit of another member, or not yet run) hints nothing. A unit
/// rewrites its record when a collection of generation 1 or 2, which may move its objects, has
/// run since it last wrote it.
/// </para>
/// </summary>
public sealed unsafe class UnitLines
{
    /// <summary>Line addresses per unit: two cache lines of 8-byte addresses.</summary>
    public const int Slots = 16;

    private readonly nint[] _table; // pinned: its address does not change
    private readonly nint* _records; // 64-byte aligned start of unit 0's record

    public UnitLines(int units)
    {
        if (units < 0) throw new ArgumentOutOfRangeException(nameof(units));
        Units = units;
        _table = GC.AllocateArray<nint>(units * Slots + 8, pinned: true);
        nint start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_table));
        _records = (nint*)((start + 63) & ~(nint)63);
    }

    /// <summary>Units in the table.</summary>
    public int Units { get; }

    /// <summary>The record of <paramref name="unit"/>, for the unit itself to fill (<see cref="Slots"/> addresses; 0 is none).</summary>
    public Span<nint> Record(int unit)
    {
        if ((uint)unit >= (uint)Units) throw new ArgumentOutOfRangeException(nameof(unit), $"unit {unit} outside a table of {Units}");
        return new Span<nint>(_records + (nint)unit * Slots, Slots);
    }

    /// <summary>
    /// Fills the record of <paramref name="unit"/> with the lines a tying message to it reaches: its
    /// reference, three lines of its cell, two of its mailbox and of its queue, three of its actor
    /// object, two of its counters, its exchange and the first two lines of its weights (a kernel of
    /// up to 16 floats has one). The unit calls it while it runs, with its own objects.
    /// </summary>
    public void Write(int unit, Akka.Actor.ActorCell? cell, object actor, object counters, object exchange, ReadOnlySpan<float> weights)
    {
        var r = Record(unit);
        r.Clear();
        if (cell is null) return;
        r[0] = Address(cell.Self);
        nint c = Address(cell);
        r[1] = c; r[2] = c + 64; r[3] = c + 128;
        if (cell.Mailbox is { } mailbox)
        {
            nint m = Address(mailbox);
            r[4] = m; r[5] = m + 64;
            if (mailbox.MessageQueue is { } queue)
            {
                nint q = Address(queue);
                r[6] = q; r[7] = q + 64;
            }
        }
        nint a = Address(actor);
        r[8] = a; r[9] = a + 64; r[10] = a + 128;
        nint k = Address(counters);
        r[11] = k; r[12] = k + 128;
        r[13] = Address(exchange);
        fixed (float* p = weights)
        {
            r[14] = (nint)p;
            if (weights.Length > 16) r[15] = (nint)p + 64;
        }
    }

    /// <summary>Asks for every line in the record of <paramref name="unit"/> (nothing outside the table or for empty slots).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Hint(int unit)
    {
        if ((uint)unit >= (uint)Units) return;
        nint* r = _records + (nint)unit * Slots;
        for (int i = 0; i < Slots; i++)
        {
            nint a = r[i];
            if (a != 0) CacheHints.Lines((void*)a, 1);
        }
    }

    /// <summary>The address of an object (its method-table word) at this moment.</summary>
    public static nint Address(object o) => *(nint*)Unsafe.AsPointer(ref o);
}
