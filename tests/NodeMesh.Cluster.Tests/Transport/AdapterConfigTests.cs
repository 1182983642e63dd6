using Akka.Configuration;
using NodeMesh.Cluster.Transport;

namespace NodeMesh.Cluster.Tests.Transport;

/// <summary>
/// A wrong adapter entry must fail before the ActorSystem is created: with one, Akka 1.5 logs
/// "Cannot initiate transport adapter" and ActorSystem.Create never returns (no test here starts
/// such a system, since the blocked thread could not be reclaimed).
/// </summary>
public sealed class AdapterConfigTests
{
    private static Config Adapter(string typeString, string applied = CountingTransport.AdapterName) => ConfigurationFactory.ParseString($$"""
        akka.remote.adapters { nodemesh-count = "{{typeString}}" }
        akka.remote.dot-netty.tcp.applied-adapters = [{{applied}}]
        """);

    [Fact]
    public void The_shipped_hocon_passes()
    {
        CountingTransport.EnsureAdaptersLoadable(CountingTransport.HoconConfig);
        CountingTransport.EnsureAdaptersLoadable(ConfigurationFactory.ParseString("akka.actor.provider = remote"));
        // Akka's own adapters are registered by its reference configuration, not by ours.
        CountingTransport.EnsureAdaptersLoadable(ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.applied-adapters = [gremlin, trttl]"));
    }

    [Theory]
    [InlineData("NodeMesh.Cluster.Transport.CountingTransportProvider, NodeMesh.Cluster", CountingTransport.AdapterName, "no space after the comma")]
    [InlineData("NodeMesh.Cluster.Transport.NoSuchProvider,NodeMesh.Cluster", CountingTransport.AdapterName, "cannot be loaded")]
    [InlineData("NodeMesh.Cluster.Transport.CountingTransportProvider,NoSuchAssembly", CountingTransport.AdapterName, "cannot be loaded")]
    [InlineData("NodeMesh.Cluster.Transport.WireCounters,NodeMesh.Cluster", CountingTransport.AdapterName, "ITransportAdapterProvider")]
    [InlineData("NodeMesh.Cluster.Transport.CountingTransportProvider,NodeMesh.Cluster", "nodemesh-cnt", "not registered")]
    public void A_wrong_adapter_entry_fails_with_a_message_naming_it(string typeString, string applied, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => CountingTransport.EnsureAdaptersLoadable(Adapter(typeString, applied)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Adapters_of_every_enabled_transport_are_checked()
    {
        var config = ConfigurationFactory.ParseString("""
            akka.remote.enabled-transports = [akka.remote.dot-netty.tcp, akka.remote.other]
            akka.remote.other.applied-adapters = [missing]
            """).WithFallback(CountingTransport.HoconConfig);
        var e = Assert.Throws<ConfigurationException>(() => CountingTransport.EnsureAdaptersLoadable(config));
        Assert.Contains("akka.remote.other.applied-adapters names 'missing'", e.Message, StringComparison.Ordinal);
    }
}
