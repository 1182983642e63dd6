using NodeMesh.Core.Metrics;

namespace NodeMesh.Actors.Messages;

// Checkpoint protocol: the driver collects the complete state of every tile at a consistent cut
// (between two steps, after every unit's tying exchange has finished: a state sweep waits behind
// an open exchange like any other sweep), and loads it back into a freshly built region.

/// <summary>Query: the complete state of a tile's units (answered with <see cref="TileStateCaptured"/>).</summary>
public sealed record FetchTileState(int Layer, int Tile) : ITileAddressed;

/// <summary>Response to <see cref="FetchTileState"/>: per unit in sweep order, its state record.</summary>
public sealed record TileStateCaptured(int Layer, int Tile, byte[] State) : INodeMeshMessage;

/// <summary>Command: replace the state of a tile's units by a captured one; <paramref name="Step"/> is the run's next step.</summary>
public sealed record LoadTileState(int Layer, int Tile, long Step, byte[] State) : ITileAddressed;

/// <summary>Event: a tile's units hold the loaded state.</summary>
public sealed record TileStateLoaded(int Layer, int Tile) : INodeMeshMessage;

/// <summary>Sweep (member-local): each unit writes its state record into its slot of <paramref name="States"/>.</summary>
public sealed record StateSweep(byte[][] States) : INodeMeshMessage;

/// <summary>Sweep (member-local): each unit loads its slot of <paramref name="States"/>.</summary>
public sealed record StateLoadSweep(long Step, byte[][] States) : INodeMeshMessage;

/// <summary>Command, client → driver: write a checkpoint now (between epochs).</summary>
public sealed record SaveCheckpoint : INodeMeshMessage;

/// <summary>Event: the checkpoint of <paramref name="GlobalStep"/> is written.</summary>
public sealed record CheckpointSaved(long GlobalStep) : INodeMeshMessage;

/// <summary>
/// Where a run stands at a checkpoint: the epoch it is in (1-based), the samples of that epoch
/// already trained (<paramref name="Cursor"/>) and its steps, the run's next global step, the
/// epoch's loss and accuracy sums so far, and the traffic counted in the epoch so far.
/// </summary>
public sealed record CheckpointPosition(int Epoch, int Cursor, int StepInEpoch, long GlobalStep, double LossSum, int Correct, int Samples, TrafficCounts Carried);
