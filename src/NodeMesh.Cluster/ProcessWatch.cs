namespace NodeMesh.Cluster;

/// <summary>Watches another process so that a child never outlives the process that started it.</summary>
public static class ProcessWatch
{
    /// <summary>Calls <paramref name="gone"/> once a second after process <paramref name="pid"/> has exited (dispose the timer to stop watching).</summary>
    public static Timer WhenGone(int pid, Action gone) =>
        new(_ =>
        {
            bool alive;
            try { using var p = System.Diagnostics.Process.GetProcessById(pid); alive = !p.HasExited; }
            catch (ArgumentException) { alive = false; }
            if (!alive) gone();
        }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
}
