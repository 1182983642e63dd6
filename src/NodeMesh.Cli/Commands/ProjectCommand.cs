using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NodeMesh.Cli.Reports;
using NodeMesh.Core;
using NodeMesh.Core.Fabric;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Cli.Commands;

/// <summary>
/// <c>nodemesh project</c>: the cost of training a net on the fabric, per training sample and per
/// epoch, for each strategy and cast, from the closed forms the runs are checked against
/// (<see cref="Projection"/>): nets of any size, without training them.
/// </summary>
public static partial class ProjectCommand
{
    public const string Summary = "project the per-sample and per-epoch traffic, energy and time of any net (e.g. VGG-16 at 224x224x3) for each strategy, without training";

    /// <summary>ImageNet-1k's training set, the default epoch.</summary>
    public const long ImageNetTrainSamples = 1_281_167;

    public static readonly OptionDef[] Options =
    [
        new("arch", "LAYERS", ArchSpec.Default, TrainCommand.ArchHelp),
        new("arch-file", "FILE", null, "read the layer list from a file (e.g. specs/vgg16.txt; lines starting with # are comments)"),
        new("input", "HxWxC", "28x28x1", "input size of the net (height x width x channels), e.g. 224x224x3"),
        new("classes", "N", "10", "outputs of the last dense layer"),
        new("batch", "B", "32", "mini-batch size"),
        new("strategies", "LIST", "none,allreduce-star,allreduce-tree,allreduce-ring,gossip-grid,gossip-exp", "comma-separated, in the grammar of train --strategy (gossip: one peer per round; exp gossip is the expectation over its offsets)"),
        new("fabric-cast", "unicast|multicast|both", "both", "activation and error transport (tying traffic is the same under both)"),
        new("layer-hops", "N", "1", "fabric: hops between consecutive layers (column layout)"),
        new("energy", "FILE", null, "energy model JSON; default: docs/fabric.md values"),
        new("latency", "FILE", null, "latency model JSON (clock, router and link cycles, link width, crossbar read, ADC rate, write pulse); default: docs/latency.md values"),
        new("device", "PRESET|FILE", "ideal", "weight store assumed for the step time's device writes (its desired_bl pulse slots per update; docs/latency.md); energy stays that of ideal stores"),
        new("samples", "N", "1281167", "training samples per epoch (default: ImageNet-1k's training set)"),
        new("members", "M[,M2...]", null, "also project the cross-member traffic of a cluster run on M workers (plus the driver) per strategy (docs/projection.md)"),
        new("placement", "block|stripe|round-robin", "block", "with --members: how each layer's tiles are spread over the workers, as train --placement"),
        new("tile", "N", "0", "with --members: tile side in positions, as train --tile (0 = about 4x4 tiles per layer)"),
        new("out", "DIR", null, "write project.md, project.csv, project.json and project.png there (new or empty folder); default: print the tables only"),
        new("growth", "NAME=DIR,...", null, "instead of projecting a net: compare earlier projections (folders written by --out) and show how the cost of tying grows with the net's size; writes growth.md, growth.csv, growth.png, growth-share.png and growth-time.png to --out"),
        new("help", null, null, "show this help"),
    ];

    public static string HelpText => $"""
        nodemesh project — {Summary}

        Unit count, parameters with and without tying, tying messages, bytes and byte-hops,
        activation and error traffic, and energy by category beside the conventional baseline,
        per training sample and per epoch, from the fabric's closed forms (the same code the
        runs' counts are tested against). Device writes are those of ideal stores (none).
        Time per step and per epoch on the fabric from the latency model (docs/latency.md):
        the forward and backward waves, each tying exchange, and the device writes of --device.
        With --growth, set the projections of several nets side by side: tying bytes, tying's
        share of the traffic and the epoch time against the number of unit actors.

        Usage: nodemesh project [options]

        Options:
        {ParsedArgs.Help(Options)}

        Examples:
          nodemesh project --arch-file specs/vgg16.txt --input 224x224x3 --classes 1000 --out vgg16
          nodemesh project --strategies none,allreduce-tree,allreduce-tree-every10 --fabric-cast multicast
          nodemesh project --members 2,4,8 --placement block --strategies none,allreduce-star,allreduce-tree
          nodemesh project --growth reference=pj-ref,AlexNet=pj-alex,VGG-16=pj-vgg --out growth
        """;

