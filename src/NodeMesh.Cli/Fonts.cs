using SkiaSharp;

namespace NodeMesh.Cli;

/// <summary>
/// Plots are drawn with SkiaSharp, which finds fonts in the system's font folders. Without any
/// font (a minimal container image) every PNG still renders but has no title, label or legend;
/// this says so once instead of leaving the user to discover blank plots.
/// </summary>
public static class Fonts
{
    private static int _warned;

    /// <summary>Font families SkiaSharp can use here.</summary>
    public static int Families => SKFontManager.Default.FontFamilyCount;

    /// <summary>Writes one warning to <paramref name="stderr"/> when no font is available (once per process).</summary>
    public static void WarnIfMissing(TextWriter stderr) => WarnIfMissing(stderr, Families);

    internal static bool WarnIfMissing(TextWriter stderr, int families)
    {
        if (families > 0 || Interlocked.Exchange(ref _warned, 1) == 1) return false;
        stderr.WriteLine("warning: no font found, so the report's plots will have no titles, labels or legends; install one (Debian: sudo apt-get install fonts-dejavu-core)");
        return true;
    }
}
