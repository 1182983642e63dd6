using NodeMesh.Core.Devices;
using NodeMesh.Core.Units;
using static NodeMesh.Core.Tests.Devices.DeviceStateScript;

namespace NodeMesh.Core.Tests.Units;

/// <summary>Checkpoint state of <see cref="IdealWeightStore"/>: its weights, restored bit for bit; bad records refused.</summary>
public sealed class IdealWeightStoreStateTests
{
    private static float[] Values(int n, int seed) => Devices.TestDevices.Targets(n, 0.5, seed);

    private static void Step(IWeightStore s, int i)
    {
        if (i % 3 == 2) s.ProgramTo(Values(s.Length, 100 + i));
        else s.ApplyGradient(Values(s.Length, 200 + i), 0.37f);
    }

    [Fact]
    public void RestoredStoreContinuesBitIdentically()
    {
        const int length = 33, steps = 7;
        var a = DeviceConfig.Load("ideal").CreateStore(length, seed: 1);
        Assert.IsType<IdealWeightStore>(a);
        var records = new List<byte[]>();
        var expected = new List<uint[]>();
        static uint[] Bits(ReadOnlySpan<float> w) => [.. w.ToArray().Select(BitConverter.SingleToUInt32Bits)];
        for (int i = 0; i < steps; i++)
        {
            records.Add(Save(a));
            Step(a, i);
            expected.Add(Bits(a.Read()));
        }
        for (int k = 0; k < steps; k++)
        {
            var b = DeviceConfig.Load("ideal").CreateStore(length, seed: 2); // the ideal store has no seed
            b.ProgramTo(Values(length, 9));
            Load(b, records[k]);
            Assert.Equal(records[k], Save(b));
            for (int i = k; i < steps; i++)
            {
                Step(b, i);
                Assert.Equal(expected[i], Bits(b.Read()));
            }
        }
    }

    [Fact]
    public void BadRecordsAreRefusedAndLeaveTheStoreUnchanged()
    {
        var a = new IdealWeightStore(12);
        a.ProgramTo(Values(12, 1));
        byte[] record = Save(a);
        var b = new IdealWeightStore(12);
        b.ProgramTo(Values(12, 2));
        float[] before = b.Read().ToArray();

        void Refused(byte[] bytes, string reason)
        {
            var e = Assert.Throws<InvalidDataException>(() => Load(b, bytes));
            Assert.Contains(reason, e.Message, StringComparison.Ordinal);
            Assert.Equal(before, b.Read().ToArray());
        }

        for (int cut = 0; cut < record.Length; cut++) Refused(record[..cut], "truncated");
        Refused(Save(new IdealWeightStore(13)), "13 weights; this store holds 12");
        Refused(Save(new DeviceArray(DeviceConfig.Load("gokmen-vlasov"), 12, 1)), "written by a device array");
        Refused([.. "garbage, not a state"u8], "format tag");
        byte[] flipped = (byte[])record.Clone();
        flipped[40] ^= 1;
        Refused(flipped, "checksum");
    }
}
