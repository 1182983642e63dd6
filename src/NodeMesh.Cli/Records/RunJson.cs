using System.Text.Json;
using System.Text.Json.Serialization;

namespace NodeMesh.Cli.Records;

/// <summary>
/// The one JSON format of a run directory: <c>config.json</c> (<see cref="RunConfig"/>) and
/// <c>summary.json</c> (<see cref="RunSummary"/>, with the cluster section), written by
/// <c>train</c> and read back by <c>report</c>, <c>compare</c> and <c>sweep</c> through this
/// source-generated context, so the writer and the readers cannot disagree on a name. Property
/// names are snake_case; dictionary keys (layer, category, message type, member address) are
/// kept as given. Named floating-point literals ("Infinity", "NaN") are allowed because an SNR
/// of exactly tied kernels is +∞.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    WriteIndented = true)]
[JsonSerializable(typeof(RunConfig))]
[JsonSerializable(typeof(RunSummary))]
[JsonSerializable(typeof(EpochSummary))]
[JsonSerializable(typeof(ClusterSummary))]
[JsonSerializable(typeof(EpochWire))]
[JsonSerializable(typeof(CrossTraffic))]
[JsonSerializable(typeof(HousekeepingTraffic))]
[JsonSerializable(typeof(MemberWire))]
[JsonSerializable(typeof(ClusterMemberRecord))]
public sealed partial class RunJson : JsonSerializerContext
{
    /// <summary>The JSON of a configuration, indented, as config.json holds it.</summary>
    public static string Serialize(RunConfig config) => JsonSerializer.Serialize(config, Default.RunConfig);

    /// <summary>The JSON of a summary, indented, as summary.json holds it.</summary>
    public static string Serialize(RunSummary summary) => JsonSerializer.Serialize(summary, Default.RunSummary);

    /// <summary>Reads a configuration; throws <see cref="JsonException"/> on malformed JSON or a missing required field.</summary>
    public static RunConfig? ReadConfig(string json) => JsonSerializer.Deserialize(json, Default.RunConfig);

    /// <summary>Reads a summary; throws <see cref="JsonException"/> on malformed JSON or a missing required field.</summary>
    public static RunSummary? ReadSummary(string json) => JsonSerializer.Deserialize(json, Default.RunSummary);

    /// <summary>The snake_case name this format gives a C# property name (also the metrics.csv column names).</summary>
    public static string NameOf(string property) => JsonNamingPolicy.SnakeCaseLower.ConvertName(property);
}
