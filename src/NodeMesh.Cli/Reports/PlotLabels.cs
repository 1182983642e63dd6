namespace NodeMesh.Cli.Reports;

/// <summary>One text label of a point: where the point is (plot coordinates), the text, and whether it is drawn to the right of the point.</summary>
public sealed record PointLabel(double X, double Y, string Text, bool Right, int Stack);

/// <summary>
/// Room for the labels of a labelled scatter plot: axis limits wide and tall enough that every
/// label, drawn from its point towards the inside (and stacked upwards over points that coincide),
/// ends inside the data area instead of being clipped at its edge; and long labels shortened.
/// Text sizes are estimates for the 12 px labels of <see cref="Plots"/>.
/// </summary>
public static class PlotLabels
{
    /// <summary>Longest label drawn in full; longer ones keep their start and end around an ellipsis.</summary>
    public const int MaxChars = 36;

    /// <summary>Estimated width of the data area of a <see cref="Plots.Width"/> × <see cref="Plots.Height"/> plot, in pixels.</summary>
    public const double AreaWidthPx = Plots.Width - 130;

    /// <summary>Estimated height of the data area, in pixels.</summary>
    public const double AreaHeightPx = Plots.Height - 120;

    /// <summary>Pixels between a label and its point, and per stacked label.</summary>
    public const double OffsetPx = 6, LineHeightPx = 15;

    /// <summary>Estimated width of a 12 px label, in pixels (generous: about 7 px per character).</summary>
    public static double WidthPx(string text) => 7.2 * text.Length + 4;

    /// <summary>The label shortened to <see cref="MaxChars"/>: "allreduce-ring-F10-…-seed2".</summary>
    public static string Shorten(string text)
    {
        if (text.Length <= MaxChars) return text;
        int head = (MaxChars - 1) / 2, tail = MaxChars - 1 - head;
        return text[..head] + "…" + text[^tail..];
    }

    /// <summary>
    /// x limits that widen [<paramref name="min"/>, <paramref name="max"/>] until every label ends
    /// inside them. Labels pointing at each other from opposite sides can only both fit when they
    /// are together narrower than the area (<see cref="Shorten"/> sees to that); otherwise the
    /// widening stops at 10 times the original range.
    /// </summary>
    public static (double Min, double Max) XLimits(IReadOnlyList<PointLabel> labels, double min, double max)
    {
        double limit = 10 * (max - min);
        for (int i = 0; i < 50 && max - min < limit; i++)
        {
            double perPx = (max - min) / AreaWidthPx, lo = min, hi = max;
            foreach (var l in labels)
            {
                double w = (WidthPx(l.Text) + OffsetPx + 4) * perPx;
                if (l.Right) hi = Math.Max(hi, l.X + w);
                else lo = Math.Min(lo, l.X - w);
            }
            if (lo >= min && hi <= max) break;
            min = lo; max = hi;
        }
        return (min, max);
    }

    /// <summary>The top y limit raised from <paramref name="max"/> until every label (stacked ones higher) ends below it.</summary>
    public static double YMax(IReadOnlyList<PointLabel> labels, double min, double max)
    {
        for (int i = 0; i < 50; i++)
        {
            double perPx = (max - min) / AreaHeightPx, hi = max;
            foreach (var l in labels) hi = Math.Max(hi, l.Y + (4 + LineHeightPx * (l.Stack + 1) + 4) * perPx);
            if (hi <= max) break;
            max = hi;
        }
        return max;
    }
}
