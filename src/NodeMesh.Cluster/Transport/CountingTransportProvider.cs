using Akka.Actor;
using Akka.Remote.Transport;
using AkkaTransport = Akka.Remote.Transport.Transport;

namespace NodeMesh.Cluster.Transport;

/// <summary>
/// Creates <see cref="CountingTransport"/> around a transport; Akka instantiates it by name from
/// <c>akka.remote.adapters</c> (see <see cref="CountingTransport.Hocon"/>), hence the public
/// parameterless constructor.
/// </summary>
public sealed class CountingTransportProvider : ITransportAdapterProvider
{
    /// <summary>Wraps <paramref name="wrappedTransport"/>, counting into <see cref="WireCounters.Get"/> of <paramref name="system"/>.</summary>
    public AkkaTransport Create(AkkaTransport wrappedTransport, ExtendedActorSystem system) =>
        new CountingTransport(wrappedTransport, system, WireCounters.Get(system));
}
