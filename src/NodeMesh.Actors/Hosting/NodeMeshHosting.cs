using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NodeMesh.Actors.Members;
using NodeMesh.Actors.Serialization;

namespace NodeMesh.Actors.Hosting;

/// <summary>Marker for the member host in Akka.Hosting's actor registry.</summary>
public sealed class MemberHostKey;

/// <summary>
/// Builds every NodeMesh ActorSystem through Akka.Hosting — local mode, cluster members and
/// tests use the same builder: NodeMesh's HOCON (serializer bindings, dispatcher, logging, a
/// stopping guardian so no top-level actor is silently restarted) and the member host at
/// <c>/user/host</c>. Cluster members add remoting and clustering on top (NodeMesh.Cluster).
/// </summary>
public static class NodeMeshHosting
{
    /// <summary>The ActorSystem name of every member (addresses are <c>akka.tcp://nodemesh@host:port</c>).</summary>
    public const string SystemName = "nodemesh";

    /// <summary>Adds NodeMesh's configuration and <paramref name="hosts"/> member hosts (<c>host</c>, or <c>host-0</c>, <c>host-1</c>, … for several members in one process).</summary>
    public static AkkaConfigurationBuilder AddNodeMesh(this AkkaConfigurationBuilder builder, bool serializeMessages = false, int hosts = 1)
    {
        builder.AddHocon(NodeMeshConfig.Local(serializeMessages), HoconAddMode.Prepend);
        builder.WithActors((system, registry) =>
        {
            if (hosts == 1) registry.Register<MemberHostKey>(system.ActorOf(MemberHost.Props(), "host"));
            else for (int i = 0; i < hosts; i++) system.ActorOf(MemberHost.Props(), $"host-{i}");
        });
        return builder;
    }

    /// <summary>Builds and starts a host whose ActorSystem is configured by <paramref name="configure"/>; returns it and its ActorSystem.</summary>
    public static async Task<(IHost Host, ActorSystem System)> StartAsync(Action<AkkaConfigurationBuilder> configure, string name = SystemName, CancellationToken cancel = default)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka(name, configure);
        var host = builder.Build();
        await host.StartAsync(cancel).ConfigureAwait(false);
        return (host, host.Services.GetRequiredService<ActorSystem>());
    }
}
