using Google.Protobuf;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Serialization;
using NodeMesh.Core.Devices;
using NodeMesh.Core.Exchanges;
using NodeMesh.Core.Fabric;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Placement;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;

namespace NodeMesh.Actors.Tests;

/// <summary>Every wire message goes through the protobuf serializer and survives a round trip.</summary>
public sealed class SerializerTests() : TestKit(NodeMeshConfig.Local())
{
    private static readonly GridBuffer Grid = new(2, 3, 2, 1, 2, Enumerable.Range(0, 4 * 5 * 2 * 2).Select(i => i * 0.5f).ToArray());

    private static TrafficCounts Counts() => Ledger().Snapshot();

    private static TrafficLedger Ledger()
    {
        var l = new TrafficLedger(2);
        l.Add(1, TrafficCategory.Sync, 3, 120, 480);
        l.Deliver(0, TrafficCategory.Error, 7);
        l.Drop(1, TrafficCategory.Sync, 2);
        l.AddDevices(1, 10, 5, 6, 2, 99, 1, 0, clippedProgramPulses: 4);
        l.CountForward(0, 36, 8);
        l.CountBackward(1, 27, 27);
        return l;
    }

    internal static RunSpec Spec(string device = "pcm") => new("conv3x3x4,relu,maxpool2,dense10", 1, 12, 10, 10,
        new StrategyOptions(StrategyKind.Gossip, TopologyKind.Exp, ReduceOp.Mean, 3, 2, 0.25f, 0.1f), 0.02f, 7, 5, UnitInit.HeNormal, false,
        DeviceConfig.Preset(device) with { DriftNu = 0.05 }, 2.5, new FabricOptions(MapLayout.Spread, 3, FabricCast.Multicast), PlacementKind.RoundRobin, 3);

    private object[] Samples() =>
    [
        // training
        new ActivationsProduced(1, 2, 3, 4, true, [1f, 2f]), new ActivationsProduced(0, 0, -1, 9, false, []),
        new ErrorsProduced(1, 0, -1, 4, [0.5f]),
        new ActivationsProduced(3, 1, 2, 4, true, [1f]) { FromLayer = 0 }, new ErrorsProduced(0, 1, 2, 4, [1f]) { FromLayer = 3 }, // residual links
        new LogitsProduced(0, 4, true, [3f, 4f]), new StepBackpropagated(3, 4),
        new ForwardSweep(4, false, Grid, [1f, -2f, float.NaN]), new BackwardSweep(9, [0.5f], []),
        // sync
        new SyncPartial(1, 2, TyingWiring.Reducer, 12, 5, SyncKind.Weights, [1f, 2f, 3f]), new SyncResult(1, 2, 12, 5, SyncKind.Gradient, [4f]),
        new GossipOffer(0, 1, 2, 3, 4, [5f]), new GossipReply(0, 1, 3, 2, [6f]), new GossipDeclined(0, 1, 3, 2), new GossipLost(0, 1, 3, 2),
        // member
        new BuildRegion(Spec(), 2, [TestActor, TestActor, TestActor], TestActor), new BuildRegion(Spec("ideal"), 0, [TestActor], TestActor),
        new RegionBuilt(1, 2, 3, 4), new LoadTileWeights(1, 2, [1f]), new TileWeightsLoaded(1, 2), new FetchTileWeights(0, 3), new TileWeights(0, 3, [2f]),
        FetchUnitCounters.Instance, FetchReducerCounters.Instance, new MemberCounters(2, Counts()), new MixRounds(3), new RoundsMixed(1),
        new RunFailed(1, "unit conv1(0,1,2) failed"), new EndRun(true, "done"),
        new UnitsCreated(0, 1, [TestActor, TestActor]), new ConnectTile([TestActor], [TestActor, TestActor], TestActor),
        new ConnectPeers(new PeerRoutes([(TyingWiring.Reducer, TestActor), (4, TestActor)])),
        new LoadSweep([2f]), new ReadSweep([3f]), new CounterSweep(Ledger()),
        // driver
        new Prepare(), new Prepared(10, 2, 1, 3), new TrainEpoch(3), new EpochTrained(3, 0.5, 0.75, 100, 4, Counts()),
        new Evaluate(), new Evaluated(0.4, 0.8, 50), new FetchModel(), new ModelResponse([[1f, 2f], [3f]]),
        new StepProgress(1, 2, 3, 0.25), new FetchTraffic(), new TrafficResponse(Counts()), new MemberLost("10.0.0.2:4053", "unreachable"),
        // checkpoints and member loss
        new FetchTileState(1, 2), new TileStateCaptured(1, 2, [1, 2, 3]), new LoadTileState(1, 2, 99, [4, 5]), new TileStateLoaded(1, 2),
        new StateSweep([[1], [2, 3]]), new StateLoadSweep(7, [[1], []]), new SaveCheckpoint(), new CheckpointSaved(12),
        new ResetRegion(3), new RegionReset(2, 3),
        // cluster
        FetchWireReport.Instance,
        new WireReport("127.0.0.1:4053", 16 << 20, [new WireRecord("127.0.0.1:4054", true, "nodemesh:ap", 3, 400, 300), new WireRecord("127.0.0.1:4054", false, "akka:heartbeat", 9, 90, 0)],
            [new SerializedRecord("ap", 3, 300, 0, 0)]) { RssBytes = 123_456_789, PeakRssBytes = 234_567_890 },
    ];

