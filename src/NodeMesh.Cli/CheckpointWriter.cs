using NodeMesh.Actors.Driving;
using NodeMesh.Actors.Messages;
using NodeMesh.Cli.Records;
using NodeMesh.Core.Checkpoints;

namespace NodeMesh.Cli;

/// <summary>
/// Writes a run's checkpoints into its run directory (<c>checkpoint.nmck</c>, replaced atomically
/// each time): the driver's position and tile states, plus what the run directory needs to be
/// completed after a resume (the finished epochs, the cluster traffic so far, the command line).
/// </summary>
public sealed class CheckpointWriter(string runDirectory, IReadOnlyList<string> trainArgs, RunRecorder recorder, Action<string>? log = null) : ICheckpointSink
{
    public string Path => System.IO.Path.Combine(runDirectory, TrainingCheckpoint.FileName);

    public void Save(CheckpointPosition position, IReadOnlyList<TileState> tiles)
    {
        var header = new CheckpointHeader(CheckpointHeader.CurrentFormat, trainArgs,
            position.Epoch, position.Cursor, position.StepInEpoch, position.GlobalStep, position.LossSum, position.Correct, position.Samples,
            CountsRecord.Of(position.Carried), recorder.Epochs.Select(FinishedEpoch.Of).ToList(), recorder.Cluster?.Epochs.ToList() ?? [],
            DateTime.UtcNow.ToString("o", System.Globalization.CultureInfo.InvariantCulture));
        new TrainingCheckpoint(header.ToJson(), tiles).Write(Path);
        log?.Invoke($"  checkpoint at step {position.GlobalStep} (epoch {position.Epoch}, {position.Cursor} samples in) → {Path}");
    }
}
