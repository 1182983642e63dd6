using Akka.Actor;
using Akka.Cluster;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Serialization;
using NodeMesh.Cluster.Transport;

namespace NodeMesh.Cluster;

/// <summary>
/// One per member (<c>/user/wire</c>): answers <see cref="FetchWireReport"/> with this member's
/// counting-transport snapshot (bytes on the wire per peer and key) and the NodeMesh serializer's
/// counts (messages and payload bytes that crossed the member boundary, per manifest). The report
/// is taken when the query arrives, so it does not include its own reply.
/// </summary>
public sealed class WireCounterActor : ReceiveActor
{
    public WireCounterActor(long maxFrameSize)
    {
        Receive<FetchWireReport>(_ => Sender.Tell(Report(Context.System, maxFrameSize)));
    }

    public static Props Props(long maxFrameSize) => Akka.Actor.Props.Create(() => new WireCounterActor(maxFrameSize));

    /// <summary>This member's counters now.</summary>
    public static WireReport Report(ActorSystem system, long maxFrameSize)
    {
        var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
        var snapshot = WireCounters.Get(system).Snapshot();
        var serializer = (NodeMeshSerializer)system.Serialization.FindSerializerForType(typeof(Prepare));
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return new WireReport($"{self.Host}:{self.Port}", maxFrameSize,
            snapshot.Rows.Select(r => new WireRecord(r.Peer, r.Direction == WireDirection.Sent, r.Key, r.Frames, r.WireBytes, r.PayloadBytes)).ToArray(),
            serializer.Counts.OrderBy(c => c.Key, StringComparer.Ordinal)
                .Select(c => new SerializedRecord(c.Key, c.Value.OutMessages, c.Value.OutBytes, c.Value.InMessages, c.Value.InBytes)).ToArray())
        { RssBytes = process.WorkingSet64, PeakRssBytes = process.PeakWorkingSet64 };
    }
}
