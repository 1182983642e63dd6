using NodeMesh.Actors.Messages;
using NodeMesh.Core.Devices;
using NodeMesh.Core.Exchanges;
using NodeMesh.Core.Fabric;
using NodeMesh.Core.Model;
using NodeMesh.Core.Placement;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Training;
using W = NodeMesh.Actors.Wire;

namespace NodeMesh.Actors.Serialization;

// One line per message type: manifest, to-proto and from-proto. Manifests are short and constant.
public sealed partial class NodeMeshSerializer
{
    private void MapTraining()
    {
        Map<ActivationsProduced, W.ActivationsProduced>("ap", m => new() { Layer = m.Layer, Tile = m.Tile, From = m.From, Step = m.Step, Train = m.Train, Data = Bytes(m.Data), FromLayer = CrossMemberTraffic.FromLayer(m.FromLayer, m.Layer - 1) },
            W.ActivationsProduced.Parser, p => new(p.Layer, p.Tile, p.From, p.Step, p.Train, Floats(p.Data)) { FromLayer = p.FromLayer == 0 ? p.Layer - 1 : p.FromLayer - 1 });
        Map<ErrorsProduced, W.ErrorsProduced>("ep", m => new() { Layer = m.Layer, Tile = m.Tile, From = m.From, Step = m.Step, Data = Bytes(m.Data), FromLayer = CrossMemberTraffic.FromLayer(m.FromLayer, m.Layer + 1) },
            W.ErrorsProduced.Parser, p => new(p.Layer, p.Tile, p.From, p.Step, Floats(p.Data)) { FromLayer = p.FromLayer == 0 ? p.Layer + 1 : p.FromLayer - 1 });
        Map<LogitsProduced, W.LogitsProduced>("lp", m => new() { Tile = m.Tile, Step = m.Step, Train = m.Train, Logits = Bytes(m.Logits) },
            W.LogitsProduced.Parser, p => new(p.Tile, p.Step, p.Train, Floats(p.Logits)));
        Map<StepBackpropagated, W.StepBackpropagated>("sb", m => new() { Tile = m.Tile, Step = m.Step }, W.StepBackpropagated.Parser, p => new(p.Tile, p.Step));
        Map<ForwardSweep, W.ForwardSweep>("fs", m => new() { Step = m.Step, Train = m.Train, Input = ToGrid(m.Input), Output = Bytes(m.Output) },
            W.ForwardSweep.Parser, p => new(p.Step, p.Train, FromGrid(p.Input), Floats(p.Output)));
        Map<BackwardSweep, W.BackwardSweep>("bs", m => new() { Step = m.Step, Delta = Bytes(m.Delta), InputError = Bytes(m.InputError) },
            W.BackwardSweep.Parser, p => new(p.Step, Floats(p.Delta), Floats(p.InputError)));
    }

    private void MapSync()
    {
        Map<SyncPartial, W.SyncPartial>("sp", m => new() { Layer = m.Layer, Map = m.Map, To = m.To, From = m.From, Step = m.Step, Kind = (W.SyncKind)m.Kind, Values = Bytes(m.Values) },
            W.SyncPartial.Parser, p => new(p.Layer, p.Map, p.To, p.From, p.Step, Kind(p.Kind), Floats(p.Values)));
        Map<SyncResult, W.SyncResult>("sr", m => new() { Layer = m.Layer, Map = m.Map, To = m.To, Step = m.Step, Kind = (W.SyncKind)m.Kind, Values = Bytes(m.Values) },
            W.SyncResult.Parser, p => new(p.Layer, p.Map, p.To, p.Step, Kind(p.Kind), Floats(p.Values)));
        Map<GossipOffer, W.GossipOffer>("go", m => new() { Layer = m.Layer, Map = m.Map, To = m.To, From = m.From, Round = m.Round, Values = Bytes(m.Values) },
            W.GossipOffer.Parser, p => new(p.Layer, p.Map, p.To, p.From, p.Round, Floats(p.Values)));
        Map<GossipReply, W.GossipReply>("gr", m => new() { Layer = m.Layer, Map = m.Map, To = m.To, From = m.From, Values = Bytes(m.Values) },
            W.GossipReply.Parser, p => new(p.Layer, p.Map, p.To, p.From, Floats(p.Values)));
        Map<GossipDeclined, W.GossipDeclined>("gd", m => new() { Layer = m.Layer, Map = m.Map, To = m.To, From = m.From }, W.GossipDeclined.Parser, p => new(p.Layer, p.Map, p.To, p.From));
        Map<GossipLost, W.GossipLost>("gl", m => new() { Layer = m.Layer, Map = m.Map, To = m.To, From = m.From }, W.GossipLost.Parser, p => new(p.Layer, p.Map, p.To, p.From));
    }

