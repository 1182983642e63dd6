using System.Globalization;
using System.Text;
using System.Text.Json;
using NodeMesh.Cli.Records;

namespace NodeMesh.Cli.Reports;

/// <summary>
/// Writes <c>report.md</c> and its PNG plots into a finished run directory: configuration, a
/// per-epoch table of learning and consensus, traffic per category (and byte-hops when the run has
/// a fabric model), energy per category and the conventional baseline (when present), measured
/// sync traffic against its lower bound (when present), device activity (non-ideal devices). Plots:
/// accuracy.png, loss.png and consensus.png (with conv layers) when there are two epochs or more
/// (a one-epoch run states those values in the text instead of plotting single points),
/// traffic.png and energy.png (with an energy model). Units: decimal SI bytes, energy in µJ per
/// training sample (<see cref="Markdown"/>).
/// </summary>
public static class ReportWriter
{
    public const string ReportFile = "report.md";
    public const string AccuracyPng = "accuracy.png";
    public const string LossPng = "loss.png";
    public const string TrafficPng = "traffic.png";
    public const string EnergyPng = "energy.png";
    public const string ConsensusPng = "consensus.png";

    /// <summary>Reads the run directory and writes report.md and the PNGs into it; returns the paths written, report.md first.</summary>
    public static IReadOnlyList<string> Write(string runDir) => Write(RunData.Load(runDir));

    /// <summary>Writes the report of an already loaded run into its directory.</summary>
    public static IReadOnlyList<string> Write(RunData run)
    {
        var written = new List<string>();
        string P(string file)
        {
            string path = Path.Combine(run.Dir, file);
            written.Add(path);
            return path;
        }
        string reportPath = P(ReportFile);
        var ep = run.Epochs;
        double[] epochs = ep.Select(e => (double)e.Epoch).ToArray();

        // A line through one point is a dot: with a single epoch the values go into the text instead.
        bool series = run.HasEpochSeries;
        if (series)
        {
            if (!run.CostOnly) // a cost-only run's accuracy is not meaningful
                Plots.Lines(P(AccuracyPng), $"Accuracy per epoch ({run.Setting})", "epoch", "accuracy",
                [new("train", epochs, ep.Select(e => e.TrainAccuracy).ToArray()), new("test", epochs, ep.Select(e => e.TestAccuracy).ToArray())],
                percentY: true);
            Plots.Lines(P(LossPng), $"Cross-entropy loss per epoch ({run.Setting})", "epoch", "loss",
                [new("train", epochs, ep.Select(e => e.TrainLoss).ToArray()), new("test", epochs, ep.Select(e => e.TestLoss).ToArray())]);
        }

        var cats = run.Categories;
        var trafficSeries = new List<BarSeries> { new("payload bytes per sample", cats.Select(run.BytesPerSample).ToArray()) };
        if (run.HasByteHops) trafficSeries.Add(new("byte-hops per sample", cats.Select(c => run.ByteHopsPerSample(c) ?? double.NaN).ToArray()));
        Plots.Bars(P(TrafficPng), $"Traffic per training sample by category ({run.Setting})", run.HasByteHops ? "bytes, byte-hops per sample" : "bytes per sample",
            cats, trafficSeries);

        bool energyPlot = run.HasEnergy;
        if (energyPlot)
        {
            var parts = run.EnergyBreakdown;
            var baseParts = run.Baseline?.EnergyPjPerSample?.Parts ?? [];
            var groups = parts.Select(p => p.Name).Concat(baseParts.Select(p => p.Name)).Distinct().Append("total").ToList();
            var energySeries = new List<BarSeries>
            {
                new($"this run ({run.Setting})", groups.Select(g => g == "total" ? run.EnergyPerSample ?? double.NaN : parts.FirstOrDefault(p => p.Name == g)?.Value ?? double.NaN).ToArray()),
            };
            if (run.Baseline?.EnergyPjPerSample is { } b)
                energySeries.Add(new("conventional baseline", groups.Select(g => g == "total" ? b.Total : b.Parts.FirstOrDefault(p => p.Name == g)?.Value ?? double.NaN).ToArray()));
            Plots.Bars(P(EnergyPng), $"Energy per training sample by category ({run.Setting})", $"{Markdown.EnergyUnit} per sample", groups.Select(Markdown.Words).ToList(),
                energySeries.Select(x => x with { Values = x.Values.Select(Markdown.Microjoules).ToArray() }).ToList());
        }

        var layers = run.ConsensusLayers;
        bool consensusPlot = layers.Count > 0 && series;
        if (consensusPlot)
            Plots.Lines(P(ConsensusPng), $"Consensus distance Ξ² per conv layer ({run.Setting})", "epoch", "Ξ² (log)",
                layers.Select(l => new LineSeries(l, epochs, ep.Select(e => e.Consensus.GetValueOrDefault(l)?.Xi2 ?? double.NaN).ToArray())).ToList(),
                logY: true);

        File.WriteAllText(reportPath, Render(run, energyPlot, consensusPlot, series));
        return written;
    }

