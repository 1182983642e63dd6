using NodeMesh.Core.Devices;
using NodeMesh.Core.Units;
using static NodeMesh.Core.Tests.Devices.TestDevices;

namespace NodeMesh.Core.Tests.Devices;

/// <summary>
/// The <see cref="DeviceArray"/> facade: activity counters add up and reset, arguments are checked
/// before anything is written, and reads, peeks and persistent weights agree with the devices.
/// </summary>
public sealed class DeviceArrayTests
{
    [Fact]
    public void CountersAddUpAndReset()
    {
        var a = new DeviceArray(DeviceConfig.Load("gokmen-vlasov"), 10, seed: 1);
        _ = a.Read();
        _ = a.Read();
        a.ApplyGradient(Enumerable.Repeat(0.1f, 10).ToArray(), 0.05f);
        var c = a.Counters;
        Assert.Equal(20, c.Reads);
        Assert.Equal((10L, 10L), (c.Weights, c.Devices));
        Assert.True(c.UpdatePulses >= 30 && c.MaxPulsesPerDevice >= 3);
        var sum = c + c;
        Assert.Equal((2 * c.UpdatePulses, c.MaxPulsesPerDevice, 20L), (sum.UpdatePulses, sum.MaxPulsesPerDevice, sum.Devices));
        Assert.Equal(c.MeanPulsesPerDevice, sum.MeanPulsesPerDevice);
        a.ResetCounters();
        Assert.Equal(new DeviceCounters(10, 10, 0, 0, 0, 0, 0, 0, 0, 0), a.Counters);
    }

    [Fact]
    public void ArgumentsAreCheckedBeforeAnythingIsWritten()
    {
        var gv = DeviceConfig.Load("gokmen-vlasov");
        Assert.Throws<ArgumentNullException>(() => new DeviceArray(null!, 3, 1));
        Assert.Throws<ArgumentException>(() => new DeviceArray(DeviceConfig.Load("ideal"), 3, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceArray(gv, 0, 1));
        Assert.Throws<UserInputException>(() => new DeviceArray(gv with { DwMin = -1 }, 3, 1));

        var a = new DeviceArray(gv, 4, 1);
        var g = new PatchGeometry(0, 1, 3, 0);
        Assert.Throws<ArgumentException>(() => a.ApplyOuterProductUpdate(new float[3], 0.1f, 0.1f));
        Assert.Throws<ArgumentException>(() => a.ProgramTo(new float[5]));
        Assert.Throws<ArgumentException>(() => a.ApplyGradient(new float[3], 0.1f));
        Assert.Throws<ArgumentException>(() => a.ApplyBatchUpdate(new float[6], new PatchGeometry(0, 1, 2, 0), new float[2], 2, 0.1f)); // rows ≠ Length − 1
        Assert.Throws<ArgumentException>(() => a.ApplyBatchUpdate(new float[5], g, new float[2], 2, 0.1f));  // patch outside the buffer
        Assert.Throws<ArgumentException>(() => a.ApplyBatchUpdate(new float[6], g, new float[1], 2, 0.1f));  // delta shorter than batch
        Assert.Throws<ArgumentOutOfRangeException>(() => a.ApplyBatchUpdate(new float[6], g, new float[2], -1, 0.1f));
        Assert.Throws<ArgumentException>(() => a.ApplyBatchUpdate(new float[7], new float[2], 2, 0.1f));     // samples shorter than batch × Length
        Assert.Throws<ArgumentException>(() => a.ApplyBatchUpdate(new float[8], new float[1], 2, 0.1f));     // delta shorter than batch
        Assert.Throws<ArgumentException>(() => a.AddOutputNoise(new float[1], new float[6], g, 2));          // output shorter than batch
        Assert.Throws<ArgumentException>(() => a.AddOutputNoise(new float[2], new float[6], new PatchGeometry(0, 1, 2, 0), 2));
        Assert.Equal(new DeviceCounters(4, 4, 0, 0, 0, 0, 0, 0, 0, 0), a.Counters);
        Assert.All(a.PeekWeights().ToArray(), w => Assert.Equal(0f, w));
    }

    [Fact]
    public void ReadsArePersistentWeightsPlusWriteNoiseAndOnlyReadCounts()
    {
        var pair = new DeviceArray(DeviceConfig.Load("pcm"), 6, seed: 2);
        pair.ProgramTo(Targets(6, 0.5, 1));
        pair.ResetCounters();
        var persistent = pair.PersistentWeights();
        for (int j = 0; j < 6; j++)
        {
            Assert.Equal(pair.DeviceWeight(2 * j) - pair.DeviceWeight(2 * j + 1), persistent[j]);
            Assert.Equal(pair.DeviceApparent(2 * j) - pair.DeviceApparent(2 * j + 1), pair.PeekWeights()[j]);
        }
        Assert.Equal(0, pair.Counters.Reads); // peeks and persistent weights are not device reads
        Assert.Equal(pair.PeekWeights().ToArray(), pair.Read().ToArray());
        Assert.Equal(12, pair.Counters.Reads); // one per device
        Assert.Equal((6, 12), (pair.Length, pair.DeviceCount));
        Assert.Same(pair.Config, pair.Config);
    }
}
