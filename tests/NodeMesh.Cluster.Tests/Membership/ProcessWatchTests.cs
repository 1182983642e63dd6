using System.Diagnostics;

namespace NodeMesh.Cluster.Tests.Membership;

/// <summary><see cref="ProcessWatch"/>: a child notices that its parent is gone even when the thread pool is busy.</summary>
public sealed class ProcessWatchTests
{
    private static int ExitedProcessId()
    {
        using var p = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }

    [Fact]
    public async Task A_gone_process_is_reported_once_from_a_thread_of_the_watchs_own()
    {
        int pid = ExitedProcessId();
        var reported = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        int calls = 0;
        using var watch = ProcessWatch.WhenGone(pid, () =>
        {
            Interlocked.Increment(ref calls);
            reported.TrySetResult(Thread.CurrentThread.IsThreadPoolThread);
        });
        bool onPool = await reported.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // Not a thread-pool thread: a worker building a million actors keeps the pool busy for minutes.
        Assert.False(onPool);
        Assert.Equal(1, Volatile.Read(ref calls));
    }
}