    private static string Title(RunData run)
    {
        string s = run.Strategy == "none" ? "no sharing (none)"
            : $"{run.Strategy} ({run.Topology ?? "?"}, every {run.Every.ToString(CultureInfo.InvariantCulture)})";
        return $"NodeMesh run {run.Name}: {s} on {run.Arch}";
    }

    private static string Render(RunData run, bool energyPlot, bool consensusPlot, bool series)
    {
        var sb = new StringBuilder();
        var ep = run.Epochs;
        bool costOnly = run.CostOnly;
        string Acc(double v) => costOnly ? "n/a" : Markdown.Percent(v);
        sb.Append("# ").Append(Title(run)).Append("\n\n");
        if (costOnly)
            sb.Append(CultureInfo.InvariantCulture, $"**Cost-only run** on synthetic {run.Config.Input} data (uniform random pixels and labels, --input): traffic, energy and samples/s are measured as usual; accuracy is not meaningful and is not shown.\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"{ep.Count} epoch(s) of {Markdown.Count(run.TrainSamples)} training samples");
        if (run.TestSamples is { } tested) sb.Append(CultureInfo.InvariantCulture, $", tested on {Markdown.Count(tested)} test samples");
        sb.Append(CultureInfo.InvariantCulture, $" (data: {run.DataSource}): {(costOnly ? "" : $"final test accuracy **{Markdown.Percent(run.FinalTestAccuracy)}**, ")}");
        sb.Append(CultureInfo.InvariantCulture, $"final train loss {Markdown.Fixed(run.FinalTrainLoss, 4)}");
        if (run.WallSeconds is { } w) sb.Append(CultureInfo.InvariantCulture, $", wall time {Markdown.Fixed(w, 1)} s");
        sb.Append(CultureInfo.InvariantCulture, $"; sync traffic {Markdown.Bytes(run.BytesPerSample("sync"))} per training sample");
        if (run.ByteHopsPerSample("sync") is { } sh) sb.Append(CultureInfo.InvariantCulture, $" ({Markdown.Bytes(sh)}-hops)");
        if (run.EnergyPerSample is { } en) sb.Append(CultureInfo.InvariantCulture, $"; energy {Markdown.Energy(en)} per sample");
        if (run.EnergyPerSample is { } e1 && run.Baseline?.EnergyPjPerSample?.Total is { } e0 && e0 > 0)
            sb.Append(CultureInfo.InvariantCulture, $" ({Markdown.Ratio(e1 / e0)} the conventional baseline's {Markdown.Energy(e0)})");
        if (run.Summary.ProjectedStepTime is { } st)
            sb.Append(CultureInfo.InvariantCulture, $"; projected time on the fabric {Markdown.Duration(st.StepNs)} per step ({Markdown.Duration(st.PerSampleNs)} per sample, {Markdown.Duration(st.EpochSeconds * 1e9)} per epoch; docs/latency.md)");
        sb.Append(".\n\n");
        if (series && costOnly) sb.Append($"![Loss per epoch]({LossPng})\n\n");
        else if (series) sb.Append($"![Accuracy per epoch]({AccuracyPng})\n\n![Loss per epoch]({LossPng})\n\n");
        else
        {
            var only = ep[0];
            sb.Append(CultureInfo.InvariantCulture,
                $"One epoch, so no per-epoch plots (a line through one point is a dot): train accuracy {Acc(only.TrainAccuracy)}, test accuracy {Acc(only.TestAccuracy)}, ")
              .Append(CultureInfo.InvariantCulture, $"train loss {Markdown.Fixed(only.TrainLoss, 4)}, test loss {Markdown.Fixed(only.TestLoss, 4)}");
            var cons = only.Consensus.Select(c => $"Ξ² {c.Key} {Markdown.Num(c.Value.Xi2)} (SNR {Markdown.Num(c.Value.Snr)})").ToList();
            if (cons.Count > 0) sb.Append("; consensus: ").Append(string.Join(", ", cons));
            sb.Append(".\n\n");
        }

        // Configuration: every scalar setting, named and ordered as config.json has them. Null
        // settings are left out: they do not apply (no topology without tying, no placement in a
        // local run) or an older version did not record them.
        sb.Append("## Configuration\n\n");
        var rows = new List<IReadOnlyList<string>>();
        foreach (var p in JsonSerializer.SerializeToElement(run.Config, RunJson.Default.RunConfig).EnumerateObject())
        {
            // device_parameters (an object, or the text listing of older runs) has its own table under Device activity.
            if (p.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Null || p.Name == RunJson.NameOf(nameof(RunConfig.DeviceParameters))) continue;
            rows.Add([p.Name, p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString() ?? "",
                JsonValueKind.Number when p.Name != "seed" && p.Value.TryGetInt64(out long n) => Markdown.Count(n), // thousands separators
                _ => p.Value.GetRawText(),
            }]);
        }
        sb.Append(Markdown.Table(["setting", "value"], "ll", rows)).Append('\n');
        if (run.Config.Layers.Count > 0)
        {
            static string Dims(IReadOnlyList<int> d) => string.Join("×", d.Select(x => x.ToString(CultureInfo.InvariantCulture)));
            sb.Append(Markdown.Table(["layer", "kind", "input (C×H×W)", "output (maps×U×V)", "kernel", "units", "fan-in", "tiles"], "llll",
                run.Config.Layers.Select(l => (IReadOnlyList<string>)
                [
                    l.Name, l.Kind, Dims(l.Input), Dims(l.Output), l.Kernel.ToString(CultureInfo.InvariantCulture),
                    Markdown.Count(l.Units), Markdown.Count(l.FanIn), l.Tiles.ToString(CultureInfo.InvariantCulture),
                ]))).Append('\n');
        }

        // Per epoch
        sb.Append("## Per epoch\n\n");
        var cats = run.Categories;
        var layerNames = run.ConsensusLayers;
        var header = new List<string> { "epoch", "train loss", "train acc", "test loss", "test acc", "train s", "samples/s" };
        foreach (var c in cats) header.Add($"{c} msgs / bytes");
        foreach (var l in layerNames) { header.Add($"Ξ² {l}"); header.Add($"SNR {l}"); }
        sb.Append(Markdown.Table(header, "", ep.Select(e =>
        {
            var r = new List<string>
            {
                e.Epoch.ToString(CultureInfo.InvariantCulture), Markdown.Fixed(e.TrainLoss, 4), Acc(e.TrainAccuracy),
                Markdown.Fixed(e.TestLoss, 4), Acc(e.TestAccuracy), Markdown.Fixed(e.TrainSeconds, 1), Markdown.Count(e.SamplesPerSecond),
            };
            foreach (var c in cats)
            {
                var t = e.Traffic.GetValueOrDefault(c);
                r.Add(t is null ? "–" : $"{RunConsole.Human(t.Messages)} / {RunConsole.HumanBytes(t.PayloadBytes)}");
            }
            foreach (var l in layerNames)
            {
                var c = e.Consensus.GetValueOrDefault(l);
                r.Add(c is null ? "–" : Markdown.Num(c.Xi2));
                r.Add(c is null ? "–" : Markdown.Num(c.Snr));
            }
            return (IReadOnlyList<string>)r;
        }))).Append('\n');
        if (layerNames.Count > 0)
            sb.Append("Ξ² is the mean over a layer's units of ‖w_i − w̄‖², w̄ the mean kernel (and bias) of the unit's map: 0 when the ")
              .Append("maps are exactly tied. SNR is the mean over maps and weights of |mean| / std across the map's units (inf when exactly tied).\n\n");

        // Traffic
        sb.Append("## Traffic\n\n");
        sb.Append("Logical messages of the emulated fabric during training (evaluation is not counted); payload bytes carry the whole batch. ")
          .Append("Per sample = over all epochs, divided by the training samples.\n\n");
        bool hops = run.HasByteHops;
        var th = new List<string> { "epoch", "category", "messages", "payload bytes", "bytes/sample" };
        if (hops) { th.Add("byte-hops"); th.Add("byte-hops/sample"); }
        th.Add("actor messages"); th.Add("dropped");
        sb.Append(Markdown.Table(th, "ll", ep.SelectMany(e => e.Traffic.Select(kv =>
        {
            var t = kv.Value;
            var r = new List<string>
            {
                e.Epoch.ToString(CultureInfo.InvariantCulture), kv.Key, Markdown.Count(t.Messages), Markdown.Count(t.PayloadBytes),
                Markdown.Num((double)t.PayloadBytes / Math.Max(1, e.Samples)),
            };
            if (hops)
            {
                r.Add(t.ByteHops is { } bh ? Markdown.Count(bh) : "–");
                r.Add(t.ByteHops is { } bh2 ? Markdown.Num((double)bh2 / Math.Max(1, e.Samples)) : "–");
            }
            r.Add(Markdown.Count(t.ActorMessages));
            r.Add(Markdown.Count(t.Dropped));
            return (IReadOnlyList<string>)r;
        })))).Append('\n');
        var layerTraffic = ep.SelectMany(e => e.Layers.SelectMany(l => l.Value.Select(c => (Layer: l.Key, Category: c.Key, Traffic: c.Value)))).ToList();
        var layerRows = layerTraffic.Select(l => l.Layer).Distinct().ToList();
        if (layerRows.Count > 0)
        {
            double samples = Math.Max(1, run.TotalSamples);
            sb.Append("Payload bytes per training sample by layer (all epochs")
              .Append(hops ? "; byte-hops in parentheses where recorded" : "").Append("):\n\n");
            sb.Append(Markdown.Table(["layer", .. cats], "l", layerRows.Select(l => (IReadOnlyList<string>)
            [
                l, .. cats.Select(c =>
                {
                    var items = layerTraffic.Where(x => x.Layer == l && x.Category == c).Select(x => x.Traffic).ToList();
                    if (items.Count == 0) return "–";
                    string s = Markdown.Num(items.Sum(x => (double)x.PayloadBytes) / samples);
                    if (items.Any(x => x.ByteHops is not null)) s += $" ({Markdown.Num(items.Sum(x => (double)(x.ByteHops ?? 0)) / samples)})";
                    return s;
                }),
            ]))).Append('\n');
        }
        sb.Append($"![Traffic per sample by category]({TrafficPng})\n\n");
        if (run.Cluster is { } cluster) ClusterSection.Append(sb, cluster);

        // Energy
        if (run.HasEnergy)
        {
            sb.Append(CultureInfo.InvariantCulture, $"## Energy\n\nEnergy per training sample by category, in {Markdown.EnergyUnit}, from the run's energy model.\n\n");
            var names = ep.SelectMany(e => e.EnergyPjPerSample?.Parts ?? []).Select(x => x.Name).Distinct().ToList();
            sb.Append(Markdown.Table(["epoch", .. names.Select(Markdown.Words), "total"], "", ep.Select(e => (IReadOnlyList<string>)
            [
                e.Epoch.ToString(CultureInfo.InvariantCulture),
                .. names.Select(n => Markdown.EnergyValue(e.EnergyPjPerSample?.Parts.FirstOrDefault(x => x.Name == n)?.Value)),
                Markdown.EnergyValue(e.EnergyPjPerSample?.Total),
            ]))).Append('\n');
        }
        if (run.Baseline is { } b)
        {
            sb.Append(run.HasEnergy ? "### Conventional baseline\n\n" : "## Conventional baseline\n\n");
            sb.Append(b.Description is { Length: > 0 } desc ? desc.TrimEnd('.') : "A von Neumann accelerator that keeps one shared kernel per map in DRAM/SRAM and moves it to the processor")
              .Append(", for the same network and batch schedule (per training sample).\n\n");
            var br = new List<IReadOnlyList<string>>();
            if (b.DramBytesPerSample is { } d) br.Add(["DRAM bytes / sample", Markdown.Bytes(d), ""]);
            if (b.SramBytesPerSample is { } s) br.Add(["SRAM bytes / sample", Markdown.Bytes(s), ""]);
            if (b.MacsPerSample is { } macs) br.Add(["macs per sample", Markdown.Num(macs), ""]);
            string unit = Markdown.EnergyUnit;
            foreach (var x in b.EnergyPjPerSample?.Parts ?? []) br.Add([$"energy: {Markdown.Words(x.Name)} ({unit} / sample)", Markdown.EnergyValue(x.Value), ""]);
            if (b.EnergyPjPerSample?.Total is { } t)
                br.Add([$"energy: total ({unit} / sample)", Markdown.EnergyValue(t),
                    run.EnergyPerSample is { } mine && t > 0 ? $"this run: {Markdown.Energy(mine)} = {Markdown.Ratio(mine / t)} the baseline" : ""]);
            sb.Append(Markdown.Table(["quantity", "baseline", "this run"], "lrl", br)).Append('\n');
        }
        if (energyPlot) sb.Append($"![Energy per sample by category]({EnergyPng})\n\n");

        // Lower bounds
        if (run.LowerBounds.Count > 0)
        {
            sb.Append("## Sync traffic against its lower bound\n\n");
            sb.Append("Measured sync bytes per unit and sync byte-hops next to the closed-form minimum for the map size ")
              .Append("(ring all-reduce: 2(N−1)/N·S bytes per unit; a spanning tree over the grid: each of its N−1 links twice with S bytes).\n\n");
            bool exchanges = run.LowerBounds.Any(l => l.Value.ExchangesPerMap is not null);
            var lbHeader = new List<string> { "layer" };
            if (exchanges) lbHeader.Add("exchanges per map");
            lbHeader.AddRange(["measured sync B/unit", "minimum B/unit", "ratio", "measured byte-hops", "minimum byte-hops", "ratio"]);
            sb.Append(Markdown.Table(lbHeader, "l", run.LowerBounds.Select(kv => (IReadOnlyList<string>)
            [
                kv.Key, .. exchanges ? [Markdown.Num(kv.Value.ExchangesPerMap)] : Array.Empty<string>(),
                Markdown.Num(kv.Value.MeasuredSyncBytesPerUnit), Markdown.Num(kv.Value.MinSyncBytesPerUnit), Markdown.Ratio(kv.Value.BytesRatio),
                Markdown.Num(kv.Value.MeasuredByteHops), Markdown.Num(kv.Value.MinByteHops), Markdown.Ratio(kv.Value.ByteHopsRatio),
            ]))).Append('\n');
        }

        DeviceSection.Append(sb, run);

        // Consensus
        if (consensusPlot)
        {
            var zeros = ep.SelectMany(e => e.Consensus.Values).Any(c => c.Xi2 == 0);
            sb.Append("## Consensus\n\n");
            sb.Append("Ξ² per conv layer after each epoch, on a log scale");
            if (zeros) sb.Append("; Ξ² = 0 (exactly tied kernels) cannot sit on a log axis and is drawn at the tick labelled 0");
            sb.Append(".\n\n");
            sb.Append($"![Consensus per conv layer]({ConsensusPng})\n\n");
        }
        sb.Append("Files: `config.json` (options), `metrics.csv` (per epoch, layer and category), `summary.json` (this report's source).\n");
        return sb.ToString();
    }
}
