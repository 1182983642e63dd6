namespace NodeMesh.Cli.Records;

/// <summary>
/// One finished epoch of summary.json: learning, timing, the logical traffic of the emulated
/// fabric by category and by layer, consensus of the conv layers, and (when the run had the
/// models) energy per sample, sync lower bounds and device activity.
/// </summary>
public sealed record EpochSummary
{
    /// <summary>1-based epoch number.</summary>
    public required int Epoch { get; init; }

    /// <summary>Mean training cross-entropy over the epoch's steps.</summary>
    public required double TrainLoss { get; init; }

    /// <summary>Training accuracy over the epoch, 0–1.</summary>
    public required double TrainAccuracy { get; init; }

    /// <summary>Test cross-entropy after the epoch.</summary>
    public required double TestLoss { get; init; }

    /// <summary>Test accuracy after the epoch, 0–1.</summary>
    public required double TestAccuracy { get; init; }

    /// <summary>Training samples of the epoch.</summary>
    public required int Samples { get; init; }

    /// <summary>Training steps (batches) of the epoch.</summary>
    public required int Steps { get; init; }

    /// <summary>Seconds of training (evaluation excluded).</summary>
    public required double TrainSeconds { get; init; }

    /// <summary>Training samples per second of training.</summary>
    public required double SamplesPerSecond { get; init; }

    /// <summary>Energy per training sample by category; null in runs without an energy model.</summary>
    public EnergyRecord? EnergyPjPerSample { get; init; }

    /// <summary>Sync traffic against its lower bound, by conv layer (all-reduce only); null in runs without a fabric model.</summary>
    public IReadOnlyDictionary<string, LowerBoundRecord>? LowerBounds { get; init; }

    /// <summary>Traffic by category (activation, error, sync, control), summed over the layers.</summary>
    public required IReadOnlyDictionary<string, CategoryTraffic> Traffic { get; init; }

    /// <summary>Traffic by layer, then by category.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, LayerTrafficRecord>> Layers { get; init; }

    /// <summary>Consensus of each conv layer after the epoch.</summary>
    public required IReadOnlyDictionary<string, ConsensusRecord> Consensus { get; init; }

    /// <summary>Device activity of "all" layers and of each layer, cumulative since training started; null in runs before device models.</summary>
    public IReadOnlyDictionary<string, DeviceRecord>? Devices { get; init; }

    /// <summary>Members lost during the epoch and how the run continued (absent when none was lost).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<RecoveryRecord>? Recoveries { get; init; }
}

/// <summary>Consensus of one conv layer: Ξ² (mean squared distance of the units' kernels from their map's mean) and SNR (+∞ when exactly tied).</summary>
public sealed record ConsensusRecord(double Xi2, double Snr);

/// <summary>A member lost during an epoch: who, why, the step it was noticed at, the checkpoint step the run continued from, the steps trained again, and the members left.</summary>
public sealed record RecoveryRecord(string Member, string Reason, long LostAtStep, long ResumedAtStep, long StepsRedone, int Members)
{
    public static RecoveryRecord Of(Actors.Driving.MemberRecovery r) => new(r.Member, r.Reason, r.LostAtStep, r.ResumedAtStep, r.StepsRedone, r.Members);
}
