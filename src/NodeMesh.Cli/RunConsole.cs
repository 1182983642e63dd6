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
    public static string EpochLine(EpochRecord e, EnergyPerSample en) =>
        StaticEpochLine(e) + $"\n  fabric: {HumanBytes((long)(e.Trained.Ledger.TotalByteHops(TrafficCategory.Sync) / Math.Max(1.0, e.Trained.Samples)))}-hops sync per sample; energy per sample {en.Total / 1e6:F2} µJ (compute {en.Compute / 1e6:F2}, transport {(en.ActivationTransport + en.ErrorTransport) / 1e6:F2}, sync {en.SyncTransport / 1e6:F3})";

    /// <summary>The epoch's learning, logical traffic by category, delivered actor messages and consensus.</summary>
    public static string StaticEpochLine(EpochRecord e)
    {
        var l = e.Trained.Ledger;
        string traffic = string.Join("  ", Enum.GetValues<TrafficCategory>().Select(c => $"{CategoryTraffic.NameOf(c)} {Human(l.TotalMessages(c))} msg/{HumanBytes(l.TotalBytes(c))}"));
        string cons = string.Join(" ", e.Consensus.Select(c => $"{c.Layer} Ξ²={F4(c.ConsensusDistance)} snr={(double.IsPositiveInfinity(c.SignalToNoise) ? "inf" : F4(c.SignalToNoise))}"));
        return $"epoch {e.Epoch}: train loss {e.Trained.Loss:F4} acc {e.Trained.Accuracy:P2} | test loss {e.Test.Loss:F4} acc {e.Test.Accuracy:P2} | {e.TrainSeconds:F1} s ({e.SamplesPerSecond:F0} samples/s)\n"
             + $"  traffic: {traffic}\n  actor messages delivered: {Human(Enum.GetValues<TrafficCategory>().Sum(c => l.TotalDelivered(c)))}" + (cons.Length > 0 ? $"\n  consensus: {cons}" : "");
    }

    /// <summary>The closing Markdown table: one row per epoch with learning and traffic.</summary>
    public static string SummaryTable(TrainOptions options, NetworkPlan plan, IEnumerable<EpochRecord> epochs)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Summary ({options.Strategy.Describe()}, {plan.Arch})");
        sb.AppendLine("| epoch | train loss | test acc | samples/s | activation B | error B | sync msgs | sync B | sync B/sample |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var e in epochs)
        {
            var l = e.Trained.Ledger;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {e.Epoch} | {e.Trained.Loss:F4} | {e.Test.Accuracy:P2} | {e.SamplesPerSecond:F0} | {HumanBytes(l.TotalBytes(TrafficCategory.Activation))} | {HumanBytes(l.TotalBytes(TrafficCategory.Error))} | {Human(l.TotalMessages(TrafficCategory.Sync))} | {HumanBytes(l.TotalBytes(TrafficCategory.Sync))} | {(double)l.TotalBytes(TrafficCategory.Sync) / Math.Max(1, e.Trained.Samples):F0} |");
        }
        return sb.ToString();
    }

    private static string F4(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>A count with a k/M/G suffix from 10,000 up.</summary>
    public static string Human(long n) => n switch
    {
        >= 1_000_000_000 => $"{n / 1e9:F2}G",
        >= 1_000_000 => $"{n / 1e6:F2}M",
        >= 10_000 => $"{n / 1e3:F1}k",
        _ => n.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Bytes in B, KiB, MiB or GiB.</summary>
    public static string HumanBytes(long n) => n switch
    {
        >= 1L << 30 => $"{n / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{n / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{n / 1024.0:F1} KiB",
        _ => $"{n} B",
    };
}