    /// <summary>One sample of every message type, for the fuzz tests (valid seeds to mutate).</summary>
    internal object[] SamplesForFuzzing() => Samples();

    private NodeMeshSerializer Serializer => (NodeMeshSerializer)Sys.Serialization.FindSerializerFor(new Prepare());

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
    public void Every_message_type_of_the_assembly_has_a_manifest_and_a_round_trip_sample()
    {
        var types = typeof(INodeMeshMessage).Assembly.GetTypes()
            .Where(t => typeof(INodeMeshMessage).IsAssignableFrom(t) && !t.IsInterface && !t.IsAbstract).ToHashSet();
        Assert.Equal(types.OrderBy(t => t.Name), Serializer.Manifests.Keys.OrderBy(t => t.Name));
        Assert.Equal(types.OrderBy(t => t.Name), Samples().Select(m => m.GetType()).Distinct().OrderBy(t => t.Name));
        Assert.Equal(Serializer.Manifests.Count, Serializer.Manifests.Values.Distinct().Count());
    }

    [Fact]
    public void The_run_spec_round_trips_every_setting_including_the_full_device_configuration()
    {
        var m = new BuildRegion(Spec(), 2, [TestActor], TestActor);
        var back = (BuildRegion)Serializer.FromBinary(Serializer.ToBinary(m), Serializer.Manifest(m));
        Assert.Equal(m.Spec, back.Spec);
        foreach (var name in DeviceConfig.PresetNames)
            Assert.Equal(DeviceConfig.Preset(name), DeviceConfig.FromJson(DeviceConfig.ToJson(DeviceConfig.Preset(name))));
    }

    [Fact]
    public void The_serializer_counts_messages_and_bytes_per_manifest()
    {
        var s = Serializer;
        long before = s.Counts.TryGetValue("sr", out var c) ? c.OutBytes : 0;
        var bytes = s.ToBinary(new SyncResult(0, 0, 1, 1, SyncKind.Gradient, new float[100]));
        Assert.True(bytes.Length >= 400);
        Assert.Equal(before + bytes.Length, s.Counts["sr"].OutBytes);
    }

    [Fact]
    public void An_unknown_manifest_is_a_clear_error()
    {
        var e = Assert.Throws<SerializationException>(() => Serializer.FromBinary([], "zz"));
        Assert.Contains("unknown NodeMesh manifest 'zz'", e.Message);
    }

    [Fact]
    public void Bytes_that_do_not_add_up_are_a_serialization_error_naming_the_manifest()
    {
        var s = Serializer;
        var ok = s.ToBinary(new ActivationsProduced(1, 2, 3, 4, true, [1f, 2f]));
        Assert.Throws<SerializationException>(() => s.FromBinary(ok[..^3], "ap"));      // truncated
        var odd = new Wire.ActivationsProduced { Data = Google.Protobuf.ByteString.CopyFrom(1, 2, 3) }.ToByteArray(); // 3 bytes: not float32s
        Assert.Contains("'ap'", Assert.Throws<SerializationException>(() => s.FromBinary(odd, "ap")).Message);
        var grid = new Wire.ForwardSweep { Input = new Wire.Grid { Height = 1 << 20, Width = 1 << 20, Channels = 4, Batch = 8 } }.ToByteArray();
        Assert.Throws<SerializationException>(() => s.FromBinary(grid, "fs"));          // dimensions larger than the data
    }
}
