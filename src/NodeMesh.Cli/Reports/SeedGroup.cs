using System.Globalization;
using System.Text.RegularExpressions;

namespace NodeMesh.Cli.Reports;

/// <summary>
/// A figure over the runs of a <see cref="SeedGroup"/>: the mean, the sample standard deviation
/// (n − 1 in the denominator; null for one run) and n. <see cref="Constant"/> when every run gave
/// the same value (a deterministic count), which is then shown once, without ± 0.
/// </summary>
public readonly record struct SeedStat(double Mean, double? Std, int N, bool Constant)
{
    /// <summary>The statistic of <paramref name="values"/> (all finite or not, as recorded).</summary>
    public static SeedStat Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return new SeedStat(double.NaN, null, 0, true);
        double mean = values.Average();
        bool constant = values.All(v => v.Equals(values[0]));
        if (values.Count == 1) return new SeedStat(values[0], null, 1, true);
        double ss = values.Sum(v => (v - mean) * (v - mean));
        return new SeedStat(constant ? values[0] : mean, constant ? 0 : Math.Sqrt(ss / (values.Count - 1)), values.Count, constant);
    }

    /// <summary>
    /// "mean ± std" in the given format; the single value when the runs agree, when there is one,
    /// or when they differ by less than the format shows (mean − std and mean + std print alike);
    /// <paramref name="unit"/> follows the last number once.
    /// </summary>
    public string Show(Func<double, string> format, string unit = "") =>
        Constant || Std is not { } std || format(Mean - std) == format(Mean + std) ? format(Mean) + unit : $"{format(Mean)} ± {format(std)}{unit}";

    /// <summary>A percentage "84.25 ± 0.31%" (the unit once, after the deviation), as <see cref="Show"/> decides.</summary>
    public string ShowPercent() => double.IsFinite(Mean)
        ? Show(v => (v * 100).ToString("0.00", CultureInfo.InvariantCulture), "%")
        : Markdown.Percent(Mean);
}

/// <summary>
/// Runs that differ only by their seed (every other recorded option, as <see cref="ConfigDiff"/>
/// reads config.json, is equal): the repetitions of one setting, which the comparison shows as one
/// row with mean ± sample standard deviation. A run whose options no other run shares is a group of one.
/// </summary>
public sealed partial class SeedGroup
{
    private SeedGroup(IReadOnlyList<RunData> runs)
    {
        Runs = runs;
        var stripped = runs.Select(r => SeedSuffix().Replace(r.Name, "")).Distinct(StringComparer.Ordinal).ToList();
        Name = runs.Count == 1 ? runs[0].Name : string.Join(" / ", stripped);
    }

    /// <summary>The runs, in the order they were given.</summary>
    public IReadOnlyList<RunData> Runs { get; }

    /// <summary>The runs' common name without the "-seedN" of sweep folders (one run: its own name).</summary>
    public string Name { get; }

    /// <summary>Runs in the group.</summary>
    public int N => Runs.Count;

    /// <summary>The first run that did not diverge (else the first), for what all runs share (setting, options, baseline).</summary>
    public RunData First => Runs.FirstOrDefault(r => !r.Diverged) ?? Runs[0];

    /// <summary>The seeds of the runs, in order.</summary>
    public IReadOnlyList<int> Seeds => Runs.Select(r => r.Config.Seed).ToList();

    /// <summary>Runs whose training diverged: counted in <see cref="N"/>, left out of every <see cref="Stat"/>.</summary>
    public int DivergedCount => Runs.Count(r => r.Diverged);

    /// <summary>The statistic of a figure over the runs that did not diverge and recorded it (null: none did).</summary>
    public SeedStat? Stat(Func<RunData, double?> figure)
    {
        var values = Runs.Where(r => !r.Diverged).Select(figure).OfType<double>().ToList();
        return values.Count == 0 ? null : SeedStat.Of(values);
    }

    /// <summary>Test accuracy after epoch <paramref name="epoch"/> (1-based), over the runs that trained that far.</summary>
    public SeedStat? AccuracyAfter(int epoch) => Stat(r => r.Epochs.Count >= epoch ? r.Epochs[epoch - 1].TestAccuracy : null);

    /// <summary>
    /// Groups <paramref name="runs"/> by every recorded option except the seed, in the order of
    /// each group's first run.
    /// </summary>
    public static IReadOnlyList<SeedGroup> Of(IReadOnlyList<RunData> runs)
    {
        string seed = Records.RunJson.NameOf(nameof(Records.RunConfig.Seed));
        string Key(RunData r) => string.Join("\n", ConfigDiff.Options(r).Where(o => o.Key != seed).Select(o => $"{o.Key}={o.Value}"));
        return runs.GroupBy(Key, StringComparer.Ordinal).Select(g => new SeedGroup(g.ToList())).ToList();
    }

    [GeneratedRegex(@"-seed-?\d+$")]
    private static partial Regex SeedSuffix();
}
