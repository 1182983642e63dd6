using System.Globalization;
using System.Text.Json;
using NodeMesh.Core;

namespace NodeMesh.Cli.Reports;

/// <summary>A name and a number, in the order the run directory lists them.</summary>
public sealed record NamedValue(string Name, double Value);

/// <summary>One traffic category of one epoch (or summed over epochs). ByteHops is null when the run did not record it.</summary>
public sealed record TrafficData(string Category, double Messages, double PayloadBytes, double ActorMessages, double Dropped, double? ByteHops);

/// <summary>Consensus of one conv layer after one epoch: Ξ² and SNR (∞ when every weight is exactly tied).</summary>
public sealed record ConsensusData(string Layer, double Xi2, double Snr);

/// <summary>Traffic of one layer and category of one epoch.</summary>
public sealed record LayerTrafficData(string Layer, string Category, double Messages, double PayloadBytes, double? ByteHops);

/// <summary>
/// One epoch of <c>summary.json</c>. <see cref="Energy"/> holds the energy categories in pJ per
/// sample without the total (empty when the run has no energy model); <see cref="EnergyTotal"/> is
/// the run's <c>total</c> or, when it gives none, the sum of the categories.
/// </summary>
public sealed record EpochData(
    int Epoch, double TrainLoss, double TrainAccuracy, double TestLoss, double TestAccuracy,
    double Samples, double Steps, double TrainSeconds, double SamplesPerSecond,
    IReadOnlyList<TrafficData> Traffic, IReadOnlyList<LayerTrafficData> Layers, IReadOnlyList<ConsensusData> Consensus,
    IReadOnlyList<NamedValue> Energy, double? EnergyTotal);

/// <summary>The conventional (von Neumann) baseline of <c>summary.json</c>: data movement and energy per sample.</summary>
public sealed record BaselineData(double? DramBytesPerSample, double? SramBytesPerSample, IReadOnlyList<NamedValue> Energy, double? EnergyTotal,
    IReadOnlyList<NamedValue> Other, string? Description);

/// <summary>Measured sync traffic of one layer next to its closed-form minimum.</summary>
public sealed record LowerBoundData(string Layer, double? MeasuredSyncBytesPerUnit, double? MinSyncBytesPerUnit, double? BytesRatio,
    double? MeasuredByteHops, double? MinByteHops, double? ByteHopsRatio, double? ExchangesPerMap);

/// <summary>
/// A finished run directory as the reports read it: <c>summary.json</c> (required; it embeds the
/// configuration) and <c>config.json</c> (used when the summary has no config). Every key that the
/// energy and fabric models add is optional.
/// </summary>
public sealed class RunData
{
    public const string SummaryFile = "summary.json";
    public const string ConfigFile = "config.json";

    private RunData(string dir, string name, JsonElement config, JsonElement summary)
    {
        Dir = dir; Name = name; Config = config; Summary = summary;
    }

    /// <summary>The run directory as given.</summary>
    public string Dir { get; }

    /// <summary>The run's name: the directory's last path segment.</summary>
    public string Name { get; private set; }

    /// <summary>The configuration object (a detached copy).</summary>
    public JsonElement Config { get; }

    /// <summary>The whole summary (a detached copy).</summary>
    public JsonElement Summary { get; }

    public string Strategy => Str(Config, "strategy") ?? "unknown";
    public string? Topology => Str(Config, "topology");
    public int Every => (int)(Num(Config, "every") ?? 1);
    public string Arch => Str(Config, "arch") ?? "";
    public string DataSource => Str(Config, "data_source") ?? Str(Config, "data") ?? "";

    public IReadOnlyList<EpochData> Epochs { get; private init; } = [];
    public BaselineData? Baseline { get; private init; }
    public IReadOnlyList<LowerBoundData> LowerBounds { get; private init; } = [];

    public double FinalTestAccuracy => Num(Summary, "final_test_accuracy") ?? (Epochs.Count > 0 ? Epochs[^1].TestAccuracy : double.NaN);
    public double FinalTrainLoss => Num(Summary, "final_train_loss") ?? (Epochs.Count > 0 ? Epochs[^1].TrainLoss : double.NaN);
    public double? WallSeconds => Num(Summary, "wall_seconds");

    /// <summary>"none", or strategy-topology with its tying period: "allreduce-ring F=10".</summary>
    public string Setting => Strategy == "none" ? "none" : $"{Strategy}-{Topology ?? "?"} F={Every}";

    /// <summary>Training samples over all epochs.</summary>
    public double TotalSamples => Epochs.Sum(e => e.Samples);

    /// <summary>Traffic categories in the order the run lists them.</summary>
    public IReadOnlyList<string> Categories => Epochs.SelectMany(e => e.Traffic.Select(t => t.Category)).Distinct().ToList();

