using System.Text;
using NodeMesh.Core.Units;

namespace NodeMesh.Core.Devices;

/// <summary>
/// The checkpoint payload of a <see cref="DeviceArray"/> (framed by <see cref="WeightStoreState"/>):
/// every piece of state a later operation reads. n is the device count (Length, or 2·Length for
/// one-sided pairs), L the length; little-endian; sections in brackets only when the
/// configuration has the feature:
/// <code>
/// counters          6 × i64: reads, update pulses, program pulses, clipped update pulses, refreshes,
///                            clipped program pulses
/// weights           n × f32  persistent weight per device
/// [apparent]        n × f32  persistent + write noise of the last write (write_noise_std &gt; 0)
/// [read vector]     L × f32  g⁺ − g⁻ per weight (one-sided pairs)
/// pulses            n × i32  pulses per device (endurance)
/// [drift clock]     n × f32  weight after the last write, then n × f64 seconds since it (drift_nu &gt; 0)
/// noise stream      4 × u64  xoshiro256** words, i32 position in the block (64 = used up), 64 × f32 block
/// train stream      32 × u32 xoshiro128** lanes: s0[0..8], s1[0..8], s2[0..8], s3[0..8]
/// [carries]         L × f32 up, then L × f32 down (mode mean)
/// </code>
/// Not saved, because the constructor recomputes them identically from the configuration and
/// seed (which the header's configuration hash and seed make the reader match): each device's
/// parameters and stuck flag, the reset values of one-sided pairs, lifetime retention factors and
/// drift exponents; nor the per-batch scratch, which every update writes before it reads it.
/// </summary>
internal sealed class DeviceArrayState(DeviceConfig config, long seed, DeviceCells cells, DeviceNoiseSource noise, PulseTrainUpdater updater)
{
    private const int CounterCount = 6, NoiseWordCount = 4, TrainWordCount = 32;

    /// <summary>The header a record of this array carries (kind, length, seed, configuration hash, payload size).</summary>
    public WeightStoreHeader Header => new(WeightStoreKind.DeviceArray, cells.Length, seed, ConfigHash(config), PayloadBytes());

    /// <summary>
    /// FNV-1a 64 of the configuration's complete JSON (<see cref="DeviceConfig.ToJson"/>) without its
    /// display name, which does not change the devices (a file loaded from another path is renamed).
    /// </summary>
    public static ulong ConfigHash(DeviceConfig config) =>
        WeightStoreState.Checksum(Encoding.UTF8.GetBytes(DeviceConfig.ToJson(config with { Name = "" })));

    private int PayloadBytes()
    {
        long n = cells.DeviceCount, length = cells.Length;
        long bytes = sizeof(long) * CounterCount
            + sizeof(float) * n                                            // weights
            + (cells.ApparentWeights is null ? 0 : sizeof(float) * n)
            + (cells.OneSided ? sizeof(float) * length : 0)                // read vector
            + sizeof(int) * n                                              // pulses
            + (cells.LastWritten is null ? 0 : (sizeof(float) + sizeof(double)) * n)
            + sizeof(ulong) * NoiseWordCount + sizeof(int) + sizeof(float) * DeviceNoiseSource.BufferLength
            + sizeof(uint) * TrainWordCount
            + (updater.CarryUp is null ? 0 : 2 * sizeof(float) * length);
        return checked((int)bytes);
    }

    /// <summary>Writes the payload (changes nothing).</summary>
    public void Write(BinaryWriter w)
    {
        foreach (long c in (ReadOnlySpan<long>)[cells.Reads, cells.UpdatePulses, cells.ProgramPulses, cells.Clipped, cells.Refreshes, cells.ProgramClipped]) w.Write(c);
        WeightStoreState.WriteFloats(w, cells.Weights);
        if (cells.ApparentWeights is { } apparent) WeightStoreState.WriteFloats(w, apparent);
        if (cells.OneSided) WeightStoreState.WriteFloats(w, cells.ReadVector);
        foreach (int p in cells.Pulses) w.Write(p);
        if (cells.LastWritten is { } lastWritten)
        {
            WeightStoreState.WriteFloats(w, lastWritten);
            foreach (double t in cells.SinceWrite!) w.Write(t);
        }
        Span<ulong> words = stackalloc ulong[NoiseWordCount];
        Span<float> normals = stackalloc float[DeviceNoiseSource.BufferLength];
        noise.GetState(words, normals, out int position);
        foreach (ulong x in words) w.Write(x);
        w.Write(position);
        WeightStoreState.WriteFloats(w, normals);
        Span<uint> lanes = stackalloc uint[TrainWordCount];
        updater.GetTrainState(lanes);
        foreach (uint x in lanes) w.Write(x);
        if (updater.CarryUp is { } carryUp)
        {
            WeightStoreState.WriteFloats(w, carryUp);
            WeightStoreState.WriteFloats(w, updater.CarryDown!);
        }
    }

