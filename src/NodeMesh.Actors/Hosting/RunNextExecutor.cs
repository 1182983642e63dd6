using Akka.Configuration;
using Akka.Dispatch;

namespace NodeMesh.Actors.Hosting;

/// <summary>
/// Akka executor configurator for <see cref="RunNextExecutor"/> (HOCON: <c>executor = "&lt;this type's
/// assembly-qualified name&gt;"</c> in a dispatcher's section).
/// </summary>
public sealed class RunNextExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
    : ExecutorServiceConfigurator(config, prerequisites)
{
    public override ExecutorService Produce(string id) => new RunNextExecutor(id);
}

/// <summary>
/// The .NET thread pool with one "run next" slot per worker thread. A mailbox scheduled while a
/// mailbox of this executor runs on the thread goes into the thread's empty slot and runs right
/// after the current one, on the same thread, instead of a round trip through the pool's queues
/// (and the wake-up of an idle worker that finds nothing to do). Anything else — a second mailbox
/// scheduled in the same run, or one scheduled from a thread outside this executor — goes to the
/// pool, where every worker can take it, so fan-out still runs in parallel.
/// <para>
/// Why: a tile sweeps its units with one message that each unit passes to the next, so a step of
/// the reference net is tens of thousands of mailbox runs that each schedule exactly one more. With
/// the slot a tile's whole sweep runs on one thread, one mailbox after the other. Akka's guarantees
/// do not change: a mailbox is still scheduled at most once at a time (its own status guards that),
/// and the order of messages between two actors is the mailbox's, not the executor's.
/// </para>
/// </summary>
public sealed class RunNextExecutor(string id) : ExecutorService(id)
{
    [ThreadStatic] private static Slot? t_slot;

    /// <summary>Mailbox runs that went through the run-next slot instead of the pool (all executors of the process).</summary>
    public static long RunNextCount => Interlocked.Read(ref s_runNext);

    /// <summary>Mailbox runs of this executor that went through the run-next slot.</summary>
    public long RunNext => Interlocked.Read(ref _runNext);

    private static long s_runNext;
    private long _runNext;

    public override void Execute(IRunnable run)
    {
        var slot = t_slot;
        if (slot is { Running: true, Next: null })
        {
            slot.Next = run;
            return;
        }
        ThreadPool.UnsafeQueueUserWorkItem(new Start(this, run), preferLocal: true);
    }

    public override void Shutdown()
    {
        // The thread pool is the process's; nothing to stop.
    }

    private sealed class Slot
    {
        public bool Running;
        public IRunnable? Next;
    }

    /// <summary>A pool work item: runs its mailbox, then whatever the runs put in this thread's slot.</summary>
    private sealed class Start(RunNextExecutor executor, IRunnable run) : IThreadPoolWorkItem
    {
        public void Execute()
        {
            var slot = t_slot ??= new Slot();
            if (slot.Running)
            {
                // Not expected (a pool work item does not run inside another), but never lose the slot's item.
                run.Run();
                return;
            }
            slot.Running = true;
            long count = 0;
            try
            {
                run.Run();
                while (slot.Next is { } next)
                {
                    slot.Next = null;
                    count++;
                    next.Run();
                }
            }
            finally
            {
                slot.Running = false;
                if (count > 0)
                {
                    Interlocked.Add(ref s_runNext, count);
                    Interlocked.Add(ref executor._runNext, count);
                }
                if (slot.Next is { } left)
                {
                    // A run threw after scheduling another mailbox: hand that one to the pool.
                    slot.Next = null;
                    ThreadPool.UnsafeQueueUserWorkItem(new Start(executor, left), preferLocal: true);
                }
            }
        }
    }
}
