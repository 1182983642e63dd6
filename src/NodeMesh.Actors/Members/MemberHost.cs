using Akka.Actor;
using Akka.Event;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Tiles;
using NodeMesh.Actors.Units;
using NodeMesh.Core.Exchanges;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Placement;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Actors.Members;

/// <summary>
/// The one actor of a member that the rest of the run talks to (<c>/user/host</c>). On
/// <see cref="BuildRegion"/> it builds the member's tiles (which create their units) and the star
/// reducers placed here, all from the run spec; wires every unit, reducer and tile to the
/// positions it talks to (a local actor, or the host of the member holding it); and loads the
/// initial weights. Afterwards it forwards messages addressed by integers — to a tile by
/// (layer, tile), to a unit by (layer, map, position) — to its local actors, and answers the
/// driver's counter and mixing queries. A failing child is stopped, never restarted (it owns
/// weights), and the driver is told the run failed.
/// </summary>
public sealed class MemberHost : UntypedActor
{
    private BuildRegion? _build;
    private UnitSettings? _settings;
    private TilePlacement? _placement;
    private TileLinks? _links;
    private IActorRef[][] _tiles = [];            // [layer][tile] (null where not local)
    private IActorRef[][][] _units = [];          // [layer][map][position] (null where not local)
    private IActorRef[][] _reducers = [];         // [layer][map] (null where not local)
    private readonly List<IActorRef> _localTiles = [];
    private readonly List<IActorRef> _localReducers = [];
    private int _buildPending, _countersPending, _mixPending;
    private IActorRef _client = ActorRefs.Nobody;
    private TrafficLedger? _collected;
    private IActorRef? _resetting;
    private readonly HashSet<IActorRef> _resetPending = [];

    public static Props Props() => Akka.Actor.Props.Create(() => new MemberHost());

    /// <summary>The member index of this host (−1 before <see cref="BuildRegion"/>).</summary>
    private int Member => _build?.Member ?? -1;

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(ex =>
        {
            var reason = $"member {Member}: {ex.GetType().Name}: {ex.Message}";
            Context.System.Log.Error(ex, "NodeMesh actor failed; the run stops");
            _build?.Driver.Tell(new RunFailed(Member, reason));
            return Directive.Stop;
        });

    protected override void OnReceive(object message)
    {
        try
        {
            Dispatch(message);
        }
        catch (Exception e) when (_build is not null)
        {
            // A routing or wiring error: the run cannot go on; say so instead of dying silently.
            _build.Driver.Tell(new RunFailed(Member, $"{e.GetType().Name}: {e.Message}"));
        }
    }

