namespace NodeMesh.Actors.Messages;

/// <summary>What a tying exchange carries.</summary>
public enum SyncKind
{
    /// <summary>Gradients, combined by sum or mean, applied as an SGD step (all-reduce, F = 1).</summary>
    Gradient = 0,
    /// <summary>Weights, averaged and written into the units (periodic model averaging).</summary>
    Weights = 1,
}

/// <summary>
/// Command: wires a unit into its map's tying topology. <paramref name="Up"/> is where the unit's
/// partial goes (star reducer, tree parent, next unit on the ring; null at the end of the
/// reduction). <paramref name="Down"/> are the units the final result is passed to (tree children,
/// next unit on the ring). <paramref name="ExpectedPartials"/> is how many partials it waits for
/// before sending its own (tree: children; ring: 1 except the first unit).
/// For gossip, <paramref name="Gossip"/> holds the units of the map by position (shared, read-only).
/// </summary>
public sealed record ConnectPeers(Akka.Actor.IActorRef? Up, Akka.Actor.IActorRef[] Down, int ExpectedPartials, int GroupSize, Akka.Actor.IActorRef[]? Gossip = null) : INodeMeshMessage;

/// <summary>Command: wires a star reducer to the units of its map (indexed by position).</summary>
public sealed record ConnectReducer(Akka.Actor.IActorRef[] Units) : INodeMeshMessage;

/// <summary>A unit's vector, or a partial sum of several, travelling toward the reduction's end.</summary>
public sealed record SyncPartial(long Step, SyncKind Kind, int Position, float[] Values) : INodeMeshMessage;

/// <summary>The reduced vector (sum, mean or average) travelling back to the units.</summary>
public sealed record SyncResult(long Step, SyncKind Kind, float[] Values) : INodeMeshMessage;

/// <summary>Command: the <see cref="ConnectPeers"/> of each unit of a tile, in sweep order; the tile passes them on.</summary>
public sealed record ConnectTile(ConnectPeers[] Peers) : INodeMeshMessage;

/// <summary>
/// Gossip, push half: a unit offers its weights to a peer of its map. The peer answers with
/// exactly one of <see cref="GossipReply"/>, <see cref="GossipDecline"/> or
/// <see cref="GossipLost"/>, or — when the two offers cross — consumes it as the answer to its own.
/// </summary>
public sealed record GossipOffer(long Round, int Position, float[] Values) : INodeMeshMessage;

/// <summary>Gossip, pull half: the peer's weights as they were when it mixed in the offer.</summary>
public sealed record GossipReply(int Position, float[] Values) : INodeMeshMessage;

/// <summary>The peer is in an exchange of its own; the offer is refused and nobody mixes.</summary>
public sealed record GossipDecline(int Position) : INodeMeshMessage;

/// <summary>
/// Emulated loss notice: the peer's reply was lost on the fabric (counted as dropped). It stands
/// for the link-level timeout of real hardware, so that the offering unit stops waiting.
/// </summary>
public sealed record GossipLost(int Position) : INodeMeshMessage;

/// <summary>Command: run <paramref name="Rounds"/> gossip rounds now without training (mixing experiments).</summary>
public sealed record MixRounds(int Rounds) : INodeMeshMessage;

/// <summary>Event: a unit or tile finished its <see cref="MixRounds"/>.</summary>
public sealed record RoundsMixed(int Layer, int Tile) : INodeMeshMessage;
