using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Remote.Hosting;
using NodeMesh.Cluster.Transport;

namespace NodeMesh.Cluster;

/// <summary>Roles of NodeMesh cluster members.</summary>
public static class Roles
{
    /// <summary>Holds tiles and units (<c>nodemesh node</c>).</summary>
    public const string Worker = "worker";

    /// <summary>Drives a run (<c>nodemesh train --workers N</c>); holds no tiles.</summary>
    public const string Driver = "driver";
}

/// <summary>
/// Turns a NodeMesh ActorSystem (see <c>NodeMeshHosting.AddNodeMesh</c>) into a cluster member
/// through Akka.Hosting: remoting on the member's address, the cluster provider, its role and
/// seeds, frame and socket buffer sizes, the counting transport adapter, and failure detection
/// tuned so that a lost member is noticed in seconds. No automatic downing: a NodeMesh run has a
/// fixed set of members, and the driver ends the run when one is lost (the split brain resolver's
/// 20 s stable-after and its rule that a 2-member split keeps the lower address would only delay
/// or invert that).
/// </summary>
public static class ClusterHosting
{
    /// <summary>Adds remoting and clustering for a member with <paramref name="role"/>.</summary>
    public static AkkaConfigurationBuilder WithNodeMeshCluster(this AkkaConfigurationBuilder builder, MemberOptions options, string role)
    {
        options.Validate();
        var config = ConfigurationFactory.ParseString(Hocon(options, role)).WithFallback(CountingTransport.HoconConfig);
        CountingTransport.EnsureAdaptersLoadable(config);
        builder.AddHocon(config, HoconAddMode.Prepend);
        if (options.Tls is not null) builder.AddSetup(options.Tls.Setup());
        builder.WithRemoting(options.Host, options.Port, options.AdvertisedHost);
        builder.WithActorRefProvider(ProviderSelection.Cluster.Instance);
        return builder;
    }

    /// <summary>The member's HOCON (besides host and port, which Akka.Remote.Hosting sets).</summary>
    public static string Hocon(MemberOptions o, string role)
    {
        long frame = o.MaxFrameSize;
        long buffer = frame + 64 * 1024;
        string seeds = string.Join(", ", o.Seeds.Select(s => $"\"{MemberOptions.ParseSeed(s)}\""));
        double pause = o.AcceptableHeartbeatPause.TotalSeconds;
        return $$"""
            akka {
              actor {
                # Cluster and remoting housekeeping (heartbeats, gossip, failure detection) on
                # their own threads: on the .NET thread pool they would queue behind thousands of
                # busy unit actors, and a member would look dead while it is only working.
                nodemesh-membership-dispatcher {
                  type = ForkJoinDispatcher
                  throughput = 30
                  dedicated-thread-pool {
                    thread-count = 2
                    threadtype = background
                  }
                }
              }
              remote {
                use-dispatcher = "akka.actor.nodemesh-membership-dispatcher"
                log-remote-lifecycle-events = off
                dot-netty.tcp {
                  enable-ssl = {{(o.Tls is null ? "off" : "on")}}
                  ssl.require-mutual-authentication = on
                  ssl.suppress-validation = off
                  maximum-frame-size = {{frame}}b
                  send-buffer-size = {{buffer}}b
                  receive-buffer-size = {{buffer}}b
                }
                watch-failure-detector {
                  heartbeat-interval = 1s
                  acceptable-heartbeat-pause = {{pause:0.###}}s
                  threshold = 10.0
                }
              }
              cluster {
                use-dispatcher = "akka.actor.nodemesh-membership-dispatcher"
                roles = ["{{role}}"]
                seed-nodes = [{{seeds}}]
                downing-provider-class = ""
                run-coordinated-shutdown-when-down = on
                log-info = off
                failure-detector {
                  heartbeat-interval = 1s
                  acceptable-heartbeat-pause = {{pause:0.###}}s
                  threshold = 10.0
                }
              }
              coordinated-shutdown {
                exit-clr = off
                run-by-clr-shutdown-hook = on
                phases {
                  cluster-leave.timeout = 5s
                  cluster-exiting.timeout = 5s
                  cluster-exiting-done.timeout = 5s
                  cluster-shutdown.timeout = 5s
                }
              }
            }
            """;
    }
}
