using NodeMesh.Core.Tiles;

namespace NodeMesh.Actors.Messages;

// Training protocol: trainer <-> tiles <-> units. A tile "sweeps" its units: one message visits
// the units in the tile's fixed order and returns to the tile. The sweep's buffer is a value in
// transit, owned by whichever actor currently holds the message (a linear hand-off, the same
// semantics as when each hop serialises it, which is what happens with serialize-messages = on
// or across a node boundary).

/// <summary>Command: run the forward pass of this layer's tile on <paramref name="Input"/> (the layer's whole input grid).</summary>
public sealed record ForwardBatch(long Step, bool Train, GridBuffer Input) : INodeMeshMessage;

/// <summary>
/// Sweep: each unit writes its pre-activations for the batch into its slot of
/// <paramref name="Output"/> ([unit-in-tile][B]) and passes the sweep on.
/// </summary>
public sealed record ForwardSweep(long Step, bool Train, GridBuffer Input, float[] Output) : INodeMeshMessage;

/// <summary>Event: a tile's pooled output region ([h][w][maps][B]) for a step.</summary>
public sealed record TileActivated(int Layer, int Tile, long Step, float[] Output) : INodeMeshMessage;

/// <summary>Command: back-propagate <paramref name="GradOutput"/> (gradient w.r.t. the layer's post-op output grid).</summary>
public sealed record BackwardBatch(long Step, GridBuffer GradOutput) : INodeMeshMessage;

/// <summary>
/// Sweep: each unit reads its delta ([unit-in-tile][B] in <paramref name="Delta"/>), computes its
/// gradient, adds its input error into <paramref name="InputError"/> (empty for the first layer)
/// and passes the sweep on before it applies its update.
/// </summary>
public sealed record BackwardSweep(long Step, float[] Delta, float[] InputError) : INodeMeshMessage;

/// <summary>Event: a tile's input-error region (padded input coordinates) for a step; empty for the first layer.</summary>
public sealed record TileBackpropagated(int Layer, int Tile, long Step, float[] InputError) : INodeMeshMessage;