    /// <summary>The checked inputs of a projection.</summary>
    public sealed record Setup(NetworkPlan Plan, InputShape Input, int Batch, IReadOnlyList<StrategyOptions> Strategies,
        IReadOnlyList<FabricOptions> Fabrics, EnergyModel Energy, long Samples, string? Out, ProjectCluster.Setup? Cluster = null)
    {
        /// <summary>The latency constants of the step time (<c>--latency</c>).</summary>
        public LatencyModel Latency { get; init; } = LatencyModel.Default;

        /// <summary>The device writes assumed for the step time (<c>--device</c>).</summary>
        public DeviceWrites Writes { get; init; } = DeviceWrites.Ideal;

        /// <summary>The --device name, for the tables.</summary>
        public string Device { get; init; } = "ideal";
    }

    /// <summary>Reads and checks the options.</summary>
    public static Setup Prepare(ParsedArgs a)
    {
        if (a.Given("arch") && a.Given("arch-file")) throw new UserInputException("--arch and --arch-file both give the layer list; give one of them.");
        string arch = a.String("arch-file") is { } file ? ReadArchFile(file) : a.String("arch")!;
        var input = InputShape.Parse(a.String("input"));
        int classes = a.Int("classes");
        if (classes < 1 || classes > 65536) throw new UserInputException($"--classes {classes}: give 1..65536 classes.");
        int batch = a.Int("batch");
        if (batch < 1 || batch > 65536) throw new UserInputException($"--batch {batch}: the batch size must be 1..65536.", SettingKeys.Batch);
        long samples = a.Long("samples");
        if (samples < 1) throw new UserInputException($"--samples {samples}: an epoch holds at least 1 sample.");
        var strategies = (a.String("strategies") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(BenchCommand.ParseStrategy).Distinct().ToList();
        if (strategies.Count == 0) throw new UserInputException("--strategies is empty; give a comma-separated list such as none,allreduce-tree.");
        var casts = a.Choice("fabric-cast", ("both", new[] { FabricCast.Unicast, FabricCast.Multicast }),
            ("unicast", new[] { FabricCast.Unicast }), ("multicast", new[] { FabricCast.Multicast }));
        int hops = a.Int("layer-hops");
        var fabrics = casts.Select(c => new FabricOptions(MapLayout.Column, hops, c).Validate()).ToList();
        var energy = a.String("energy") is { } energyFile ? EnergyModel.Load(energyFile) : EnergyModel.Default;
        var plan = NetworkPlan.Build(ArchSpec.Parse(arch), input.Channels, input.Height, input.Width, classes);
        string? outDir = a.String("out");
        if (outDir is not null && Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
            throw new UserInputException($"--out {outDir}: the folder is not empty; give a new or empty folder.");
        var latency = a.String("latency") is { } latencyFile ? LatencyModel.Load(latencyFile) : LatencyModel.Default;
        var device = NodeMesh.Core.Devices.DeviceConfig.Load(a.String("device") ?? "ideal");
        return new Setup(plan, input, batch, strategies, fabrics, energy, samples, outDir, ProjectCluster.Prepare(a, plan))
        {
            Latency = latency, Writes = DeviceWrites.Of(device), Device = device.Name,
        };
    }

    /// <summary>The layer list of a spec file: its lines without # comments, joined by commas.</summary>
    public static string ReadArchFile(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UserInputException($"--arch-file {path}: cannot read it ({e.Message}).");
        }
        var tokens = text.Split('\n').Select(l => l.Split('#')[0]).SelectMany(l => l.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(t => t.Length > 0).ToList();
        if (tokens.Count == 0) throw new UserInputException($"--arch-file {path}: holds no layers; write a comma-separated layer list such as '{ArchSpec.Default}'.");
        return string.Join(',', tokens);
    }

    public static int Run(ParsedArgs a, TextWriter stdout)
    {
        if (a.Given("growth")) return ProjectGrowth.Run(a, stdout);
        var s = Prepare(a);
        var sw = Stopwatch.StartNew();
        var projections = Projection.Compute(s.Plan, s.Strategies, s.Fabrics, s.Batch, s.Energy);
        var times = StepTimes(s, projections);
        var cluster = s.Cluster is { } c ? ProjectCluster.Compute(c, s.Strategies, s.Batch, s.Samples) : null;
        double seconds = sw.Elapsed.TotalSeconds;
        string command = "nodemesh project " + string.Join(' ', a.ToArgs(n => n != "out"));
        string md = Render(s, projections, command, seconds) + RenderTimes(s, projections, times);
        if (cluster is not null) md += ProjectCluster.Render(s.Cluster!, cluster, s.Samples);
        if (s.Out is null)
        {
            stdout.Write(md);
            return 0;
        }
        Directory.CreateDirectory(s.Out);
        File.WriteAllText(Path.Combine(s.Out, "project.md"), md);
        File.WriteAllText(Path.Combine(s.Out, "project.csv"), Csv(s, projections, times));
        File.WriteAllText(Path.Combine(s.Out, "project.json"), Json(s, projections, command, times, cluster));
        if (cluster is not null) File.WriteAllText(Path.Combine(s.Out, "project-cluster.csv"), ProjectCluster.Csv(s.Cluster!, cluster));
        Plot(Path.Combine(s.Out, "project.png"), s, projections);
        PlotTimes(Path.Combine(s.Out, "project-time.png"), s, projections, times);
        stdout.Write(md);
        stdout.WriteLine($"results: {Path.Combine(s.Out, "project.md")}, project.csv, project.json, project.png, project-time.png{(cluster is null ? "" : ", project-cluster.csv")}");
        return 0;
    }

    private static string Cast(Projection p) => p.Fabric.Cast == FabricCast.Multicast ? "multicast" : "unicast";

    private static string Name(Projection p) => StrategyGrammar.Name(p.Strategy);

    /// <summary>project.md: the net, one table per cast and one per layer.</summary>
    public static string Render(Setup s, IReadOnlyList<Projection> ps, string command, double seconds)
    {
        var plan = s.Plan;
        var inv = CultureInfo.InvariantCulture;
        bool residual = plan.Layers.Any(l => l.Skip is not null);
        var sb = new StringBuilder();
        sb.Append(inv, $"# Projection: {plan.Arch.Text} at {s.Input}, {plan.Classes} classes\n\n");
        sb.Append(inv, $"Command: `{command}` (computed in {seconds:F1} s).\n\n");
        sb.Append(inv, $"{Markdown.Count(plan.UnitCount)} units; {Markdown.Count(plan.UnitParameters)} parameters untied (one kernel per position), {Markdown.Count(plan.SharedParameters)} tied (one per map); batch {s.Batch}; epoch of {Markdown.Count(s.Samples)} samples. ");
        sb.Append("Per sample = per batch / B (tying: per period / (F·B)); per epoch = per sample × samples. Column layout, ")
          .Append(s.Fabrics[0].LayerHops.ToString(inv)).Append(" hop(s) between layers, ideal stores (no write pulses). Energy in µJ.\n\n");
        foreach (var group in ps.GroupBy(Cast))
        {
            sb.Append(inv, $"## Per strategy, {group.Key}\n\n");
            var baseline = group.First().Baseline.TotalPjPerSample;
            sb.Append(Markdown.Table(
                ["strategy", "tying msgs/sample", "tying bytes/sample", "tying byte-hops/sample", "act.+err. byte-hops/sample", "tying share of byte-hops",
                 "compute µJ", "transport µJ", "tying µJ", "total µJ/sample", "tying share of energy", "÷ baseline", "tying bytes/epoch", "energy/epoch"], "l",
                group.Select(p => (IReadOnlyList<string>)
                [
                    Name(p), Markdown.Num(p.SyncPerSample.Messages), Markdown.Bytes(p.SyncPerSample.Bytes), Markdown.ByteHops(p.SyncPerSample.ByteHops),
                    Markdown.ByteHops(p.ActivationPerSample.ByteHops + p.ErrorPerSample.ByteHops), Markdown.Percent(p.SyncShareOfByteHops),
                    Markdown.EnergyValue(p.Energy.ComputePj), Markdown.EnergyValue(p.Energy.TransportPj), Markdown.EnergyValue(p.Energy.SyncPj),
                    Markdown.EnergyValue(p.Energy.TotalPj), Markdown.Percent(p.SyncShareOfEnergy), Markdown.Ratio(p.Energy.TotalPj / baseline),
                    Markdown.Bytes(p.SyncPerSample.Bytes * s.Samples), Joules(p.Energy.TotalPj * s.Samples),
                ])));
            sb.Append(inv, $"\nConventional baseline: {Markdown.Energy(baseline)} per sample ({Joules(baseline * s.Samples)} per epoch).\n\n");
            if (residual)
            {
                var skip = group.First().SkipPerSample;
                sb.Append(inv, $"Residual adds: the skip values into each block's add and their deltas back, {Markdown.Num(skip.Messages)} messages, {Markdown.Bytes(skip.Bytes)} and {Markdown.ByteHops(skip.ByteHops)} per sample in each direction, are included in the activation and error traffic above (docs/projection.md).\n\n");
            }
        }
        var first = ps[0];
        sb.Append(inv, $"## Per layer ({Cast(first)} activation and error; tying is the same under either cast)\n\n");
        var header = new List<string> { "layer", "maps × H × W", "units", "untied params", "tied params", "act. bytes/sample", "act.+err. byte-hops/sample" };
        if (residual) header.Add("of which skip act. bytes/sample");
        var tying = ps.Where(p => p.Fabric == first.Fabric && p.Strategy.Kind != StrategyKind.None).ToList();
        header.AddRange(tying.Select(p => $"{Name(p)} tying byte-hops/sample"));
        sb.Append(Markdown.Table(header, "ll", plan.Layers.Select(l =>
        {
            var t = first.Layers[l.Index].PerBatch;
            var row = new List<string>
            {
                l.Name, $"{l.OutMaps}×{l.OutHeight}×{l.OutWidth}", Markdown.Count(l.UnitCount), Markdown.Count(l.UnitParameters), Markdown.Count(l.SharedParameters),
                Markdown.Bytes((double)t.Activation.Bytes / s.Batch), Markdown.ByteHops((double)(t.Activation.ByteHops + t.Error.ByteHops) / s.Batch),
            };
            if (residual) row.Add(l.Skip is null ? "–" : Markdown.Bytes((double)t.Skip.Bytes / s.Batch));
            row.AddRange(tying.Select(p => Markdown.ByteHops(p.LayerSyncPerSample(l.Index).ByteHops)));
            return (IReadOnlyList<string>)row;
        })));
        return sb.Append('\n').ToString(); // a blank line before the next section
    }

    private static string Joules(double pj) => pj >= 1e12 ? $"{Markdown.Num(pj / 1e12)} J" : Markdown.Energy(pj);

    private static readonly string[] CsvHeader =
    [
        "cast", "strategy", "layer", "units", "unit_parameters", "shared_parameters",
        "activation_messages_per_sample", "activation_bytes_per_sample", "activation_byte_hops_per_sample",
        "error_messages_per_sample", "error_bytes_per_sample", "error_byte_hops_per_sample",
        "sync_messages_per_sample", "sync_bytes_per_sample", "sync_byte_hops_per_sample",
        "compute_pj_per_sample", "write_pj_per_sample", "transport_pj_per_sample", "sync_pj_per_sample", "total_pj_per_sample", "baseline_pj_per_sample",
        "samples_per_epoch", "step_ns", "step_tying_ns", "epoch_seconds",
        "skip_messages_per_sample", "skip_bytes_per_sample", "skip_byte_hops_per_sample",
    ];

    /// <summary>
    /// project.csv: one row per (cast, strategy, layer) and a "total" row per (cast, strategy); energy only on total rows.
    /// The skip columns (residual adds, one direction) are already part of the activation and the error columns.
    /// </summary>
    public static string Csv(Setup s, IReadOnlyList<Projection> ps, IReadOnlyList<StepTime>? times = null)
    {
        times ??= StepTimes(s, ps);
        int at = 0;
        var sb = new StringBuilder(string.Join(',', CsvHeader)).Append('\n');
        static string G(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        foreach (var p in ps)
        {
            foreach (var l in p.Layers)
            {
                var w = l.Layer;
                var act = ExpectedCost.From(l.PerBatch.Activation).Times(1.0 / p.Batch);
                var err = ExpectedCost.From(l.PerBatch.Error).Times(1.0 / p.Batch);
                var syn = p.LayerSyncPerSample(w.Index);
                var skp = ExpectedCost.From(l.PerBatch.Skip).Times(1.0 / p.Batch);
                sb.AppendJoin(',', [Cast(p), Name(p), w.Name, G(w.UnitCount), G(w.UnitParameters), G(w.SharedParameters),
                    G(act.Messages), G(act.Bytes), G(act.ByteHops), G(err.Messages), G(err.Bytes), G(err.ByteHops),
                    G(syn.Messages), G(syn.Bytes), G(syn.ByteHops), "", "", "", G(s.Energy.TransportPj(syn.ByteHops)), "", "", G(s.Samples), "", "", "",
                    G(skp.Messages), G(skp.Bytes), G(skp.ByteHops)]).Append('\n');
            }
            var a = p.ActivationPerSample; var e = p.ErrorPerSample; var y = p.SyncPerSample; var k = p.SkipPerSample;
            sb.AppendJoin(',', [Cast(p), Name(p), "total", G(p.Plan.UnitCount), G(p.Plan.UnitParameters), G(p.Plan.SharedParameters),
                G(a.Messages), G(a.Bytes), G(a.ByteHops), G(e.Messages), G(e.Bytes), G(e.ByteHops), G(y.Messages), G(y.Bytes), G(y.ByteHops),
                G(p.Energy.ComputePj), G(p.Energy.WritePj), G(p.Energy.TransportPj), G(p.Energy.SyncPj), G(p.Energy.TotalPj), G(p.Baseline.TotalPjPerSample), G(s.Samples),
                G(times[at].MeanStepNs), G(times[at].TyingNs), G(times[at].EpochSeconds(s.Samples)), G(k.Messages), G(k.Bytes), G(k.ByteHops)]).Append('\n');
            at++;
        }
        return sb.ToString();
    }

    /// <summary>project.json: the setup and, per cast and strategy, the per-sample totals and per-layer tying.</summary>
    public static string Json(Setup s, IReadOnlyList<Projection> ps, string command, IReadOnlyList<StepTime>? times = null, IReadOnlyList<ProjectCluster.Row>? cluster = null)
    {
        times ??= StepTimes(s, ps);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            void Cost(string name, ExpectedCost c)
            {
                w.WriteStartObject(name);
                w.WriteNumber("messages", c.Messages); w.WriteNumber("bytes", c.Bytes); w.WriteNumber("hops", c.Hops); w.WriteNumber("byte_hops", c.ByteHops);
                w.WriteEndObject();
            }
            w.WriteStartObject();
            w.WriteString("command", command);
            w.WriteString("arch", s.Plan.Arch.Text);
            w.WriteString("input", s.Input.ToString());
            w.WriteNumber("classes", s.Plan.Classes);
            w.WriteNumber("batch", s.Batch);
            w.WriteNumber("samples_per_epoch", s.Samples);
            w.WriteNumber("layer_hops", s.Fabrics[0].LayerHops);
            w.WriteNumber("units", s.Plan.UnitCount);
            w.WriteNumber("unit_parameters", s.Plan.UnitParameters);
            w.WriteNumber("shared_parameters", s.Plan.SharedParameters);
            w.WriteNumber("baseline_pj_per_sample", ps[0].Baseline.TotalPjPerSample);
            w.WriteString("device", s.Device);
            w.WritePropertyName("latency_model");
            using (var latency = JsonDocument.Parse(s.Latency.ToJson())) latency.RootElement.WriteTo(w);
            w.WriteStartArray("projections");
            for (int i = 0; i < ps.Count; i++)
            {
                var p = ps[i];
                w.WriteStartObject();
                w.WriteString("cast", Cast(p));
                w.WriteString("strategy", Name(p));
                Cost("activation_per_sample", p.ActivationPerSample);
                Cost("error_per_sample", p.ErrorPerSample);
                Cost("sync_per_sample", p.SyncPerSample);
                Cost("skip_per_sample", p.SkipPerSample); // one direction; part of both activation and error
                w.WriteStartObject("energy_pj_per_sample");
                w.WriteNumber("compute", p.Energy.ComputePj); w.WriteNumber("writes", p.Energy.WritePj); w.WriteNumber("transport", p.Energy.TransportPj);
                w.WriteNumber("sync", p.Energy.SyncPj); w.WriteNumber("total", p.Energy.TotalPj);
                w.WriteEndObject();
                w.WriteNumber("sync_share_of_byte_hops", p.SyncShareOfByteHops);
                w.WriteNumber("sync_share_of_energy", p.SyncShareOfEnergy);
                w.WriteStartObject("sync_byte_hops_per_sample_by_layer");
                foreach (var l in p.Layers) w.WriteNumber(l.Layer.Name, p.LayerSyncPerSample(l.Layer.Index).ByteHops);
                w.WriteEndObject();
                StepTimeJson(w, times[i], s.Samples);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (cluster is not null) ProjectCluster.Json(w, s.Cluster!, cluster);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>project.png: tying byte-hops per sample by layer, one bar per tying strategy (where the tying traffic comes from).</summary>
    private static void Plot(string path, Setup s, IReadOnlyList<Projection> ps)
    {
        var first = ps[0];
        var conv = s.Plan.Layers.Where(l => l.Kind == LayerKind.Conv).ToList();
        var series = ps.Where(p => p.Fabric == first.Fabric && p.Strategy.Kind != StrategyKind.None)
            .Select(p => new BarSeries(Name(p), conv.Select(l => p.LayerSyncPerSample(l.Index).ByteHops).ToArray())).ToList();
        if (series.Count == 0 || conv.Count == 0) return;
        Plots.Bars(path, $"Tying byte-hops per sample by layer ({s.Plan.Arch.Layers.Count} tokens, {s.Input})", "byte-hops per sample", conv.Select(l => l.Name).ToList(), series);
    }
}