    private void Dispatch(object message)
    {
        switch (message)
        {
            case ITileAddressed t when _build is not null:
                Tile(t.Layer, t.Tile).Forward(t);
                break;
            case IUnitAddressed u when _build is not null:
                Unit(u).Forward(u);
                break;
            case EndRun e:
                Context.System.EventStream.Publish(e); // the member's process decides how to exit
                break;
            case ResetRegion rr:
                _resetRound = rr.Round;
                Reset(Sender);
                break;
            case Terminated t when _resetting is not null:
                _resetPending.Remove(t.ActorRef);
                if (_resetPending.Count == 0) ResetDone();
                break;
            case BuildRegion b:
                Context.System.EventStream.Publish(b);
                if (_build is not null) { b.Driver.Tell(new RunFailed(b.Member, $"member {Member} was asked to build a second region")); break; }
                try { Build(b); }
                catch (Exception e) when (e is Core.UserInputException or ArgumentException or InvalidOperationException)
                {
                    b.Driver.Tell(new RunFailed(b.Member, $"cannot build the region of member {b.Member}: {e.Message}"));
                }
                break;
            case UnitsCreated c:
                OnUnitsCreated(c);
                break;
            case TileWeightsLoaded:
                if (--_buildPending == 0) Built();
                break;
            case FetchUnitCounters:
                Collect(Sender, _localTiles, FetchUnitCounters.Instance);
                break;
            case FetchReducerCounters:
                Collect(Sender, _localReducers, FetchReducerCounters.Instance);
                break;
            case CounterSweep c:
                _collected!.Merge(c.Into);
                if (--_countersPending == 0) { _client.Tell(new MemberCounters(Member, _collected.Snapshot())); _collected = null; }
                break;
            case MixRounds m:
                _client = Sender;
                _mixPending = 0;
                foreach (var l in _settings!.Plan.Layers.Where(l => l.Kind == LayerKind.Conv))
                    foreach (var t in _tiles[l.Index]) if (t is not null) { t.Tell(m); _mixPending++; }
                if (_mixPending == 0) _client.Tell(new RoundsMixed(Member));
                break;
            case RoundsMixed:
                if (--_mixPending == 0) _client.Tell(new RoundsMixed(Member));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private IActorRef Unit(IUnitAddressed u)
    {
        if (u.Layer < 0 || u.Layer >= _units.Length || u.Map < 0 || u.Map >= _units[u.Layer].Length)
            throw new InvalidOperationException($"member {Member} got {u.GetType().Name} for layer {u.Layer} map {u.Map}, which the run does not have");
        var target = u.To == TyingWiring.Reducer ? _reducers[u.Layer][u.Map]
            : u.To >= 0 && u.To < _units[u.Layer][u.Map].Length ? _units[u.Layer][u.Map][u.To] : null;
        return target ?? throw new InvalidOperationException($"member {Member} got {u.GetType().Name} for layer {u.Layer} map {u.Map} position {u.To}, which it does not hold");
    }

    private IActorRef Tile(int layer, int tile) =>
        layer < 0 || layer >= _tiles.Length || tile < 0 || tile >= _tiles[layer].Length ? throw new InvalidOperationException($"member {Member} got a message for tile {tile} of layer {layer}, which the run does not have") :
        _tiles[layer][tile] ?? throw new InvalidOperationException($"member {Member} does not hold tile {tile} of layer {layer}");

    private void Build(BuildRegion b)
    {
        _build = b;
        _client = Sender;
        var spec = b.Spec;
        if (b.Hosts.Count != spec.Members) throw new InvalidOperationException($"the run has {spec.Members} members but {b.Hosts.Count} hosts were given");
        _settings = UnitSettings.From(spec);
        var tiles = spec.Tiles(_settings.Plan);
        _placement = TilePlacement.Build(tiles, spec.Members, spec.Placement);
        _links = new TileLinks(tiles);
        var layers = _settings.Plan.Layers;
        _tiles = layers.Select(l => new IActorRef[tiles.Tiles[l.Index].Count]).ToArray();
        _units = layers.Select(l => Enumerable.Range(0, l.OutMaps).Select(_ => new IActorRef[l.Positions]).ToArray()).ToArray();
        _reducers = layers.Select(l => new IActorRef[l.OutMaps]).ToArray();
        foreach (var t in _placement.TilesOf(b.Member))
        {
            var l = layers[t.Layer];
            var tile = Context.ActorOf(TileActor.Props(_settings, l, t, _links.InputsOf(l.Index, t.Index), _links.SkipsOf(l.Index, t.Index), _links.OutputsOf(l.Index, t.Index)), $"{l.Name}-t{t.Index}");
            _tiles[l.Index][t.Index] = tile;
            _localTiles.Add(tile);
        }
        var s = spec.Strategy;
        if (s.Kind == StrategyKind.AllReduce && s.Topology == TopologyKind.Star)
            foreach (var l in layers.Where(l => l.Kind == LayerKind.Conv && _placement.ReducerMember(l.Index) == b.Member))
                for (int m = 0; m < l.OutMaps; m++)
                {
                    _reducers[l.Index][m] = Context.ActorOf(ReducerActor.Props(_settings, l.Index, m), $"{l.Name}-m{m}-reducer");
                    _localReducers.Add(_reducers[l.Index][m]);
                }
        _buildPending = _localTiles.Count;
        if (_buildPending == 0) Connect();
    }

    private void OnUnitsCreated(UnitsCreated c)
    {
        var l = _settings!.Plan.Layers[c.Layer];
        var t = _links!.Tiles.Tiles[c.Layer][c.Tile];
        for (int i = 0; i < c.Units.Count; i++)
        {
            var (m, u, v) = t.UnitAt(i);
            _units[l.Index][m][u * l.OutWidth + v] = c.Units[i];
        }
        if (--_buildPending == 0) Connect();
    }

    /// <summary>Where a map position of a layer lives: its unit here, or the host of its member.</summary>
    private IActorRef UnitRoute(WeightedLayer l, int map, int position) =>
        _units[l.Index][map][position] ?? _build!.Hosts[_placement!.MemberOfPosition(l.Index, position / l.OutWidth, position % l.OutWidth)];

    private IActorRef ReducerRoute(WeightedLayer l, int map) =>
        _reducers[l.Index][map] ?? _build!.Hosts[_placement!.ReducerMember(l.Index)];

    private IActorRef TileRoute(int layer, int tile) =>
        _tiles[layer][tile] ?? _build!.Hosts[_placement!.MemberOf(layer, tile)];

    private void Connect()
    {
        var b = _build!;
        var s = b.Spec.Strategy;
        foreach (var l in _settings!.Plan.Layers)
        {
            var topology = l.Kind == LayerKind.Conv && s.Kind == StrategyKind.AllReduce ? _settings.Topology(l) : null;
            var gossip = l.Kind == LayerKind.Conv && s.Kind == StrategyKind.Gossip ? TyingWiring.GossipRoutes(s.Topology, l.OutHeight, l.OutWidth) : null;
            for (int m = 0; m < l.OutMaps; m++)
            {
                // Random gossip may meet any unit of the map: one immutable table, shared by the map's units here.
                var everyone = gossip is not null && s.Topology == TopologyKind.Random
                    ? new PeerRoutes(Enumerable.Range(0, l.Positions).Select(q => (q, UnitRoute(l, m, q)))) : null;
                for (int p = 0; p < l.Positions; p++)
                {
                    var unit = _units[l.Index][m][p];
                    if (unit is null || l.Kind != LayerKind.Conv || s.Kind == StrategyKind.None) continue;
                    if (everyone is not null) { unit.Tell(new ConnectPeers(everyone)); continue; }
                    IEnumerable<int> peers = topology is not null
                        ? PeersOf(TyingWiring.AllReduce(topology, p)).Distinct()
                        : gossip![p];
                    unit.Tell(new ConnectPeers(new PeerRoutes(peers.Select(q => (q, q == TyingWiring.Reducer ? ReducerRoute(l, m) : UnitRoute(l, m, q))))));
                }
                if (_reducers[l.Index][m] is { } reducer)
                    reducer.Tell(new ConnectPeers(new PeerRoutes(Enumerable.Range(0, l.Positions).Select(p => (p, UnitRoute(l, m, p))))));
            }
        }
        foreach (var l in _settings.Plan.Layers)
            foreach (var t in _links!.Tiles.Tiles[l.Index])
                if (_tiles[l.Index][t.Index] is { } tile)
                    tile.Tell(new ConnectTile(
                        _links.InputsOf(l.Index, t.Index).Concat(_links.SkipsOf(l.Index, t.Index)).Select(x => TileRoute(x.ProducerLayer, x.Producer)).ToArray(),
                        _links.OutputsOf(l.Index, t.Index).Select(x => TileRoute(x.Layer, x.Consumer)).ToArray(),
                        b.Driver));
        if (b.Spec.ShipsWeights || _localTiles.Count == 0)
        {
            Built();
            return;
        }
        var weights = b.Spec.InitialWeights(_settings.Plan);
        _buildPending = _localTiles.Count;
        foreach (var l in _settings.Plan.Layers)
            foreach (var t in _links!.Tiles.Tiles[l.Index])
                _tiles[l.Index][t.Index]?.Tell(new LoadTileWeights(l.Index, t.Index, WeightSlices.ForTile(l, t, weights[l.Index])));
    }

    private static IEnumerable<int> PeersOf(UnitTying t)
    {
        if (t.Up != TyingWiring.None) yield return t.Up;
        foreach (int d in t.Down) yield return d;
    }

    private void Built()
    {
        int units = _localTiles.Count == 0 ? 0 : _placement!.UnitsOf(Member);
        _build!.Driver.Tell(new RegionBuilt(Member, _localTiles.Count, units, _localReducers.Count));
    }

    /// <summary>
    /// Drops the member's region — its tiles (with their units) and reducers are stopped — so that
    /// the driver can build a new one after it lost another member; answered when all have stopped.
    /// </summary>
    private void Reset(IActorRef client)
    {
        int member = Member;
        _resetting = client;
        foreach (var a in _localTiles.Concat(_localReducers))
        {
            Context.Watch(a);
            _resetPending.Add(a);
            Context.Stop(a);
        }
        _localTiles.Clear();
        _localReducers.Clear();
        _build = null;
        _settings = null;
        _placement = null;
        _links = null;
        _resetMember = member;
        if (_resetPending.Count == 0) ResetDone();
    }

    private int _resetMember = -1;
    private int _resetRound;

    private void ResetDone()
    {
        _resetting!.Tell(new RegionReset(_resetMember, _resetRound));
        _resetting = null;
    }

    private void Collect(IActorRef client, List<IActorRef> actors, object query)
    {
        _client = client;
        _collected = new TrafficLedger(_settings!.LayerCount);
        _countersPending = actors.Count;
        if (_countersPending == 0) { client.Tell(new MemberCounters(Member, _collected.Snapshot())); _collected = null; return; }
        foreach (var a in actors) a.Tell(query);
    }
}

/// <summary>Cuts a layer's unit vectors (global unit order) into tiles and back.</summary>
public static class WeightSlices
{
    /// <summary>A tile's slice: [unit-in-tile][FanIn+1].</summary>
    public static float[] ForTile(WeightedLayer l, Tile t, float[] layerVectors)
    {
        int stride = l.FanIn + 1;
        var slice = new float[t.UnitCount * stride];
        for (int i = 0; i < t.UnitCount; i++)
        {
            var (m, u, v) = t.UnitAt(i);
            Array.Copy(layerVectors, (long)TilePlan.GlobalUnitIndex(l, m, u, v) * stride, slice, (long)i * stride, stride);
        }
        return slice;
    }

    /// <summary>Writes a tile's slice back into the layer's vectors (global unit order).</summary>
    public static void IntoLayer(WeightedLayer l, Tile t, float[] slice, float[] layerVectors)
    {
        int stride = l.FanIn + 1;
        for (int i = 0; i < t.UnitCount; i++)
        {
            var (m, u, v) = t.UnitAt(i);
            Array.Copy(slice, (long)i * stride, layerVectors, (long)TilePlan.GlobalUnitIndex(l, m, u, v) * stride, stride);
        }
    }
}
