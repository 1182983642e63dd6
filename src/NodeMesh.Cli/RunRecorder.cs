using System.Globalization;
using NodeMesh.Cli.Records;
using NodeMesh.Core;
using NodeMesh.Core.Data;
using NodeMesh.Core.Devices;
using NodeMesh.Core.Fabric;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;

namespace NodeMesh.Cli;

/// <summary>
/// Writes a run directory: <c>config.json</c> at the start, <c>metrics.csv</c> (one row per
/// epoch, layer and category; layer "all" sums the layers) after every epoch, and
/// <c>summary.json</c> at the end. It only assembles the records of <see cref="Records"/> from
/// what training reports; the arithmetic (energy, lower bounds, device activity) is Core's.
/// </summary>
public sealed class RunRecorder
{
    public const string ConfigFile = "config.json";
    public const string MetricsFile = "metrics.csv";
    public const string SummaryFile = "summary.json";

    private readonly string _dir;
    private readonly NetworkPlan _plan;
    private readonly TrainOptions _options;
    private readonly RunConfig _config;
    private readonly FabricLayout _fabric;
    private readonly EnergyModel _energy;
    private readonly List<EpochRecord> _epochs = [];

    private RunRecorder(string dir, NetworkPlan plan, TrainOptions options, RunConfig config, FabricLayout fabric, EnergyModel energy)
    {
        _dir = dir; _plan = plan; _options = options; _config = config; _fabric = fabric; _energy = energy;
    }

    /// <summary>The epochs recorded so far.</summary>
    public IReadOnlyList<EpochRecord> Epochs => _epochs;

    /// <summary>The configuration written to config.json.</summary>
    public RunConfig Config => _config;

    /// <summary>The weight writes of the run's device, for the projected step time (ideal stores unless set).</summary>
    public DeviceWrites Writes { get; set; } = DeviceWrites.Ideal;

    /// <summary>
    /// The run's projected step time on the fabric (<see cref="FabricLatency.Step"/> with the
    /// config's latency model and <see cref="Writes"/>); null for a layout the model does not cover.
    /// </summary>
    public StepTime? ProjectedStep => FabricLatency.Supports(_fabric.Options)
        ? FabricLatency.Step(_fabric, _options.Strategy, _options.Batch, _config.LatencyModel ?? LatencyModel.Default, Writes)
        : null;

    /// <summary>The cluster run's cross-member traffic (null in local mode).</summary>
    public ClusterTraffic? Cluster { get; set; }

    /// <summary>
    /// Creates the run directory and writes config.json and the metrics.csv header. A directory
    /// that already holds a summary.json is refused, so that no finished run is overwritten.
    /// </summary>
    public static RunRecorder Create(string dir, TrainOptions options, NetworkPlan plan, TilePlan tiles, DatasetPair data, string? dataArg, string? init,
        FabricLayout? fabric = null, EnergyModel? energy = null, DeviceConfig? device = null, int workers = 0, string? placement = null)
    {
        fabric ??= new FabricLayout(plan);
        energy ??= EnergyModel.Default;
        return Create(dir, ConfigOf(options, plan, tiles, data, dataArg, init, fabric, energy, device, workers, placement), options, plan, fabric, energy);
    }

