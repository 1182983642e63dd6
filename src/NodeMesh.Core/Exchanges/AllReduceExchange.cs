using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Exchanges;

/// <summary>Where a tying exchange's messages go; the actor behind it routes and counts them.</summary>
public interface ITyingOutbox
{
    /// <summary>Sends a partial sum (or a unit's own vector) to a position of the map or to <see cref="TyingWiring.Reducer"/>.</summary>
    void SendPartial(int toPosition, long step, SyncKind kind, float[] values);

    /// <summary>Sends the reduced vector to a position of the map.</summary>
    void SendResult(int toPosition, long step, SyncKind kind, float[] values);
}

/// <summary>
/// One unit's side of its map's all-reduce (star, tree or ring) as a state object: it takes the
/// unit's own vector and the tying messages that arrive, emits the messages to send through an
/// <see cref="ITyingOutbox"/>, and returns the reduced vector once this unit has it. States:
/// closed → open (waiting for its inputs' partials, then for the result) → closed. Partials for
/// the next exchange may arrive before this unit opens it and are kept. A vector passed in or
/// out is never written after it has been sent. Partials have one owner each (the unit's own
/// vector is handed over by <see cref="Open"/>, a received partial by its sender): once combined
/// they go back to <see cref="PieceBuffers"/>, and the combined partial sent on is rented from it.
/// A result is shared by every unit below (never given back).
/// </summary>
public sealed class AllReduceExchange
{
    private readonly UnitTying _tying;
    private readonly Strategies.ReduceOp _reduce;
    private readonly List<(long Step, int From, float[] Values)> _early = [];
    private readonly float[]?[] _inputs;
    private readonly List<float[]> _ordered;
    private float[]? _own;
    private int _have;

    public AllReduceExchange(UnitTying tying, Strategies.ReduceOp reduce)
    {
        _tying = tying;
        _reduce = reduce;
        _inputs = new float[tying.Inputs.Length][];
        _ordered = new List<float[]>(tying.Inputs.Length);
    }

    /// <summary>True from <see cref="Open"/> until this unit has the reduced vector.</summary>
    public bool IsOpen { get; private set; }

    /// <summary>The step of the open (or last) exchange.</summary>
    public long Step { get; private set; } = -1;

    /// <summary>The kind of the open (or last) exchange.</summary>
    public SyncKind Kind { get; private set; }

    /// <summary>
    /// Opens the exchange of <paramref name="step"/> with this unit's vector (which it hands
    /// over). Returns the reduced vector when this unit already has it — a map of one unit —
    /// and null otherwise.
    /// </summary>
    public float[]? Open(long step, SyncKind kind, float[] own, ITyingOutbox outbox)
    {
        if (IsOpen) throw new InvalidOperationException($"tying exchange of step {Step} is still open when step {step} opens");
        IsOpen = true;
        Step = step;
        Kind = kind;
        _own = own;
        _have = 0;
        Array.Clear(_inputs);
        for (int i = _early.Count - 1; i >= 0; i--)
        {
            var e = _early[i];
            if (e.Step != step) continue;
            Accept(e.From, e.Values);
            _early.RemoveAt(i);
        }
        return TryReduce(outbox);
    }

    /// <summary>A partial from one of this unit's inputs; returns the reduced vector if this completes the exchange here.</summary>
    public float[]? OnPartial(long step, SyncKind kind, int from, float[] values, ITyingOutbox outbox)
    {
        if (!IsOpen || step != Step)
        {
            if (IsOpen && step < Step || !IsOpen && step <= Step)
                throw new InvalidOperationException($"a tying partial of step {step} from position {from} arrived after that exchange closed");
            _early.Add((step, from, values));
            return null;
        }
        if (kind != Kind) throw new InvalidOperationException($"a {kind} partial from position {from} arrived in a {Kind} exchange of step {step}");
        Accept(from, values);
        return TryReduce(outbox);
    }

