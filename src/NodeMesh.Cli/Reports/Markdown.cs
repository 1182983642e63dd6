using System.Globalization;
using System.Text;

namespace NodeMesh.Cli.Reports;

/// <summary>
/// Number formats and table building for the Markdown reports and the console (invariant culture
/// throughout). One unit convention everywhere: bytes and byte-hops in decimal SI (1 kB = 1000 B,
/// MB, GB, TB, as the README uses), energy in µJ per training sample (summary.json keeps pJ),
/// thousands separators from 1,000 up.
/// </summary>
public static class Markdown
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A Markdown table: header cells, alignment per column ('l' or 'r'), rows.</summary>
    public static string Table(IReadOnlyList<string> header, string align, IEnumerable<IReadOnlyList<string>> rows)
    {
        var sb = new StringBuilder();
        sb.Append("| ").Append(string.Join(" | ", header.Select(Cell))).Append(" |\n|");
        for (int i = 0; i < header.Count; i++) sb.Append(i < align.Length && align[i] == 'l' ? "---|" : "---:|");
        sb.Append('\n');
        foreach (var r in rows) sb.Append("| ").Append(string.Join(" | ", r.Select(Cell))).Append(" |\n");
        return sb.ToString();
    }

    /// <summary>Escapes the characters that would break a table cell.</summary>
    public static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    /// <summary>A whole number with thousands separators (1,234,567); "n/a" for NaN.</summary>
    public static string Count(double v) => double.IsFinite(v) ? Math.Round(v).ToString("N0", Inv) : Num(v);

    /// <summary>A number with 4 significant digits, thousands-separated when large; inf and n/a spelled out.</summary>
    public static string Num(double v)
    {
        if (double.IsNaN(v)) return "n/a";
        if (double.IsPositiveInfinity(v)) return "inf";
        if (double.IsNegativeInfinity(v)) return "-inf";
        if (v == 0) return "0";
        double a = Math.Abs(v);
        if (a >= 1_000) return v.ToString("N0", Inv);
        if (a >= 0.001) return v.ToString("G4", Inv);
        return v.ToString("0.###E+0", Inv);
    }

    public static string Num(double? v) => v is { } x ? Num(x) : "–";

    /// <summary>A ratio such as 1.23×.</summary>
    public static string Ratio(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("0.###", Inv) + "×" : Num(v);

    /// <summary>A fraction as a percentage with two decimals: 84.25%.</summary>
    public static string Percent(double v) => double.IsFinite(v) ? (v * 100).ToString("0.00", Inv) + "%" : Num(v);

    public static string Fixed(double v, int digits) => double.IsFinite(v) ? v.ToString("F" + digits.ToString(Inv), Inv) : Num(v);

    /// <summary>The unit energy is shown in, on the console, in report.md, compare.md and the plots' axes.</summary>
    public const string EnergyUnit = "µJ";

    /// <summary>pJ (as summary.json records energy) in <see cref="EnergyUnit"/>.</summary>
    public static double Microjoules(double pj) => pj / 1e6;

    /// <summary>An energy given in pJ, shown as a number in µJ (4 significant digits): 1,750,000 pJ → "1.75".</summary>
    public static string EnergyValue(double? pj) => pj is { } x ? Num(Microjoules(x)) : "–";

    /// <summary>An energy given in pJ with its unit: "1.75 µJ".</summary>
    public static string Energy(double pj) => $"{EnergyValue(pj)} {EnergyUnit}";

    /// <summary>
    /// Bytes in decimal SI: below 1 kB the exact count ("999 B"), above it three significant
    /// digits with kB, MB, GB, TB (1 kB = 1000 B): 1,234,567 → "1.23 MB".
    /// </summary>
    public static string Bytes(double n)
    {
        if (!double.IsFinite(n)) return Num(n);
        double a = Math.Abs(n);
        if (a < 999.5) return Math.Round(n).ToString("0", Inv) + " B";
        string[] units = ["kB", "MB", "GB", "TB", "PB"];
        int k = 0;
        double v = n / 1e3;
        // Rounding to three significant digits can carry into the next unit (999,999 B → 1.00 MB).
        while (k < units.Length - 1 && Math.Abs(v) >= 999.5) { v /= 1e3; k++; }
        double av = Math.Abs(v);
        string f = av < 9.995 ? "0.00" : av < 99.95 ? "0.0" : "0";
        return v.ToString(f, Inv) + " " + units[k];
    }

    /// <summary>Byte-hops in the same decimal SI: "1.23 MB-hops".</summary>
    public static string ByteHops(double n) => Bytes(n) + "-hops";

    /// <summary>"device_writes" → "device writes".</summary>
    public static string Words(string key) => key.Replace('_', ' ');

    /// <summary>
    /// A duration given in ns, four significant digits in ns, µs, ms or s, and above an hour in
    /// hours or days: 1,234,567 ns → "1.235 ms".
    /// </summary>
    public static string Duration(double ns)
    {
        if (!double.IsFinite(ns)) return Num(ns);
        double a = Math.Abs(ns);
        if (a < 1e3) return Num(ns) + " ns";
        if (a < 1e6) return Num(ns / 1e3) + " µs";
        if (a < 1e9) return Num(ns / 1e6) + " ms";
        double s = ns / 1e9;
        if (Math.Abs(s) < 3600) return Num(s) + " s";
        if (Math.Abs(s) < 86400 * 2) return Num(s / 3600) + " h";
        return Num(s / 86400) + " days";
    }
}
