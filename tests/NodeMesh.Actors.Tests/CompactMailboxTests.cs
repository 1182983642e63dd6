using Akka.Actor;
using NodeMesh.Actors.Hosting;

namespace NodeMesh.Actors.Tests;

/// <summary>
/// The unit actors' mailbox queue: nothing lost, each sender's messages in the order sent (through
/// the ring, through the overflow queue, and across the switch from one to the other), and unit
/// actors really get it.
/// </summary>
public sealed class CompactMailboxTests
{
    private static Envelope Message(int sender, int sequence) => new((sender, sequence), ActorRefs.NoSender);

    [Fact]
    public void A_few_messages_stay_in_the_ring_in_order_and_a_burst_moves_to_the_overflow_in_order()
    {
        var q = new CompactMessageQueue();
        Assert.False(q.HasMessages);
        Assert.False(q.TryDequeue(out _));
        for (int lap = 0; lap < 3; lap++)
        {
            for (int i = 0; i < CompactMessageQueue.RingSize; i++) q.Enqueue(ActorRefs.Nobody, Message(0, lap * 10 + i));
            Assert.Equal(CompactMessageQueue.RingSize, q.Count);
            for (int i = 0; i < CompactMessageQueue.RingSize; i++)
            {
                Assert.True(q.TryDequeue(out var e));
                Assert.Equal((0, lap * 10 + i), e.Message);
            }
        }
        Assert.False(q.Overflowed); // four at a time never needed more than the ring
        for (int i = 0; i < 100; i++) q.Enqueue(ActorRefs.Nobody, Message(0, i));
        Assert.True(q.Overflowed);
        Assert.Equal(100, q.Count);
        for (int i = 0; i < 100; i++)
        {
            Assert.True(q.TryDequeue(out var e));
            Assert.Equal((0, i), e.Message);
        }
        Assert.False(q.HasMessages);
        Assert.False(q.TryDequeue(out _));
    }

    [Fact]
    public void HasMessages_and_Count_follow_the_ring_and_the_overflow_down_to_empty()
    {
        // Akka reschedules a mailbox after a run only while HasMessages holds, so a message left in
        // the overflow that it did not see would wait until the actor's next message.
        var q = new CompactMessageQueue();
        int total = CompactMessageQueue.RingSize + 3;
        for (int i = 0; i < total; i++) q.Enqueue(ActorRefs.Nobody, Message(0, i));
        Assert.True(q.Overflowed);
        for (int left = total; left > 0; left--)
        {
            Assert.True(q.HasMessages, $"{left} message(s) left");
            Assert.Equal(left, q.Count);
            Assert.True(q.TryDequeue(out _));
        }
        Assert.False(q.HasMessages);
        Assert.Equal(0, q.Count);
    }

    [Fact]
    public void A_sender_paused_between_claiming_a_cell_and_writing_it_holds_back_the_overflow()
    {
        // The interleaving a stress test rarely hits, set up by hand: sender A has claimed the next
        // cell (its compare-and-swap succeeded) but not yet written it; sender B then fills the
        // rest of the ring and, the ring full, sends its next message to the overflow queue. The
        // consumer must not take B's overflow message before B's earlier one, which sits behind A's
        // cell: it must wait until A writes.
        var q = new CompactMessageQueue();
        var enqueuePosition = typeof(CompactMessageQueue).GetField("_enqueuePosition", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        enqueuePosition.SetValue(q, 1L); // A's claim of cell 0
        for (int i = 0; i < CompactMessageQueue.RingSize - 1; i++) q.Enqueue(ActorRefs.Nobody, Message(1, i)); // B: cells 1..3
        q.Enqueue(ActorRefs.Nobody, Message(1, CompactMessageQueue.RingSize - 1)); // B: the ring is full, to the overflow
        Assert.True(q.Overflowed);
        Assert.False(q.TryDequeue(out _)); // cell 0 is still being written: nothing may overtake it

        // A writes its cell as its enqueue would.
        // The ring is an inline array whose one declared field is cell 0.
        const System.Reflection.BindingFlags Private = System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance;
        var ringField = typeof(CompactMessageQueue).GetField("_cells", Private)!;
        var ring = ringField.GetValue(q)!;
        var firstField = ring.GetType().GetField("_first", Private)!;
        var cell = firstField.GetValue(ring)!;
        cell.GetType().GetField("Item")!.SetValue(cell, Message(0, 0));
        cell.GetType().GetField("Sequence")!.SetValue(cell, 1L);
        firstField.SetValue(ring, cell);
        ringField.SetValue(q, ring);

        var order = new List<object>();
        while (q.TryDequeue(out var e)) order.Add(e.Message);
        Assert.Equal(new object[] { (0, 0), (1, 0), (1, 1), (1, 2), (1, 3) }, order);
    }

    [Fact]
    public void Concurrent_senders_lose_nothing_and_each_senders_messages_arrive_in_order()
    {
        const int senders = 3, perSender = 100_000;
        var q = new CompactMessageQueue();
        var next = new int[senders];
        int received = 0, outOfOrder = 0;
        var threads = Enumerable.Range(0, senders).Select(s => new Thread(() =>
        {
            for (int i = 0; i < perSender; i++) q.Enqueue(ActorRefs.Nobody, Message(s, i));
        })).ToArray();
        foreach (var t in threads) t.Start();
        // The consumer runs while the senders send: the ring fills, overflows, and drains under load.
        while (received < senders * perSender)
        {
            if (!q.TryDequeue(out var e))
            {
                Thread.Yield();
                continue;
            }
            var (s, i) = ((int, int))e.Message;
            if (i != next[s]) outOfOrder++;
            next[s] = i + 1;
            received++;
        }
        foreach (var t in threads) t.Join();
        Assert.Equal(0, outOfOrder);
        Assert.Equal(Enumerable.Repeat(perSender, senders), next);
        Assert.False(q.TryDequeue(out _));
    }

    [Fact]
    public async Task Every_unit_actor_of_a_local_run_gets_the_compact_queue()
    {
        long before = CompactMailboxType.Created;
        int units = await TinyRun.TrainOneEpochAsync("compact-mailbox");
        Assert.True(CompactMailboxType.Created - before >= units, $"{CompactMailboxType.Created - before} compact queues for {units} units");
    }
}
