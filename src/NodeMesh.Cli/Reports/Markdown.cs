using System.Globalization;
using System.Text;

namespace NodeMesh.Cli.Reports;

/// <summary>Number formats and table building for the Markdown reports (invariant culture throughout).</summary>
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
        if (a >= 10_000) return v.ToString("N0", Inv);
        if (a >= 0.001) return v.ToString("G4", Inv);
        return v.ToString("0.###E+0", Inv);
    }

    public static string Num(double? v) => v is { } x ? Num(x) : "–";

    /// <summary>A ratio such as 1.23×.</summary>
    public static string Ratio(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("0.###", Inv) + "×" : Num(v);

    /// <summary>A fraction as a percentage with two decimals: 84.25%.</summary>
    public static string Percent(double v) => double.IsFinite(v) ? (v * 100).ToString("0.00", Inv) + "%" : Num(v);

    public static string Fixed(double v, int digits) => double.IsFinite(v) ? v.ToString("F" + digits.ToString(Inv), Inv) : Num(v);

    /// <summary>"device_writes" → "device writes".</summary>
    public static string Words(string key) => key.Replace('_', ' ');
}
