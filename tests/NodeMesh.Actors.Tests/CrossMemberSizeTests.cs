using Akka.Serialization;
using Akka.TestKit.Xunit2;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Serialization;
using NodeMesh.Core.Exchanges;
using NodeMesh.Core.Placement;

namespace NodeMesh.Actors.Tests;

/// <summary>
/// The cross-member projection's message sizes (<see cref="ProtoSize"/>) and manifests
/// (<see cref="CrossMemberTraffic.Manifest"/>) are those of the serializer that counts a cluster
/// run: for field values at every varint boundary, negative positions (driver, star reducer),
/// zero fields, empty and non-empty float arrays.
/// </summary>
public sealed class CrossMemberSizeTests() : TestKit(NodeMeshConfig.Local())
{
    private static readonly int[] Ints = [0, 1, 127, 128, 16_383, 16_384, -1];
    private static readonly long[] Steps = [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152];
    private static readonly int[] Lengths = [0, 1, 31, 32, 4_096];

    private int Serialized(object message, CrossKind kind)
    {
        var s = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(message);
        Assert.Equal(CrossMemberTraffic.Manifest(kind), s.Manifest(message));
        Assert.Equal(CrossMemberTraffic.CategoryOf(kind), NodeMeshSerializer.CategoryOf(s.Manifest(message)));
        return s.ToBinary(message).Length;
    }

    [Fact]
    public void Projected_sizes_equal_the_serialized_sizes_of_every_cross_member_message_type()
    {
        int checkedCount = 0;
        foreach (int a in Ints)
            foreach (int b in Ints)
                foreach (long step in Steps)
                    foreach (int n in Lengths)
                    {
                        var values = new float[n];
                        long stepBytes = ProtoSize.Int64(step);
                        Assert.Equal(ProtoSize.Activations(a, b, a, true, n) + stepBytes, Serialized(new ActivationsProduced(a, b, a, step, true, values), CrossKind.Activations));
                        Assert.Equal(ProtoSize.Activations(b, a, -1, false, n) + stepBytes, Serialized(new ActivationsProduced(b, a, -1, step, false, values), CrossKind.Activations));
                        Assert.Equal(ProtoSize.Errors(a, b, -1, n) + stepBytes, Serialized(new ErrorsProduced(a, b, -1, step, values), CrossKind.Errors));
                        Assert.Equal(ProtoSize.Logits(a, true, n) + stepBytes, Serialized(new LogitsProduced(a, step, true, values), CrossKind.Logits));
                        Assert.Equal(ProtoSize.StepDone(b) + stepBytes, Serialized(new StepBackpropagated(b, step), CrossKind.StepDone));
                        foreach (var kind in new[] { SyncKind.Gradient, SyncKind.Weights })
                        {
                            Assert.Equal(ProtoSize.SyncPartial(a, b, -1, a, kind, n) + stepBytes, Serialized(new SyncPartial(a, b, -1, a, step, kind, values), CrossKind.SyncPartial));
                            Assert.Equal(ProtoSize.SyncPartial(b, a, b, a, kind, n) + stepBytes, Serialized(new SyncPartial(b, a, b, a, step, kind, values), CrossKind.SyncPartial));
                            Assert.Equal(ProtoSize.SyncResult(a, b, a, kind, n) + stepBytes, Serialized(new SyncResult(a, b, a, step, kind, values), CrossKind.SyncResult));
                        }
                        checkedCount++;
                    }
        Assert.Equal(Ints.Length * Ints.Length * Steps.Length * Lengths.Length, checkedCount);
    }
}
