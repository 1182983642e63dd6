using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace NodeMesh.Actors.Hosting;

/// <summary>
/// Akka mailbox type of unit actors (HOCON: <c>mailbox-type = "&lt;this type's
/// assembly-qualified name&gt;"</c>): an unbounded mailbox whose queue is <see cref="CompactMessageQueue"/>.
/// </summary>
public sealed class CompactMailboxType(Settings settings, Config config)
    : MailboxType(settings, config), IProducesMessageQueue<CompactMessageQueue>
{
    private static long s_created;

    /// <summary>Queues made by this mailbox type in this process (one per actor that uses it).</summary>
    public static long Created => Interlocked.Read(ref s_created);

    public override IMessageQueue Create(IActorRef owner, ActorSystem system)
    {
        Interlocked.Increment(ref s_created);
        return new CompactMessageQueue();
    }
}

/// <summary>
/// An unbounded multi-producer, single-consumer message queue that is small while it holds a few
/// messages: a lock-free ring of <see cref="RingSize"/> envelopes (a bounded queue with one sequence
/// number per cell, after Vyukov), and behind it a <see cref="ConcurrentQueue{T}"/> that is made the
/// first time the ring is full and takes every message from then on.
/// <para>
/// Why: Akka's default queue is a <see cref="ConcurrentQueue{T}"/>, about 1.3 kB per actor before
/// the first message (a 32-slot segment and cache-line-padded head and tail), and an enqueue and a
/// dequeue touch four or five cache lines of it. A unit actor holds at most a few messages at once
/// (its sweep and, while tying, its peers' partials), and a net has tens of thousands to millions
/// of units, so their queues are much of the memory a step walks through. This queue is about 140
/// bytes in one object (its ring inline) and touches two or three lines.
/// </para>
/// <para>
/// Order: Akka requires that the messages of one sender arrive in the order sent. A sender's
/// enqueue returns only after its message is in the ring or in the overflow queue; once the overflow
/// exists every later enqueue goes there, and the consumer takes the ring's messages before the
/// overflow's. So a sender's later message can never be taken before its earlier one. Messages of
/// different senders that race have no order, as in every Akka mailbox.
/// </para>
/// </summary>
public sealed class CompactMessageQueue : IMessageQueue, IUnboundedMessageQueueSemantics
{
    /// <summary>Envelopes the ring holds before the overflow queue takes over (a power of two).</summary>
    public const int RingSize = 4;

    private const int Mask = RingSize - 1;

    private struct Cell
    {
        public long Sequence;
        public Envelope Item;
    }

    // The ring lives inside the queue object (an inline array, not a Cell[]): one object fewer per
    // actor, and an enqueue or dequeue reaches its cell without first loading an array's address.
    [System.Runtime.CompilerServices.InlineArray(RingSize)]
    private struct Ring
    {
        private Cell _first;
    }

    private Ring _cells;
    private long _enqueuePosition; // producers claim cells by compare-and-swap
    private long _dequeuePosition; // the consumer's alone (one mailbox run at a time)
    private int _count;
    private ConcurrentQueue<Envelope>? _overflow;

    public CompactMessageQueue()
    {
        for (int i = 0; i < RingSize; i++) _cells[i].Sequence = i;
    }

    public bool HasMessages => Volatile.Read(ref _count) > 0;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Whether the ring once overflowed, so that every message now goes through the overflow queue.</summary>
    public bool Overflowed => Volatile.Read(ref _overflow) is not null;

    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        var overflow = Volatile.Read(ref _overflow);
        if (overflow is null)
        {
            long position = Volatile.Read(ref _enqueuePosition);
            while (true)
            {
                ref var cell = ref _cells[(int)(position & Mask)];
                long difference = Volatile.Read(ref cell.Sequence) - position;
                if (difference == 0)
                {
                    if (Interlocked.CompareExchange(ref _enqueuePosition, position + 1, position) == position)
                    {
                        cell.Item = envelope;
                        Volatile.Write(ref cell.Sequence, position + 1); // published
                        Interlocked.Increment(ref _count);
                        return;
                    }
                    position = Volatile.Read(ref _enqueuePosition);
                }
                else if (difference < 0)
                {
                    // Full: from now on every message of this actor goes to the overflow queue.
                    var made = new ConcurrentQueue<Envelope>();
                    overflow = Interlocked.CompareExchange(ref _overflow, made, null) ?? made;
                    break;
                }
                else position = Volatile.Read(ref _enqueuePosition); // another producer took this cell
            }
        }
        overflow.Enqueue(envelope);
        Interlocked.Increment(ref _count);
    }

    public bool TryDequeue(out Envelope envelope)
    {
        long position = _dequeuePosition;
        ref var cell = ref _cells[(int)(position & Mask)];
        if (Volatile.Read(ref cell.Sequence) == position + 1)
        {
            envelope = cell.Item;
            cell.Item = default; // the queue keeps no reference to a delivered message
            Volatile.Write(ref cell.Sequence, position + RingSize); // free for the producer one lap later
            _dequeuePosition = position + 1;
            Interlocked.Decrement(ref _count);
            return true;
        }
        // A producer has claimed this cell and is still writing it: wait for it (it schedules the
        // mailbox once its message is in). Taking from the overflow queue now could overtake a
        // message published in a later cell by a sender whose next message went to the overflow.
        // Only an empty ring lets the overflow's messages go.
        if (Volatile.Read(ref _enqueuePosition) != position)
        {
            envelope = default;
            return false;
        }
        if (Volatile.Read(ref _overflow) is { } overflow && overflow.TryDequeue(out envelope))
        {
            Interlocked.Decrement(ref _count);
            return true;
        }
        envelope = default;
        return false;
    }

    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope)) deadletters.Enqueue(owner, envelope);
    }
}
