using System.Text.Json.Serialization;

namespace NodeMesh.Cli.Records;

/// <summary>
/// <c>summary.json</c>: the configuration, how the run ended, the final figures, the energy
/// and lower bounds of the last epoch, the conventional baseline, every epoch, and for a cluster
/// run the traffic between its members. A run that failed before finishing an epoch has only
/// config, status, failure, cluster, wall_seconds and an empty epochs list: the members that
/// need a finished epoch are left out rather than written as null.
/// </summary>
public sealed record RunSummary
{
    /// <summary>The configuration (as config.json); null only in a summary that left it to config.json.</summary>
    public RunConfig? Config { get; init; }

    /// <summary>"completed", "failed", "interrupted" (Ctrl-C) or "diverged" (non-finite loss); null in runs written before the status was recorded.</summary>
    public string? Status { get; init; }

    /// <summary>Why a failed run stopped; null otherwise.</summary>
    public string? Failure { get; init; }

    /// <summary>Traffic between the members of a cluster run; null for a local run.</summary>
    public ClusterSummary? Cluster { get; init; }

    /// <summary>Test accuracy after the last epoch, 0–1.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? FinalTestAccuracy { get; init; }

    /// <summary>Test cross-entropy after the last epoch.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? FinalTestLoss { get; init; }

    /// <summary>Training cross-entropy of the last epoch.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? FinalTrainLoss { get; init; }

    /// <summary>Seconds from the first epoch's start to the summary.</summary>
    public double? WallSeconds { get; init; }

    /// <summary>The last epoch's energy per sample; null in runs without an energy model.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public EnergyRecord? EnergyPjPerSample { get; init; }

    /// <summary>The last epoch's sync traffic against its lower bound, by conv layer (all-reduce only; empty otherwise).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, LowerBoundRecord>? LowerBounds { get; init; }

    /// <summary>The conventional (von Neumann) baseline of the same network and batch.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BaselineRecord? Baseline { get; init; }

    /// <summary>
    /// The time a step of this run would take on the fabric, projected from the latency model
    /// (the figure <c>nodemesh project</c> gives for the same net, strategy, cast, batch and
    /// device); null for the spread layout, which the latency model does not cover.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StepTimeRecord? ProjectedStepTime { get; init; }

    /// <summary>The finished epochs, in order.</summary>
    public IReadOnlyList<EpochSummary> Epochs { get; init; } = [];
}