    /// <summary>
    /// Reads a payload of this array's layout (its size already checked) into temporaries and
    /// checks the values that would break an invariant (generator states, block position, counts);
    /// throws <see cref="InvalidDataException"/> without touching the array.
    /// </summary>
    public Snapshot Read(BinaryReader r)
    {
        int n = cells.DeviceCount, length = cells.Length;
        var s = new Snapshot
        {
            Counters = [r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64()],
            Weights = WeightStoreState.ReadFloats(r, n),
            Apparent = cells.ApparentWeights is null ? null : WeightStoreState.ReadFloats(r, n),
            ReadVector = cells.OneSided ? WeightStoreState.ReadFloats(r, length) : null,
            Pulses = ReadInts(r, n),
        };
        if (cells.LastWritten is not null)
        {
            s.LastWritten = WeightStoreState.ReadFloats(r, n);
            s.SinceWrite = new double[n];
            for (int d = 0; d < n; d++) s.SinceWrite[d] = r.ReadDouble();
        }
        for (int i = 0; i < NoiseWordCount; i++) s.NoiseWords[i] = r.ReadUInt64();
        s.NoisePosition = r.ReadInt32();
        s.Normals = WeightStoreState.ReadFloats(r, DeviceNoiseSource.BufferLength);
        for (int i = 0; i < TrainWordCount; i++) s.TrainWords[i] = r.ReadUInt32();
        if (updater.CarryUp is not null)
        {
            s.CarryUp = WeightStoreState.ReadFloats(r, length);
            s.CarryDown = WeightStoreState.ReadFloats(r, length);
        }
        if (r.BaseStream.Position != r.BaseStream.Length)
            throw new InvalidOperationException("device-array state layout and reader disagree"); // a bug, not bad data
        Check(s);
        return s;
    }

    private static void Check(Snapshot s)
    {
        foreach (long c in s.Counters)
            if (c < 0) throw WeightStoreState.Invalid("negative activity counter");
        foreach (int p in s.Pulses)
            if (p < 0) throw WeightStoreState.Invalid("negative pulse count");
        if (s.SinceWrite is not null)
            foreach (double t in s.SinceWrite)
                if (!(t >= 0)) throw WeightStoreState.Invalid("negative or undefined time since a write");
        // xoshiro never leaves an all-zero state, so such a state cannot have been written.
        if ((s.NoiseWords[0] | s.NoiseWords[1] | s.NoiseWords[2] | s.NoiseWords[3]) == 0)
            throw WeightStoreState.Invalid("noise generator state is all zero");
        for (int lane = 0; lane < 8; lane++)
            if ((s.TrainWords[lane] | s.TrainWords[8 + lane] | s.TrainWords[16 + lane] | s.TrainWords[24 + lane]) == 0)
                throw WeightStoreState.Invalid($"pulse-train generator lane {lane} is all zero");
        if (s.NoisePosition is < 0 or > DeviceNoiseSource.BufferLength)
            throw WeightStoreState.Invalid($"noise block position {s.NoisePosition} outside [0, {DeviceNoiseSource.BufferLength}]");
    }

    /// <summary>Replaces the array's state by a checked <see cref="Snapshot"/> (cannot fail).</summary>
    public void Commit(Snapshot s)
    {
        cells.Reads = s.Counters[0];
        cells.UpdatePulses = s.Counters[1];
        cells.ProgramPulses = s.Counters[2];
        cells.Clipped = s.Counters[3];
        cells.Refreshes = s.Counters[4];
        cells.ProgramClipped = s.Counters[5];
        s.Weights.CopyTo(cells.Weights);
        s.Apparent?.CopyTo(cells.ApparentWeights!);
        // Single devices: the read vector aliases the apparent (or persistent) weights just copied.
        s.ReadVector?.CopyTo(cells.ReadVector);
        s.Pulses.CopyTo(cells.Pulses);
        s.LastWritten?.CopyTo(cells.LastWritten!);
        s.SinceWrite?.CopyTo(cells.SinceWrite!);
        noise.SetState(s.NoiseWords, s.Normals, s.NoisePosition);
        updater.SetTrainState(s.TrainWords);
        s.CarryUp?.CopyTo(updater.CarryUp!);
        s.CarryDown?.CopyTo(updater.CarryDown!);
    }

    private static int[] ReadInts(BinaryReader r, int count)
    {
        var values = new int[count];
        for (int i = 0; i < values.Length; i++) values[i] = r.ReadInt32();
        return values;
    }

    /// <summary>A read but not yet committed state (the temporaries that make a load all-or-nothing).</summary>
    public sealed class Snapshot
    {
        public long[] Counters = [];
        public float[] Weights = [];
        public float[]? Apparent, ReadVector, LastWritten, CarryUp, CarryDown;
        public int[] Pulses = [];
        public double[]? SinceWrite;
        public readonly ulong[] NoiseWords = new ulong[NoiseWordCount];
        public int NoisePosition;
        public float[] Normals = [];
        public readonly uint[] TrainWords = new uint[TrainWordCount];
    }
}
