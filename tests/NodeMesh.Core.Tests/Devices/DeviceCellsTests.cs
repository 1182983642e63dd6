using NodeMesh.Core.Devices;
using static NodeMesh.Core.Tests.Devices.TestDevices;

namespace NodeMesh.Core.Tests.Devices;

/// <summary>
/// The device state and its two writes (<see cref="DeviceCells"/>): the initial state, a burst
/// (steps clipped at the device's own bounds, then one write-noise draw, then the drift clock
/// restarts) and a RESET (one program pulse). Uses a reference noise stream with the same seed to
/// predict every draw exactly.
/// </summary>
public sealed class DeviceCellsTests
{
    private static DeviceCells Cells(DeviceConfig c, int length, out DeviceNoiseSource reference, long seed = 3)
    {
        var drawn = DeviceParameterDraw.Draw(c, c.OneSided ? 2 * length : length, seed);
        reference = new DeviceNoiseSource(77);
        return new DeviceCells(c, length, drawn, new DeviceNoiseSource(77));
    }

    [Fact]
    public void OneSidedPairsStartAtTheirResetValuesAndSingleDevicesAtZero()
    {
        var c = Exact() with { WMin = 0, OneSided = true, Reset = 0.1, ResetDtod = 0.02, ResetStd = 0.01 };
        var cells = Cells(c, 20, out var reference);
        for (int d = 0; d < cells.DeviceCount; d++)
        {
            var p = cells.Params[d];
            Assert.Equal(Math.Clamp(cells.ResetBias![d] + 0.01f * reference.Normal(), p.BMin, p.BMax), cells.Weights[d]);
        }
        for (int j = 0; j < cells.Length; j++) Assert.Equal(cells.Weights[2 * j] - cells.Weights[2 * j + 1], cells.ReadVector[j]);

        var single = Cells(Exact(), 20, out _);
        Assert.All(single.Weights, w => Assert.Equal(0f, w));
        Assert.Same(single.Weights, single.ReadVector); // a read of single devices is the weight itself
        Assert.Null(single.ApparentWeights);
        Assert.Null(single.LastWritten);
    }

    [Fact]
    public void ABurstClipsAtTheBoundThenRedrawsWriteNoiseAndRestartsTheClock()
    {
        // SoftBounds with cycle-to-cycle noise: each step draws one normal, then the burst draws the write noise.
        var c = new DeviceConfig { Model = DeviceModel.SoftBounds, DwMinStd = 0.2, WriteNoiseStd = 3, DriftNu = 0.1, WMaxDtod = 0, DwMinDtod = 0, UpDownDtod = 0 };
        var cells = Cells(c, 4, out var reference);
        cells.SinceWrite![1] = 42;
        var p = cells.Params[1];
        float w = 0;
        for (int i = 0; i < 5; i++) w += p.DwUp * (1f - p.SUp * w) * (1f + 0.2f * reference.Normal());
        Assert.Equal(0, cells.Burst(1, 5, up: true));
        Assert.Equal(w, cells.Weights[1]);
        Assert.Equal(w + (float)(3 * 0.001) * reference.Normal(), cells.Apparent(1));
        Assert.Same(cells.ApparentWeights, cells.ReadVector);
        Assert.Equal((w, 0.0), (cells.LastWritten![1], cells.SinceWrite[1]));
        Assert.Equal(5, cells.Pulses[1]);

        // A hard-bounded device clips: the pulses past b_max are counted as clipped and the weight sits on the bound.
        var hard = Cells(Exact(0.3), 1, out _);
        Assert.Equal(2, hard.Burst(0, 5, up: true)); // 0.3, 0.6, 0.9, then two pulses clipped at 1
        Assert.Equal(1f, hard.Weights[0]);
    }

    [Fact]
    public void ResetReturnsADeviceToItsResetValueAsOneProgramPulse()
    {
        var c = Exact() with { WMin = 0, OneSided = true, Reset = 0.05, ResetDtod = 0, ResetStd = 0.01, DriftNu = 0.1 };
        var cells = Cells(c, 2, out var reference);
        for (int d = 0; d < cells.DeviceCount; d++) reference.Normal(); // the initial state's draws
        cells.Burst(2, 300, up: true);
        cells.SinceWrite![2] = 7;
        cells.Reset(2);
        Assert.Equal(0.05f + 0.01f * reference.Normal(), cells.Weights[2]);
        Assert.Equal((1L, 301), (cells.ProgramPulses, cells.Pulses[2]));
        Assert.Equal((cells.Weights[2], 0.0), (cells.LastWritten![2], cells.SinceWrite[2]));
    }
}
