using Akka.Actor;
using Akka.TestKit.Xunit2;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Serialization;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Actors.Tests;

/// <summary>Every wire message goes through the protobuf serializer and survives a round trip.</summary>
public sealed class SerializerTests() : TestKit(NodeMeshConfig.Local())
{
    private static readonly GridBuffer Grid = new(2, 3, 2, 1, 2, Enumerable.Range(0, 4 * 5 * 2 * 2).Select(i => i * 0.5f).ToArray());

    private static TrafficLedger Ledger()
    {
        var l = new TrafficLedger(2);
        l.Add(1, TrafficCategory.Sync, 3, 120);
        l.Deliver(0, TrafficCategory.Error, 7);
        l.Drop(1, TrafficCategory.Sync, 2);
        return l;
    }

    private object[] Samples() =>
    [
        new ForwardBatch(4, true, Grid),
        new ForwardSweep(4, false, Grid, [1f, -2f, float.NaN]),
        new TileActivated(1, 2, 4, [3f]),
        new BackwardBatch(9, Grid),
        new BackwardSweep(9, [0.5f], []),
        new TileBackpropagated(0, 3, 9, [1f, 2f]),
        new ConnectPeers(TestActor, [TestActor, TestActor], 2, 25),
        new ConnectPeers(null, [], 0, 1),
        new ConnectTile([new ConnectPeers(TestActor, [], 0, 4)]),
        new ConnectReducer([TestActor]),
        new SyncPartial(5, SyncKind.Weights, 12, [1f, 2f, 3f]),
        new SyncResult(5, SyncKind.Gradient, [4f]),
        new FetchUnits(1, 2),
        new UnitsResponse(1, 2, [TestActor]),
        new LoadWeights([1f]), new LoadSweep([2f]), new WeightsLoaded(1, 1),
        FetchWeights.Instance, new ReadSweep([3f]), new WeightsResponse(0, 1, [4f]),
        FetchCounters.Instance, new CounterSweep(Ledger()), new CountersResponse(1, -1, Ledger()),
        new Prepare(), new Prepared(10, 2, 1), new TrainEpoch(3),
        new EpochTrained(3, 0.5, 0.75, 100, 4, Ledger()),
        new Evaluate(), new Evaluated(0.4, 0.8, 50), new FetchModel(), new ModelResponse([[1f, 2f], [3f]]),
        new StepProgress(1, 2, 3, 0.25),
    ];

    [Fact]
    public void Every_message_type_is_bound_to_the_protobuf_serializer_and_round_trips()
    {
        foreach (var message in Samples())
        {
            var serializer = Sys.Serialization.FindSerializerFor(message);
            Assert.IsType<NodeMeshSerializer>(serializer);
            var s = (NodeMeshSerializer)serializer;
            var bytes = s.ToBinary(message);
            var back = s.FromBinary(bytes, s.Manifest(message));
            Assert.Equal(message.GetType(), back.GetType());
            Assert.Equal(s.ToBinary(back), bytes); // same content, byte for byte
        }
    }

    [Fact]
    public void The_serializer_counts_messages_and_bytes_per_manifest()
    {
        var s = (NodeMeshSerializer)Sys.Serialization.FindSerializerFor(new SyncResult(1, SyncKind.Gradient, [1f]));
        long before = s.Counts.TryGetValue("sr", out var c) ? c.OutBytes : 0;
        var bytes = s.ToBinary(new SyncResult(1, SyncKind.Gradient, new float[100]));
        Assert.True(bytes.Length >= 400);
        Assert.Equal(before + bytes.Length, s.Counts["sr"].OutBytes);
    }

    [Fact]
    public void An_unknown_manifest_is_a_clear_error()
    {
        var s = (NodeMeshSerializer)Sys.Serialization.FindSerializerFor(new Prepare());
        var e = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => s.FromBinary([], "zz"));
        Assert.Contains("unknown NodeMesh manifest 'zz'", e.Message);
    }
}
