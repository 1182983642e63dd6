using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using NodeMesh.Actors.Messages;
using NodeMesh.Core;
using NodeMesh.Core.Data;
using NodeMesh.Core.Devices;
using NodeMesh.Core.Fabric;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;

namespace NodeMesh.Cli;

/// <summary>One finished epoch: training result, test result, timings and consensus.</summary>
public sealed record EpochRecord(int Epoch, EpochTrained Trained, Evaluated Test, double TrainSeconds, double EpochSeconds, IReadOnlyList<LayerConsensus> Consensus)
{
    public double SamplesPerSecond => Trained.Samples / Math.Max(1e-9, TrainSeconds);
}

/// <summary>
/// Writes a run directory: <c>config.json</c> at the start, <c>metrics.csv</c> (one row per
/// epoch, layer and category; layer "all" sums the layers) after every epoch, and
/// <c>summary.json</c> at the end.
/// </summary>
public sealed class RunRecorder
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public const string CsvHeader = "epoch,layer,category,messages,payload_bytes,byte_hops,actor_messages,dropped,train_loss,train_accuracy,test_loss,test_accuracy,train_seconds,samples_per_second,consensus_xi2,snr,pulses_mean_per_device,pulses_max_per_device,device_reads,stuck_devices,clipped_fraction";

    private readonly string _dir;
    private readonly NetworkPlan _plan;
    private readonly TrainOptions _options;
    private readonly object _config;
    private readonly FabricLayout _fabric;
    private readonly EnergyModel _energy;
    private readonly List<EpochRecord> _epochs = [];

    private RunRecorder(string dir, NetworkPlan plan, TrainOptions options, object config, FabricLayout fabric, EnergyModel energy)
    {
        _dir = dir; _plan = plan; _options = options; _config = config; _fabric = fabric; _energy = energy;
    }

    public IReadOnlyList<EpochRecord> Epochs => _epochs;

    public static RunRecorder Create(string dir, TrainOptions options, NetworkPlan plan, TilePlan tiles, DatasetPair data, string? dataArg, string? init,
        FabricLayout? fabric = null, EnergyModel? energy = null, DeviceConfig? device = null, int workers = 0, string? placement = null)
    {
        fabric ??= new FabricLayout(plan);
        energy ??= EnergyModel.Default;
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"--out {dir}: cannot create the run directory ({e.Message}); choose another path.");
        }
        if (File.Exists(Path.Combine(dir, "summary.json")))
            throw new UserInputException($"--out {dir}: the directory already holds a finished run (summary.json); choose a new directory so that no result is overwritten.");
        var s = options.Strategy;
        var config = new
        {
            tool = "nodemesh train",
            mode = workers > 0 ? "cluster" : "local",
            workers,
            placement = workers > 0 ? placement : null,
            arch = plan.Arch.Text,
            strategy = s.Kind.ToString().ToLowerInvariant(),
            topology = s.Kind == Core.Strategies.StrategyKind.None ? null : s.Topology.ToString().ToLowerInvariant(),
            reduce = s.Reduce.ToString().ToLowerInvariant(),
            every = s.Every,
            options.Epochs,
            options.Batch,
            lr = options.LearningRate,
            options.Seed,
            shuffle = options.Shuffle,
            train_limit = options.TrainLimit,
            test_limit = options.TestLimit,
            tile_side = options.TileSide,
            fanout = s.Fanout,
            mix = s.Mix,
            gossip_drop = s.Drop,
            map_layout = fabric.Options.Layout.ToString().ToLowerInvariant(),
            layer_hops = fabric.Options.LayerHops,
            energy_model = JsonSerializer.Deserialize<JsonElement>(energy.ToJson()),
            device = device?.Name ?? "ideal",
            device_parameters = device is null || device.IsIdeal ? null : device.Format(),
            data = dataArg ?? "embedded",
            data_source = data.Train.Source,
            init,
            units = plan.UnitCount,
            tiles = tiles.Tiles.Sum(t => t.Count),
            unit_parameters = plan.UnitParameters,
            shared_parameters = plan.SharedParameters,
            layers = plan.Layers.Select(l => new
            {
                l.Name,
                kind = l.Kind.ToString().ToLowerInvariant(),
                input = new[] { l.InChannels, l.InHeight, l.InWidth },
                output = new[] { l.OutMaps, l.OutHeight, l.OutWidth },
                kernel = l.Kernel,
                units = l.UnitCount,
                fan_in = l.FanIn,
                tiles = tiles.Tiles[l.Index].Count,
            }),
            started_utc = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
        };
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(config, Json));
        File.WriteAllText(Path.Combine(dir, "metrics.csv"), CsvHeader + "\n");
        return new RunRecorder(dir, plan, options, config, fabric, energy);
    }

    private static string F(double v) => double.IsPositiveInfinity(v) ? "inf" : v.ToString("G9", CultureInfo.InvariantCulture);

    public void Add(EpochRecord e)
    {
        _epochs.Add(e);
        var sb = new StringBuilder();
        var ledger = e.Trained.Ledger;
        string common(string layer)
        {
            var c = e.Consensus.FirstOrDefault(x => x.Layer == layer);
            var d = DeviceActivity(ledger, layer);
            return $"{F(e.Trained.Loss)},{F(e.Trained.Accuracy)},{F(e.Test.Loss)},{F(e.Test.Accuracy)},{F(e.TrainSeconds)},{F(e.SamplesPerSecond)},{(c is null ? "" : F(c.ConsensusDistance))},{(c is null ? "" : F(c.SignalToNoise))},{F(d.MeanPulses)},{d.MaxPulses},{d.Reads},{d.Stuck},{F(d.ClippedFraction)}";
        }
        foreach (TrafficCategory cat in Enum.GetValues<TrafficCategory>())
            sb.Append(CultureInfo.InvariantCulture, $"{e.Epoch},all,{Name(cat)},{ledger.TotalMessages(cat)},{ledger.TotalBytes(cat)},{ledger.TotalByteHops(cat)},{ledger.TotalDelivered(cat)},{ledger.TotalDropped(cat)},{common("all")}\n");
        foreach (var l in _plan.Layers)
            foreach (TrafficCategory cat in Enum.GetValues<TrafficCategory>())
                sb.Append(CultureInfo.InvariantCulture, $"{e.Epoch},{l.Name},{Name(cat)},{ledger.MessagesOf(l.Index, cat)},{ledger.BytesOf(l.Index, cat)},{ledger.ByteHopsOf(l.Index, cat)},{ledger.DeliveredOf(l.Index, cat)},{ledger.DroppedOf(l.Index, cat)},{common(l.Name)}\n");
        File.AppendAllText(Path.Combine(_dir, "metrics.csv"), sb.ToString());
    }

    public static string Name(TrafficCategory c) => c.ToString().ToLowerInvariant();

    /// <summary>Device activity of a layer ("all" = every layer) from a ledger's cumulative counters.</summary>
    public DeviceActivityRecord DeviceActivity(TrafficCounts ledger, string layer)
    {
        var layers = layer == "all" ? _plan.Layers : _plan.Layers.Where(l => l.Name == layer).ToList();
        long devices = 0, pulses = 0, program = 0, max = 0, reads = 0, clipped = 0, stuck = 0;
        foreach (var l in layers)
        {
            devices += ledger.DeviceOf(l.Index, DeviceField.Devices);
            pulses += ledger.DeviceOf(l.Index, DeviceField.UpdatePulses);
            program += ledger.DeviceOf(l.Index, DeviceField.ProgramPulses);
            max = Math.Max(max, ledger.DeviceOf(l.Index, DeviceField.MaxPulsesPerDevice));
            reads += ledger.DeviceOf(l.Index, DeviceField.Reads);
            clipped += ledger.DeviceOf(l.Index, DeviceField.ClippedPulses);
            stuck += ledger.DeviceOf(l.Index, DeviceField.StuckDevices);
        }
        return new DeviceActivityRecord(devices, pulses, program, max, reads, clipped, stuck);
    }


    /// <summary>Energy per sample of an epoch by category (pJ), from its counted traffic and the array operations of its samples.</summary>
    public EnergyPerSample Energy(EpochRecord e)
    {
        var l = e.Trained.Ledger;
        double n = Math.Max(1, e.Trained.Samples);
        double compute = _energy.ComputePj(ArrayActivity.PerSample(_plan));
        var d = DeviceActivity(l, "all");
        int index = _epochs.IndexOf(e);
        long before = index > 0 ? DeviceActivity(_epochs[index - 1].Trained.Ledger, "all").TotalPulses : 0;
        return new EnergyPerSample(
            compute,
            _energy.WritePj(d.TotalPulses - before) / n,
            _energy.TransportPj(l.TotalByteHops(TrafficCategory.Activation)) / n,
            _energy.TransportPj(l.TotalByteHops(TrafficCategory.Error)) / n,
            _energy.TransportPj(l.TotalByteHops(TrafficCategory.Sync)) / n);
    }

    /// <summary>Measured all-reduce traffic per map exchange against the closed-form minimum, per conv layer (all-reduce only).</summary>
    public IReadOnlyDictionary<string, object> LowerBounds(EpochRecord e)
    {
        var result = new Dictionary<string, object>();
        var s = _options.Strategy;
        if (s.Kind != Core.Strategies.StrategyKind.AllReduce) return result;
        foreach (var layer in _plan.Layers.Where(x => x.Kind == LayerKind.Conv))
        {
            var ledger = e.Trained.Ledger;
            long messages = ledger.MessagesOf(layer.Index, TrafficCategory.Sync);
            long perExchange = layer.OutMaps * new Core.Strategies.MapTopology(s.Topology, layer.OutHeight, layer.OutWidth).MessagesPerReduce;
            long exchanges = perExchange == 0 ? 0 : messages / perExchange;
            if (exchanges == 0) continue;
            double bytesPerMap = (double)ledger.BytesOf(layer.Index, TrafficCategory.Sync) / (exchanges * layer.OutMaps);
            double byteHopsPerMap = (double)ledger.ByteHopsOf(layer.Index, TrafficCategory.Sync) / (exchanges * layer.OutMaps);
            var bound = SyncLowerBounds.ForLayer(_fabric, layer);
            var eff = SyncLowerBounds.Compare(bound, bytesPerMap, byteHopsPerMap);
            result[layer.Name] = new
            {
                exchanges_per_map = exchanges,
                measured_sync_bytes_per_unit = bytesPerMap / layer.Positions,
                min_sync_bytes_per_unit = bound.MinBytesPerUnit,
                bytes_ratio = eff.BytesRatio,
                measured_byte_hops = byteHopsPerMap,
                min_byte_hops = bound.MinByteHops,
                byte_hops_ratio = eff.ByteHopsRatio,
            };
        }
        return result;
    }

    public string EpochLine(EpochRecord e)
    {
        var en = Energy(e);
        return StaticEpochLine(e) + $"\n  fabric: {HumanBytes((long)(e.Trained.Ledger.TotalByteHops(TrafficCategory.Sync) / Math.Max(1.0, e.Trained.Samples)))}-hops sync per sample; energy per sample {en.Total / 1e6:F2} µJ (compute {en.Compute / 1e6:F2}, transport {(en.ActivationTransport + en.ErrorTransport) / 1e6:F2}, sync {en.SyncTransport / 1e6:F3})";
    }

    public static string StaticEpochLine(EpochRecord e)
    {
        var l = e.Trained.Ledger;
        string traffic = string.Join("  ", Enum.GetValues<TrafficCategory>().Select(c => $"{Name(c)} {Human(l.TotalMessages(c))} msg/{HumanBytes(l.TotalBytes(c))}"));
        string cons = string.Join(" ", e.Consensus.Select(c => $"{c.Layer} Ξ²={F4(c.ConsensusDistance)} snr={(double.IsPositiveInfinity(c.SignalToNoise) ? "inf" : F4(c.SignalToNoise))}"));
        return $"epoch {e.Epoch}: train loss {e.Trained.Loss:F4} acc {e.Trained.Accuracy:P2} | test loss {e.Test.Loss:F4} acc {e.Test.Accuracy:P2} | {e.TrainSeconds:F1} s ({e.SamplesPerSecond:F0} samples/s)\n"
             + $"  traffic: {traffic}\n  actor messages delivered: {Human(Enum.GetValues<TrafficCategory>().Sum(c => l.TotalDelivered(c)))}" + (cons.Length > 0 ? $"\n  consensus: {cons}" : "");
    }

    private static string F4(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    public static string Human(long n) => n switch
    {
        >= 1_000_000_000 => $"{n / 1e9:F2}G",
        >= 1_000_000 => $"{n / 1e6:F2}M",
        >= 10_000 => $"{n / 1e3:F1}k",
        _ => n.ToString(CultureInfo.InvariantCulture),
    };

    public static string HumanBytes(long n) => n switch
    {
        >= 1L << 30 => $"{n / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{n / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{n / 1024.0:F1} KiB",
        _ => $"{n} B",
    };

    /// <summary>The cluster run's cross-member traffic (null in local mode).</summary>
    public ClusterTraffic? Cluster { get; set; }

    /// <summary>Writes summary.json for a run that stopped on a failure: why, and the epochs it finished.</summary>
    public void Fail(string reason, double wallSeconds)
    {
        if (_epochs.Count > 0) Finish(wallSeconds, reason);
        else
            File.WriteAllText(Path.Combine(_dir, "summary.json"), JsonSerializer.Serialize(new
            {
                config = _config,
                status = "failed",
                failure = reason,
                wall_seconds = wallSeconds,
                cluster = Cluster?.Summary(),
                epochs = Array.Empty<object>(),
            }, Json));
    }

    public void Finish(double wallSeconds) => Finish(wallSeconds, null);

    private void Finish(double wallSeconds, string? failure)
    {
        var last = _epochs[^1];
        var summary = new
        {
            config = _config,
            status = failure is null ? "completed" : "failed",
            failure,
            cluster = Cluster?.Summary(),
            final_test_accuracy = last.Test.Accuracy,
            final_test_loss = last.Test.Loss,
            final_train_loss = last.Trained.Loss,
            wall_seconds = wallSeconds,
            energy_pj_per_sample = Energy(last).ToDictionary(),
            lower_bounds = LowerBounds(last),
            baseline = Baseline(),
            epochs = _epochs.Select(e => new
            {
                e.Epoch,
                train_loss = e.Trained.Loss,
                train_accuracy = e.Trained.Accuracy,
                test_loss = e.Test.Loss,
                test_accuracy = e.Test.Accuracy,
                samples = e.Trained.Samples,
                steps = e.Trained.Steps,
                train_seconds = e.TrainSeconds,
                samples_per_second = e.SamplesPerSecond,
                energy_pj_per_sample = Energy(e).ToDictionary(),
                lower_bounds = LowerBounds(e),
                traffic = Enum.GetValues<TrafficCategory>().ToDictionary(Name, c => new
                {
                    messages = e.Trained.Ledger.TotalMessages(c),
                    payload_bytes = e.Trained.Ledger.TotalBytes(c),
                    byte_hops = e.Trained.Ledger.TotalByteHops(c),
                    byte_hops_per_sample = (double)e.Trained.Ledger.TotalByteHops(c) / Math.Max(1, e.Trained.Samples),
                    actor_messages = e.Trained.Ledger.TotalDelivered(c),
                    dropped = e.Trained.Ledger.TotalDropped(c),
                    bytes_per_sample = (double)e.Trained.Ledger.TotalBytes(c) / Math.Max(1, e.Trained.Samples),
                }),
                layers = _plan.Layers.ToDictionary(l => l.Name, l => Enum.GetValues<TrafficCategory>().ToDictionary(Name, c => new
                {
                    messages = e.Trained.Ledger.MessagesOf(l.Index, c),
                    payload_bytes = e.Trained.Ledger.BytesOf(l.Index, c),
                    byte_hops = e.Trained.Ledger.ByteHopsOf(l.Index, c),
                    actor_messages = e.Trained.Ledger.DeliveredOf(l.Index, c),
                    dropped = e.Trained.Ledger.DroppedOf(l.Index, c),
                })),
                consensus = e.Consensus.ToDictionary(c => c.Layer, c => new { xi2 = c.ConsensusDistance, snr = c.SignalToNoise }),
                devices = new[] { "all" }.Concat(_plan.Layers.Select(l => l.Name)).ToDictionary(n => n, n => DeviceActivity(e.Trained.Ledger, n).ToJson()),
            }),
        };
        File.WriteAllText(Path.Combine(_dir, "summary.json"), JsonSerializer.Serialize(summary, Json));
    }

    private object Baseline()
    {
        var b = ConventionalBaseline.Compute(_plan, _options.Batch, _energy);
        return new
        {
            description = "von Neumann accelerator with one shared kernel per map in DRAM/SRAM (docs/fabric.md)",
            macs_per_sample = b.MacsPerSample,
            dram_bytes_per_sample = b.DramBytesPerSample,
            sram_bytes_per_sample = b.SramBytesPerSample,
            energy_pj_per_sample = new Dictionary<string, double>
            {
                ["mac"] = b.MacPjPerSample,
                ["sram"] = b.SramPjPerSample,
                ["dram"] = b.DramPjPerSample,
                ["total"] = b.TotalPjPerSample,
            },
        };
    }

    public string SummaryTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Summary ({_options.Strategy.Describe()}, {_plan.Arch})");
        sb.AppendLine("| epoch | train loss | test acc | samples/s | activation B | error B | sync msgs | sync B | sync B/sample |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var e in _epochs)
        {
            var l = e.Trained.Ledger;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {e.Epoch} | {e.Trained.Loss:F4} | {e.Test.Accuracy:P2} | {e.SamplesPerSecond:F0} | {HumanBytes(l.TotalBytes(TrafficCategory.Activation))} | {HumanBytes(l.TotalBytes(TrafficCategory.Error))} | {Human(l.TotalMessages(TrafficCategory.Sync))} | {HumanBytes(l.TotalBytes(TrafficCategory.Sync))} | {(double)l.TotalBytes(TrafficCategory.Sync) / Math.Max(1, e.Trained.Samples):F0} |");
        }
        return sb.ToString();
    }
}

