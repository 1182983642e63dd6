using NodeMesh.Core.Metrics;

namespace NodeMesh.Actors.Messages;

// Driver protocol: a run's client (the CLI, tests) <-> the driver actor.

/// <summary>Command: have every member build its region and load the initial weights.</summary>
public sealed record Prepare : INodeMeshMessage;

/// <summary>Event: the network is built and loaded.</summary>
public sealed record Prepared(int Units, int Tiles, int Reducers, int Members) : INodeMeshMessage;

/// <summary>Command: train one epoch (1-based number).</summary>
public sealed record TrainEpoch(int Epoch) : INodeMeshMessage;

/// <summary>Event: an epoch's training result: mean loss and accuracy over its samples, its traffic, and the members lost and recovered from during it.</summary>
public sealed record EpochTrained(int Epoch, double Loss, double Accuracy, int Samples, int Steps, TrafficCounts Ledger, IReadOnlyList<Driving.MemberRecovery>? Recoveries = null) : INodeMeshMessage
{
    public IReadOnlyList<Driving.MemberRecovery> Recoveries { get; init; } = Recoveries ?? [];
}

/// <summary>Command: evaluate on the test set.</summary>
public sealed record Evaluate : INodeMeshMessage;

/// <summary>Event: test loss and accuracy.</summary>
public sealed record Evaluated(double Loss, double Accuracy, int Samples) : INodeMeshMessage;

/// <summary>Query: every unit's weights, per layer in global unit order ([unit][FanIn+1]).</summary>
public sealed record FetchModel : INodeMeshMessage;

/// <summary>Response to <see cref="FetchModel"/>.</summary>
public sealed record ModelResponse(float[][] Layers) : INodeMeshMessage;

/// <summary>Event: one training step finished (for progress display).</summary>
public sealed record StepProgress(int Epoch, int Step, int Steps, double MeanLoss) : INodeMeshMessage;

/// <summary>Query: the traffic counted since the last epoch or fetch (counters are reset).</summary>
public sealed record FetchTraffic : INodeMeshMessage;

/// <summary>Response to <see cref="FetchTraffic"/>.</summary>
public sealed record TrafficResponse(TrafficCounts Ledger) : INodeMeshMessage;

/// <summary>Event, to the driver: a member of the run was lost (unreachable, removed, or its process died).</summary>
public sealed record MemberLost(string Address, string Reason) : INodeMeshMessage;
