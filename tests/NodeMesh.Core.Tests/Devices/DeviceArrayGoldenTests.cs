using NodeMesh.Core.Devices;
using NodeMesh.Core.Units;

namespace NodeMesh.Core.Tests.Devices;

/// <summary>
/// Bit-identity guard for <see cref="DeviceArray"/>: one scripted session per configuration —
/// construction, program-to-target, pulse-train updates down both batch paths (sample by sample
/// and device by device, one and many firing slots, negative learning rate), the materialised and
/// single-sample updates, a gradient write, decay/refresh, drift, both output-noise overloads and a
/// saturating re-program — folds every device's parameters, persistent and apparent weight, pulse
/// count, the read vector and the counters into one 64-bit fingerprint after each step. The
/// expected fingerprints were recorded before DeviceArray was split into its concept classes; any
/// change to a floating-point result, the order of a random draw or a counter changes them.
/// The values come from x64 .NET on Linux: the step and drift laws call the platform's libm
/// (MathF.Exp/Pow/Log), so another platform's libm may legitimately give other bits.
/// </summary>
public sealed class DeviceArrayGoldenTests
{
    public static DeviceConfig Scenario(string name) => name switch
    {
        "gv-mean" => DeviceConfig.Load("gokmen-vlasov") with { Mode = PulseMode.Mean },
        "gv-no-um" => DeviceConfig.Load("gokmen-vlasov") with { UpdateManagement = false },
        "gv-bl3" => DeviceConfig.Load("gokmen-vlasov") with { DesiredBl = 3, ProgramMaxPulses = 40 },
        "sb-corrupt" => DeviceConfig.Load("reram-sb") with { CorruptDevicesProb = 0.2 },
        "sb-drift" => DeviceConfig.Load("reram-sb") with { DriftNu = 0.1, DriftNuDtod = 0.3, DriftT0 = 1 },
        "es-complex" => DeviceConfig.Load("reram-es") with { DwMinStdAdd = 0.0005, DwMinStdSlope = 0.002 },
        "pow" => new DeviceConfig { Model = DeviceModel.PowStep, PowGamma = 1.7, PowUpDown = 0.1, PowUpDownDtod = 0.05, WriteNoiseStd = 2 },
        "linear-additive" => new DeviceConfig { Model = DeviceModel.LinearStep, GammaUp = 0.4, GammaDown = 0.7, MultNoise = false, WriteNoiseStd = 1 },
        "pcm-life-drift" => DeviceConfig.Load("pcm") with { Lifetime = 50, LifetimeDtod = 0.2, DriftNu = 0.05, DriftNuDtod = 0.3, DriftT0 = 1, ResetDtod = 0.1, ResetStd = 0.05 },
        "pcm-mean" => DeviceConfig.Load("pcm") with { Mode = PulseMode.Mean },
        "pair-refresh" => new DeviceConfig { WMin = 0, WMax = 0.5, OneSided = true, DwMin = 0.01, RefreshUpperThres = 0.3, RefreshLowerThres = 0.05, ResetStd = 0.02 },
        _ => DeviceConfig.Load(name),
    };

    [Theory]
    [InlineData("idealized", "acc64011924ed223")]
    [InlineData("gokmen-vlasov", "b4fd26b9c2cea104")]
    [InlineData("reram-es", "162cf1af309766e1")]
    [InlineData("reram-sb", "511ce2d843862141")]
    [InlineData("ecram", "2c5ba334a262c1cc")]
    [InlineData("capacitor", "2f21c521b251fa17")]
    [InlineData("pcm", "119ccc6d467cf1a1")]
    [InlineData("gv-mean", "e3346c6be802306b")]
    [InlineData("gv-no-um", "88642184f425af40")]
    [InlineData("gv-bl3", "986782cd45d71a74")]
    [InlineData("sb-corrupt", "d5812e232b853fbc")]
    [InlineData("sb-drift", "1c7c08e0980eacc1")]
    [InlineData("es-complex", "91fe7000fb8c6ed3")]
    [InlineData("pow", "aab1155824c5f9b7")]
    [InlineData("linear-additive", "f64679b78994fb16")]
    [InlineData("pcm-life-drift", "127c52cd04e8082c")]
    [InlineData("pcm-mean", "807276cb12a3665a")]
    [InlineData("pair-refresh", "f1210e3c15b8a8d4")]
    public void SessionIsBitIdenticalToTheRecordedOne(string scenario, string expected)
    {
        Assert.Equal(expected, Fingerprint(Scenario(scenario)).ToString("x16"));
    }

    /// <summary>A word-wise FNV-style hash with an extra shift (enough to catch any changed bit).</summary>
    private struct Hash()
    {
        public ulong Value = 14695981039346656037UL;

        public void Add(ulong v)
        {
            Value = (Value ^ v) * 1099511628211UL;
            Value ^= Value >> 29;
        }

        public void Add(float v) => Add(BitConverter.SingleToUInt32Bits(v));

