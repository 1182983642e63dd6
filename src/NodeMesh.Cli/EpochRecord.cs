using NodeMesh.Actors.Messages;
using NodeMesh.Core.Metrics;

namespace NodeMesh.Cli;

/// <summary>
/// One finished epoch as training hands it to the recorder: the training result with its counted
/// traffic, the test result, seconds of training and of the whole epoch (with evaluation), and
/// the consensus of the conv layers. Held in memory only; <see cref="RunRecorder"/> turns it into
/// metrics.csv rows and a summary.json epoch.
/// </summary>
public sealed record EpochRecord(int Epoch, EpochTrained Trained, Evaluated Test, double TrainSeconds, double EpochSeconds, IReadOnlyList<LayerConsensus> Consensus)
{
    /// <summary>Training samples per second of training.</summary>
    public double SamplesPerSecond => Trained.Samples / Math.Max(1e-9, TrainSeconds);
}
