using Akka.Actor;
using BenchmarkDotNet.Attributes;
using NodeMesh.Actors.Serialization;

namespace NodeMesh.Benchmarks;

/// <summary>
/// What one hop of a sweep costs in Akka alone: a chain of <see cref="Actors"/> actors on the unit
/// actors' own dispatcher (<c>RunNextExecutor</c>, throughput 100) and mailbox
/// (<c>CompactMailbox</c>) passes one message from each actor to the next, as a tile's forward or
/// backward sweep passes its message through its units, and the last actor completes the sweep. The
/// actors do nothing else, so the time per hop is the actor machinery's: the tell (envelope,
/// enqueue, scheduling the receiver's mailbox), the mailbox run (system-message checks, dequeue,
/// invoke, going idle) and the run-next slot. <see cref="DirectCalls"/> makes the same chain of
/// virtual calls on plain objects, the loop an actor-free engine would run. 64 actors stay in
/// cache; 18,826 (the reference net's unit actors) do not, as in a real sweep. A time is for the
/// whole chain; divide by <see cref="Actors"/> for a hop.
/// </summary>
[MemoryDiagnoser]
public class ActorHopBenchmarks
{
    [Params(64, 1_024, 18_826)]
    public int Actors;

    /// <summary>The unit actors' dispatcher and mailbox (<c>nodemesh</c>), or Akka's defaults (<c>akka</c>: the thread-pool executor at throughput 30 and a <c>ConcurrentQueue</c> mailbox).</summary>
    [Params("nodemesh", "akka")]
    public string Runtime = "nodemesh";

    private ActorSystem _system = null!;
    private IActorRef _first = ActorRefs.Nobody;
    private Link[] _links = [];

    private sealed class Connect(IActorRef next)
    {
        public IActorRef Next { get; } = next;
    }

    private sealed class HopActor : UntypedActor
    {
        private IActorRef? _next;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Sweep s when _next is null:
                    s.Done.TrySetResult();
                    return;
                case Sweep s:
                    _next.Tell(s, ActorRefs.NoSender);
                    return;
                case Connect c:
                    _next = c.Next;
                    Sender.Tell(true);
                    return;
            }
        }
    }

    /// <summary>A plain object of the chain <see cref="DirectCalls"/> walks.</summary>
    public class Link
    {
        public int Visits;

        public virtual void Visit() => Visits++;
    }

    [GlobalSetup]
    public void Setup()
    {
        bool own = Runtime == "nodemesh";
        _system = own ? ActorSystem.Create("hops", NodeMeshConfig.Local())
            : ActorSystem.Create("hops", Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var props = Props.Create(() => new HopActor());
        if (own) props = props.WithMailbox(NodeMeshConfig.CompactMailbox);
        var actors = Enumerable.Range(0, Actors).Select(_ => _system.ActorOf(props)).ToArray();
        for (int i = 0; i + 1 < actors.Length; i++)
            actors[i].Ask<bool>(new Connect(actors[i + 1]), TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        _first = actors[0];
        _links = Enumerable.Range(0, Actors).Select(_ => new Link()).ToArray();
        ActorChain(); // one sweep first, as the warm-up epoch of a run would have done
    }

    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().Wait(TimeSpan.FromSeconds(30));

    [Benchmark(Baseline = true)]
    public int DirectCalls()
    {
        foreach (var l in _links) l.Visit();
        return _links.Length;
    }

    [Benchmark]
    public int ActorChain() => Sweep.Through(_first, Actors);
}

/// <summary>
/// The cold chain of <see cref="ActorHopBenchmarks"/> (18,826 actors) with cache hints: before it
/// passes the message on, each actor asks the processor for the lines of the actor
/// <see cref="Distance"/> places ahead — its reference, <c>ActorCell</c>, mailbox, queue and actor
/// object, held directly so that no pointer is chased (0: no hints). How much of a cold hop is
/// memory that hints can hide, and how far ahead they must be asked for when a hop does no other
/// work.
/// </summary>
public class ActorHopHintBenchmarks
{
    public const int Actors = 18_826;

    [Params(0, 1, 2, 4, 8)]
    public int Distance;

    private ActorSystem _system = null!;
    private IActorRef _first = ActorRefs.Nobody;

    private sealed record Connect(IActorRef? Next, object[] Ahead);

    private sealed class HintingActor : UntypedActor
    {
        private IActorRef? _next;
        private object[] _ahead = [];

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Sweep s:
                    foreach (var o in _ahead) NodeMesh.Actors.Units.SweepPeers.Object(o);
                    if (_next is null) s.Done.TrySetResult();
                    else _next.Tell(s, ActorRefs.NoSender);
                    return;
                case Connect c:
                    _next = c.Next;
                    _ahead = c.Ahead;
                    Sender.Tell(true);
                    return;
                case string:
                    Sender.Tell(this);
                    return;
            }
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("hints", NodeMeshConfig.Local());
        var props = Props.Create(() => new HintingActor()).WithMailbox(NodeMeshConfig.CompactMailbox);
        var refs = Enumerable.Range(0, Actors).Select(_ => _system.ActorOf(props)).ToArray();
        var ask = TimeSpan.FromSeconds(30);
        var actors = refs.Select(r => r.Ask<HintingActor>("self", ask).GetAwaiter().GetResult()).ToArray();
        for (int i = 0; i < refs.Length; i++)
        {
            object[] ahead = [];
            int j = i + Distance;
            if (Distance > 0 && j < refs.Length && refs[j] is LocalActorRef { Cell: { Mailbox: { } mailbox } cell } local)
                ahead = [local, cell, mailbox, mailbox.MessageQueue, actors[j]];
            refs[i].Ask<bool>(new Connect(i + 1 < refs.Length ? refs[i + 1] : null, ahead), ask).GetAwaiter().GetResult();
        }
        _first = refs[0];
        Chain();
    }

    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().Wait(TimeSpan.FromSeconds(30));

    [Benchmark]
    public int Chain() => Sweep.Through(_first, Actors);
}

/// <summary>The message a chain of benchmark actors passes on; the last actor completes it.</summary>
internal sealed class Sweep
{
    public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Sends a sweep into the chain that starts at <paramref name="first"/> and waits (at most a minute) until its last actor has it.</summary>
    public static int Through(IActorRef first, int actors)
    {
        var sweep = new Sweep();
        first.Tell(sweep, ActorRefs.NoSender);
        if (!sweep.Done.Task.Wait(TimeSpan.FromSeconds(60)))
            throw new TimeoutException($"a sweep through {actors} actors did not finish in 60 s");
        return actors;
    }
}