    private void MapMember()
    {
        Map<BuildRegion, W.BuildRegion>("br", m =>
            {
                var p = new W.BuildRegion { Spec = ToSpec(m.Spec), Member = m.Member, Driver = Path(m.Driver) };
                p.Hosts.AddRange(m.Hosts.Select(Path));
                return p;
            },
            W.BuildRegion.Parser, p => new(FromSpec(p.Spec), p.Member, p.Hosts.Select(Ref).ToArray(), Ref(p.Driver)));
        Map<RegionBuilt, W.RegionBuilt>("rb", m => new() { Member = m.Member, Tiles = m.Tiles, Units = m.Units, Reducers = m.Reducers },
            W.RegionBuilt.Parser, p => new(p.Member, p.Tiles, p.Units, p.Reducers));
        Map<LoadTileWeights, W.LoadTileWeights>("lw", m => new() { Layer = m.Layer, Tile = m.Tile, Vectors = Bytes(m.Vectors) },
            W.LoadTileWeights.Parser, p => new(p.Layer, p.Tile, Floats(p.Vectors)));
        Map<TileWeightsLoaded, W.TileWeightsLoaded>("wl", m => new() { Layer = m.Layer, Tile = m.Tile }, W.TileWeightsLoaded.Parser, p => new(p.Layer, p.Tile));
        Map<FetchTileWeights, W.FetchTileWeights>("fw", m => new() { Layer = m.Layer, Tile = m.Tile }, W.FetchTileWeights.Parser, p => new(p.Layer, p.Tile));
        Map<TileWeights, W.TileWeights>("tw", m => new() { Layer = m.Layer, Tile = m.Tile, Vectors = Bytes(m.Vectors) },
            W.TileWeights.Parser, p => new(p.Layer, p.Tile, Floats(p.Vectors)));
        Map<FetchUnitCounters, W.FetchUnitCounters>("fu", _ => new(), W.FetchUnitCounters.Parser, _ => FetchUnitCounters.Instance);
        Map<FetchReducerCounters, W.FetchReducerCounters>("fr", _ => new(), W.FetchReducerCounters.Parser, _ => FetchReducerCounters.Instance);
        Map<MemberCounters, W.MemberCounters>("mc", m => new() { Member = m.Member, Counts = ToCounts(m.Counts) }, W.MemberCounters.Parser, p => new(p.Member, FromCounts(p.Counts)));
        Map<MixRounds, W.MixRounds>("mx", m => new() { Rounds = m.Rounds }, W.MixRounds.Parser, p => new(p.Rounds));
        Map<RoundsMixed, W.RoundsMixed>("md", m => new() { Member = m.Member }, W.RoundsMixed.Parser, p => new(p.Member));
        Map<RunFailed, W.RunFailed>("rf", m => new() { Member = m.Member, Reason = m.Reason }, W.RunFailed.Parser, p => new(p.Member, p.Reason));
        Map<EndRun, W.EndRun>("er", m => new() { Success = m.Success, Reason = m.Reason }, W.EndRun.Parser, p => new(p.Success, p.Reason));
        Map<UnitsCreated, W.UnitsCreated>("uc", m => { var p = new W.UnitsCreated { Layer = m.Layer, Tile = m.Tile }; p.Units.AddRange(m.Units.Select(Path)); return p; },
            W.UnitsCreated.Parser, p => new(p.Layer, p.Tile, p.Units.Select(Ref).ToArray()));
        Map<ConnectTile, W.ConnectTile>("ct", m =>
            {
                var p = new W.ConnectTile { Driver = Path(m.Driver) };
                p.Producers.AddRange(m.Producers.Select(Path));
                p.Consumers.AddRange(m.Consumers.Select(Path));
                return p;
            },
            W.ConnectTile.Parser, p => new(p.Producers.Select(Ref).ToArray(), p.Consumers.Select(Ref).ToArray(), Ref(p.Driver)));
        Map<ConnectPeers, W.ConnectPeers>("cp", m =>
            {
                var p = new W.ConnectPeers();
                foreach (var (pos, route) in m.Routes.All) { p.Positions.Add(pos); p.Routes.Add(Path(route)); }
                return p;
            },
            W.ConnectPeers.Parser, p =>
            {
                if (p.Positions.Count != p.Routes.Count) throw new InvalidDataException("peer positions and routes differ in number");
                return new(new PeerRoutes(p.Positions.Select((pos, i) => (pos, Ref(p.Routes[i])))));
            });
        Map<LoadSweep, W.LoadSweep>("ls", m => new() { Vectors = Bytes(m.Vectors) }, W.LoadSweep.Parser, p => new(Floats(p.Vectors)));
        Map<ReadSweep, W.ReadSweep>("rs", m => new() { Vectors = Bytes(m.Vectors) }, W.ReadSweep.Parser, p => new(Floats(p.Vectors)));
        Map<CounterSweep, W.CounterSweep>("cs", m => new() { Counts = ToCounts(m.Into.Snapshot()) }, W.CounterSweep.Parser, p => new(LedgerOf(FromCounts(p.Counts))));
    }

