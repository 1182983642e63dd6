using Akka.Actor;
using Akka.Configuration;
using NodeMesh.Actors.Messages;
using NodeMesh.Core.Exchanges;
using NodeMesh.Actors.Serialization;
using NodeMesh.Cluster.Transport;

namespace NodeMesh.Cluster.Tests.Transport;

/// <summary>What the in-process member tests share: configuration, addresses and the echo actor.</summary>
internal static class Members
{
    /// <summary>
    /// A remoting member on an ephemeral loopback port with the counting adapter and NodeMesh's
    /// serializer; <paramref name="extra"/> takes precedence.
    /// </summary>
    public static Config Config(string extra = "") => ConfigurationFactory.ParseString(extra)
        .WithFallback(ConfigurationFactory.ParseString("""
            akka {
              loglevel = WARNING
              stdout-loglevel = WARNING
              log-dead-letters = 0
              log-dead-letters-during-shutdown = off
              actor.provider = remote
              remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            }
            """))
        .WithFallback(CountingTransport.HoconConfig)
        .WithFallback(NodeMeshConfig.Serialization);

    /// <summary>The member's canonical address.</summary>
    public static Address AddressOf(ActorSystem system) => ((ExtendedActorSystem)system).Provider.DefaultAddress;

    /// <summary>The member's peer key as other members count it: <c>host:port</c>.</summary>
    public static string PeerKey(ActorSystem system)
    {
        var address = AddressOf(system);
        return $"{address.Host}:{address.Port}";
    }

    /// <summary>Bytes the NodeMesh serializer produces for <paramref name="message"/>.</summary>
    public static int SerializedSize(ActorSystem system, object message)
    {
        var serializer = system.Serialization.FindSerializerFor(message);
        Assert.Equal(NodeMeshSerializer.Id, serializer.Identifier);
        return serializer.ToBinary(message).Length;
    }

    /// <summary>The rows of one direction to or from one peer, as (key, count) pairs.</summary>
    public static (string Key, FrameCount Count)[] Side(WireSnapshot snapshot, string peer, WireDirection direction)
    {
        var side = new List<(string, FrameCount)>();
        foreach (var row in snapshot.Rows)
            if (row.Peer == peer && row.Direction == direction) side.Add((row.Key, row.Count));
        return [.. side];
    }

    /// <summary>The reply of <see cref="Echo"/> to a <see cref="SyncResult"/> of step <paramref name="step"/>.</summary>
    public static GossipDeclined ReplyTo(long step) => new(0, 0, 0, (int)step);

    /// <summary>Answers every <see cref="SyncResult"/> with a <see cref="GossipDeclined"/> carrying its step, so traffic flows both ways.</summary>
    public sealed class Echo : ReceiveActor
    {
        public Echo() => Receive<SyncResult>(m => Sender.Tell(ReplyTo(m.Step)));
    }
}
