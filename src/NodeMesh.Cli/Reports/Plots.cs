using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace NodeMesh.Cli.Reports;

/// <summary>One named series of (x, y) points of a line plot.</summary>
public sealed record LineSeries(string Label, IReadOnlyList<double> Xs, IReadOnlyList<double> Ys);

/// <summary>One named series of a bar plot: one value per group (NaN = no bar).</summary>
public sealed record BarSeries(string Label, IReadOnlyList<double> Values);

/// <summary>One labelled point of a scatter plot; <paramref name="YErr"/>, when given, is drawn as an error bar ± YErr.</summary>
public sealed record ScatterPoint(string Label, double X, double Y, double? YErr = null);

/// <summary>
/// A base-10 logarithmic axis drawn on a linear ScottPlot axis: values are plotted as log10(v),
/// ticks are placed by hand at every decade (minor ticks at 2..9 × 10^k). Zero (or negative)
/// values cannot sit on a log axis; when there are any they are drawn one decade below the
/// smallest positive value, at a tick labelled "0".
/// </summary>
public sealed class LogScale
{
    private LogScale(int minExp, int maxExp, bool hasZero)
    {
        MinExp = minExp; MaxExp = maxExp; HasZero = hasZero;
    }

    /// <summary>Decade of the smallest positive value (rounded down).</summary>
    public int MinExp { get; }

    /// <summary>Decade of the largest value (rounded up, at least <see cref="MinExp"/> + 1).</summary>
    public int MaxExp { get; }

    /// <summary>Whether some values were zero (or negative) and are drawn at <see cref="Floor"/>.</summary>
    public bool HasZero { get; }

    /// <summary>Plot coordinate of zero: one decade below <see cref="MinExp"/> when there are zeros.</summary>
    public double Floor => HasZero ? MinExp - 1 : MinExp;

    /// <summary>The value that zero is drawn at, in data units.</summary>
    public double FloorValue => Math.Pow(10, Floor);

    public static LogScale For(IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).ToList();
        var positive = finite.Where(v => v > 0).ToList();
        bool hasZero = finite.Any(v => v <= 0);
        if (positive.Count == 0) return new LogScale(0, 1, hasZero);
        int lo = (int)Math.Floor(Math.Log10(positive.Min()) + 1e-9);
        int hi = (int)Math.Ceiling(Math.Log10(positive.Max()) - 1e-9);
        if (hi <= lo) hi = lo + 1;
        return new LogScale(lo, hi, hasZero);
    }

    /// <summary>Plot coordinate of a value.</summary>
    public double Map(double v) => v > 0 ? Math.Log10(v) : Floor;

    /// <summary>Puts decade ticks on the axis and limits it to the decades used (with a small margin).</summary>
    public void Apply(IAxis axis)
    {
        var ticks = new NumericManual();
        if (HasZero) ticks.AddMajor(Floor, "0");
        for (int e = MinExp; e <= MaxExp; e++)
        {
            ticks.AddMajor(e, Plots.Decade(e));
            if (e < MaxExp)
                for (int k = 2; k <= 9; k++) ticks.AddMinor(e + Math.Log10(k));
        }
        axis.TickGenerator = ticks;
        axis.Min = Floor - 0.1;
        axis.Max = MaxExp + 0.1;
    }
}

/// <summary>Headless PNG plots of run reports and comparisons (ScottPlot 5 on SkiaSharp).</summary>
public static class Plots
{
    /// <summary>Size of every PNG written by the reports, in pixels.</summary>
    public const int Width = 900;

    /// <summary>Size of every PNG written by the reports, in pixels.</summary>
    public const int Height = 560;

    private static readonly ScottPlot.Palettes.Category10 Palette = new();

    public static Color ColorOf(int i) => Palette.GetColor(i);

    /// <summary>Label of 10^e: 0.01, 0.1, 1, 10, 100, 1k, 10k, ..., 1G, ... and 1e-4 below that.</summary>
    public static string Decade(int e) => e switch
    {
        < -3 => $"1e{e}",
        < 0 => Math.Pow(10, e).ToString("0.###", CultureInfo.InvariantCulture),
        < 3 => Math.Pow(10, e).ToString("0", CultureInfo.InvariantCulture),
        < 6 => $"{Math.Pow(10, e - 3):0}k",
        < 9 => $"{Math.Pow(10, e - 6):0}M",
        < 12 => $"{Math.Pow(10, e - 9):0}G",
        < 15 => $"{Math.Pow(10, e - 12):0}T",
        _ => $"1e{e}",
    };