    private void MapCheckpoints()
    {
        Map<FetchTileState, W.FetchTileState>("fy", m => new() { Layer = m.Layer, Tile = m.Tile }, W.FetchTileState.Parser, p => new(p.Layer, p.Tile));
        Map<TileStateCaptured, W.TileStateCaptured>("ty", m => new() { Layer = m.Layer, Tile = m.Tile, State = Google.Protobuf.ByteString.CopyFrom(m.State) },
            W.TileStateCaptured.Parser, p => new(p.Layer, p.Tile, p.State.ToByteArray()));
        Map<LoadTileState, W.LoadTileState>("ly", m => new() { Layer = m.Layer, Tile = m.Tile, Step = m.Step, State = Google.Protobuf.ByteString.CopyFrom(m.State) },
            W.LoadTileState.Parser, p => new(p.Layer, p.Tile, p.Step, p.State.ToByteArray()));
        Map<TileStateLoaded, W.TileStateLoaded>("yl", m => new() { Layer = m.Layer, Tile = m.Tile }, W.TileStateLoaded.Parser, p => new(p.Layer, p.Tile));
        Map<StateSweep, W.StateSweep>("ss", m => { var p = new W.StateSweep(); p.States.AddRange(m.States.Select(b => Google.Protobuf.ByteString.CopyFrom(b ?? []))); return p; },
            W.StateSweep.Parser, p => new(p.States.Select(b => b.ToByteArray()).ToArray()));
        Map<StateLoadSweep, W.StateLoadSweep>("sl", m => { var p = new W.StateLoadSweep { Step = m.Step }; p.States.AddRange(m.States.Select(b => Google.Protobuf.ByteString.CopyFrom(b))); return p; },
            W.StateLoadSweep.Parser, p => new(p.Step, p.States.Select(b => b.ToByteArray()).ToArray()));
        Map<SaveCheckpoint, W.SaveCheckpoint>("sc", _ => new(), W.SaveCheckpoint.Parser, _ => new());
        Map<ResetRegion, W.ResetRegion>("rr", m => new() { Round = m.Round }, W.ResetRegion.Parser, p => new(p.Round));
        Map<RegionReset, W.RegionReset>("rz", m => new() { Member = m.Member, Round = m.Round }, W.RegionReset.Parser, p => new(p.Member, p.Round));
        Map<CheckpointSaved, W.CheckpointSaved>("cd", m => new() { GlobalStep = m.GlobalStep }, W.CheckpointSaved.Parser, p => new(p.GlobalStep));
    }

