using System.Globalization;
using System.Text;
using NodeMesh.Cli.Records;

namespace NodeMesh.Cli.Reports;

/// <summary>
/// Compares finished runs: <c>compare.md</c> (one table), <c>compare.csv</c> and the trade-off
/// plots: test accuracy against sync bytes (tradeoff_bytes.png), sync byte-hops
/// (tradeoff_bytehops.png) and total energy (tradeoff_energy.png) per training sample, and the
/// energy breakdown per run (energy_breakdown.png). Plots whose quantity no run recorded are skipped.
/// Cluster runs add the bytes that crossed between their members per training sample (all, and
/// sync alone) and the wire/payload overhead; local runs leave those cells blank. Every option in
/// which the runs differ (<see cref="ConfigDiff"/>) gets a column of its own, named as in
/// config.json; compare.csv appends those columns after <see cref="CsvHeader"/>. Energy is in µJ
/// per sample in compare.md and the plots (compare.csv keeps pJ, as its column names say).
/// Runs that differ only by seed (<see cref="SeedGroup"/>) are one row of compare.md and one point
/// of each plot: mean ± sample standard deviation over the seeds, with n, error bars on accuracy;
/// compare.csv keeps one row per run and adds the group's mean, std and n. When runs trained more
/// than one epoch, compare.md shows the accuracy after the first epoch beside the last.
/// </summary>
public static class Comparison
{
    public const string MarkdownFile = "compare.md";
    public const string CsvFile = "compare.csv";
    public const string BytesPng = "tradeoff_bytes.png";
    public const string ByteHopsPng = "tradeoff_bytehops.png";
    public const string EnergyPng = "tradeoff_energy.png";
    public const string BreakdownPng = "energy_breakdown.png";

    public const string CsvHeader = "run,path,strategy,topology,every,epochs,test_accuracy,final_train_loss,sync_bytes_per_sample,sync_byte_hops_per_sample,energy_pj_per_sample,baseline_energy_pj_per_sample,"
        + "cluster_wire_bytes_per_sample,cluster_sync_wire_bytes_per_sample,cluster_wire_overhead,"
        + "test_accuracy_epoch1,group,n,test_accuracy_mean,test_accuracy_std,test_accuracy_epoch1_mean,test_accuracy_epoch1_std,final_train_loss_mean,final_train_loss_std,"
        + "sync_bytes_per_sample_mean,sync_bytes_per_sample_std,sync_byte_hops_per_sample_mean,sync_byte_hops_per_sample_std,energy_pj_per_sample_mean,energy_pj_per_sample_std,"
        + "status,group_diverged";