    /// <summary>A short engineering form of a number (decimal prefixes): 3, 12.5, 1.23k, 45.6M, 0.954, 0.0012, 1.2E-5 ...</summary>
    public static string Short(double v)
    {
        if (double.IsNaN(v)) return "n/a";
        if (double.IsPositiveInfinity(v)) return "inf";
        if (v == 0) return "0";
        double a = Math.Abs(v);
        string s = a switch
        {
            >= 1e12 => Three(v / 1e12) + "T",
            >= 1e9 => Three(v / 1e9) + "G",
            >= 1e6 => Three(v / 1e6) + "M",
            >= 1e3 => Three(v / 1e3) + "k",
            >= 1 => v.ToString("0.##", CultureInfo.InvariantCulture),
            >= 0.001 => v.ToString("G3", CultureInfo.InvariantCulture),
            _ => v.ToString("0.###E+0", CultureInfo.InvariantCulture),
        };
        return s;
    }

    // Three significant digits of a mantissa in [1, 1000), trailing zeros dropped: 1.23, 74.2, 312.
    private static string Three(double m) =>
        m.ToString(Math.Abs(m) < 10 ? "0.##" : Math.Abs(m) < 100 ? "0.#" : "0", CultureInfo.InvariantCulture);

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plt = new Plot();
        plt.Title(title);
        plt.XLabel(xLabel);
        plt.YLabel(yLabel);
        return plt;
    }

    private static void Save(Plot plt, string path) => plt.SavePng(path, Width, Height);

    /// <summary>
    /// Lines with markers, one per series. With <paramref name="logY"/> the y axis is logarithmic (zeros drawn at a floor tick "0");
    /// with <paramref name="logX"/> the x axis is (x values must be positive). <paramref name="xTicks"/>, when given, replaces the
    /// x ticks by labelled ones at those x values (e.g. one per net). <paramref name="legend"/> places the legend (default upper right).
    /// </summary>
    public static void Lines(string path, string title, string xLabel, string yLabel, IReadOnlyList<LineSeries> series,
        bool logY = false, bool percentY = false, bool integerX = true, bool logX = false, IReadOnlyList<(double X, string Label)>? xTicks = null, Alignment? legend = null)
    {
        var plt = NewPlot(title, xLabel, yLabel);
        LogScale? log = logY ? LogScale.For(series.SelectMany(s => s.Ys)) : null;
        Func<double, double> mapX = logX ? v => v > 0 ? Math.Log10(v) : double.NaN : v => v;
        for (int i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var pts = s.Xs.Zip(s.Ys).Select(p => (X: mapX(p.First), Y: p.Second)).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToArray();
            if (pts.Length == 0) continue;
            double[] xs = pts.Select(p => p.X).ToArray();
            double[] ys = pts.Select(p => log is null ? p.Y : log.Map(p.Y)).ToArray();
            var sc = plt.Add.Scatter(xs, ys, ColorOf(i));
            sc.LegendText = s.Label;
            sc.LineWidth = 2;
            sc.MarkerSize = 8;
        }
        var allX = series.SelectMany(s => s.Xs).Select(mapX).Where(double.IsFinite).DefaultIfEmpty(1).ToList();
        if (xTicks is not null)
        {
            var ticks = new NumericManual();
            foreach (var (x, label) in xTicks) if (double.IsFinite(mapX(x))) ticks.AddMajor(mapX(x), label);
            plt.Axes.Bottom.TickGenerator = ticks;
            double span = Math.Max(allX.Max() - allX.Min(), 1);
            plt.Axes.SetLimitsX(allX.Min() - 0.08 * span, allX.Max() + 0.08 * span);
        }
        else if (logX) LogScale.For(series.SelectMany(s => s.Xs)).Apply(plt.Axes.Bottom);
        else if (integerX)
        {
            plt.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
            plt.Axes.SetLimitsX(allX.Min() - 0.5, allX.Max() + 0.5);
        }
        if (log is not null) log.Apply(plt.Axes.Left);
        else if (percentY) plt.Axes.Left.TickGenerator = new NumericAutomatic { LabelFormatter = v => $"{v * 100:0.#}%" };
        if (series.Count > 1) plt.ShowLegend(legend ?? Alignment.UpperRight);
        Save(plt, path);
    }

    /// <summary>
    /// Grouped vertical bars: one group per <paramref name="groups"/> entry, one bar per series, the
    /// value written above each bar. The y axis turns logarithmic when the positive values span more
    /// than <paramref name="logAbove"/> (a ratio); zeros are then drawn at the "0" floor.
    /// </summary>
    public static void Bars(string path, string title, string yLabel, IReadOnlyList<string> groups, IReadOnlyList<BarSeries> series,
        double logAbove = 100, string xLabel = "")
    {
        var plt = NewPlot(title, xLabel, yLabel);
        var all = series.SelectMany(s => s.Values).Where(double.IsFinite).ToList();
        var pos = all.Where(v => v > 0).ToList();
        bool log = pos.Count > 1 && pos.Max() / pos.Min() > logAbove;
        LogScale? scale = log ? LogScale.For(all) : null;
        double width = 0.8 / Math.Max(1, series.Count);
        // Value labels go above the bar's top as text of their own: ScottPlot puts a bar's own label
        // below a bar whose value is negative, which on the log axis (values below 1) is on the x tick labels.
        float labelSize = groups.Count * series.Count > 12 ? 10 : 12;
        for (int si = 0; si < series.Count; si++)
        {
            var bars = new List<Bar>();
            for (int g = 0; g < groups.Count; g++)
            {
                double v = g < series[si].Values.Count ? series[si].Values[g] : double.NaN;
                if (!double.IsFinite(v)) continue;
                double position = g - 0.4 + width * (si + 0.5);
                bars.Add(new Bar
                {
                    Position = position,
                    ValueBase = scale?.Floor ?? 0,
                    Value = scale?.Map(v) ?? v,
                    Size = width * 0.9,
                    FillColor = ColorOf(si),
                });
                var text = plt.Add.Text(Short(v), position, scale?.Map(v) ?? v);
                text.Alignment = Alignment.LowerCenter;
                text.OffsetY = -3;
                text.LabelFontSize = labelSize;
            }
            var bp = plt.Add.Bars(bars);
            bp.LegendText = series[si].Label;
        }
        var ticks = new NumericManual();
        // Multi-word group names go on two lines so that neighbouring labels do not overlap.
        for (int g = 0; g < groups.Count; g++) ticks.AddMajor(g, groups.Count > 5 ? groups[g].Replace(' ', '\n') : groups[g]);
        plt.Axes.Bottom.TickGenerator = ticks;
        plt.Axes.Bottom.MajorTickStyle.Length = 0;
        plt.Axes.SetLimitsX(-0.6, groups.Count - 0.4);
        if (scale is not null)
        {
            scale.Apply(plt.Axes.Left);
            plt.Axes.Left.Max = scale.MaxExp + 0.4; // room for the value labels
        }
        else
        {
            double max = all.DefaultIfEmpty(1).Max();
            plt.Axes.SetLimitsY(0, max <= 0 ? 1 : max * 1.15);
            plt.Axes.Left.TickGenerator = new NumericAutomatic { LabelFormatter = Short }; // 340k, as the value labels
        }
        if (series.Count > 1) plt.ShowLegend(Edge.Bottom);
        Save(plt, path);
    }

    /// <summary>
    /// Horizontal stacked bars, one per entry of <paramref name="bars"/> (top to bottom), one segment
    /// per series; the total is written at the end of each bar. Linear scale.
    /// </summary>
    public static void StackedBars(string path, string title, string xLabel, IReadOnlyList<string> bars, IReadOnlyList<BarSeries> segments)
    {
        var plt = NewPlot(title, xLabel, "");
        int n = bars.Count;
        var cumulative = new double[n];
        for (int si = 0; si < segments.Count; si++)
        {
            var list = new List<Bar>();
            for (int b = 0; b < n; b++)
            {
                double v = b < segments[si].Values.Count ? segments[si].Values[b] : double.NaN;
                if (!double.IsFinite(v) || v <= 0) continue;
                list.Add(new Bar
                {
                    Position = n - 1 - b,
                    ValueBase = cumulative[b],
                    Value = cumulative[b] + v,
                    Size = 0.7,
                    FillColor = ColorOf(si),
                    Orientation = Orientation.Horizontal,
                });
                cumulative[b] += v;
            }
            var bp = plt.Add.Bars(list);
            bp.Horizontal = true;
            bp.LegendText = segments[si].Label;
        }
        double max = cumulative.DefaultIfEmpty(0).Max();
        if (max <= 0) max = 1;
        for (int b = 0; b < n; b++)
        {
            var t = plt.Add.Text(" " + Short(cumulative[b]), cumulative[b], n - 1 - b);
            t.Alignment = Alignment.MiddleLeft;
            t.LabelFontSize = 12;
        }
        var ticks = new NumericManual();
        // Long run names are shortened so that the tick labels do not squeeze the bars.
        for (int b = 0; b < n; b++) ticks.AddMajor(n - 1 - b, PlotLabels.Shorten(bars[b]));
        plt.Axes.Left.TickGenerator = ticks;
        plt.Axes.Left.MajorTickStyle.Length = 0;
        plt.Axes.SetLimitsY(-0.6, n - 0.4);
        plt.Axes.SetLimitsX(0, max * 1.15);
        plt.ShowLegend(Edge.Right);
        Save(plt, path);
    }

    /// <summary>
    /// Labelled points, x logarithmic (zeros drawn at the floor tick "0" and labelled "(0)"), y
    /// linear (as a percentage with <paramref name="percentY"/>). Optionally a vertical reference
    /// line at <paramref name="referenceX"/> named <paramref name="referenceLabel"/>.
    /// </summary>
    public static void LabelledScatter(string path, string title, string xLabel, string yLabel, IReadOnlyList<ScatterPoint> points,
        bool percentY = true, double? referenceX = null, string? referenceLabel = null)
    {
        var plt = NewPlot(title, xLabel, yLabel);
        var xsAll = points.Select(p => p.X).Concat(referenceX is { } r ? [r] : []).ToList();
        var scale = LogScale.For(xsAll);
        double middle = (scale.Floor + scale.MaxExp) / 2;
        var finiteYs = points.Select(p => p.Y).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        double xTol = (scale.MaxExp - scale.Floor) * 0.03, yTol = Math.Max(1e-9, (finiteYs.Max() - finiteYs.Min()) * 0.03);
        var placed = new List<(double X, double Y)>();
        var labels = new List<PointLabel>();
        for (int i = 0; i < points.Count; i++)
        {
            var p = points[i];
            if (!double.IsFinite(p.Y)) continue;
            double x = scale.Map(p.X);
            var m = plt.Add.Marker(x, p.Y, MarkerShape.FilledCircle, 10, ColorOf(i));
            m.LegendText = "";
            if (p.YErr is > 0 and var err)
            {
                var bar = plt.Add.ErrorBar([x], [p.Y], [err]);
                bar.Color = ColorOf(i);
                bar.LineWidth = 2;
            }
            // Labels point into the plot: right of points in the left half, left of points in the right half;
            // the labels of points that (nearly) coincide are stacked upwards instead of overprinted;
            // long run names are shortened, and the axes below are widened until every label fits.
            bool right = x <= middle;
            int stack = placed.Count(q => Math.Abs(q.X - x) < xTol && Math.Abs(q.Y - p.Y) < yTol);
            placed.Add((x, p.Y));
            var label = new PointLabel(x, p.Y, PlotLabels.Shorten(p.X > 0 ? p.Label : p.Label + " (0)"), right, stack);
            labels.Add(label);
            var t = plt.Add.Text(label.Text, x, p.Y);
            t.Alignment = right ? Alignment.LowerLeft : Alignment.LowerRight;
            t.OffsetX = right ? (float)PlotLabels.OffsetPx : -(float)PlotLabels.OffsetPx;
            t.OffsetY = -4 - (float)PlotLabels.LineHeightPx * stack;
            t.LabelFontSize = 12;
            t.LabelFontColor = ColorOf(i);
        }
        if (referenceX is { } rx && rx > 0)
        {
            var line = plt.Add.VerticalLine(scale.Map(rx), 2, Colors.Gray, LinePattern.Dashed);
            line.LegendText = referenceLabel ?? "";
            plt.ShowLegend(Alignment.LowerRight);
        }
        scale.Apply(plt.Axes.Bottom);
        var (xMin, xMax) = PlotLabels.XLimits(labels, scale.Floor - 0.3, scale.MaxExp + 0.3);
        plt.Axes.Bottom.Min = xMin;
        plt.Axes.Bottom.Max = xMax;
        var ys = points.Where(p => double.IsFinite(p.Y)).SelectMany(p => p.YErr is > 0 and var e ? [p.Y - e, p.Y + e] : new[] { p.Y }).ToList();
        if (ys.Count > 0)
        {
            double lo = ys.Min(), hi = ys.Max(), pad = Math.Max(0.01, (hi - lo) * 0.15);
            plt.Axes.SetLimitsY(lo - pad, PlotLabels.YMax(labels, lo - pad, hi + pad));
        }
        if (percentY) plt.Axes.Left.TickGenerator = new NumericAutomatic { LabelFormatter = v => $"{v * 100:0.#}%" };
        Save(plt, path);
    }
}
