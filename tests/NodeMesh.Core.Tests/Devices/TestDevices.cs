using NodeMesh.Core.Devices;

namespace NodeMesh.Core.Tests.Devices;

/// <summary>Device configurations and targets shared by the device test classes.</summary>
internal static class TestDevices
{
    /// <summary>A noiseless constant-step device without device-to-device variation: every pulse moves exactly dw_min.</summary>
    public static DeviceConfig Exact(double dwMin = 0.001) => new()
    {
        Name = "exact", Model = DeviceModel.ConstantStep, DwMin = dwMin, DwMinDtod = 0, DwMinStd = 0, UpDown = 0, UpDownDtod = 0,
        WMax = 1, WMin = -1, WMaxDtod = 0, WMinDtod = 0,
    };

    /// <summary>A device that never clips and has no noise: pulse counts are visible as weight changes too.</summary>
    public static DeviceConfig Counting(bool um = true, PulseMode mode = PulseMode.Stochastic) => new()
    {
        Name = "counting", Model = DeviceModel.ConstantStep, DwMin = 0.001, DwMinDtod = 0, DwMinStd = 0, UpDown = 0, UpDownDtod = 0,
        WMax = 1000, WMin = -1000, WMaxDtod = 0, WMinDtod = 0, UpdateManagement = um, Mode = mode,
    };

    /// <summary><paramref name="n"/> targets uniform in ±<paramref name="scale"/>.</summary>
    public static float[] Targets(int n, double scale, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    /// <summary>Asserts the sample mean and standard deviation within 5 standard errors.</summary>
    public static void AssertMeanSd(IEnumerable<double> values, double mean, double sd)
    {
        var v = values.ToArray();
        double m = v.Average();
        double s = Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / (v.Length - 1));
        Assert.InRange(m, mean - 5 * sd / Math.Sqrt(v.Length), mean + 5 * sd / Math.Sqrt(v.Length));
        Assert.InRange(s, sd * (1 - 5 / Math.Sqrt(2.0 * v.Length)), sd * (1 + 5 / Math.Sqrt(2.0 * v.Length)));
    }
}
