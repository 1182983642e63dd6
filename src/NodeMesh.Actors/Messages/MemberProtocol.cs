using Akka.Actor;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Training;

namespace NodeMesh.Actors.Messages;

// Member protocol: the driver <-> the host actor of every member (in local mode one host in the
// driver's own ActorSystem; in a cluster one per worker). Plus the member-local wiring a host
// sends to its own tiles, units and reducers.

/// <summary>
/// Command: build this member's share of the run — its tiles, their units and the star reducers
/// placed here — from <paramref name="Spec"/> alone, wire them (peers on other members are
/// reached through <paramref name="Hosts"/>, indexed by member), load the initial weights unless
/// the spec ships them, and answer <see cref="RegionBuilt"/> to <paramref name="Driver"/>.
/// </summary>
public sealed record BuildRegion(RunSpec Spec, int Member, IReadOnlyList<IActorRef> Hosts, IActorRef Driver) : INodeMeshMessage;

/// <summary>Event: a member built, wired and loaded its region.</summary>
public sealed record RegionBuilt(int Member, int Tiles, int Units, int Reducers) : INodeMeshMessage;

/// <summary>Command: program the units of a tile with <paramref name="Vectors"/> ([unit-in-tile][FanIn+1]).</summary>
public sealed record LoadTileWeights(int Layer, int Tile, float[] Vectors) : ITileAddressed;

/// <summary>Event: a tile's units hold the loaded weights.</summary>
public sealed record TileWeightsLoaded(int Layer, int Tile) : INodeMeshMessage;

/// <summary>Query: the weights of a tile's units (answered with <see cref="TileWeights"/> to the sender).</summary>
public sealed record FetchTileWeights(int Layer, int Tile) : ITileAddressed;

/// <summary>Response to <see cref="FetchTileWeights"/>: [unit-in-tile][FanIn+1].</summary>
public sealed record TileWeights(int Layer, int Tile, float[] Vectors) : INodeMeshMessage;

/// <summary>Query: the traffic the member's tiles and units counted since the last fetch (reset on reading).</summary>
public sealed record FetchUnitCounters : INodeMeshMessage
{
    public static readonly FetchUnitCounters Instance = new();
}

/// <summary>
/// Query: the traffic the member's star reducers counted since the last fetch. Asked only after
/// every member answered <see cref="FetchUnitCounters"/>: a unit answers its counter sweep after
/// its last exchange completed, so every reducer has sent (and counted) its last results.
/// </summary>
public sealed record FetchReducerCounters : INodeMeshMessage
{
    public static readonly FetchReducerCounters Instance = new();
}

/// <summary>Response to the counter queries.</summary>
public sealed record MemberCounters(int Member, TrafficCounts Counts) : INodeMeshMessage;

/// <summary>Command: run <paramref name="Rounds"/> gossip rounds on every conv unit now, without training (mixing experiments).</summary>
public sealed record MixRounds(int Rounds) : INodeMeshMessage;

/// <summary>Event: a unit, tile or member finished its <see cref="MixRounds"/>.</summary>
public sealed record RoundsMixed(int Member) : INodeMeshMessage;

/// <summary>Event, host → driver: an actor of the member failed; the run cannot go on.</summary>
public sealed record RunFailed(int Member, string Reason) : INodeMeshMessage;

/// <summary>
/// Command, driver → host: stop the member's region (tiles, units, reducers) so a new one can be
/// built. <paramref name="Round"/> counts the driver's resets: a second loss during a reset starts
/// a new round, and replies to the old one are then told apart and dropped.
/// </summary>
public sealed record ResetRegion(int Round) : INodeMeshMessage;

/// <summary>Event: the member's region is gone; <paramref name="Round"/> is that of the last <see cref="ResetRegion"/> it got.</summary>
public sealed record RegionReset(int Member, int Round) : INodeMeshMessage;

/// <summary>Command, driver → hosts: the experiment is over; <paramref name="Success"/> tells workers which exit code to use.</summary>
public sealed record EndRun(bool Success, string Reason) : INodeMeshMessage;

// ---- member-local wiring (host -> its own actors) ----------------------------------------

/// <summary>Event, tile → its host: the tile's units, in sweep order (a fresh list).</summary>
public sealed record UnitsCreated(int Layer, int Tile, IReadOnlyList<IActorRef> Units) : INodeMeshMessage;

/// <summary>
/// Command, host → tile: where the tile's pieces go — one route per input link (its producers,
/// in link order), one per output link (its consumers) — and the driver.
/// </summary>
public sealed record ConnectTile(IReadOnlyList<IActorRef> Producers, IReadOnlyList<IActorRef> Consumers, IActorRef Driver) : INodeMeshMessage;

/// <summary>Command, host → unit or reducer: how to reach the map positions it talks to.</summary>
public sealed record ConnectPeers(PeerRoutes Routes) : INodeMeshMessage;

/// <summary>Sweep (member-local): each unit programs its store with its slice of <paramref name="Vectors"/>.</summary>
public sealed record LoadSweep(float[] Vectors) : INodeMeshMessage;

/// <summary>Sweep (member-local): each unit copies its weights into its slice of <paramref name="Vectors"/>.</summary>
public sealed record ReadSweep(float[] Vectors) : INodeMeshMessage;

/// <summary>
/// Sweep (member-local): each unit adds its counters into <paramref name="Into"/> and resets them.
/// Like the other sweeps' arrays, the ledger is filled hand to hand: one unit at a time has the
/// message, so a sweep of thousands of units makes no copy of the counts (it made one per unit).
/// </summary>
public sealed record CounterSweep(TrafficLedger Into) : INodeMeshMessage;

/// <summary>
/// The addresses of the map positions a unit (or reducer) sends to: a local unit's own actor,
/// or the host of the member that holds the position. Immutable; −1 is the map's reducer.
/// </summary>
public sealed class PeerRoutes
{
    private readonly int[] _positions;
    private readonly IActorRef[] _routes;

    public PeerRoutes(IEnumerable<(int Position, IActorRef Route)> routes)
    {
        var sorted = routes.OrderBy(r => r.Position).ToArray();
        _positions = sorted.Select(r => r.Position).ToArray();
        _routes = sorted.Select(r => r.Route).ToArray();
        for (int i = 1; i < _positions.Length; i++)
            if (_positions[i] == _positions[i - 1]) throw new ArgumentException($"position {_positions[i]} routed twice", nameof(routes));
    }

    public static PeerRoutes None { get; } = new([]);

    public int Count => _positions.Length;

    public IEnumerable<(int Position, IActorRef Route)> All => _positions.Select((p, i) => (p, _routes[i]));

    /// <summary>The route to a position; throws when the unit was not wired to it.</summary>
    public IActorRef To(int position)
    {
        int i = Array.BinarySearch(_positions, position);
        if (i < 0) throw new InvalidOperationException($"no route to map position {position} (the wiring does not connect them)");
        return _routes[i];
    }
}
