using System.Buffers.Binary;
using NodeMesh.Core.Devices;
using NodeMesh.Core.Units;
using static NodeMesh.Core.Tests.Devices.DeviceStateScript;

namespace NodeMesh.Core.Tests.Devices;

/// <summary>
/// Checkpoint state of <see cref="DeviceArray"/>: an array restored from another's
/// <see cref="IWeightStore.WriteState"/> record continues bit-identically (weights, read vectors,
/// output-noise draws, counters) for every preset in both pulse modes and for one-sided,
/// drifting, decaying, stuck and refreshing devices; and a bad record is refused without
/// changing the array.
/// </summary>
public sealed class DeviceStateTests
{
    private const string Drift = "gokmen-vlasov with drift";

    public static TheoryData<string, PulseMode> Configurations()
    {
        var data = new TheoryData<string, PulseMode>();
        string[] extra = [Drift, "pair-refresh", "pcm-life-drift", "sb-drift", "sb-corrupt", "es-complex", "pow", "gv-bl3", "gv-no-um"];
        foreach (string name in DeviceConfig.PresetNames.Where(n => n != "ideal").Concat(extra))
            foreach (var mode in new[] { PulseMode.Stochastic, PulseMode.Mean })
                data.Add(name, mode);
        return data;
    }

    private static DeviceConfig Build(string name, PulseMode mode) =>
        (name == Drift
            ? DeviceConfig.Parse("""{"preset":"gokmen-vlasov","drift_nu":0.1,"drift_t0":1}""")
            : DeviceArrayGoldenTests.Scenario(name)) with { Mode = mode };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void RestoredArrayContinuesBitIdentically(string name, PulseMode mode)
    {
        var config = Build(name, mode);
        var script = new DeviceStateScript();

        // The uninterrupted run, with a record before every step.
        var a = new DeviceArray(config, Length, Seed);
        var records = new List<byte[]>();
        var expected = new List<List<ulong>>();
        var positions = new List<int>();
        for (int i = 0; i < script.Count; i++)
        {
            records.Add(Save(a));
            positions.Add(a.NoiseBlockPosition);
            expected.Add(script.Run(i, a));
        }
        Assert.Contains(positions, p => p is > 0 and < DeviceNoiseSource.BufferLength); // some record holds a part-used block

        // Writing a record changes nothing: a run without records gives the same bits.
        var used = new DeviceArray(config, Length, Seed);
        for (int i = 0; i < script.Count; i++) Assert.True(expected[i].SequenceEqual(script.Run(i, used)), $"{name}: WriteState changed the run at step '{script.Name(i)}'");

        for (int k = 0; k < records.Count; k++)
        {
            // Into a fresh array, and into one whose own state (after a whole session) differs everywhere.
            foreach (var (b, kind) in new[] { (new DeviceArray(config, Length, Seed), "fresh"), (used, "used") })
            {
                Load(b, records[k]);
                Assert.Equal(records[k], Save(b));
                for (int i = k; i < script.Count; i++)
                    Assert.True(expected[i].SequenceEqual(script.Run(i, b)),
                        $"{name} {mode}: {kind} array restored before step '{script.Name(k)}' diverges at step '{script.Name(i)}'");
            }
        }
    }

    [Fact]
    public void ScriptReachesRefreshDriftDecayAndCarries()
    {
        // The continuation test is only as strong as the paths the script takes.
        var script = new DeviceStateScript();
        long refreshes = 0;
        var refresh = new DeviceArray(Build("pair-refresh", PulseMode.Stochastic), Length, Seed);
        for (int i = 0; i < script.Count; i++)
        {
            refreshes = Math.Max(refreshes, refresh.Counters.Refreshes);
            script.Run(i, refresh);
        }
        Assert.True(refreshes > 0, "no one-sided pair was refreshed");

        var drift = new DeviceArray(Build(Drift, PulseMode.Stochastic), Length, Seed);
        drift.ProgramTo(Enumerable.Repeat(0.3f, Length).ToArray());
        float[] before = drift.PersistentWeights();
        drift.AdvanceTime(100);
        Assert.NotEqual(before, drift.PersistentWeights());

        var decay = new DeviceArray(Build("pcm-life-drift", PulseMode.Stochastic), Length, Seed);
        decay.ProgramTo(Enumerable.Repeat(0.3f, Length).ToArray());
        before = decay.PersistentWeights();
        decay.EndMiniBatch();
        Assert.NotEqual(before, decay.PersistentWeights());

        var mean = new DeviceArray(Build("gokmen-vlasov", PulseMode.Mean), Length, Seed);
        var other = new DeviceArray(Build("gokmen-vlasov", PulseMode.Mean), Length, Seed);
        for (int i = 0; i < 8; i++) script.Run(i, mean);
        // The carries are state: the record differs from a fresh array's although the run has left them fractional.
        Assert.NotEqual(Save(mean)[^(8 + 2 * 4 * Length)..^8], Save(other)[^(8 + 2 * 4 * Length)..^8]);
    }

    [Fact]
    public void DisplayNameDoesNotMatter()
    {
        var a = new DeviceArray(DeviceConfig.Load("reram-sb"), Length, Seed);
        a.ProgramTo(TestDevices.Targets(Length, 0.5, 1));
        var b = new DeviceArray(DeviceConfig.Load("reram-sb") with { Name = "reram-sb.json (reram-sb)" }, Length, Seed);
        Load(b, Save(a));
        Assert.Equal(a.PeekWeights().ToArray(), b.PeekWeights().ToArray());
    }

    // ---------------------------------------------------------------- refusals

