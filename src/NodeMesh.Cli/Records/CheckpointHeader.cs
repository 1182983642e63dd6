using System.Text.Json;
using System.Text.Json.Serialization;
using NodeMesh.Actors.Messages;
using NodeMesh.Core.Metrics;

namespace NodeMesh.Cli.Records;

/// <summary>Traffic, device and compute counters as plain arrays (see <see cref="TrafficCounts"/>).</summary>
public sealed record CountsRecord(int Layers, long[] Messages, long[] Bytes, long[] Delivered, long[] Dropped, long[] ByteHops, long[] Devices, long[] Compute)
{
    public static CountsRecord Of(TrafficCounts c) =>
        new(c.Layers, c.Messages.ToArray(), c.Bytes.ToArray(), c.Delivered.ToArray(), c.Dropped.ToArray(), c.ByteHops.ToArray(), c.Devices.ToArray(), c.Compute.ToArray());

    public TrafficCounts ToCounts() => new(Layers, Messages, Bytes, Delivered, Dropped, ByteHops, Devices, Compute);
}

/// <summary>A finished epoch, as much of it as the run directory needs to be written again after a resume.</summary>
public sealed record FinishedEpoch(int Epoch, double Loss, double Accuracy, int Samples, int Steps, CountsRecord Counts,
    double TestLoss, double TestAccuracy, int TestSamples, double TrainSeconds, double EpochSeconds, IReadOnlyList<LayerConsensus> Consensus)
{
    public static FinishedEpoch Of(EpochRecord e) => new(e.Epoch, e.Trained.Loss, e.Trained.Accuracy, e.Trained.Samples, e.Trained.Steps,
        CountsRecord.Of(e.Trained.Ledger), e.Test.Loss, e.Test.Accuracy, e.Test.Samples, e.TrainSeconds, e.EpochSeconds, e.Consensus);

    public EpochRecord ToRecord() => new(Epoch, new EpochTrained(Epoch, Loss, Accuracy, Samples, Steps, Counts.ToCounts()),
        new Evaluated(TestLoss, TestAccuracy, TestSamples), TrainSeconds, EpochSeconds, Consensus);
}

/// <summary>
/// The header of a run's checkpoint (<c>checkpoint.nmck</c>): the command line that started the
/// run (without its cluster and output options), where the run stands, the epochs it finished
/// (so that a resumed run writes a complete run directory), and their cluster traffic.
/// </summary>
public sealed record CheckpointHeader(
    int Format,
    IReadOnlyList<string> TrainArgs,
    int Epoch, int Cursor, int StepInEpoch, long GlobalStep, double LossSum, int Correct, int Samples, CountsRecord Carried,
    IReadOnlyList<FinishedEpoch> Finished,
    IReadOnlyList<EpochWire> ClusterEpochs,
    string SavedUtc)
{
    /// <summary>
    /// The header format this build writes and reads. 2: the counters gained clipped program pulses
    /// and the compute counters (a format-1 checkpoint has neither, so it is refused, not misread).
    /// </summary>
    public const int CurrentFormat = 2;

    [JsonIgnore]
    public CheckpointPosition Position => new(Epoch, Cursor, StepInEpoch, GlobalStep, LossSum, Correct, Samples, Carried.ToCounts());

    public string ToJson() => JsonSerializer.Serialize(this, CheckpointJson.Default.CheckpointHeader);

    public static CheckpointHeader Read(string json, string path)
    {
        try
        {
            var h = JsonSerializer.Deserialize(json, CheckpointJson.Default.CheckpointHeader) ?? throw new JsonException("empty header");
            if (h.Format != CurrentFormat) throw new Core.UserInputException($"{path}: checkpoint header format {h.Format}; this NodeMesh reads {CurrentFormat}.");
            return h;
        }
        catch (JsonException e)
        {
            throw new Core.UserInputException($"{path}: the checkpoint's header cannot be read ({e.Message}).");
        }
    }
}

/// <summary>The JSON of checkpoint headers (source-generated, like the run directory's files).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(CheckpointHeader))]
public sealed partial class CheckpointJson : JsonSerializerContext;
