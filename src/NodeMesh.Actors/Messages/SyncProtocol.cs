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
/// </summary>
public sealed record ConnectPeers(Akka.Actor.IActorRef? Up, Akka.Actor.IActorRef[] Down, int ExpectedPartials, int GroupSize) : INodeMeshMessage;

/// <summary>Command: wires a star reducer to the units of its map (indexed by position).</summary>
public sealed record ConnectReducer(Akka.Actor.IActorRef[] Units) : INodeMeshMessage;

/// <summary>A unit's vector, or a partial sum of several, travelling toward the reduction's end.</summary>
public sealed record SyncPartial(long Step, SyncKind Kind, int Position, float[] Values) : INodeMeshMessage;

/// <summary>The reduced vector (sum, mean or average) travelling back to the units.</summary>
public sealed record SyncResult(long Step, SyncKind Kind, float[] Values) : INodeMeshMessage;

/// <summary>Command: the <see cref="ConnectPeers"/> of each unit of a tile, in sweep order; the tile passes them on.</summary>
public sealed record ConnectTile(ConnectPeers[] Peers) : INodeMeshMessage;