    private static DeviceArray Used(DeviceConfig config, int length = Length, long seed = Seed)
    {
        var a = new DeviceArray(config, length, seed);
        a.ProgramTo(TestDevices.Targets(length, 0.5, 2));
        a.ApplyGradient(TestDevices.Targets(length, 0.01, 3), 0.5f);
        return a;
    }

    /// <summary>Asserts that loading <paramref name="record"/> into <paramref name="b"/> throws naming <paramref name="reason"/> and leaves it unchanged.</summary>
    private static void AssertRefused(IWeightStore b, byte[] record, string reason)
    {
        byte[] before = Save(b);
        var e = Assert.Throws<InvalidDataException>(() => Load(b, record));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Save(b));
    }

    [Theory]
    [InlineData("gokmen-vlasov")]
    [InlineData("pcm-life-drift")]
    public void TruncatedRecordIsRefusedAtEveryLength(string name)
    {
        var config = DeviceArrayGoldenTests.Scenario(name) with { Mode = PulseMode.Mean };
        byte[] record = Save(Used(config));
        var b = new DeviceArray(config, Length, Seed);
        for (int cut = 0; cut < record.Length; cut++) AssertRefused(b, record[..cut], "truncated");
    }

    [Fact]
    public void RecordOfAnotherLengthKindSeedOrConfigurationIsRefused()
    {
        var config = DeviceConfig.Load("gokmen-vlasov");
        byte[] record = Save(Used(config));
        AssertRefused(new DeviceArray(config, Length + 1, Seed), record, $"{Length} weights; this store holds {Length + 1}");
        AssertRefused(Used(config, Length - 1), record, $"{Length} weights; this store holds {Length - 1}");
        AssertRefused(new DeviceArray(config, Length, Seed + 1), record, $"seed {Seed}; this store was drawn from seed {Seed + 1}");
        AssertRefused(new DeviceArray(config with { Mode = PulseMode.Mean }, Length, Seed), record, "another device configuration");
        AssertRefused(new DeviceArray(config with { OutNoise = 0.05 }, Length, Seed), record, "another device configuration");
        AssertRefused(new DeviceArray(DeviceConfig.Load("pcm"), Length, Seed), record, "another device configuration");
        AssertRefused(new IdealWeightStore(Length), record, "written by a device array; this store is an ideal float store");

        var ideal = new IdealWeightStore(Length);
        ideal.ProgramTo(TestDevices.Targets(Length, 0.5, 4));
        AssertRefused(Used(config), Save(ideal), "written by an ideal float store; this store is a device array");
    }

    [Fact]
    public void GarbageWrongVersionAndCorruptPayloadAreRefused()
    {
        var config = DeviceConfig.Load("reram-es");
        byte[] record = Save(Used(config));
        var b = Used(config, seed: Seed);
        b.ApplyGradient(TestDevices.Targets(Length, 0.02, 5), 1f);

        var rng = new Random(5);
        for (int trial = 0; trial < 20; trial++)
        {
            var garbage = new byte[rng.Next(0, 2 * record.Length)];
            rng.NextBytes(garbage);
            Assert.Throws<InvalidDataException>(() => Load(b, garbage));
        }
        AssertRefused(b, [.. "NMWX"u8, .. record[4..]], "format tag 4E4D5758");

        byte[] version = (byte[])record.Clone();
        version[4] = 2;
        AssertRefused(b, version, "format version 2");

        byte[] size = (byte[])record.Clone();
        size[27]++;
        AssertRefused(b, size, "payload of");

        for (int at = 31; at < record.Length; at += 37)
        {
            byte[] flipped = (byte[])record.Clone();
            flipped[at] ^= 0x10;
            AssertRefused(b, flipped, "checksum");
        }
    }

    [Theory]
    [InlineData(0, 65, "noise block position 65")]
    [InlineData(0, -1, "noise block position -1")]
    [InlineData(1, 0, "noise generator state is all zero")]
    [InlineData(2, 0, "pulse-train generator lane 3 is all zero")]
    [InlineData(3, 0, "negative pulse count")]
    public void ForgedValuesWithAValidChecksumAreRefusedBeforeAnythingIsReplaced(int field, int value, string reason)
    {
        // TestDevices.Exact: single devices, no write noise, no drift, stochastic mode; the payload is
        // counters (48 bytes), weights and pulses (4 bytes per device each), noise words (32), position, block, train words.
        var config = TestDevices.Exact();
        byte[] record = Save(Used(config));
        const int header = 31, counters = 48, weights = 4 * Length, pulses = 4 * Length;
        int noise = header + counters + weights + pulses, position = noise + 32, train = position + 4 + 4 * 64;
        var forged = (byte[])record.Clone();
        switch (field)
        {
            case 0: BinaryPrimitives.WriteInt32LittleEndian(forged.AsSpan(position), value); break;
            case 1: forged.AsSpan(noise, 32).Clear(); break;
            case 2: foreach (int word in new[] { 0, 8, 16, 24 }) forged.AsSpan(train + 4 * (word + 3), 4).Clear(); break;
            default: BinaryPrimitives.WriteInt32LittleEndian(forged.AsSpan(header + counters + weights + 4 * 5), -7); break;
        }
        BinaryPrimitives.WriteUInt64LittleEndian(forged.AsSpan(forged.Length - 8), WeightStoreState.Checksum(forged.AsSpan(header, forged.Length - header - 8)));

        var b = new DeviceArray(config, Length, Seed);
        b.ProgramTo(TestDevices.Targets(Length, 0.3, 6));
        AssertRefused(b, forged, reason);
    }
}