        public void Add(ReadOnlySpan<float> v)
        {
            Add((ulong)v.Length);
            foreach (float f in v) Add(f);
        }
    }

    private static void AddState(ref Hash h, DeviceArray a)
    {
        for (int d = 0; d < a.DeviceCount; d++)
        {
            h.Add(a.DeviceWeight(d));
            h.Add(a.DeviceApparent(d));
            h.Add((ulong)a.DevicePulses(d));
        }
        h.Add(a.PeekWeights());
        h.Add(a.PersistentWeights());
        var c = a.Counters;
        foreach (long v in new[] { c.Weights, c.Devices, c.UpdatePulses, c.ProgramPulses, c.MaxPulsesPerDevice, c.Reads, c.ClippedUpdatePulses, c.StuckDevices, c.Refreshes })
            h.Add((ulong)v);
    }

    private static float[] Uniform(Random rng, int n, double scale, double zeroFraction = 0) =>
        Enumerable.Range(0, n).Select(_ => rng.NextDouble() < zeroFraction ? 0f : (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();

    public static ulong Fingerprint(DeviceConfig config)
    {
        // Runs of 5 rows do not align with the eight-device chunks; 15 rows + bias = 16 weights.
        var g = new PatchGeometry(FirstRow: 1, RunCount: 3, RunLength: 5, RunStride: 6);
        int rows = g.FirstRow + (g.RunCount - 1) * g.RunStride + g.RunLength, length = g.Rows + 1;
        var rng = new Random(7);
        var h = new Hash();
        var a = new DeviceArray(config, length, seed: 4242);
        for (int d = 0; d < a.DeviceCount; d++)
        {
            var p = a.ParamsOf(d);
            h.Add(p.BMin); h.Add(p.BMax); h.Add(p.DwUp); h.Add(p.DwDown); h.Add(p.SUp); h.Add(p.SDown); h.Add(p.Stuck ? 1UL : 0UL);
        }
        AddState(ref h, a);

        a.ProgramTo(Uniform(rng, length, 0.4));
        AddState(ref h, a);

        var x13 = Uniform(rng, rows * 13, 1.5, 0.3);
        var dFew = new float[13];
        dFew[2] = 0.02f; dFew[7] = -0.05f; dFew[11] = 0.003f; // few active: sample by sample
        var x32 = Uniform(rng, rows * 32, 1.5, 0.3);
        var dAll = Uniform(rng, 32, 0.01);                   // all active: device by device
        for (int step = 0; step < 3; step++)
        {
            a.ApplyBatchUpdate(x13, g, dFew, 13, 0.1f);
            AddState(ref h, a);
            a.ApplyBatchUpdate(x32, g, dAll, 32, 0.1f);       // several firing slots
            AddState(ref h, a);
            a.ApplyBatchUpdate(x32, g, dAll, 32, 0.005f);     // k < 1: one slot
            AddState(ref h, a);
            a.ApplyBatchUpdate(x32, g, dAll, 32, -0.05f);     // negative learning rate
            AddState(ref h, a);
            a.ApplyBatchUpdate(x13, g, dFew, 13, 3f);         // long trains, saturated probabilities
            AddState(ref h, a);
        }

        var samples = Uniform(rng, 9 * length, 1.2);
        for (int b = 0; b < 9; b++) samples[b * length + length - 1] = 1f;
        a.ApplyBatchUpdate(samples, Uniform(rng, 9, 0.02), 9, 0.2f);
        AddState(ref h, a);
        a.ApplyOuterProductUpdate(samples.AsSpan(0, length), 0.03f, 0.1f);
        a.ApplyOuterProductUpdate(samples.AsSpan(length, length), -0.01f, 0.3f);
        a.EndMiniBatch();
        AddState(ref h, a);
        a.ApplyGradient(Uniform(rng, length, 0.05), 0.3f);
        AddState(ref h, a);
        a.ApplyGradient(Uniform(rng, length, 0.002), 0.1f);  // fractional pulse counts
        AddState(ref h, a);

        a.AdvanceTime(0.5);
        AddState(ref h, a);
        a.AdvanceTime(100);
        AddState(ref h, a);
        a.AdvanceTime(-1);
        AddState(ref h, a);

        var y = new float[32];
        a.AddOutputNoise(y, x32, g, 32);
        h.Add(y);
        a.AddOutputNoise(y, 0.7f);
        h.Add(y);
        h.Add(a.OutputNoise(new Random(3)));

        a.ProgramTo(Uniform(rng, length, 3));                // far beyond the bounds: saturation
        AddState(ref h, a);
        for (int step = 0; step < 4; step++)
        {
            a.ApplyBatchUpdate(x32, g, dAll, 32, 0.5f);
            a.AdvanceTime(3);
        }
        AddState(ref h, a);
        _ = a.Read();
        AddState(ref h, a);
        a.ResetCounters();
        AddState(ref h, a);
        return h.Value;
    }
}
