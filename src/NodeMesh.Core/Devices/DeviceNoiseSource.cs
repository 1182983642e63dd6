using System.Runtime.CompilerServices;

namespace NodeMesh.Core.Devices;

/// <summary>
/// The array's own random stream (one <see cref="DeviceRng"/>, seeded from its own stream of the
/// array's seed): standard normals for cycle-to-cycle, write, reset and output noise, drawn 64 at
/// a time into a buffer, and raw uniform draws (the delta's pulse train, stochastic rounding of
/// gradient writes) taken from the same generator. Normals and uniforms interleave in call order
/// — a uniform comes after the whole buffered block of normals — and that interleaving is part of
/// the array's reproducible behaviour, so every consumer must draw through this one object.
/// Not thread-safe (one owner).
/// </summary>
internal sealed class DeviceNoiseSource
{
    /// <summary>Normals drawn per block (part of the checkpoint layout).</summary>
    public const int BufferLength = 64;

    private readonly float[] _normals = new float[BufferLength];
    private int _normalIndex = BufferLength;
    private DeviceRng _rng; // mutable struct: only ever called through this field

    /// <summary>Seeds the generator; the first <see cref="Normal"/> fills the buffer.</summary>
    public DeviceNoiseSource(ulong seed) => _rng = new DeviceRng(seed);

    /// <summary>The next standard normal N(0, 1) of the stream (from the buffer, refilled 64 at a time).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Normal()
    {
        int i = _normalIndex;
        if (i >= _normals.Length)
        {
            _rng.FillNormals(_normals);
            i = 0;
        }
        _normalIndex = i + 1;
        return _normals[i];
    }

    /// <summary>
    /// Copies the generator's four words, the buffered block and the position of the next normal in
    /// it (<see cref="BufferLength"/> = all used) into the arguments (checkpoints).
    /// </summary>
    public void GetState(Span<ulong> words, Span<float> normals, out int position)
    {
        _rng.GetState(words);
        _normals.CopyTo(normals);
        position = _normalIndex;
    }

    /// <summary>Replaces the state by <see cref="GetState"/>'s (checked by the caller: words not all zero, position in [0, BufferLength]).</summary>
    public void SetState(ReadOnlySpan<ulong> words, ReadOnlySpan<float> normals, int position)
    {
        _rng.SetState(words);
        normals.CopyTo(_normals);
        _normalIndex = position;
    }

    /// <summary>The next 32 uniform bits, straight from the generator (not from the normal buffer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint NextUInt32() => _rng.NextUInt32();

    /// <summary>The next uniform in [0, 1), straight from the generator (not from the normal buffer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => _rng.NextDouble();
}
