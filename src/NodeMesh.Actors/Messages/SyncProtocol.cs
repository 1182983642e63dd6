using NodeMesh.Core.Exchanges;

namespace NodeMesh.Actors.Messages;

// Weight-tying protocol between the units of one map (and the map's star reducer). Units are
// addressed by integers — layer, map and position p = u·W + v, −1 for the reducer — so that a
// message to a unit on another member goes to that member's host, which forwards it locally;
// no actor path travels with it and no sender is attached.

/// <summary>A message routed to one unit (or, with To = −1, the map's reducer) by a member host.</summary>
public interface IUnitAddressed : INodeMeshMessage
{
    int Layer { get; }
    int Map { get; }
    int To { get; }
}

/// <summary>A unit's vector, or a partial sum of several, travelling toward the end of the reduction.</summary>
public sealed record SyncPartial(int Layer, int Map, int To, int From, long Step, SyncKind Kind, float[] Values) : IUnitAddressed;

/// <summary>The reduced vector (sum, mean or average) travelling back to the units.</summary>
public sealed record SyncResult(int Layer, int Map, int To, long Step, SyncKind Kind, float[] Values) : IUnitAddressed;

/// <summary>
/// Gossip, push half: a unit offers its weights to a peer of its map. The peer answers with
/// exactly one of <see cref="GossipReply"/>, <see cref="GossipDeclined"/> or
/// <see cref="GossipLost"/>, or — when the two offers cross — consumes it as the answer to its own.
/// </summary>
public sealed record GossipOffer(int Layer, int Map, int To, int From, long Round, float[] Values) : IUnitAddressed;

/// <summary>Gossip, pull half: the peer's weights as they were when it mixed in the offer.</summary>
public sealed record GossipReply(int Layer, int Map, int To, int From, float[] Values) : IUnitAddressed;

/// <summary>The peer is in an exchange of its own; the offer is refused and nobody mixes.</summary>
public sealed record GossipDeclined(int Layer, int Map, int To, int From) : IUnitAddressed;

/// <summary>
/// Emulated loss notice: the peer's reply was lost on the fabric (counted as dropped). It stands
/// for the link-level timeout of real hardware, so that the offering unit stops waiting.
/// </summary>
public sealed record GossipLost(int Layer, int Map, int To, int From) : IUnitAddressed;
