using NodeMesh.Core.Devices;

namespace NodeMesh.Core.Tests.Devices;

/// <summary>
/// The array's random source: the ziggurat normal has the moments and the bin frequencies of
/// N(0, 1) (each bound 5 standard errors), uniforms are uniform, and seeding is deterministic.
/// </summary>
public sealed class DeviceRngTests
{
    [Fact]
    public void NormalHasStandardMomentsAndTails()
    {
        const int n = 1_000_000;
        var rng = new DeviceRng(12345);
        double sum = 0, sum2 = 0, sum4 = 0;
        int beyond2 = 0, beyond35 = 0;
        for (int i = 0; i < n; i++)
        {
            double z = rng.NextNormal();
            sum += z; sum2 += z * z; sum4 += z * z * z * z;
            if (Math.Abs(z) > 2) beyond2++;
            if (Math.Abs(z) > 3.5) beyond35++;
        }
        double mean = sum / n, var = sum2 / n - mean * mean, kurt = sum4 / n;
        Assert.InRange(mean, -5 / Math.Sqrt(n), 5 / Math.Sqrt(n));
        Assert.InRange(var, 1 - 5 * Math.Sqrt(2.0 / n), 1 + 5 * Math.Sqrt(2.0 / n));
        Assert.InRange(kurt, 3 - 5 * Math.Sqrt(96.0 / n), 3 + 5 * Math.Sqrt(96.0 / n)); // Var(z^4) = 105 - 9 = 96
        AssertBinomial(beyond2, n, 0.0455002638963584);
        AssertBinomial(beyond35, n, 4.6525816319e-4); // exercises the tail path beyond r = 3.44
    }

    [Fact]
    public void NormalMatchesTheCdfInEveryBin()
    {
        const int n = 1_000_000;
        var rng = new DeviceRng(777);
        double[] edges = [-4, -3, -2.5, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3, 4];
        var counts = new int[edges.Length - 1];
        for (int i = 0; i < n; i++)
        {
            double z = rng.NextNormal();
            for (int k = 0; k < counts.Length; k++)
                if (z >= edges[k] && z < edges[k + 1]) { counts[k]++; break; }
        }
        for (int k = 0; k < counts.Length; k++)
            AssertBinomial(counts[k], n, Phi(edges[k + 1]) - Phi(edges[k]));
    }

    [Fact]
    public void UniformsAreUniformAndSeedingIsDeterministic()
    {
        const int n = 200_000;
        var a = new DeviceRng(42);
        var b = new DeviceRng(42);
        var c = new DeviceRng(43);
        int below = 0, same = 0;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double u = a.NextDouble();
            Assert.Equal(u, b.NextDouble());
            if (u == c.NextDouble()) same++;
            sum += u;
            if (u < 0.1) below++;
            Assert.InRange(u, 0.0, 1.0 - 1e-17);
        }
        Assert.InRange(sum / n, 0.5 - 5 * Math.Sqrt(1.0 / 12 / n), 0.5 + 5 * Math.Sqrt(1.0 / 12 / n));
        AssertBinomial(below, n, 0.1);
        Assert.True(same < 3);
    }

    internal static void AssertBinomial(long count, long n, double p)
    {
        double expected = n * p, sd = Math.Sqrt(n * p * (1 - p));
        Assert.InRange(count, expected - 5 * sd - 1, expected + 5 * sd + 1);
    }

    /// <summary>Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf, |error| &lt; 1.5e-7).</summary>
    internal static double Phi(double x)
    {
        double t = 1 / (1 + 0.3275911 * Math.Abs(x) / Math.Sqrt(2));
        double y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x / 2);
        return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
    }
}
