using System.Diagnostics;
using NodeMesh.Actors.Messages;

namespace NodeMesh.Cli;

/// <summary>A progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise.</summary>
public sealed class ProgressBar(TextWriter err, bool enabled)
{
    private readonly Stopwatch _clock = new();
    private readonly bool _tty = !Console.IsErrorRedirected;
    private long _lastDraw;
    private int _lastDecile = -1;
    private int _epoch, _epochs;
    private readonly object _lock = new();

    public void Begin(int epoch, int epochs)
    {
        lock (_lock) { _epoch = epoch; _epochs = epochs; _lastDecile = -1; _lastDraw = 0; _clock.Restart(); }
    }

    public void Report(StepProgress p)
    {
        if (!enabled) return;
        lock (_lock)
        {
            double frac = (double)p.Step / Math.Max(1, p.Steps);
            long now = _clock.ElapsedMilliseconds;
            double secs = Math.Max(1e-3, now / 1000.0);
            double rate = p.Step / secs;
            double eta = rate > 0 ? (p.Steps - p.Step) / rate : 0;
            string text = $"epoch {_epoch}/{_epochs} [{new string('#', (int)(frac * 30)).PadRight(30, '.')}] {frac,4:P0} step {p.Step}/{p.Steps} loss {p.MeanLoss:F4} {rate:F1} steps/s ETA {eta:F0} s";
            if (_tty)
            {
                if (now - _lastDraw < 200 && p.Step != p.Steps) return;
                _lastDraw = now;
                err.Write("\r" + text.PadRight(110));
            }
            else
            {
                int decile = (int)(frac * 10);
                if (decile == _lastDecile) return;
                _lastDecile = decile;
                err.WriteLine(text);
            }
        }
    }

    public void End()
    {
        if (enabled && _tty) lock (_lock) err.Write("\r" + new string(' ', 110) + "\r");
    }
}