    /// <summary>The reduced vector from upstream: passed on down the topology and returned for this unit to apply.</summary>
    public float[] OnResult(long step, SyncKind kind, float[] values, ITyingOutbox outbox)
    {
        if (!IsOpen || step != Step)
            throw new InvalidOperationException($"a tying result of step {step} arrived while {(IsOpen ? $"step {Step} is open" : "no exchange is open")}");
        if (_own is not null)
            throw new InvalidOperationException($"a tying result of step {step} arrived before this unit sent its partial");
        foreach (int d in _tying.Down) outbox.SendResult(d, step, kind, values);
        IsOpen = false;
        return values;
    }

    private void Accept(int from, float[] values)
    {
        int slot = Array.IndexOf(_tying.Inputs, from);
        if (slot < 0) throw new InvalidOperationException($"position {from} is not an input of this unit's reduction");
        if (_inputs[slot] is not null) throw new InvalidOperationException($"position {from} sent two partials for step {Step}");
        _inputs[slot] = values;
        _have++;
    }

    private float[]? TryReduce(ITyingOutbox outbox)
    {
        if (_own is null || _have < _inputs.Length) return null;
        float[] acc;
        if (_inputs.Length == 0) acc = _own;
        else
        {
            _ordered.Clear();
            foreach (var v in _inputs) _ordered.Add(v!);
            acc = PieceBuffers.Rent(_own.Length);
            TyingWiring.Combine(_own, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ordered), acc);
            PieceBuffers.Return(_own);
            foreach (var v in _ordered) PieceBuffers.Return(v);
            _ordered.Clear();
            Array.Clear(_inputs);
        }
        _own = null;
        if (!_tying.EndsReduction)
        {
            outbox.SendPartial(_tying.Up, Step, Kind, acc);
            return null;
        }
        TyingWiring.Finish(acc, Kind, _reduce, _tying.GroupSize);
        foreach (int d in _tying.Down) outbox.SendResult(d, Step, Kind, acc);
        IsOpen = false;
        return acc;
    }
}

/// <summary>
/// The star topology's central point as a state object: it collects the vectors of all N units
/// of its map, sums them in position order, and sends the result to every unit (2 messages per
/// unit per exchange). The vectors it receives are its own once summed and go back to
/// <see cref="PieceBuffers"/>; the result is shared by the map's units.
/// </summary>
public sealed class StarReduction
{
    private readonly Strategies.ReduceOp _reduce;
    private readonly float[]?[] _received;
    private readonly List<float[]> _ordered;
    private int _count;
    private long _step = -1;
    private SyncKind _kind;

    public StarReduction(int groupSize, Strategies.ReduceOp reduce)
    {
        if (groupSize < 1) throw new ArgumentOutOfRangeException(nameof(groupSize));
        _reduce = reduce;
        _received = new float[groupSize][];
        _ordered = new List<float[]>(groupSize);
    }

    /// <summary>Takes one unit's vector; returns true when it completed the exchange (the results are sent).</summary>
    public bool OnPartial(long step, SyncKind kind, int from, float[] values, ITyingOutbox outbox)
    {
        if (from < 0 || from >= _received.Length) throw new InvalidOperationException($"the reducer of a {_received.Length}-unit map got a vector from position {from}");
        if (_count == 0) { _step = step; _kind = kind; }
        else if (step != _step || kind != _kind)
            throw new InvalidOperationException($"the reducer got a {kind} vector of step {step} from position {from} while the {_kind} exchange of step {_step} is open");
        if (_received[from] is not null) throw new InvalidOperationException($"the reducer got position {from} twice in step {step}");
        _received[from] = values;
        if (++_count < _received.Length) return false;
        _ordered.Clear();
        for (int p = 1; p < _received.Length; p++) _ordered.Add(_received[p]!);
        var acc = new float[values.Length];
        TyingWiring.Combine(_received[0], System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ordered), acc);
        TyingWiring.Finish(acc, _kind, _reduce, _received.Length);
        for (int p = 0; p < _received.Length; p++) outbox.SendResult(p, _step, _kind, acc);
        foreach (var v in _received) PieceBuffers.Return(v);
        _ordered.Clear();
        Array.Clear(_received);
        _count = 0;
        return true;
    }
}
