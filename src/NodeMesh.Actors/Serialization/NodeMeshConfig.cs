using Akka.Configuration;

namespace NodeMesh.Actors.Serialization;

/// <summary>HOCON that binds every NodeMesh message to <see cref="NodeMeshSerializer"/> and tunes the dispatcher.</summary>
public static class NodeMeshConfig
{
    /// <summary>Serializer binding: all <see cref="Messages.INodeMeshMessage"/> go through protobuf.</summary>
    public static Config Serialization => ConfigurationFactory.ParseString($$"""
        akka.actor {
          serializers.nodemesh = "{{typeof(NodeMeshSerializer).AssemblyQualifiedName}}"
          serialization-bindings {
            "{{typeof(Messages.INodeMeshMessage).AssemblyQualifiedName}}" = nodemesh
          }
          serialization-identifiers {
            "{{typeof(NodeMeshSerializer).AssemblyQualifiedName}}" = {{NodeMeshSerializer.Id}}
          }
        }
        """);

    /// <summary>Config path of the mailbox that unit actors use (<see cref="Hosting.CompactMailboxType"/>).</summary>
    public const string CompactMailbox = "nodemesh.compact-mailbox";

    /// <summary>Local single-process configuration; <paramref name="serializeMessages"/> forces every message through the serializer.</summary>
    public static Config Local(bool serializeMessages = false) => ConfigurationFactory.ParseString($$"""
        nodemesh.compact-mailbox.mailbox-type = "{{typeof(Hosting.CompactMailboxType).AssemblyQualifiedName}}"
        akka {
          loglevel = WARNING
          stdout-loglevel = WARNING
          log-dead-letters = 0
          log-dead-letters-during-shutdown = off
          actor {
            # A failing top-level actor (the driver, a member host) stops; it is never restarted
            # with empty state. Its watchers turn that into a run failure.
            guardian-supervisor-strategy = "Akka.Actor.StoppingSupervisorStrategy"
            serialize-messages = {{(serializeMessages ? "on" : "off")}}
            default-dispatcher {
              throughput = 100
              executor = "{{typeof(Hosting.RunNextExecutorConfigurator).AssemblyQualifiedName}}"
            }
          }
        }
        """).WithFallback(Serialization);
}