    /// <summary>Loads every run directory (all errors before any file is written) and gives duplicate names a suffix.</summary>
    public static IReadOnlyList<RunData> Load(IReadOnlyList<string> dirs)
    {
        if (dirs.Count == 0) throw new Core.UserInputException("no run directories given; name one or more directories that hold a summary.json.");
        var runs = dirs.Select(RunData.Load).ToList();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in runs)
        {
            seen[r.Name] = seen.TryGetValue(r.Name, out int n) ? n + 1 : 1;
            if (seen[r.Name] > 1) r.Rename($"{r.Name}#{seen[r.Name]}");
        }
        return runs;
    }

    /// <summary>Writes the comparison of <paramref name="runs"/> into <paramref name="outDir"/>; returns the paths written, compare.md first.</summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<RunData> runs, string outDir)
    {
        try
        {
            Directory.CreateDirectory(outDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Core.UserInputException($"--out {outDir}: cannot create the directory ({e.Message}).");
        }
        var written = new List<string>();
        string P(string file)
        {
            string path = Path.Combine(outDir, file);
            written.Add(path);
            return path;
        }
        string md = P(MarkdownFile);
        string csv = P(CsvFile);

        bool hops = runs.Any(r => r.HasByteHops);
        bool energy = runs.Any(r => r.HasEnergy);
        var baseline = runs.Select(r => BaselineTotal(r)).FirstOrDefault(b => b is not null);
        var groups = SeedGroup.Of(runs);

        // One point per group at the mean of its runs; the error bar is the accuracy's sample std.
        // Groups whose every run diverged have no accuracy to plot.
        static ScatterPoint Point(SeedGroup g, Func<RunData, double?> x)
        {
            var acc = g.Stat(r => r.FinalTestAccuracy)!.Value;
            return new ScatterPoint(g.Name, g.Stat(x)?.Mean ?? 0, acc.Mean, acc.Std);
        }
        var plotted = groups.Where(g => g.Stat(r => r.FinalTestAccuracy) is not null).ToList();
        Plots.LabelledScatter(P(BytesPng), "Test accuracy against sync bytes per training sample", "sync bytes per sample (log)", "test accuracy",
            plotted.Select(g => Point(g, r => r.BytesPerSample("sync"))).ToList());
        if (hops)
            Plots.LabelledScatter(P(ByteHopsPng), "Test accuracy against sync byte-hops per training sample", "sync byte-hops per sample (log)", "test accuracy",
                plotted.Where(g => g.First.HasByteHops).Select(g => Point(g, r => r.ByteHopsPerSample("sync") ?? 0)).ToList());
        if (energy)
        {
            Plots.LabelledScatter(P(EnergyPng), "Test accuracy against energy per training sample", $"total energy, {Markdown.EnergyUnit} per sample (log)", "test accuracy",
                plotted.Where(g => g.First.HasEnergy).Select(g => Point(g, r => Markdown.Microjoules(r.EnergyPerSample ?? 0))).ToList(),
                referenceX: baseline is { } bpj ? Markdown.Microjoules(bpj) : null, referenceLabel: baseline is null ? null : "conventional baseline");
            WriteBreakdown(P(BreakdownPng), plotted);
        }

        File.WriteAllText(csv, Csv(runs));
        File.WriteAllText(md, Render(runs, outDir, hops, energy));
        return written;
    }

    /// <summary>The energy categories of a group, each the mean over its runs, in pJ per sample.</summary>
    private static IReadOnlyList<NamedValue> MeanBreakdown(SeedGroup g)
    {
        var runs = g.Runs.Where(r => r.HasEnergy).ToList();
        return runs.SelectMany(r => r.EnergyBreakdown.Select(x => x.Name)).Distinct()
            .Select(n => new NamedValue(n, runs.Average(r => r.EnergyBreakdown.FirstOrDefault(x => x.Name == n)?.Value ?? 0))).ToList();
    }

    private static void WriteBreakdown(string path, IReadOnlyList<SeedGroup> groups)
    {
        var withEnergy = groups.Where(g => g.First.HasEnergy).ToList();
        var runs = groups.SelectMany(g => g.Runs).ToList();
        var labels = withEnergy.Select(g => g.Name).ToList();
        var rows = withEnergy.Select(MeanBreakdown).ToList();
        // One bar per distinct conventional baseline (normally one: same net, same batch schedule).
        var baselines = runs.Select(r => r.Baseline?.EnergyPjPerSample).OfType<BaselineEnergy>().DistinctBy(b => b.Total).ToList();
        for (int i = 0; i < baselines.Count; i++)
        {
            labels.Add(baselines.Count == 1 ? "conventional baseline" : $"conventional baseline {i + 1}");
            rows.Add(baselines[i].Parts);
        }
        var parts = rows.SelectMany(r => r.Select(x => x.Name)).Distinct().ToList();
        var segments = parts.Select(p => new BarSeries(Markdown.Words(p),
            rows.Select(r => r.FirstOrDefault(x => x.Name == p)?.Value is { } pj ? Markdown.Microjoules(pj) : double.NaN).ToArray())).ToList();
        Plots.StackedBars(path, "Energy per training sample by category", $"{Markdown.EnergyUnit} per sample", labels, segments);
    }

    private static string CsvCell(string s) =>
        s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;

    private static string G(double? v) => v is { } x ? x.ToString("G9", CultureInfo.InvariantCulture) : "";

    private static double? BaselineTotal(RunData r) => r.Baseline?.EnergyPjPerSample?.Total;

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    public static string Csv(IReadOnlyList<RunData> runs)
    {
        // The differing options, but not those the fixed columns already hold.
        var fixedColumns = CsvHeader.Split(',');
        var options = ConfigDiff.Differing(runs).Where(o => !fixedColumns.Contains(o)).ToList();
        var sb = new StringBuilder(CsvHeader);
        foreach (var o in options) sb.Append(',').Append(CsvCell(o));
        sb.Append('\n');
        var groupOf = SeedGroup.Of(runs).SelectMany(g => g.Runs.Select(r => (Run: r, Group: g))).ToDictionary(x => x.Run, x => x.Group);
        static string[] MeanStd(SeedStat? s) => s is { } x ? [G(x.Mean), G(x.Std)] : ["", ""];
        foreach (var r in runs)
        {
            var g = groupOf[r];
            string[] cells =
            [
                r.Name, Path.GetFullPath(r.Dir), r.Strategy, r.Topology ?? "", r.Every.ToString(CultureInfo.InvariantCulture),
                r.Epochs.Count.ToString(CultureInfo.InvariantCulture), G(Finite(r.FinalTestAccuracy)), G(Finite(r.FinalTrainLoss)),
                G(r.BytesPerSample("sync")), G(r.ByteHopsPerSample("sync")), G(r.EnergyPerSample), G(BaselineTotal(r)),
                G(r.ClusterWireBytesPerSample), G(r.ClusterCategoryWireBytesPerSample("sync")), G(r.ClusterOverhead),
                G(r.Epochs.Count > 0 ? r.Epochs[0].TestAccuracy : null), g.Name, g.N.ToString(CultureInfo.InvariantCulture),
                .. MeanStd(g.Stat(x => x.FinalTestAccuracy)), .. MeanStd(g.AccuracyAfter(1)), .. MeanStd(g.Stat(x => x.FinalTrainLoss)),
                .. MeanStd(g.Stat(x => x.BytesPerSample("sync"))), .. MeanStd(g.Stat(x => x.ByteHopsPerSample("sync"))), .. MeanStd(g.Stat(x => x.EnergyPerSample)),
                r.Summary.Status ?? "", g.DivergedCount.ToString(CultureInfo.InvariantCulture),
                .. options.Select(o => ConfigDiff.Value(r, o) is var v && v == "–" ? "" : v),
            ];
            sb.Append(string.Join(',', cells.Select(CsvCell))).Append('\n');
        }
        return sb.ToString();
    }

    private static string Render(IReadOnlyList<RunData> runs, string outDir, bool hops, bool energy)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# NodeMesh comparison of {runs.Count} run(s)\n\n");
        var archs = runs.Select(r => r.Arch).Distinct().ToList();
        var data = runs.Select(r => r.Config.Data).Distinct().ToList();
        var epochs = runs.Where(r => !r.Diverged).DefaultIfEmpty(runs[0]).Select(r => r.Epochs.Count).Distinct().ToList(); // a diverged run stopped early by nature
        var trainSamples = runs.Select(r => r.TrainSamples).Distinct().ToList();
        var testSamples = runs.Select(r => r.TestSamples).Distinct().ToList();
        static string List<T>(IEnumerable<T> xs, Func<T, string> f) => string.Join(", ", xs.Select(f));
        if (archs.Count == 1) sb.Append("Network `").Append(archs[0]).Append("`");
        else sb.Append("Networks differ: ").Append(string.Join(", ", archs.Select(a => $"`{a}`")));
        sb.Append("; data: ").Append(data.Count == 1 ? data[0] : "differs between runs (" + string.Join("; ", data) + ")");
        sb.Append("; training samples used per epoch: ").Append(List(trainSamples, n => Markdown.Count(n)));
        sb.Append("; test samples: ").Append(List(testSamples, n => n is { } t ? Markdown.Count(t) : "not recorded"));
        sb.Append("; epochs: ").Append(List(epochs, e => e.ToString(CultureInfo.InvariantCulture))).Append(".\n\n");
        if (archs.Count > 1 || data.Count > 1 || epochs.Count > 1 || trainSamples.Count > 1 || testSamples.Count > 1)
            sb.Append("**Note:** the runs differ in network, data, samples or epochs; their accuracies are not directly comparable.\n\n");
        string seedKey = RunJson.NameOf(nameof(RunConfig.Seed));
        var differing = ConfigDiff.Columns(runs, ConfigDiff.Differing(runs).Where(o => o is not ("strategy" or "topology" or "every"))).ToList();
        var groups = SeedGroup.Of(runs);
        bool repeated = groups.Any(g => g.N > 1);
        bool perEpoch = runs.Any(r => r.Epochs.Count > 1);
        string full = Path.GetFullPath(outDir);
        string Link(RunData r, string text)
        {
            string report = Path.Combine(r.Dir, ReportWriter.ReportFile);
            return File.Exists(report) ? $"[{text}]({Path.GetRelativePath(full, Path.GetFullPath(report)).Replace('\\', '/')})" : text;
        }
        // The seed column of a group lists its seeds, each linked to its run's report.
        string Cell(SeedGroup g, (string Header, Func<RunData, string> Cell) d) =>
            d.Header == seedKey && g.N > 1 ? string.Join(", ", g.Runs.Select(r => Link(r, d.Cell(r)))) : d.Cell(g.First);
        var epochCounts = epochs;
        string After(int e) => e == 1 ? "after 1 epoch" : $"after {e.ToString(CultureInfo.InvariantCulture)} epochs";

        List<string> header = ["run", "strategy", .. differing.Select(d => d.Header)];
        if (repeated) header.Add("n");
        if (perEpoch) header.AddRange(["test accuracy " + After(1), "test accuracy " + (epochCounts.Count == 1 ? After(epochCounts[0]) : "after the last epoch")]);
        else header.Add("test accuracy");
        header.Add("sync bytes/sample");
        if (hops) header.Add("sync byte-hops/sample");
        if (energy) header.Add($"energy {Markdown.EnergyUnit}/sample");
        bool vsBaseline = energy && runs.Any(r => BaselineTotal(r) is > 0);
        if (vsBaseline) header.Add("energy / baseline");
        bool steps = runs.Any(r => r.Summary.ProjectedStepTime is not null);
        if (steps) header.Add("projected step on the fabric");
        bool devices = runs.Any(r => r.DeviceTotals is not null);
        if (devices) header.AddRange(["clipped update pulses / update pulses", "clipped program pulses / program pulses"]);
        bool cluster = runs.Any(r => r.Cluster is not null);
        if (cluster) header.AddRange(["cluster wire B/sample", "cluster sync wire B/sample", "wire/payload"]);
        static string Show(SeedStat? s, Func<double, string> format) => s?.Show(format) ?? "–";
        static string Percent3(double f) => (100 * f).ToString("0.000", CultureInfo.InvariantCulture) + " %";
        sb.Append(Markdown.Table(header, new string('l', 2 + differing.Count), groups.Select(g =>
        {
            var r = g.First;
            List<string> row =
            [
                g.N == 1 ? Link(r, g.Name) : g.Name, r.Setting, // the strategy grammar's name: kind-topology-everyF
                .. differing.Select(d => Cell(g, d)),
            ];
            if (repeated) row.Add(g.N.ToString(CultureInfo.InvariantCulture) + (g.DivergedCount > 0 ? $" ({g.DivergedCount.ToString(CultureInfo.InvariantCulture)} diverged)" : ""));
            bool costOnly = g.Runs.Any(x => x.CostOnly);
            string none = g.DivergedCount == g.N ? "diverged" : "–";
            if (perEpoch) row.Add(costOnly ? "n/a" : g.AccuracyAfter(1)?.ShowPercent() ?? none);
            row.Add(costOnly ? "n/a" : g.Stat(x => x.FinalTestAccuracy)?.ShowPercent() ?? none);
            row.Add(Show(g.Stat(x => x.BytesPerSample("sync")), Markdown.Bytes));
            if (hops) row.Add(Show(g.Stat(x => x.ByteHopsPerSample("sync")), Markdown.ByteHops));
            if (energy) row.Add(Show(g.Stat(x => x.EnergyPerSample), v => Markdown.EnergyValue(v)));
            if (vsBaseline) row.Add(Show(g.Stat(x => x.EnergyPerSample is { } e && BaselineTotal(x) is > 0 and var b ? e / b : null), v => Markdown.Ratio(v)));
            if (steps) row.Add(Show(g.Stat(x => x.Summary.ProjectedStepTime?.StepNs), Markdown.Duration));
            if (devices)
                row.AddRange(g.N == 1
                    ? (r.DeviceTotals is { } d
                        ? [DeviceSection.Fraction(d.ClippedUpdatePulses, d.ClippedUpdateFraction), DeviceSection.Fraction(d.ClippedProgramPulses, d.ClippedProgramFraction)]
                        : ["–", "–"])
                    : [Show(g.Stat(x => x.DeviceTotals?.ClippedUpdateFraction), Percent3), Show(g.Stat(x => x.DeviceTotals?.ClippedProgramFraction), Percent3)]);
            if (cluster)
                row.AddRange(r.Cluster is null ? ["", "", ""]
                    : [Show(g.Stat(x => x.ClusterWireBytesPerSample), Markdown.Bytes), Show(g.Stat(x => x.ClusterCategoryWireBytesPerSample("sync")), Markdown.Bytes),
                       Show(g.Stat(x => x.ClusterOverhead), v => Markdown.Ratio(v))]);
            return (IReadOnlyList<string>)row;
        }))).Append('\n');
        sb.Append("Per-sample quantities are over all epochs of a run divided by its training samples; the accuracy is the last epoch's")
          .Append(perEpoch ? ", and after the first epoch of the same runs. " : ". ")
          .Append("Bytes in decimal SI (1 kB = 1000 B); energy in µJ per training sample.");
        if (repeated)
            sb.Append(" Runs that differ only by seed are one row: mean ± sample standard deviation (n − 1 in the denominator) over its n runs; ")
              .Append("a figure that every run of the row gave alike (a deterministic count), or that varies by less than the digits shown, is shown once (compare.csv has every run's value and the exact std).");
        var diverged = runs.Where(r => r.Diverged).ToList();
        if (diverged.Count > 0)
            sb.Append(" Diverged runs (the training loss became non-finite; each summary.json says when) count in n but in no mean, std or plot: ")
              .Append(string.Join(", ", diverged.Select(r => Link(r, r.Name)))).Append('.');
        if (differing.Count > 0)
            sb.Append(" Columns ").Append(string.Join(", ", differing.Select(d => $"`{d.Header}`"))).Append(" are the options (config.json names) in which the runs differ.");
        if (devices)
            sb.Append(" Clipped columns (runs on devices, all layers, cumulative to the last epoch): the share of update pulses and of program-and-verify pulses ")
              .Append("whose step would have crossed a device's bound, each over its own pulses, with the count; '–' for the ideal store, without pulses of that kind, ")
              .Append("or in a summary written before the two were counted apart.");
        if (cluster)
            sb.Append(" Cluster columns (blank for local runs): bytes on the wire between the members during training, NodeMesh messages and Akka housekeeping, ")
              .Append("and the sync messages alone; wire/payload of the NodeMesh messages.");
        sb.Append("\n\n");

        var baselines = runs.Where(r => r.Baseline is not null).GroupBy(r => (r.Baseline!.DramBytesPerSample, r.Baseline.SramBytesPerSample, BaselineTotal(r))).ToList();
        foreach (var g in baselines)
        {
            var b = g.First().Baseline!;
            sb.Append("Conventional baseline (one shared kernel per map in DRAM/SRAM, moved to the processor")
              .Append(baselines.Count > 1 ? $"; runs {string.Join(", ", g.Select(r => r.Name))}" : "").Append("): ");
            var parts = new List<string>();
            if (b.DramBytesPerSample is { } d) parts.Add($"{Markdown.Bytes(d)} DRAM");
            if (b.SramBytesPerSample is { } s) parts.Add($"{Markdown.Bytes(s)} SRAM");
            if (b.EnergyPjPerSample?.Total is { } t) parts.Add(Markdown.Energy(t));
            sb.Append(string.Join(", ", parts)).Append(" per training sample.\n\n");
        }

        string ZeroNote(Func<RunData, double?> x, string what)
        {
            var zero = groups.Where(g => g.Stat(x) is { Mean: <= 0 }).Select(g => g.Name).ToList();
            return zero.Count == 0 ? "" : $" Runs with no {what} ({string.Join(", ", zero)}) cannot sit on the log axis: they are drawn at the tick labelled 0.";
        }
        sb.Append("## Accuracy against sync bytes\n\n");
        sb.Append("Test accuracy against the sync (weight-tying) payload bytes per training sample, log x.")
          .Append(repeated ? " Runs that differ only by seed are one point at their mean; the error bar is ± one sample standard deviation of the accuracy." : "")
          .Append(ZeroNote(r => r.BytesPerSample("sync"), "sync traffic")).Append("\n\n");
        sb.Append($"![Accuracy against sync bytes per sample]({BytesPng})\n\n");
        if (hops)
        {
            sb.Append("## Accuracy against sync byte-hops\n\n");
            sb.Append("Test accuracy against sync bytes × hops per training sample on the emulated fabric, log x.")
              .Append(ZeroNote(r => r.ByteHopsPerSample("sync"), "sync byte-hops")).Append("\n\n");
            sb.Append($"![Accuracy against sync byte-hops per sample]({ByteHopsPng})\n\n");
        }
        if (energy)
        {
            sb.Append("## Accuracy against energy\n\n");
            sb.Append("Test accuracy against total energy in µJ per training sample, log x")
              .Append(runs.Any(r => BaselineTotal(r) is not null) ? "; the dashed line is the conventional baseline" : "").Append('.')
              .Append(ZeroNote(r => r.EnergyPerSample, "energy")).Append("\n\n");
            sb.Append($"![Accuracy against energy per sample]({EnergyPng})\n\n");
            sb.Append("## Energy breakdown\n\n");
            var withEnergy = groups.Where(g => g.First.HasEnergy).ToList();
            var breakdowns = withEnergy.Select(MeanBreakdown).ToList();
            var names = breakdowns.SelectMany(b => b.Select(x => x.Name)).Distinct().ToList();
            sb.Append(Markdown.Table(["run", .. names.Select(Markdown.Words), "total"], "l", withEnergy.Select((g, i) => (IReadOnlyList<string>)
            [
                g.Name, .. names.Select(n => Markdown.EnergyValue(breakdowns[i].FirstOrDefault(x => x.Name == n)?.Value)), Markdown.EnergyValue(g.Stat(x => x.EnergyPerSample)?.Mean),
            ]))).Append('\n');
            sb.Append(repeated ? "µJ per training sample, the mean over the runs of a row.\n\n" : "µJ per training sample.\n\n");
            sb.Append($"![Energy per sample by category]({BreakdownPng})\n\n");
        }
        sb.Append("Data: `compare.csv` (one row per run).\n");
        return sb.ToString();
    }
}
