namespace NodeMesh.Cluster;

/// <summary>Watches another process so that a child never outlives the process that started it.</summary>
public static class ProcessWatch
{
    /// <summary>How often the watch looks at the other process.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Calls <paramref name="gone"/> once, within about a second of process <paramref name="pid"/>
    /// exiting; dispose the result to stop watching. With <paramref name="killAfter"/>, this process
    /// is then killed if it is still running that long after <paramref name="gone"/> (unless the
    /// watch was disposed first): a clean exit that cannot finish in time must not leave an orphan.
    /// The watch runs on a thread of its own, not the thread pool, which a process building a
    /// million actors can keep busy for minutes.
    /// </summary>
    public static IDisposable WhenGone(int pid, Action gone, TimeSpan? killAfter = null)
    {
        var stop = new CancellationTokenSource();
        var thread = new Thread(() =>
        {
            var token = stop.Token;
            while (!token.WaitHandle.WaitOne(Interval))
            {
                if (IsAlive(pid)) continue;
                gone();
                if (killAfter is { } bound && !token.WaitHandle.WaitOne(bound))
                {
                    using var self = System.Diagnostics.Process.GetCurrentProcess();
                    self.Kill();
                }
                return;
            }
        })
        { IsBackground = true, Name = $"watch process {pid}" };
        thread.Start();
        return new Watch(stop);
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    private sealed class Watch(CancellationTokenSource stop) : IDisposable
    {
        public void Dispose()
        {
            if (!stop.IsCancellationRequested) stop.Cancel();
        }
    }
}
