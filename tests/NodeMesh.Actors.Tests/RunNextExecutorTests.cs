using Akka.Dispatch;
using NodeMesh.Actors.Hosting;

namespace NodeMesh.Actors.Tests;

/// <summary>
/// The run-next executor: a mailbox scheduled from inside a run goes to the thread's slot and runs
/// next on the same thread; a second one, or one scheduled from outside, goes to the pool; and the
/// unit actors' sweeps use it.
/// </summary>
public sealed class RunNextExecutorTests
{
    private sealed class Recorder(string name, List<(string Name, int Thread)> log, Action? body = null) : IRunnable
    {
        public void Run()
        {
            lock (log) log.Add((name, Environment.CurrentManagedThreadId));
            body?.Invoke();
        }

        public void Execute() => Run();
    }

    [Fact]
    public async Task The_first_mailbox_scheduled_in_a_run_runs_next_on_the_same_thread_and_a_second_goes_to_the_pool()
    {
        var executor = new RunNextExecutor("test");
        var log = new List<(string Name, int Thread)>();
        var pooled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var chained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int after = -1; // what the first run saw of the log when it finished: the slot's item must not have run yet
        var next = new Recorder("next", log, () => chained.SetResult());
        var other = new Recorder("other", log, () => pooled.SetResult());
        var first = new Recorder("first", log, () =>
        {
            executor.Execute(next);  // into this thread's empty slot
            executor.Execute(other); // the slot is taken: to the pool
            lock (log) after = log.Count;
        });
        executor.Execute(first); // from a test thread, outside any run: to the pool

        await Task.WhenAll(pooled.Task, chained.Task).WaitAsync(TimeSpan.FromSeconds(30));
        // The executor adds a work item's slot runs to its count when the item ends, just after
        // "next" signalled: wait (bounded) for that, not for a time.
        Assert.True(SpinWait.SpinUntil(() => executor.RunNext >= 1, TimeSpan.FromSeconds(30)), "the slot run was never counted");
        lock (log)
        {
            Assert.Equal(1, after); // "next" did not run inside "first"
            Assert.Equal(1, executor.RunNext); // "next" went through the slot, "other" did not
            var byName = log.ToDictionary(e => e.Name, e => e.Thread);
            Assert.Equal(byName["first"], byName["next"]);
            Assert.Equal(3, log.Count);
        }
    }

    [Fact]
    public async Task A_chain_of_mailboxes_each_scheduling_the_next_runs_on_one_thread_through_the_slot()
    {
        var executor = new RunNextExecutor("test");
        var log = new List<(string Name, int Thread)>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        const int length = 200;
        var chain = new Recorder[length];
        for (int i = length - 1; i >= 0; i--)
        {
            var successor = i + 1 < length ? chain[i + 1] : null;
            chain[i] = new Recorder($"u{i}", log, successor is null ? done.SetResult : () => executor.Execute(successor));
        }
        executor.Execute(chain[0]);
        await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(SpinWait.SpinUntil(() => executor.RunNext >= length - 1, TimeSpan.FromSeconds(30)), "the slot runs were never counted");
        lock (log)
        {
            Assert.Equal(Enumerable.Range(0, length).Select(i => $"u{i}"), log.Select(e => e.Name));
            Assert.Single(log.Select(e => e.Thread).Distinct());
        }
        Assert.Equal(length - 1, executor.RunNext);
    }

    [Fact]
    public async Task The_unit_actors_sweeps_run_through_the_slot()
    {
        long before = RunNextExecutor.RunNextCount;
        int units = await TinyRun.TrainOneEpochAsync("runnext");
        // 2 steps, each a forward and a backward sweep through every unit: most hops go through a slot.
        Assert.True(RunNextExecutor.RunNextCount - before >= units, $"{RunNextExecutor.RunNextCount - before} mailbox runs through the slot");
    }
}
