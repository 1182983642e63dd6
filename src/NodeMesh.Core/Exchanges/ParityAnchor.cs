using System.Numerics.Tensors;

namespace NodeMesh.Core.Exchanges;

/// <summary>
/// Step parity for weight averaging (<c>--strategy …-parity</c>). Averaging the weights of a map's N
/// units moves its mean kernel by the <em>mean</em> of the units' changes — a ConvNet at lr/N. With
/// step parity a unit contributes z = a + N·(w − a) instead of w, where a is its anchor: its weights
/// as last agreed (initially its initial weights). Any averaging of the z's keeps their mean, which is
/// mean(a) + Σ(w − a): the map moves by the <em>sum</em> of its units' changes since the last
/// agreement, as a ConvNet's shared kernel moves by the sum of its positions' gradients. For an
/// all-reduce at every step this is exact tying; with a period F &gt; 1 it sums F local steps; for
/// gossip it is push-sum on updates (each pairwise average keeps the map's mean of z). After an
/// exchange the agreed vector becomes the new anchor. The N-fold contribution is what parity
/// costs: a unit's own change weighs N times in its first exchanges, so pairs that mix few peers
/// move far (measured in docs/tying-cost.md).
/// </summary>
public sealed class ParityAnchor
{
    private readonly float[] _anchor;
    private readonly float _positions;

    /// <summary>An anchor for a unit of a map with <paramref name="positions"/> units, starting at <paramref name="initial"/>.</summary>
    public ParityAnchor(ReadOnlySpan<float> initial, int positions)
    {
        if (positions < 1) throw new ArgumentOutOfRangeException(nameof(positions), positions, "a map has at least one position");
        _anchor = initial.ToArray();
        _positions = positions;
    }

    /// <summary>The weights as last agreed.</summary>
    public ReadOnlySpan<float> Anchor => _anchor;

    /// <summary>This unit's contribution z = a + N·(w − a) for current weights <paramref name="weights"/>, as a new array.</summary>
    public float[] Contribution(ReadOnlySpan<float> weights)
    {
        var z = new float[_anchor.Length];
        Contribution(weights, z);
        return z;
    }

    /// <summary>This unit's contribution z = a + N·(w − a), written into <paramref name="z"/>.</summary>
    public void Contribution(ReadOnlySpan<float> weights, Span<float> z)
    {
        if (weights.Length != _anchor.Length || z.Length != _anchor.Length)
            throw new ArgumentException($"weights hold {weights.Length} values and z {z.Length}, the anchor {_anchor.Length}", nameof(weights));
        TensorPrimitives.Subtract(weights, _anchor, z);
        TensorPrimitives.MultiplyAdd(z, _positions, _anchor, z);
    }

    /// <summary>The exchange agreed on <paramref name="agreed"/>: it is the new anchor.</summary>
    public void Agreed(ReadOnlySpan<float> agreed)
    {
        if (agreed.Length != _anchor.Length)
            throw new ArgumentException($"agreed vector holds {agreed.Length} values, the anchor {_anchor.Length}", nameof(agreed));
        agreed.CopyTo(_anchor);
    }

    /// <summary>Writes the anchor into a unit's state record.</summary>
    public void WriteState(BinaryWriter w)
    {
        w.Write(_anchor.Length);
        foreach (float v in _anchor) w.Write(v);
    }

    /// <summary>Reads the anchor written by <see cref="WriteState"/>.</summary>
    public void ReadState(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n != _anchor.Length) throw new InvalidDataException($"the state record's parity anchor holds {n} values, the unit {_anchor.Length}");
        for (int i = 0; i < n; i++) _anchor[i] = r.ReadSingle();
    }
}
