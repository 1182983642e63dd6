using Akka.Actor;
using BenchmarkDotNet.Attributes;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Serialization;
using NodeMesh.Core.Exchanges;

namespace NodeMesh.Benchmarks;

/// <summary>
/// <see cref="NodeMeshSerializer"/> on the two messages a cluster run sends most: a tying
/// <see cref="SyncPartial"/> carrying one conv2 unit's 401-float gradient, and an
/// <see cref="ActivationsProduced"/> carrying a 2×14×16 piece of activations for a batch of 32
/// (14,336 floats). Each message is measured to bytes and back from bytes. The serializer comes
/// from a local actor system, as in the serializer tests; no message is sent.
/// </summary>
[MemoryDiagnoser]
public class SerializerBenchmarks
{
    private ActorSystem _system = null!;
    private NodeMeshSerializer _serializer = null!;
    private SyncPartial _partial = null!;
    private ActivationsProduced _activations = null!;
    private byte[] _partialBytes = [], _activationsBytes = [];
    private string _partialManifest = "", _activationsManifest = "";

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(ReferenceShapes.Seed);
        _system = ActorSystem.Create("nodemesh-bench", NodeMeshConfig.Local());
        _partial = new SyncPartial(2, 5, 17, 16, 1234, SyncKind.Gradient, ReferenceShapes.Uniform(rng, ReferenceShapes.Weights, 0.01f));
        _activations = new ActivationsProduced(1, 3, 2, 1234, true, ReferenceShapes.Uniform(rng, 2 * ReferenceShapes.MapSide * ReferenceShapes.Channels * ReferenceShapes.Batch, 1f));
        _serializer = (NodeMeshSerializer)_system.Serialization.FindSerializerFor(_partial);
        _partialManifest = _serializer.Manifest(_partial);
        _activationsManifest = _serializer.Manifest(_activations);
        _partialBytes = _serializer.ToBinary(_partial);
        _activationsBytes = _serializer.ToBinary(_activations);
    }

    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    [Benchmark]
    public byte[] SyncPartialToBinary() => _serializer.ToBinary(_partial);

    [Benchmark]
    public object SyncPartialFromBinary() => _serializer.FromBinary(_partialBytes, _partialManifest);

    [Benchmark]
    public byte[] ActivationsProducedToBinary() => _serializer.ToBinary(_activations);

    [Benchmark]
    public object ActivationsProducedFromBinary() => _serializer.FromBinary(_activationsBytes, _activationsManifest);
}