/// <summary>Energy of one sample by category, in pJ.</summary>
public sealed record EnergyPerSample(double Compute, double DeviceWrites, double ActivationTransport, double ErrorTransport, double SyncTransport)
{
    public double Total => Compute + DeviceWrites + ActivationTransport + ErrorTransport + SyncTransport;

    public Dictionary<string, double> ToDictionary() => new()
    {
        ["compute"] = Compute,
        ["device_writes"] = DeviceWrites,
        ["activation_transport"] = ActivationTransport,
        ["error_transport"] = ErrorTransport,
        ["sync_transport"] = SyncTransport,
        ["total"] = Total,
    };
}

/// <summary>Device activity, cumulative since training started (initial programming excluded).</summary>
public sealed record DeviceActivityRecord(long Devices, long UpdatePulses, long ProgramPulses, long MaxPulses, long Reads, long ClippedPulses, long Stuck)
{
    public long TotalPulses => UpdatePulses + ProgramPulses;
    public double MeanPulses => Devices == 0 ? 0 : (double)TotalPulses / Devices;
    public double ClippedFraction => TotalPulses == 0 ? 0 : (double)ClippedPulses / TotalPulses;

    public object ToJson() => new
    {
        devices = Devices,
        update_pulses = UpdatePulses,
        program_pulses = ProgramPulses,
        pulses_mean_per_device = MeanPulses,
        pulses_max_per_device = MaxPulses,
        reads = Reads,
        stuck_devices = Stuck,
        clipped_fraction = ClippedFraction,
    };
}