    private void MapCluster()
    {
        Map<FetchWireReport, W.FetchWireReport>("fx", _ => new(), W.FetchWireReport.Parser, _ => FetchWireReport.Instance);
        Map<WireReport, W.WireReport>("wx", m =>
            {
                var p = new W.WireReport { Address = m.Address, MaxFrameSize = m.MaxFrameSize, RssBytes = m.RssBytes, PeakRssBytes = m.PeakRssBytes };
                p.Wire.AddRange(m.Wire.Select(r => new W.WireRecord { Peer = r.Peer, Sent = r.Sent, Key = r.Key, Frames = r.Frames, WireBytes = r.WireBytes, PayloadBytes = r.PayloadBytes }));
                p.Serialized.AddRange(m.Serialized.Select(r => new W.SerializedRecord { Manifest = r.Manifest, OutMessages = r.OutMessages, OutBytes = r.OutBytes, InMessages = r.InMessages, InBytes = r.InBytes }));
                return p;
            },
            W.WireReport.Parser, p => new(p.Address, p.MaxFrameSize,
                p.Wire.Select(r => new WireRecord(r.Peer, r.Sent, r.Key, r.Frames, r.WireBytes, r.PayloadBytes)).ToArray(),
                p.Serialized.Select(r => new SerializedRecord(r.Manifest, r.OutMessages, r.OutBytes, r.InMessages, r.InBytes)).ToArray()) { RssBytes = p.RssBytes, PeakRssBytes = p.PeakRssBytes });
    }

    private void MapDriver()
    {
        Map<Prepare, W.Prepare>("pr", _ => new(), W.Prepare.Parser, _ => new());
        Map<Prepared, W.Prepared>("pd", m => new() { Units = m.Units, Tiles = m.Tiles, Reducers = m.Reducers, Members = m.Members }, W.Prepared.Parser, p => new(p.Units, p.Tiles, p.Reducers, p.Members));
        Map<TrainEpoch, W.TrainEpoch>("te", m => new() { Epoch = m.Epoch }, W.TrainEpoch.Parser, p => new(p.Epoch));
        Map<EpochTrained, W.EpochTrained>("et", m =>
            {
                var p = new W.EpochTrained { Epoch = m.Epoch, Loss = m.Loss, Accuracy = m.Accuracy, Samples = m.Samples, Steps = m.Steps, Counts = ToCounts(m.Ledger) };
                p.Recoveries.AddRange(m.Recoveries.Select(r => new W.MemberRecovery { Member = r.Member, Reason = r.Reason, LostAtStep = r.LostAtStep, ResumedAtStep = r.ResumedAtStep, Members = r.Members }));
                return p;
            },
            W.EpochTrained.Parser, p => new(p.Epoch, p.Loss, p.Accuracy, p.Samples, p.Steps, FromCounts(p.Counts),
                p.Recoveries.Select(r => new Driving.MemberRecovery(r.Member, r.Reason, r.LostAtStep, r.ResumedAtStep, r.Members)).ToArray()));
        Map<Evaluate, W.Evaluate>("ev", _ => new(), W.Evaluate.Parser, _ => new());
        Map<Evaluated, W.Evaluated>("ed", m => new() { Loss = m.Loss, Accuracy = m.Accuracy, Samples = m.Samples }, W.Evaluated.Parser, p => new(p.Loss, p.Accuracy, p.Samples));
        Map<FetchModel, W.FetchModel>("fm", _ => new(), W.FetchModel.Parser, _ => new());
        Map<ModelResponse, W.ModelResponse>("mr", m => { var p = new W.ModelResponse(); p.Layers.AddRange(m.Layers.Select(l => new W.FloatArray { Values = Bytes(l) })); return p; },
            W.ModelResponse.Parser, p => new(p.Layers.Select(l => Floats(l.Values)).ToArray()));
        Map<FetchTraffic, W.FetchTraffic>("ft", _ => new(), W.FetchTraffic.Parser, _ => new());
        Map<TrafficResponse, W.TrafficResponse>("tr", m => new() { Counts = ToCounts(m.Ledger) }, W.TrafficResponse.Parser, p => new(FromCounts(p.Counts)));
        Map<StepProgress, W.StepProgress>("st", m => new() { Epoch = m.Epoch, Step = m.Step, Steps = m.Steps, MeanLoss = m.MeanLoss },
            W.StepProgress.Parser, p => new(p.Epoch, p.Step, p.Steps, p.MeanLoss));
        Map<MemberLost, W.MemberLost>("ml", m => new() { Address = m.Address, Reason = m.Reason }, W.MemberLost.Parser, p => new(p.Address, p.Reason));
    }