    /// <summary>
    /// Writes a new run's files, with a configuration computed beforehand (its start time is set
    /// now), into <paramref name="dir"/>: a folder the caller has claimed (<see cref="RunDirectory"/>
    /// decides which folders a run may write into).
    /// </summary>
    public static RunRecorder Create(string dir, RunConfig config, TrainOptions options, NetworkPlan plan, FabricLayout fabric, EnergyModel energy)
    {
        Directory.CreateDirectory(dir);
        config = config with { StartedUtc = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture) };
        File.WriteAllText(Path.Combine(dir, ConfigFile), RunJson.Serialize(config));
        File.WriteAllText(Path.Combine(dir, MetricsFile), MetricsRow.Header + "\n");
        return new RunRecorder(dir, plan, options, config, fabric, energy);
    }

    /// <summary>
    /// Reopens the run directory of an interrupted run to continue it from a checkpoint: keeps its
    /// config.json, puts back the epochs it finished (metrics.csv is rewritten from them, so rows of
    /// an epoch that is trained again are not doubled), and removes the summary.json of a failure.
    /// </summary>
    public static RunRecorder Reopen(string dir, TrainOptions options, NetworkPlan plan, FabricLayout fabric, EnergyModel energy, IEnumerable<EpochRecord> finished)
    {
        string configPath = Path.Combine(dir, ConfigFile), summaryPath = Path.Combine(dir, SummaryFile);
        if (!File.Exists(configPath)) throw new UserInputException($"--resume {dir}: no {ConfigFile} there; give the run directory of the run to continue.");
        var config = RunJson.ReadConfig(File.ReadAllText(configPath)) ?? throw new UserInputException($"--resume {dir}: {ConfigFile} is empty.");
        if (File.Exists(summaryPath))
        {
            var previous = RunJson.ReadSummary(File.ReadAllText(summaryPath));
            if (previous?.Status is "completed" or null)
                throw new UserInputException($"--resume {dir}: the run is complete (summary.json); there is nothing to continue.");
            File.Delete(summaryPath);
        }
        var recorder = new RunRecorder(dir, plan, options, config, fabric, energy);
        File.WriteAllText(Path.Combine(dir, MetricsFile), MetricsRow.Header + "\n");
        foreach (var e in finished) recorder.Add(e);
        return recorder;
    }

    public static RunConfig ConfigOf(TrainOptions options, NetworkPlan plan, TilePlan tiles, DatasetPair data, string? dataArg, string? init,
        FabricLayout fabric, EnergyModel energy, DeviceConfig? device, int workers, string? placement)
    {
        var s = options.Strategy;
        static int Used(int limit, int size) => limit > 0 ? Math.Min(limit, size) : size;
        return new RunConfig
        {
            Tool = "nodemesh train",
            Version = NodeMeshCli.Version,
            Commit = NodeMeshCli.Commit,
            Mode = workers > 0 ? "cluster" : "local",
            Workers = workers,
            Placement = workers > 0 ? placement : null,
            Arch = plan.Arch.Text,
            Strategy = Lower(s.Kind),
            Topology = s.Kind == StrategyKind.None ? null : Lower(s.Topology),
            Reduce = Lower(s.Reduce),
            Every = s.Every,
            StepParity = s.StepParity,
            Epochs = options.Epochs,
            Batch = options.Batch,
            Lr = options.LearningRate,
            Seed = options.Seed,
            Shuffle = options.Shuffle,
            TrainLimit = options.TrainLimit,
            TestLimit = options.TestLimit,
            TrainSamples = Used(options.TrainLimit, data.Train.Count),
            TestSamples = Used(options.TestLimit, data.Test.Count),
            TileSide = options.TileSide,
            Fanout = s.Fanout,
            Mix = s.Mix,
            GossipDrop = s.Drop,
            MapLayout = Lower(fabric.Options.Layout),
            LayerHops = fabric.Options.LayerHops,
            FabricCast = Lower(fabric.Options.Cast),
            EnergyModel = energy,
            Device = device?.Name ?? "ideal",
            DeviceParameters = DeviceJson.Of(device),
            Data = dataArg ?? "embedded",
            DataSource = data.Train.Source,
            Init = init,
            Units = plan.UnitCount,
            Tiles = tiles.Tiles.Sum(t => t.Count),
            UnitParameters = plan.UnitParameters,
            SharedParameters = plan.SharedParameters,
            Layers = plan.Layers.Select(l => new LayerConfig(l.Name, Lower(l.Kind), [l.InChannels, l.InHeight, l.InWidth], [l.OutMaps, l.OutHeight, l.OutWidth],
                l.Kernel, l.UnitCount, l.FanIn, tiles.Tiles[l.Index].Count)).ToList(),
            StartedUtc = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
        };
    }

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>Records a finished epoch and appends its rows to metrics.csv.</summary>
    public void Add(EpochRecord e)
    {
        _epochs.Add(e);
        File.AppendAllText(Path.Combine(_dir, MetricsFile), MetricsRow.ToCsv(Rows(e)));
    }

    /// <summary>The metrics.csv rows of an epoch: "all" then each layer, every category.</summary>
    public IEnumerable<MetricsRow> Rows(EpochRecord e)
    {
        var counts = e.Trained.Ledger;
        var categories = Enum.GetValues<TrafficCategory>();
        MetricsRow Row(string layer, TrafficCategory c, long messages, long bytes, long byteHops, long delivered, long dropped, DeviceActivity d)
        {
            var cons = e.Consensus.FirstOrDefault(x => x.Layer == layer);
            return new MetricsRow(e.Epoch, layer, CategoryTraffic.NameOf(c), messages, bytes, byteHops, delivered, dropped,
                e.Trained.Loss, e.Trained.Accuracy, e.Test.Loss, e.Test.Accuracy, e.TrainSeconds, e.SamplesPerSecond,
                cons?.ConsensusDistance, cons?.SignalToNoise,
                d.MeanPulsesPerDevice, d.MaxPulsesPerDevice, d.Reads, d.StuckDevices,
                d.UpdatePulses == 0 ? null : d.ClippedUpdateFraction, d.ProgramPulses == 0 ? null : d.ClippedProgramFraction);
        }
        var all = DeviceActivity.Of(counts);
        foreach (var c in categories)
            yield return Row("all", c, counts.TotalMessages(c), counts.TotalBytes(c), counts.TotalByteHops(c), counts.TotalDelivered(c), counts.TotalDropped(c), all);
        foreach (var l in _plan.Layers)
        {
            var d = DeviceActivity.Of(counts, l.Index);
            foreach (var c in categories)
                yield return Row(l.Name, c, counts.MessagesOf(l.Index, c), counts.BytesOf(l.Index, c), counts.ByteHopsOf(l.Index, c),
                    counts.DeliveredOf(l.Index, c), counts.DroppedOf(l.Index, c), d);
        }
    }

    /// <summary>Energy per sample of a recorded epoch (its pulses are those since the epoch before it).</summary>
    public EnergyPerSample Energy(EpochRecord e)
    {
        int index = _epochs.IndexOf(e);
        var previous = index > 0 ? _epochs[index - 1].Trained.Ledger : null;
        return MeasuredEnergy.PerSample(_energy, e.Trained.Ledger, e.Trained.Samples, previous);
    }

    /// <summary>The epoch's all-reduce traffic against its lower bound, by conv layer (empty for other strategies).</summary>
    public IReadOnlyDictionary<string, LowerBoundRecord> LowerBounds(EpochRecord e) =>
        MeasuredSyncBounds.Of(_fabric, _options.Strategy, e.Trained.Ledger).ToDictionary(b => b.Layer.Name, LowerBoundRecord.Of);

    /// <summary>Writes summary.json for a run that stopped on a failure: why, and the epochs it finished.</summary>
    public void Fail(string reason, double wallSeconds) => Write(wallSeconds, reason, "failed");

    /// <summary>Writes summary.json for a run stopped before its end (Ctrl-C, a diverging loss): <paramref name="status"/> says which.</summary>
    public void Stop(string status, string reason, double wallSeconds) => Write(wallSeconds, reason, status);

    /// <summary>Writes summary.json for a completed run.</summary>
    public void Finish(double wallSeconds) => Write(wallSeconds, null, "completed");

    private void Write(double wallSeconds, string? failure, string status) =>
        File.WriteAllText(Path.Combine(_dir, SummaryFile), RunJson.Serialize(Summary(wallSeconds, failure, status)));

    /// <summary>The summary of the epochs so far; the final figures and models only when an epoch finished.</summary>
    public RunSummary Summary(double wallSeconds, string? failure, string? status = null)
    {
        var summary = new RunSummary
        {
            Config = _config,
            Status = status ?? (failure is null ? "completed" : "failed"),
            Failure = failure,
            Cluster = Cluster?.Summary(),
            WallSeconds = wallSeconds,
            Epochs = _epochs.Select(EpochOf).ToList(),
        };
        if (_epochs.Count == 0) return summary;
        var last = _epochs[^1];
        return summary with
        {
            FinalTestAccuracy = last.Test.Accuracy,
            FinalTestLoss = last.Test.Loss,
            FinalTrainLoss = last.Trained.Loss,
            EnergyPjPerSample = EnergyRecord.Of(Energy(last)),
            LowerBounds = LowerBounds(last),
            Baseline = BaselineRecord.Of(ConventionalBaseline.Compute(_plan, _options.Batch, _energy)),
            ProjectedStepTime = ProjectedStep is { } step ? StepTimeRecord.Of(step, last.Trained.Samples) : null,
        };
    }

    private EpochSummary EpochOf(EpochRecord e)
    {
        var counts = e.Trained.Ledger;
        var categories = Enum.GetValues<TrafficCategory>();
        return new EpochSummary
        {
            Epoch = e.Epoch,
            TrainLoss = e.Trained.Loss,
            TrainAccuracy = e.Trained.Accuracy,
            TestLoss = e.Test.Loss,
            TestAccuracy = e.Test.Accuracy,
            Samples = e.Trained.Samples,
            Steps = e.Trained.Steps,
            TrainSeconds = e.TrainSeconds,
            SamplesPerSecond = e.SamplesPerSecond,
            EnergyPjPerSample = EnergyRecord.Of(Energy(e)),
            LowerBounds = LowerBounds(e),
            Traffic = categories.ToDictionary(CategoryTraffic.NameOf, c => CategoryTraffic.Of(counts, c, e.Trained.Samples)),
            Layers = _plan.Layers.ToDictionary(l => l.Name,
                l => (IReadOnlyDictionary<string, LayerTrafficRecord>)categories.ToDictionary(CategoryTraffic.NameOf, c => LayerTrafficRecord.Of(counts, l.Index, c))),
            Consensus = e.Consensus.ToDictionary(c => c.Layer, c => new ConsensusRecord(c.ConsensusDistance, c.SignalToNoise)),
            Devices = new[] { ("all", DeviceActivity.Of(counts)) }
                .Concat(_plan.Layers.Select(l => (l.Name, DeviceActivity.Of(counts, l.Index))))
                .ToDictionary(x => x.Item1, x => DeviceRecord.Of(x.Item2)),
            Recoveries = e.Trained.Recoveries.Count == 0 ? null : e.Trained.Recoveries.Select(RecoveryRecord.Of).ToList(),
        };
    }
}
