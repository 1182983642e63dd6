using System.Text.Json;
using NodeMesh.Cli.Records;
using NodeMesh.Core;

namespace NodeMesh.Cli.Reports;

/// <summary>A name and a number, in the order the run directory lists them.</summary>
public sealed record NamedValue(string Name, double Value);

/// <summary>
/// A finished run directory as the reports read it: <c>summary.json</c> (required; it embeds the
/// configuration) and <c>config.json</c> (used when the summary has no config), both read into
/// the records that <c>train</c> writes them from (<see cref="RunJson"/>). The members that the
/// fabric, energy, device and cluster models added are optional, so older runs still load.
/// Per-sample figures are over all epochs: totals divided by the training samples.
/// </summary>
public sealed class RunData
{
    public const string SummaryFile = RunRecorder.SummaryFile;
    public const string ConfigFile = RunRecorder.ConfigFile;

    private RunData(string dir, string name, RunConfig config, RunSummary summary)
    {
        Dir = dir; Name = name; Config = config; Summary = summary;
    }

    /// <summary>The run directory as given.</summary>
    public string Dir { get; }

    /// <summary>The run's name: the directory's last path segment.</summary>
    public string Name { get; private set; }

    /// <summary>The configuration (from summary.json, else config.json).</summary>
    public RunConfig Config { get; }

    /// <summary>A cost-only run on synthetic data (<c>--input</c>): its accuracy means nothing and is not shown.</summary>
    public bool CostOnly => Config.Synthetic == true;

    /// <summary>The whole summary.</summary>
    public RunSummary Summary { get; }

    public string Strategy => Config.Strategy;
    public string? Topology => Config.Topology;
    public int Every => Config.Every;
    public string Arch => Config.Arch;
    public string DataSource => Config.DataSource.Length > 0 ? Config.DataSource : Config.Data;

    public IReadOnlyList<EpochSummary> Epochs => Summary.Epochs;
    public BaselineRecord? Baseline => Summary.Baseline;

    /// <summary>The cross-member traffic of a cluster run; null for a local run (and for runs written before clusters).</summary>
    public ClusterSummary? Cluster => Summary.Cluster;

    /// <summary>The run's lower bounds by conv layer, or, when the summary has none at the top, those of its last epoch.</summary>
    public IReadOnlyList<KeyValuePair<string, LowerBoundRecord>> LowerBounds =>
        (Summary.LowerBounds ?? (Epochs.Count > 0 ? Epochs[^1].LowerBounds : null))?.ToList() ?? [];

    /// <summary>The training loss became non-finite (summary.json status "diverged"): an outcome, kept out of every mean.</summary>
    public bool Diverged => Summary.Status == "diverged";

    /// <summary>The last epoch's test accuracy; NaN for a run that diverged before finishing one.</summary>
    public double FinalTestAccuracy => Summary.FinalTestAccuracy ?? (Epochs.Count > 0 ? Epochs[^1].TestAccuracy : double.NaN);

    /// <summary>The last epoch's training loss; NaN for a run that diverged before finishing one.</summary>
    public double FinalTrainLoss => Summary.FinalTrainLoss ?? (Epochs.Count > 0 ? Epochs[^1].TrainLoss : double.NaN);
    public double? WallSeconds => Summary.WallSeconds;

    /// <summary>"none", or strategy-topology with its tying period: "allreduce-ring F=10".</summary>
    public string Setting => StrategyGrammar.Name(Strategy, Topology ?? "?", Every, Config.StepParity == true);

    /// <summary>Training samples used per epoch: config.json's train_samples, or in older runs the first epoch's samples.</summary>
    public int TrainSamples => Config.TrainSamples ?? (Epochs.Count > 0 ? Epochs[0].Samples : 0);

    /// <summary>Test samples evaluated: config.json's test_samples; null in older runs, which did not record it.</summary>
    public int? TestSamples => Config.TestSamples;

    /// <summary>Whether there are per-epoch series worth a line plot (two epochs or more).</summary>
    public bool HasEpochSeries => Epochs.Count > 1;

    /// <summary>Training samples over all epochs.</summary>
    public double TotalSamples => Epochs.Sum(e => (double)e.Samples);

    /// <summary>Traffic categories in the order the run lists them.</summary>
    public IReadOnlyList<string> Categories => Epochs.SelectMany(e => e.Traffic.Keys).Distinct().ToList();

    /// <summary>Conv layers with a consensus measure, in order.</summary>
    public IReadOnlyList<string> ConsensusLayers => Epochs.SelectMany(e => e.Consensus.Keys).Distinct().ToList();

    /// <summary>
    /// The device activity of all layers, cumulative to the last epoch (summary.json's "all"); null
    /// for the ideal store or a run without device records.
    /// </summary>
    public DeviceRecord? DeviceTotals =>
        Config.Device is { } d && d != "ideal" && Epochs.Count > 0 ? Epochs[^1].Devices?.GetValueOrDefault("all") : null;

