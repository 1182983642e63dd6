using NodeMesh.Core.Devices;
using NodeMesh.Core.Units;

namespace NodeMesh.Core.Tests.Devices;

/// <summary>
/// A scripted session for the checkpoint tests: a fixed list of steps (every kind of operation an
/// array offers, in the spirit of <see cref="DeviceArrayGoldenTests"/>), each of which runs one
/// or two operations on an array and returns what they produced — output-noise draws, read
/// vectors — followed by everything observable about the array (per-device persistent and
/// apparent weights and pulse counts, read vector, persistent weights, counters) as raw bits.
/// The inputs are drawn once in the constructor, so a step's result depends only on the array's
/// state: two arrays in the same state give the same bits.
/// </summary>
internal sealed class DeviceStateScript
{
    /// <summary>Weights of the scripted arrays: 15 patch rows + bias (runs of 5 do not align with the chunks of 8).</summary>
    public const int Length = 16;

    /// <summary>The seed the scripted arrays are drawn from.</summary>
    public const long Seed = 4242;

    private readonly List<(string Name, Func<DeviceArray, List<ulong>> Run)> _steps = [];

    public DeviceStateScript()
    {
        var g = new PatchGeometry(FirstRow: 1, RunCount: 3, RunLength: 5, RunStride: 6);
        int rows = g.FirstRow + (g.RunCount - 1) * g.RunStride + g.RunLength;
        var rng = new Random(11);
        float[] target = Uniform(rng, Length, 0.4), far = Uniform(rng, Length, 3);
        float[] x13 = Uniform(rng, rows * 13, 1.5, 0.3), x32 = Uniform(rng, rows * 32, 1.5, 0.3);
        var dFew = new float[13];
        dFew[2] = 0.02f; dFew[7] = -0.05f; dFew[11] = 0.003f; // few active samples: sample by sample
        float[] dAll = Uniform(rng, 32, 0.01);                 // all active: device by device
        float[] grad = Uniform(rng, Length, 0.05), small = Uniform(rng, Length, 0.002);
        float[] samples = Uniform(rng, 9 * Length, 1.2), d9 = Uniform(rng, 9, 0.02);
        for (int b = 0; b < 9; b++) samples[b * Length + Length - 1] = 1f;

        Add("program", a => a.ProgramTo(target));
        Add("few samples", a => a.ApplyBatchUpdate(x13, g, dFew, 13, 0.1f));
        Add("read", a => Bits(a.Read()));
        Add("all samples, several slots", a => a.ApplyBatchUpdate(x32, g, dAll, 32, 0.1f));
        Add("patch output noise", a => Noise(y => a.AddOutputNoise(y, x32, g, 32), 32));
        Add("one slot", a => a.ApplyBatchUpdate(x32, g, dAll, 32, 0.005f));
        Add("gradient", a => a.ApplyGradient(grad, 0.3f));
        Add("fractional gradient", a => a.ApplyGradient(small, 0.1f));
        Add("time 0.5 s", a => a.AdvanceTime(0.5));
        Add("materialised batch", a => a.ApplyBatchUpdate(samples, d9, 9, 0.2f));
        Add("single samples", a =>
        {
            a.ApplyOuterProductUpdate(samples.AsSpan(0, Length), 0.03f, 0.1f);
            a.ApplyOuterProductUpdate(samples.AsSpan(Length, Length), -0.01f, 0.3f);
            a.EndMiniBatch();
        });
        Add("time 100 s", a => a.AdvanceTime(100));
        Add("scaled output noise", a => Noise(y => a.AddOutputNoise(y, 0.7f), Length));
        Add("negative lr", a => a.ApplyBatchUpdate(x32, g, dAll, 32, -0.05f));
        Add("program beyond the bounds", a => a.ProgramTo(far));
        Add("long trains", a => a.ApplyBatchUpdate(x13, g, dFew, 13, 3f));
        Add("time 3 s", a => a.AdvanceTime(3));
        Add("reset counters", a => a.ResetCounters());
        Add("large lr and time", a =>
        {
            a.ApplyBatchUpdate(x32, g, dAll, 32, 0.5f);
            a.AdvanceTime(3);
        });
        Add("read and noise", a => [.. Bits(a.Read()), .. Noise(y => a.AddOutputNoise(y, x13, g, 13), 13)]);
    }

    /// <summary>Number of steps.</summary>
    public int Count => _steps.Count;

    /// <summary>The name of step <paramref name="i"/> (for messages).</summary>
    public string Name(int i) => _steps[i].Name;

    /// <summary>Runs step <paramref name="i"/> on <paramref name="a"/>: what it produced, then the array's observable state, as bits.</summary>
    public List<ulong> Run(int i, DeviceArray a)
    {
        var result = _steps[i].Run(a);
        Observe(a, result);
        return result;
    }

    /// <summary>Everything observable about <paramref name="a"/> without changing it, as bits.</summary>
    public static void Observe(DeviceArray a, List<ulong> into)
    {
        for (int d = 0; d < a.DeviceCount; d++)
        {
            into.Add(BitConverter.SingleToUInt32Bits(a.DeviceWeight(d)));
            into.Add(BitConverter.SingleToUInt32Bits(a.DeviceApparent(d)));
            into.Add((ulong)a.DevicePulses(d));
        }
        into.AddRange(Bits(a.PeekWeights()));
        into.AddRange(Bits(a.PersistentWeights()));
        var c = a.Counters;
        into.AddRange([(ulong)c.Weights, (ulong)c.Devices, (ulong)c.UpdatePulses, (ulong)c.ProgramPulses,
            (ulong)c.MaxPulsesPerDevice, (ulong)c.Reads, (ulong)c.ClippedUpdatePulses, (ulong)c.ClippedProgramPulses, (ulong)c.StuckDevices, (ulong)c.Refreshes]);
    }

    /// <summary>The record <see cref="IWeightStore.WriteState"/> writes.</summary>
    public static byte[] Save(IWeightStore store)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream)) store.WriteState(writer);
        return stream.ToArray();
    }

    /// <summary>Reads <paramref name="record"/> into <paramref name="store"/> and checks that exactly the record was consumed.</summary>
    public static void Load(IWeightStore store, byte[] record)
    {
        using var reader = new BinaryReader(new MemoryStream(record));
        store.ReadState(reader);
        Assert.Equal(record.Length, reader.BaseStream.Position);
    }

    private void Add(string name, Action<DeviceArray> op) => _steps.Add((name, a => { op(a); return []; }));

    private void Add(string name, Func<DeviceArray, List<ulong>> op) => _steps.Add((name, op));

    private static List<ulong> Noise(Action<float[]> add, int n)
    {
        var y = new float[n];
        add(y);
        return Bits(y);
    }

    private static List<ulong> Bits(ReadOnlySpan<float> v)
    {
        var bits = new List<ulong>(v.Length);
        foreach (float f in v) bits.Add(BitConverter.SingleToUInt32Bits(f));
        return bits;
    }

    private static float[] Uniform(Random rng, int n, double scale, double zeroFraction = 0) =>
        Enumerable.Range(0, n).Select(_ => rng.NextDouble() < zeroFraction ? 0f : (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();
}
