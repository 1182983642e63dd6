using System.Globalization;
using System.Text;
using System.Text.Json;
using NodeMesh.Cli.Reports;
using NodeMesh.Core.Fabric;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Cli.Commands;

/// <summary><c>nodemesh project</c>: the projected time of a training step and of an epoch (<see cref="FabricLatency"/>).</summary>
public static partial class ProjectCommand
{
    /// <summary>The step time of every projection, in the same order (the column layout that <c>project</c> uses).</summary>
    public static IReadOnlyList<StepTime> StepTimes(Setup s, IReadOnlyList<Projection> ps) =>
        ps.Select(p => FabricLatency.Step(new FabricLayout(s.Plan, p.Fabric), p.Strategy, s.Batch, s.Latency, s.Writes)).ToArray();

    /// <summary>The step-time section of project.md: one table per cast.</summary>
    public static string RenderTimes(Setup s, IReadOnlyList<Projection> ps, IReadOnlyList<StepTime> times)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("## Time per step and per epoch\n\n");
        sb.Append(inv, $"Batch {s.Batch}, epoch of {Markdown.Count(s.Samples)} samples, device writes of {s.Device}");
        sb.Append(s.Writes.Pulsed ? $" ({s.Writes.UpdateSlots} pulse slots per update)" : " (none)");
        sb.Append(inv, $"; latency model: {string.Join(", ", LatencyFields(s.Latency))} (docs/latency.md). ");
        sb.Append("Step = the mean over a tying period of F steps; tying = what the exchanges add to it.\n\n");
        foreach (var group in ps.Select((p, i) => (p, t: times[i])).GroupBy(x => Cast(x.p)))
        {
            sb.Append(inv, $"### Time, {group.Key}\n\n");
            double none = group.FirstOrDefault(x => x.p.Strategy.Kind == StrategyKind.None).t?.MeanStepNs ?? double.NaN;
            sb.Append(Markdown.Table(
                ["strategy", "forward wave", "backward wave", "device writes", "tying", "step", "÷ none", "per sample", "per epoch"], "l",
                group.Select(x => (IReadOnlyList<string>)
                [
                    Name(x.p), Markdown.Duration(x.t.ForwardNs), Markdown.Duration(x.t.BackwardNs), Markdown.Duration(x.t.WriteNs),
                    Markdown.Duration(x.t.TyingNs), Markdown.Duration(x.t.MeanStepNs),
                    double.IsNaN(none) ? "–" : Markdown.Ratio(x.t.MeanStepNs / none), Markdown.Duration(x.t.PerSampleNs),
                    Markdown.Duration(x.t.EpochSeconds(s.Samples) * 1e9),
                ])));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    private static IEnumerable<string> LatencyFields(LatencyModel m)
    {
        using var doc = JsonDocument.Parse(m.ToJson());
        return doc.RootElement.EnumerateObject().Select(p => $"{p.Name} {p.Value.GetRawText()}").ToList();
    }

    /// <summary>A projection's "step_time" object of project.json, ns and seconds.</summary>
    private static void StepTimeJson(Utf8JsonWriter w, StepTime t, long samples)
    {
        w.WriteStartObject("step_time");
        w.WriteNumber("forward_ns", t.ForwardNs);
        w.WriteNumber("backward_ns", t.BackwardNs);
        w.WriteNumber("device_writes_ns", t.WriteNs);
        w.WriteNumber("tying_ns", t.TyingNs);
        w.WriteNumber("step_ns", t.MeanStepNs);
        w.WriteNumber("per_sample_ns", t.PerSampleNs);
        w.WriteNumber("epoch_seconds", t.EpochSeconds(samples));
        w.WriteEndObject();
    }

    /// <summary>project-time.png: hours per epoch by strategy, one bar per cast.</summary>
    private static void PlotTimes(string path, Setup s, IReadOnlyList<Projection> ps, IReadOnlyList<StepTime> times)
    {
        var names = ps.Select(Name).Distinct().ToList();
        var series = ps.Select((p, i) => (p, t: times[i])).GroupBy(x => Cast(x.p))
            .Select(g => new BarSeries(g.Key, names.Select(n => g.First(x => Name(x.p) == n).t.EpochSeconds(s.Samples) / 3600).ToArray())).ToList();
        // Two lines per strategy label (allreduce / star-every1) so that neighbours do not overlap.
        var labels = names.Select(n => n.IndexOf('-', StringComparison.Ordinal) is int dash and > 0 ? n[..dash] + "\n" + n[(dash + 1)..] : n).ToList();
        Plots.Bars(path, $"Projected time per epoch of {Markdown.Count(s.Samples)} samples ({s.Input}, batch {s.Batch})", "hours per epoch", labels, series);
    }
}
