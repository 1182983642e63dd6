using System.Text;
using NodeMesh.Cli.Records;

namespace NodeMesh.Cli.Reports;

/// <summary>
/// The "Device activity" section of report.md for a run on non-ideal devices: the device
/// parameters (config.json's <c>device_parameters</c>) and, per layer and over all layers, the
/// activity summary.json records cumulatively since training started (pulses per weight, the
/// clipped share of update pulses and of program pulses, each over its own pulses, stuck devices,
/// reads) with the write energy those pulses cost per training sample. A summary written before
/// the clipped pulses were split shows '–' in both clipped columns.
/// </summary>
public static class DeviceSection
{
    /// <summary>Whether the run trained on devices (not the ideal float store) and recorded their activity.</summary>
    public static bool Applies(RunData run) =>
        run.Config.Device is { } d && d != "ideal" && run.Epochs.Count > 0 && run.Epochs[^1].Devices is { Count: > 0 };

    /// <summary>Appends the section to <paramref name="sb"/> when <see cref="Applies"/>.</summary>
    public static void Append(StringBuilder sb, RunData run)
    {
        if (!Applies(run)) return;
        var devices = run.Epochs[^1].Devices!;
        double samples = Math.Max(1, run.TotalSamples);
        double? pulsePj = run.Config.EnergyModel?.WritePulsePj;
        sb.Append("## Device activity\n\n");
        sb.Append("Devices `").Append(run.Config.Device).Append("`. Over all ")
          .Append(Markdown.Count(run.TotalSamples)).Append(" training samples of the run (cumulative to the last epoch): ")
          .Append("pulses are programming pulses of SGD updates and of program-to-target writes (weight averaging, gossip); ")
          .Append("clipped update = clipped update pulses / update pulses, clipped program = clipped program pulses / program pulses ")
          .Append("(a pulse is clipped when its step would cross the device's own bound; '–' when there were no pulses of that kind); ")
          .Append("stuck devices do not move; reads = reads the stores counted (one per device per array read: per pass of a batch, tying snapshots, verify and refresh reads)");
        sb.Append(pulsePj is { } p ? $"; write energy = pulses × {Markdown.Num(p)} pJ per pulse (the run's energy model) per training sample, in {Markdown.EnergyUnit}.\n\n" : ".\n\n");
        var header = new List<string> { "layer", "devices", "update pulses", "program pulses", "pulses per weight (mean)", "pulses per weight (max)",
            "clipped update pulses / update pulses", "clipped program pulses / program pulses", "stuck devices", "reads" };
        if (pulsePj is not null) header.Add($"write energy ({Markdown.EnergyUnit} / sample)");
        // "all" last, as a total row below the layers.
        var order = devices.Keys.Where(k => k != "all").Append("all").Where(devices.ContainsKey);
        sb.Append(Markdown.Table(header, "l", order.Select(layer =>
        {
            var d = devices[layer];
            var row = new List<string>
            {
                layer == "all" ? "**all**" : layer, Markdown.Count(d.Devices), Markdown.Count(d.UpdatePulses), Markdown.Count(d.ProgramPulses),
                Markdown.Num(d.PulsesMeanPerDevice), Markdown.Count(d.PulsesMaxPerDevice),
                Fraction(d.ClippedUpdatePulses, d.ClippedUpdateFraction), Fraction(d.ClippedProgramPulses, d.ClippedProgramFraction),
                Markdown.Count(d.StuckDevices), Markdown.Count(d.Reads),
            };
            if (pulsePj is { } pj) row.Add(Markdown.EnergyValue((d.UpdatePulses + d.ProgramPulses) * pj / samples));
            return (IReadOnlyList<string>)row;
        }))).Append('\n');

        var parameters = DeviceJson.Rows(run.Config.DeviceParameters);
        if (parameters.Count > 0)
        {
            sb.Append("Device parameters (config.json `device_parameters`; names as in a `--device` JSON file):\n\n");
            sb.Append(Markdown.Table(["parameter", "value"], "ll", parameters.Select(x => (IReadOnlyList<string>)[x.Name, x.Value]))).Append('\n');
        }
    }

    /// <summary>A clipped share as a percentage with its count, or '–' when not recorded or without pulses of its kind.</summary>
    public static string Fraction(long? clipped, double? fraction) =>
        fraction is { } f && clipped is { } c ? $"{Markdown.Percent(f)} ({Markdown.Count(c)})" : "–";
}
