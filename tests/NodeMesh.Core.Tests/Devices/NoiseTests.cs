using NodeMesh.Core.Devices;
using NodeMesh.Core.Units;
using static NodeMesh.Core.Tests.Devices.TestDevices;

namespace NodeMesh.Core.Tests.Devices;

/// <summary>
/// Noise (<see cref="DeviceNoiseSource"/>, <see cref="ReadNoise"/>): reads see write noise redrawn
/// after each write, output noise scales with the input scale (or the given scale), out_noise = 0
/// adds and draws nothing, the noise stream's buffered normals and uniforms interleave in a fixed
/// order, and adding output noise does not allocate.
/// </summary>
public sealed class NoiseTests
{
    [Fact]
    public void ReadsSeeWriteNoiseRedrawnAfterEachPulse()
    {
        var c = DeviceConfig.Load("reram-sb") with { WriteNoiseStd = 10, DwMinStd = 0.1 };
        const int n = 20_000;
        var a = new DeviceArray(c, n, seed: 2);
        for (int d = 0; d < n; d++) a.PulseDevice(d, true);
        var read = a.Read();
        var persistent = a.PersistentWeights();
        double s2 = 0;
        for (int d = 0; d < n; d++) s2 += Math.Pow(read[d] - persistent[d], 2);
        double sd = Math.Sqrt(s2 / n), expected = 10 * 0.002;
        Assert.InRange(sd, expected * (1 - 5 / Math.Sqrt(2.0 * n)), expected * (1 + 5 / Math.Sqrt(2.0 * n)));
        float before = a.DeviceApparent(0);
        Assert.Equal(before, a.DeviceApparent(0)); // frozen until the next pulse
        a.PulseDevice(0, true);
        Assert.NotEqual(before, a.DeviceApparent(0));
        Assert.Equal(2L * n, a.Counters.Reads + n); // Read() counted one read per device; PersistentWeights() none
    }

    [Fact]
    public void OutputNoiseScalesWithTheInputScale()
    {
        var a = new DeviceArray(DeviceConfig.Load("gokmen-vlasov"), 3, seed: 1);
        const int batch = 50_000;
        var x = new float[2 * batch];
        for (int b = 0; b < batch; b++) { x[b] = b % 2 == 0 ? 3f : 0.5f; x[batch + b] = -0.2f; }
        var y = new float[batch];
        a.AddOutputNoise(y, x, new PatchGeometry(0, 1, 2, 0), batch);
        double s3 = 0, s1 = 0;
        for (int b = 0; b < batch; b++) { if (b % 2 == 0) s3 += y[b] * y[b]; else s1 += y[b] * y[b]; }
        double sd3 = Math.Sqrt(s3 / (batch / 2)), sd1 = Math.Sqrt(s1 / (batch / 2)), tol = 5 / Math.Sqrt(batch);
        Assert.InRange(sd3, 0.18 * (1 - tol), 0.18 * (1 + tol)); // α = max|x| = 3
        Assert.InRange(sd1, 0.06 * (1 - tol), 0.06 * (1 + tol)); // α = max(1, 0.5) = 1 (the bias input)
    }

    [Fact]
    public void TheNoiseSourceBuffersNormalsAndDrawsUniformsAfterTheBlock()
    {
        // Normals come 64 at a time; a uniform drawn meanwhile comes from the generator after the whole block.
        var source = new DeviceNoiseSource(21);
        var rng = new DeviceRng(21);
        var block = new float[64];
        rng.FillNormals(block);
        Assert.Equal(block[0], source.Normal());
        Assert.Equal(rng.NextDouble(), source.NextDouble());
        for (int i = 1; i < 64; i++) Assert.Equal(block[i], source.Normal());
        Assert.Equal(rng.NextUInt32(), source.NextUInt32());
        rng.FillNormals(block); // the next block starts after the uniforms
        Assert.Equal(block[0], source.Normal());
        Assert.Equal(block[1], source.Normal());
    }

    [Fact]
    public void WithoutOutputNoiseNothingIsAddedOrDrawn()
    {
        var c = DeviceConfig.Load("reram-sb") with { OutNoise = 0 };
        var quiet = new DeviceArray(c, 3, seed: 1);
        var fresh = new DeviceArray(c, 3, seed: 1);
        float[] y = [1f, 2f, 3f, 4f];
        var x = Targets(2 * 4, 2, 1);
        quiet.AddOutputNoise(y, x, new PatchGeometry(0, 1, 2, 0), 4);
        quiet.AddOutputNoise(y, 2f);
        Assert.Equal([1f, 2f, 3f, 4f], y);
        Assert.Equal(0f, quiet.OutputNoise(new Random(1)));
        foreach (var a in new[] { quiet, fresh }) // the noise stream was not touched: the next write noise is the same
            for (int d = 0; d < 3; d++) a.PulseDevice(d, true);
        for (int d = 0; d < 3; d++) Assert.Equal(fresh.DeviceApparent(d), quiet.DeviceApparent(d));
    }

    [Fact]
    public void ScaledOutputNoiseHasOutNoiseTimesTheScale()
    {
        var a = new DeviceArray(DeviceConfig.Load("gokmen-vlasov"), 3, seed: 1);
        const int n = 50_000;
        foreach (float scale in new[] { 1f, 0.5f, 4f })
        {
            var y = new float[n];
            if (scale == 1f) a.AddOutputNoise(y); else a.AddOutputNoise(y, scale);
            double sd = Math.Sqrt(y.Sum(v => (double)v * v) / n), expected = 0.06 * scale, tol = 5 / Math.Sqrt(2.0 * n);
            Assert.InRange(sd, expected * (1 - tol), expected * (1 + tol));
        }
        Assert.Equal(a.Config.OutputNoise(new Random(3)), a.OutputNoise(new Random(3))); // the caller's source, not the array's
    }

    [Fact]
    public void OutputNoiseDoesNotAllocateAfterTheFirstBatch()
    {
        var a = new DeviceArray(DeviceConfig.Load("pcm"), 10, seed: 1);
        const int batch = 40;
        var g = new PatchGeometry(0, 3, 3, 4);
        var x = Targets((2 * 4 + 3) * batch, 2, 2);
        var y = new float[batch];
        a.AddOutputNoise(y, x, g, batch);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++)
        {
            a.AddOutputNoise(y, x, g, batch);
            a.AddOutputNoise(y, 0.5f);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
