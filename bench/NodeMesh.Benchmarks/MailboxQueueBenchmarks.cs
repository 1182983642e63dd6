using Akka.Actor;
using Akka.Dispatch.MessageQueues;
using BenchmarkDotNet.Attributes;
using NodeMesh.Actors.Hosting;

namespace NodeMesh.Benchmarks;

/// <summary>
/// One message through a unit actor's queue, as a sweep passes it: enqueued, then dequeued by its
/// one consumer, on each of <see cref="Queues"/> queues in turn. One queue stays in cache; 18,826
/// queues (the reference net's units) do not, as in a real sweep. Measured for the unit actors'
/// <see cref="CompactMessageQueue"/> and for Akka's default <see cref="UnboundedMessageQueue"/>
/// (a <c>ConcurrentQueue</c>); a time is for the whole sweep of <see cref="Queues"/> messages.
/// </summary>
[MemoryDiagnoser]
public class MailboxQueueBenchmarks
{
    [Params(1, 18_826)]
    public int Queues;

    private IMessageQueue[] _compact = [], _akka = [];
    private readonly Envelope _message = new(new object(), ActorRefs.NoSender);

    [GlobalSetup]
    public void Setup()
    {
        _compact = Enumerable.Range(0, Queues).Select(_ => (IMessageQueue)new CompactMessageQueue()).ToArray();
        _akka = Enumerable.Range(0, Queues).Select(_ => (IMessageQueue)new UnboundedMessageQueue()).ToArray();
        // One message through each first, as a warm run of the net would have done.
        Sweep(_compact);
        Sweep(_akka);
    }

    [Benchmark(Baseline = true)]
    public int AkkaDefaultQueue() => Sweep(_akka);

    [Benchmark]
    public int CompactQueue() => Sweep(_compact);

    private int Sweep(IMessageQueue[] queues)
    {
        int n = 0;
        foreach (var q in queues)
        {
            q.Enqueue(ActorRefs.Nobody, _message);
            if (q.TryDequeue(out _)) n++;
        }
        return n;
    }
}
