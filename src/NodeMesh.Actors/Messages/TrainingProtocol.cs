using NodeMesh.Core.Tiles;

namespace NodeMesh.Actors.Messages;

// Training protocol (the data plane). Activations move tile to tile forward and errors tile to
// tile backward; the driver injects each batch's images into the first layer and exchanges only
// logits and their gradient with the last layer. Pieces carry a rectangle of the receiving
// layer's input grid laid out [h][w][C][B] (see Core.Tiles.TileLinks). A tile "sweeps" its units
// with one message that visits them in a fixed order and returns to the tile; sweeps never leave
// their member (units are their tile's children).

/// <summary>A message routed to one tile by (layer, tile): a member host forwards it to its local tile.</summary>
public interface ITileAddressed : INodeMeshMessage
{
    int Layer { get; }
    int Tile { get; }
}

/// <summary>
/// Event: tile <paramref name="From"/> of layer <see cref="FromLayer"/> (or the driver, −1, for the
/// first layer) produced the activations over its link's area for tile <paramref name="Tile"/> of
/// <paramref name="Layer"/>: a piece of the input, or, from the layer's skip layer, a piece for its
/// residual add. From the driver, <paramref name="Data"/> is the tile's whole input region.
/// </summary>
public sealed record ActivationsProduced(int Layer, int Tile, int From, long Step, bool Train, float[] Data) : ITileAddressed
{
    /// <summary>The producer's layer: <paramref name="Layer"/> − 1 unless the link skips layers (residual nets).</summary>
    public int FromLayer { get; init; } = Layer - 1;
}

/// <summary>
/// Event: tile <paramref name="From"/> of layer <see cref="FromLayer"/> (or the driver, −1, with the
/// logits' gradient for the last layer) produced the error over its link's area for tile
/// <paramref name="Tile"/> of <paramref name="Layer"/>: its input error, or, over a residual add's
/// link, its pre-activation gradient.
/// </summary>
public sealed record ErrorsProduced(int Layer, int Tile, int From, long Step, float[] Data) : ITileAddressed
{
    /// <summary>The consumer's layer: <paramref name="Layer"/> + 1 unless the link skips layers (residual nets).</summary>
    public int FromLayer { get; init; } = Layer + 1;
}

/// <summary>Event, last layer → driver: the logits of a step ([classes][B]).</summary>
public sealed record LogitsProduced(int Tile, long Step, bool Train, float[] Logits) : INodeMeshMessage;

/// <summary>Event, first-layer tile → driver: the tile finished the step's backward pass.</summary>
public sealed record StepBackpropagated(int Tile, long Step) : INodeMeshMessage;

/// <summary>
/// Sweep (member-local): each unit writes its pre-activations for the batch into its slot of
/// <paramref name="Output"/> ([unit-in-tile][B]) and passes the sweep on. <paramref name="Input"/>
/// is the tile's input region; the buffers are owned by whichever actor holds the sweep.
/// </summary>
public sealed record ForwardSweep(long Step, bool Train, GridBuffer Input, float[] Output) : INodeMeshMessage;

/// <summary>
/// Sweep (member-local): each unit reads its delta ([unit-in-tile][B] in <paramref name="Delta"/>),
/// computes its gradient, adds its input error into <paramref name="InputError"/> (empty for the
/// first layer) and passes the sweep on before it applies its update.
/// </summary>
public sealed record BackwardSweep(long Step, float[] Delta, float[] InputError) : INodeMeshMessage;