    /// <summary>Conv layers with a consensus measure, in order.</summary>
    public IReadOnlyList<string> ConsensusLayers => Epochs.SelectMany(e => e.Consensus.Select(c => c.Layer)).Distinct().ToList();

    public bool HasByteHops => Epochs.Any(e => e.Traffic.Any(t => t.ByteHops is not null));
    public bool HasEnergy => Epochs.Any(e => e.EnergyTotal is not null);

    /// <summary>Payload bytes of a category per training sample, over all epochs (0 when the category is absent).</summary>
    public double BytesPerSample(string category) => PerSample(e => e.Traffic.FirstOrDefault(t => t.Category == category)?.PayloadBytes ?? 0);

    /// <summary>Byte-hops of a category per training sample over all epochs, null when the run did not record byte-hops.</summary>
    public double? ByteHopsPerSample(string category) =>
        HasByteHops ? PerSample(e => e.Traffic.FirstOrDefault(t => t.Category == category)?.ByteHops ?? 0) : null;

    /// <summary>Total energy in pJ per sample over all epochs (weighted by samples), null without an energy model.</summary>
    public double? EnergyPerSample => HasEnergy ? WeightedPerSample(e => e.EnergyTotal ?? 0) : null;

    /// <summary>Energy categories (without the total) in pJ per sample over all epochs.</summary>
    public IReadOnlyList<NamedValue> EnergyBreakdown =>
        Epochs.SelectMany(e => e.Energy.Select(x => x.Name)).Distinct()
            .Select(n => new NamedValue(n, WeightedPerSample(e => e.Energy.FirstOrDefault(x => x.Name == n)?.Value ?? 0))).ToList();

    private double PerSample(Func<EpochData, double> total)
    {
        double samples = TotalSamples;
        return samples > 0 ? Epochs.Sum(total) / samples : 0;
    }

    private double WeightedPerSample(Func<EpochData, double> perSample)
    {
        double samples = TotalSamples;
        if (samples > 0) return Epochs.Sum(e => perSample(e) * e.Samples) / samples;
        return Epochs.Count > 0 ? Epochs.Average(perSample) : 0;
    }

    internal void Rename(string name) => Name = name;

    /// <summary>Reads a run directory; a missing directory or summary is a <see cref="UserInputException"/> that names the path.</summary>
    public static RunData Load(string dir)
    {
        if (string.IsNullOrWhiteSpace(dir)) throw new UserInputException("an empty run directory name was given.");
        if (File.Exists(dir))
            throw new UserInputException($"{dir} is a file, not a run directory; give the directory that holds {SummaryFile}.");
        if (!Directory.Exists(dir))
            throw new UserInputException($"run directory {dir} does not exist.");
        string summaryPath = Path.Combine(dir, SummaryFile);
        if (!File.Exists(summaryPath))
        {
            string why = File.Exists(Path.Combine(dir, ConfigFile))
                ? "the run has not finished (it has config.json but no summary.json)"
                : "it is not a nodemesh run directory";
            throw new UserInputException($"{dir} has no {SummaryFile}: {why}.");
        }
        JsonElement summary = ParseFile(summaryPath);
        if (summary.ValueKind != JsonValueKind.Object)
            throw new UserInputException($"{summaryPath} is not a JSON object.");
        JsonElement config;
        if (summary.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object) config = c;
        else
        {
            string configPath = Path.Combine(dir, ConfigFile);
            config = File.Exists(configPath) ? ParseFile(configPath) : default;
            if (config.ValueKind != JsonValueKind.Object)
                throw new UserInputException($"{dir}: neither {SummaryFile} nor {ConfigFile} holds the run's configuration.");
        }
        if (!summary.TryGetProperty("epochs", out var epochs) || epochs.ValueKind != JsonValueKind.Array || epochs.GetArrayLength() == 0)
            throw new UserInputException($"{summaryPath} lists no epochs.");

        string full = Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        string name = Path.GetFileName(full);
        return new RunData(dir, name.Length > 0 ? name : full, config, summary)
        {
            Epochs = epochs.EnumerateArray().Select(ReadEpoch).ToList(),
            Baseline = summary.TryGetProperty("baseline", out var b) && b.ValueKind == JsonValueKind.Object ? ReadBaseline(b) : null,
            LowerBounds = ReadLowerBounds(summary, epochs),
        };
    }

