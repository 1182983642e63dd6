using BenchmarkDotNet.Attributes;
using NodeMesh.Core.Devices;

namespace NodeMesh.Benchmarks;

/// <summary>
/// The device random stream's standard normals (<see cref="DeviceRng.FillNormals"/>, the
/// ziggurat behind every cycle-to-cycle, write and read-noise draw): one buffered block of 64, as
/// <see cref="DeviceNoiseSource"/> refills it. Divide by 64 for the cost of one normal.
/// </summary>
public class DeviceNoiseBenchmarks
{
    private DeviceRng _rng = new(20261203);
    private readonly float[] _block = new float[DeviceNoiseSource.BufferLength];

    /// <summary>64 normals into the block.</summary>
    [Benchmark]
    public float FillNormals64()
    {
        _rng.FillNormals(_block);
        return _block[63];
    }
}
