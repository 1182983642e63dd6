using NodeMesh.Core.Metrics;

namespace NodeMesh.Actors.Messages;

/// <summary>Query: the tile's unit references, in sweep order.</summary>
public sealed record FetchUnits(int Layer, int Tile) : INodeMeshMessage;

/// <summary>Response to <see cref="FetchUnits"/>.</summary>
public sealed record UnitsResponse(int Layer, int Tile, Akka.Actor.IActorRef[] Units) : INodeMeshMessage;

/// <summary>Command: program the tile's units with <paramref name="Vectors"/> ([unit-in-tile][FanIn+1]).</summary>
public sealed record LoadWeights(float[] Vectors) : INodeMeshMessage;

/// <summary>Sweep: each unit programs its store with its slice of <paramref name="Vectors"/>.</summary>
public sealed record LoadSweep(float[] Vectors) : INodeMeshMessage;

/// <summary>Event: the tile's units hold the loaded weights.</summary>
public sealed record WeightsLoaded(int Layer, int Tile) : INodeMeshMessage;

/// <summary>Query: the weights of the tile's units.</summary>
public sealed record FetchWeights : INodeMeshMessage
{
    public static readonly FetchWeights Instance = new();
}

/// <summary>Sweep: each unit copies its weights into its slice of <paramref name="Vectors"/>.</summary>
public sealed record ReadSweep(float[] Vectors) : INodeMeshMessage;

/// <summary>Response to <see cref="FetchWeights"/>: [unit-in-tile][FanIn+1].</summary>
public sealed record WeightsResponse(int Layer, int Tile, float[] Vectors) : INodeMeshMessage;

/// <summary>Query: the traffic counted since the last fetch (the counters are reset).</summary>
public sealed record FetchCounters : INodeMeshMessage
{
    public static readonly FetchCounters Instance = new();
}

/// <summary>Sweep: each unit adds its counters into <paramref name="Ledger"/> and resets them.</summary>
public sealed record CounterSweep(TrafficLedger Ledger) : INodeMeshMessage;

/// <summary>Response to <see cref="FetchCounters"/>.</summary>
public sealed record CountersResponse(int Layer, int Tile, TrafficLedger Ledger) : INodeMeshMessage;