    /// <summary>The run's lower_bounds, or, when the summary has none at the top, those of its last epoch.</summary>
    private static IReadOnlyList<LowerBoundData> ReadLowerBounds(JsonElement summary, JsonElement epochs)
    {
        JsonElement lb = default;
        if (!summary.TryGetProperty("lower_bounds", out lb) || lb.ValueKind != JsonValueKind.Object)
        {
            var last = epochs[epochs.GetArrayLength() - 1];
            if (!last.TryGetProperty("lower_bounds", out lb) || lb.ValueKind != JsonValueKind.Object) return [];
        }
        return lb.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object).Select(p => new LowerBoundData(p.Name,
            Num(p.Value, "measured_sync_bytes_per_unit"), Num(p.Value, "min_sync_bytes_per_unit"), Num(p.Value, "bytes_ratio"),
            Num(p.Value, "measured_byte_hops"), Num(p.Value, "min_byte_hops"), Num(p.Value, "byte_hops_ratio"),
            Num(p.Value, "exchanges_per_map"))).ToList();
    }

    private static JsonElement ParseFile(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new UserInputException($"{path} is not valid JSON ({e.Message}).");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{path} cannot be read ({e.Message}).");
        }
    }

    private static EpochData ReadEpoch(JsonElement e, int index)
    {
        var traffic = new List<TrafficData>();
        if (e.TryGetProperty("traffic", out var t) && t.ValueKind == JsonValueKind.Object)
            foreach (var p in t.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object))
                traffic.Add(new TrafficData(p.Name, Num(p.Value, "messages") ?? 0, Num(p.Value, "payload_bytes") ?? 0,
                    Num(p.Value, "actor_messages") ?? 0, Num(p.Value, "dropped") ?? 0, Num(p.Value, "byte_hops")));
        var layers = new List<LayerTrafficData>();
        if (e.TryGetProperty("layers", out var ls) && ls.ValueKind == JsonValueKind.Object)
            foreach (var l in ls.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object))
                foreach (var p in l.Value.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object))
                    layers.Add(new LayerTrafficData(l.Name, p.Name, Num(p.Value, "messages") ?? 0, Num(p.Value, "payload_bytes") ?? 0, Num(p.Value, "byte_hops")));
        var consensus = new List<ConsensusData>();
        if (e.TryGetProperty("consensus", out var cs) && cs.ValueKind == JsonValueKind.Object)
            foreach (var p in cs.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object))
                consensus.Add(new ConsensusData(p.Name, Num(p.Value, "xi2") ?? double.NaN, Num(p.Value, "snr") ?? double.NaN));
        var (energy, total) = e.TryGetProperty("energy_pj_per_sample", out var en) && en.ValueKind == JsonValueKind.Object
            ? SplitTotal(en) : ([], null);
        return new EpochData(
            (int)(Num(e, "epoch") ?? index + 1),
            Num(e, "train_loss") ?? double.NaN, Num(e, "train_accuracy") ?? double.NaN,
            Num(e, "test_loss") ?? double.NaN, Num(e, "test_accuracy") ?? double.NaN,
            Num(e, "samples") ?? 0, Num(e, "steps") ?? 0, Num(e, "train_seconds") ?? double.NaN, Num(e, "samples_per_second") ?? double.NaN,
            traffic, layers, consensus, energy, total);
    }

    /// <summary>The numeric members of an energy object without "total", and the total (given, or the sum).</summary>
    private static (IReadOnlyList<NamedValue> Parts, double? Total) SplitTotal(JsonElement o)
    {
        var parts = o.EnumerateObject().Where(p => p.Name != "total" && AsNumber(p.Value) is not null)
            .Select(p => new NamedValue(p.Name, AsNumber(p.Value)!.Value)).ToList();
        double? total = Num(o, "total") ?? (parts.Count > 0 ? parts.Sum(p => p.Value) : null);
        return (parts, total);
    }

    private static BaselineData ReadBaseline(JsonElement b)
    {
        var (energy, total) = b.TryGetProperty("energy_pj_per_sample", out var en) && en.ValueKind == JsonValueKind.Object
            ? SplitTotal(en) : ([], null);
        string[] known = ["dram_bytes_per_sample", "sram_bytes_per_sample", "energy_pj_per_sample", "description"];
        var other = b.EnumerateObject().Where(p => !known.Contains(p.Name) && AsNumber(p.Value) is not null)
            .Select(p => new NamedValue(p.Name, AsNumber(p.Value)!.Value)).ToList();
        return new BaselineData(Num(b, "dram_bytes_per_sample"), Num(b, "sram_bytes_per_sample"), energy, total, other, Str(b, "description"));
    }

    /// <summary>A number member: JSON numbers and the named literals "Infinity", "-Infinity", "NaN".</summary>
    public static double? Num(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) ? AsNumber(v) : null;

    private static double? AsNumber(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number => v.GetDouble(),
        JsonValueKind.String => v.GetString() switch
        {
            "Infinity" or "inf" => double.PositiveInfinity,
            "-Infinity" or "-inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : null,
        },
        _ => null,
    };

    public static string? Str(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => v.GetRawText(),
        } : null;
}
