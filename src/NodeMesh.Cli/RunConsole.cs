using System.Globalization;
using System.Text;
using NodeMesh.Cli.Records;
using NodeMesh.Core.Fabric;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Training;

namespace NodeMesh.Cli;

/// <summary>What <c>train</c> prints: a few lines per epoch, the closing table, and the short number formats they share with the reports.</summary>
public static class RunConsole
{
    /// <summary>The epoch's learning, traffic and consensus, then its fabric sync byte-hops and energy per sample.</summary>
    /// <remarks><paramref name="costOnly"/>: a synthetic-data run, whose accuracy is shown as n/a.</remarks>
    public static string EpochLine(EpochRecord e, EnergyPerSample en, bool costOnly = false) =>
        StaticEpochLine(e, costOnly) + string.Create(CultureInfo.InvariantCulture, $"\n  fabric: {HumanBytes((long)(e.Trained.Ledger.TotalByteHops(TrafficCategory.Sync) / Math.Max(1.0, e.Trained.Samples)))}-hops sync per sample; energy per sample {HumanEnergy(en.Total)} (compute {HumanEnergy(en.Compute)}, transport {HumanEnergy(en.ActivationTransport + en.ErrorTransport)}, sync {HumanEnergy(en.SyncTransport)})");

    /// <summary>The epoch's learning, logical traffic by category, delivered actor messages and consensus.</summary>
    public static string StaticEpochLine(EpochRecord e, bool costOnly = false)
    {
        string Acc(double v) => costOnly ? "n/a" : Reports.Markdown.Percent(v);
        var l = e.Trained.Ledger;
        string traffic = string.Join("  ", Enum.GetValues<TrafficCategory>().Select(c => $"{CategoryTraffic.NameOf(c)} {Human(l.TotalMessages(c))} msg/{HumanBytes(l.TotalBytes(c))}"));
        string cons = string.Join(" ", e.Consensus.Select(c => $"{c.Layer} Ξ²={F4(c.ConsensusDistance)} snr={(double.IsPositiveInfinity(c.SignalToNoise) ? "inf" : F4(c.SignalToNoise))}"));
        string consLine = cons.Length > 0 ? "\n  consensus: " + cons : "";
        return string.Create(CultureInfo.InvariantCulture, $"epoch {e.Epoch}: train loss {e.Trained.Loss:F4} acc {Acc(e.Trained.Accuracy)} | test loss {e.Test.Loss:F4} acc {Acc(e.Test.Accuracy)} | {e.TrainSeconds:F1} s ({e.SamplesPerSecond:N0} samples/s)\n"
             + $"  traffic: {traffic}\n  actor messages delivered: {Human(Enum.GetValues<TrafficCategory>().Sum(c => l.TotalDelivered(c)))}{consLine}");
    }

    /// <summary>The closing Markdown table: one row per epoch with learning and traffic.</summary>
    public static string SummaryTable(TrainOptions options, NetworkPlan plan, IEnumerable<EpochRecord> epochs, bool costOnly = false)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Summary ({options.Strategy.Describe()}, {plan.Arch})");
        sb.AppendLine("| epoch | train loss | test acc | samples/s | activation bytes | error bytes | sync msgs | sync bytes | sync bytes/sample |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var e in epochs)
        {
            var l = e.Trained.Ledger;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {e.Epoch} | {e.Trained.Loss:F4} | {(costOnly ? "n/a" : Reports.Markdown.Percent(e.Test.Accuracy))} | {e.SamplesPerSecond:N0} | {HumanBytes(l.TotalBytes(TrafficCategory.Activation))} | {HumanBytes(l.TotalBytes(TrafficCategory.Error))} | {Human(l.TotalMessages(TrafficCategory.Sync))} | {HumanBytes(l.TotalBytes(TrafficCategory.Sync))} | {HumanBytes((long)Math.Round((double)l.TotalBytes(TrafficCategory.Sync) / Math.Max(1, e.Trained.Samples)))} |");
        }
        return sb.ToString();
    }

    /// <summary>The end-of-run line with the projected step time on the fabric (docs/latency.md).</summary>
    public static string StepTimeLine(StepTime t, long epochSamples) =>
        $"projected on the fabric: {Reports.Markdown.Duration(t.MeanStepNs)} per step of {t.Batch} ({Reports.Markdown.Duration(t.PerSampleNs)} per sample, "
        + $"tying {Reports.Markdown.Duration(t.TyingNs)}), {Reports.Markdown.Duration(t.EpochSeconds(epochSamples) * 1e9)} per epoch of {Reports.Markdown.Count(epochSamples)} samples (docs/latency.md)";

    private static string F4(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>A count with a decimal k/M/G suffix from 10,000 up (1 k = 1000).</summary>
    public static string Human(long n) => n switch
    {
        >= 1_000_000_000 => (n / 1e9).ToString("F2", CultureInfo.InvariantCulture) + "G",
        >= 1_000_000 => (n / 1e6).ToString("F2", CultureInfo.InvariantCulture) + "M",
        >= 10_000 => (n / 1e3).ToString("F1", CultureInfo.InvariantCulture) + "k",
        _ => n.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Bytes in decimal SI (B, kB, MB, GB; 1 kB = 1000 B), as in the reports: <see cref="Reports.Markdown.Bytes"/>.</summary>
    public static string HumanBytes(long n) => Reports.Markdown.Bytes(n);

    /// <summary>Energy per sample given in pJ, in µJ as in the reports: <see cref="Reports.Markdown.Energy"/>.</summary>
    public static string HumanEnergy(double pj) => Reports.Markdown.Energy(pj);
}