    public bool HasByteHops => Epochs.Any(e => e.Traffic.Values.Any(t => t.ByteHops is not null));
    public bool HasEnergy => Epochs.Any(e => e.EnergyPjPerSample is not null);

    /// <summary>Payload bytes of a category per training sample, over all epochs (0 when the category is absent).</summary>
    public double BytesPerSample(string category) => PerSample(e => e.Traffic.GetValueOrDefault(category)?.PayloadBytes ?? 0);

    /// <summary>Byte-hops of a category per training sample over all epochs, null when the run did not record byte-hops.</summary>
    public double? ByteHopsPerSample(string category) =>
        HasByteHops ? PerSample(e => e.Traffic.GetValueOrDefault(category)?.ByteHops ?? 0) : null;

    /// <summary>Total energy in pJ per sample over all epochs (weighted by samples), null without an energy model.</summary>
    public double? EnergyPerSample => HasEnergy ? WeightedPerSample(e => e.EnergyPjPerSample?.Total ?? 0) : null;

    /// <summary>Energy categories (without the total) in pJ per sample over all epochs.</summary>
    public IReadOnlyList<NamedValue> EnergyBreakdown =>
        Epochs.SelectMany(e => e.EnergyPjPerSample?.Parts ?? []).Select(x => x.Name).Distinct()
            .Select(n => new NamedValue(n, WeightedPerSample(e => e.EnergyPjPerSample?.Parts.FirstOrDefault(x => x.Name == n)?.Value ?? 0))).ToList();

    /// <summary>
    /// Bytes on the wire between the members per training sample over the training windows of
    /// all epochs (NodeMesh messages and Akka's housekeeping); null for a local run.
    /// </summary>
    public double? ClusterWireBytesPerSample => Cluster is { } c ? ClusterPerSample(c, e => e.WireBytes) : null;

    /// <summary>Wire bytes of one NodeMesh category between the members per training sample; null for a local run.</summary>
    public double? ClusterCategoryWireBytesPerSample(string category) =>
        Cluster is { } c ? ClusterPerSample(c, e => e.Categories.GetValueOrDefault(category)?.WireBytes ?? 0) : null;

    /// <summary>Wire bytes / payload bytes of the NodeMesh messages between the members over all epochs (0 without payload); null for a local run.</summary>
    public double? ClusterOverhead
    {
        get
        {
            if (Cluster is not { } c) return null;
            double payload = c.Epochs.Sum(e => (double)e.Categories.Values.Sum(t => t.PayloadBytes));
            double wire = c.Epochs.Sum(e => (double)e.Categories.Values.Sum(t => t.WireBytes));
            return payload > 0 ? wire / payload : 0;
        }
    }

    private static double ClusterPerSample(ClusterSummary c, Func<EpochWire, long> bytes)
    {
        double samples = c.Epochs.Sum(e => (double)e.Samples);
        return samples > 0 ? c.Epochs.Sum(e => (double)bytes(e)) / samples : 0;
    }

    private double PerSample(Func<EpochSummary, double> total)
    {
        double samples = TotalSamples;
        return samples > 0 ? Epochs.Sum(total) / samples : 0;
    }

    private double WeightedPerSample(Func<EpochSummary, double> perSample)
    {
        double samples = TotalSamples;
        if (samples > 0) return Epochs.Sum(e => perSample(e) * e.Samples) / samples;
        return Epochs.Count > 0 ? Epochs.Average(perSample) : 0;
    }

    internal void Rename(string name) => Name = name;

    /// <summary>Reads a run directory; a missing directory or summary, or one that is not a run summary, is a <see cref="UserInputException"/> that names the path.</summary>
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
        var summary = Read(summaryPath, RunJson.ReadSummary) ?? throw new UserInputException($"{summaryPath} is not a JSON object.");
        string configPath = Path.Combine(dir, ConfigFile);
        var config = summary.Config ?? (File.Exists(configPath) ? Read(configPath, RunJson.ReadConfig) : null)
            ?? throw new UserInputException($"{dir}: neither {SummaryFile} nor {ConfigFile} holds the run's configuration.");
        // A run that diverged is a result (the setting does not train at this learning rate), even before its first epoch ends.
        if (summary.Epochs.Count == 0 && summary.Status != "diverged")
            throw new UserInputException(summary.Status is "failed" or "interrupted"
                ? $"{summaryPath} lists no epochs: the run stopped ({summary.Status}) before it finished one ({summary.Failure})."
                : $"{summaryPath} lists no epochs.");

        string full = Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        string name = Path.GetFileName(full);
        return new RunData(dir, name.Length > 0 ? name : full, config, summary);
    }

    private static T? Read<T>(string path, Func<string, T?> parse) where T : class
    {
        try
        {
            return parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new UserInputException($"{path} is not valid JSON for a nodemesh run ({e.Message}).");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{path} cannot be read ({e.Message}).");
        }
    }
}