    private static W.RunSpec ToSpec(RunSpec s) => new()
    {
        Arch = s.Arch, InputChannels = s.InputChannels, InputHeight = s.InputHeight, InputWidth = s.InputWidth, Classes = s.Classes,
        Strategy = new W.Strategy
        {
            Kind = (int)s.Strategy.Kind, Topology = (int)s.Strategy.Topology, Reduce = (int)s.Strategy.Reduce, Every = s.Strategy.Every,
            Fanout = s.Strategy.Fanout, Mix = s.Strategy.Mix, Drop = s.Strategy.Drop, StepParity = s.Strategy.StepParity,
        },
        LearningRate = s.LearningRate, Seed = s.Seed, TileSide = s.TileSide, UnitInit = (int)s.UnitInit, ShipsWeights = s.ShipsWeights,
        DeviceJson = DeviceConfig.ToJson(s.Device), StepSeconds = s.StepSeconds, MapLayout = (int)s.Fabric.Layout, LayerHops = s.Fabric.LayerHops, FabricCast = (int)s.Fabric.Cast,
        Placement = (int)s.Placement, Members = s.Members,
    };

    private static T Enum<T>(int v, string what) where T : struct, System.Enum =>
        System.Enum.IsDefined(typeof(T), v) ? (T)(object)v : throw new InvalidDataException($"unknown {what} {v}");

    private static RunSpec FromSpec(W.RunSpec? p)
    {
        if (p is null) throw new InvalidDataException("missing run spec");
        var st = p.Strategy ?? throw new InvalidDataException("missing strategy");
        var strategy = new StrategyOptions(Enum<StrategyKind>(st.Kind, "strategy"), Enum<TopologyKind>(st.Topology, "topology"), Enum<ReduceOp>(st.Reduce, "reduce op"),
            st.Every, st.Fanout, st.Mix, st.Drop, st.StepParity);
        return new RunSpec(p.Arch, p.InputChannels, p.InputHeight, p.InputWidth, p.Classes, strategy, p.LearningRate, p.Seed, p.TileSide,
            Enum<UnitInit>(p.UnitInit, "unit initialisation"), p.ShipsWeights, DeviceConfig.FromJson(p.DeviceJson), p.StepSeconds,
            new FabricOptions(Enum<MapLayout>(p.MapLayout, "map layout"), p.LayerHops, Enum<FabricCast>(p.FabricCast, "fabric cast")), Enum<PlacementKind>(p.Placement, "placement"), p.Members);
    }
}
