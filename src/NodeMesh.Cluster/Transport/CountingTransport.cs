using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport;
using AkkaTransport = Akka.Remote.Transport.Transport;

namespace NodeMesh.Cluster.Transport;

/// <summary>
/// An Akka.Remote transport adapter that counts the frames and bytes each member exchanges with
/// each peer member (<see cref="WireCounters"/>), classified into NodeMesh messages and Akka
/// housekeeping. It sits between Akka's protocol layer and DotNetty's TCP transport, where each
/// write or read is one Akka protocol frame.
/// <para>
/// Unlike Akka's <c>AbstractTransportAdapter</c>, it does not add a scheme: addresses stay
/// <c>akka.tcp://system@host:port</c>, so seed nodes and actor paths work unchanged.
/// Enable it by adding <see cref="Hocon"/> to the ActorSystem's configuration.
/// </para>
/// </summary>
public sealed class CountingTransport : AkkaTransport
{
    /// <summary>Name of the adapter in <c>akka.remote.adapters</c>.</summary>
    public const string AdapterName = "nodemesh-count";

    /// <summary>
    /// Registers the adapter and applies it to the TCP transport. The type string must not
    /// contain a space after the comma: Akka reads adapter entries as unwrapped HOCON values,
    /// which keep the quotes around a string with a space, and <c>Type.GetType</c> then fails.
    /// Check a composed configuration with <see cref="EnsureAdaptersLoadable"/>.
    /// </summary>
    public const string Hocon = """
        akka.remote.adapters { nodemesh-count = "NodeMesh.Cluster.Transport.CountingTransportProvider,NodeMesh.Cluster" }
        akka.remote.dot-netty.tcp.applied-adapters = [nodemesh-count]
        """;

    /// <summary><see cref="Hocon"/> parsed, to combine with <c>WithFallback</c>.</summary>
    public static Akka.Configuration.Config HoconConfig => ConfigurationFactory.ParseString(Hocon);

    // Adapters that Akka's own reference configuration registers (FailureInjector, Throttler).
    private static readonly string[] BuiltInAdapters = ["gremlin", "trttl"];

    /// <summary>
    /// Checks, before the ActorSystem is created, that every adapter applied to an enabled
    /// transport is registered in <c>akka.remote.adapters</c> and names a loadable
    /// <see cref="ITransportAdapterProvider"/> with a public parameterless constructor.
    /// Why: with a broken adapter entry Akka 1.5 logs "Cannot initiate transport adapter" and
    /// <c>ActorSystem.Create</c> does not return (Remoting waits startup-timeout for the listen
    /// promise, then blocks on its result, which the crashed endpoint manager never sets; with
    /// 1.5.74 it had not returned after 75 s). This fails at once with a message naming the entry.
    /// </summary>
    /// <param name="config">The configuration the ActorSystem will be created with (without Akka's defaults).</param>
    /// <exception cref="ConfigurationException">An applied adapter is unregistered or cannot be loaded.</exception>
    public static void EnsureAdaptersLoadable(Akka.Configuration.Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        // Read the entries the way Akka's RemoteSettings does (unwrapped values, ToString), so a
        // value Akka would mangle, such as a type string with a space after the comma (which
        // comes back wrapped in quotes), is caught here too.
        var registered = new Dictionary<string, string?>(StringComparer.Ordinal);
        var adapters = config.GetConfig("akka.remote.adapters");
        if (adapters is not null && !adapters.IsEmpty)
            foreach (var (name, value) in adapters.Root.GetObject().Unwrapped)
                registered[name] = value?.ToString();

        var transports = config.GetStringList("akka.remote.enabled-transports", []);
        if (transports.Count == 0) transports = ["akka.remote.dot-netty.tcp"]; // Akka's default
        foreach (var transport in transports)
        {
            foreach (var name in config.GetStringList($"{transport}.applied-adapters", []))
            {
                if (!registered.TryGetValue(name, out var typeName))
                {
                    if (Array.IndexOf(BuiltInAdapters, name) >= 0) continue;
                    throw new ConfigurationException($"{transport}.applied-adapters names '{name}', which is not registered in akka.remote.adapters");
                }
                Type? type;
                try
                {
                    type = typeName is null ? null : Type.GetType(typeName, throwOnError: false);
                }
                catch (Exception e) when (e is FileLoadException or ArgumentException or BadImageFormatException)
                {
                    throw new ConfigurationException($"akka.remote.adapters.{name} = {typeName} is not a valid type name (no space after the comma): {e.Message}", e);
                }
                if (type is null)
                    throw new ConfigurationException($"akka.remote.adapters.{name} = {typeName} cannot be loaded (expected \"Namespace.Type,Assembly\" with no space after the comma)");
                if (!typeof(ITransportAdapterProvider).IsAssignableFrom(type) || type.GetConstructor(Type.EmptyTypes) is null)
                    throw new ConfigurationException($"akka.remote.adapters.{name} = {typeName} is not an {nameof(ITransportAdapterProvider)} with a public parameterless constructor");
            }
        }
    }

    private readonly AkkaTransport _wrapped;
    private readonly WireCounters _counters;
    private readonly ILoggingAdapter _log;

    /// <summary>Wraps <paramref name="wrapped"/>, counting into <paramref name="counters"/>.</summary>
    public CountingTransport(AkkaTransport wrapped, ActorSystem system, WireCounters counters)
    {
        ArgumentNullException.ThrowIfNull(wrapped);
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(counters);
        _wrapped = wrapped;
        _counters = counters;
        _log = Logging.GetLogger(system, typeof(CountingTransport));
        System = system;
        Config = wrapped.Config;
    }

    /// <summary>The wrapped transport's scheme (<c>tcp</c>): this adapter adds none.</summary>
    public override string SchemeIdentifier => _wrapped.SchemeIdentifier;

    /// <summary>The wrapped transport's largest frame, in bytes.</summary>
    public override long MaximumPayloadBytes => _wrapped.MaximumPayloadBytes;

    /// <summary>The counters this transport counts into.</summary>
    public WireCounters Counters => _counters;

    /// <inheritdoc />
    public override async Task<(Address, TaskCompletionSource<IAssociationEventListener>)> Listen()
    {
        var (address, wrappedListener) = await _wrapped.Listen().ConfigureAwait(false);
        var upstream = new TaskCompletionSource<IAssociationEventListener>();
        // Give the wrapped transport our relay right away; the relay holds inbound associations
        // until the layer above completes `upstream` with its own listener.
        wrappedListener.TrySetResult(new InboundAssociationRelay(_counters, _log, upstream.Task));
        return (address, upstream);
    }

    /// <inheritdoc />
    public override bool IsResponsibleFor(Address remote) => _wrapped.IsResponsibleFor(remote);

    /// <summary>
    /// Associates through the wrapped transport and wraps the handle. A failure (for example
    /// <see cref="InvalidAssociationException"/> when the peer refuses the connection) faults the
    /// returned task with the same exception, as the wrapped transport would.
    /// </summary>
    public override async Task<AssociationHandle> Associate(Address remoteAddress)
    {
        var handle = await _wrapped.Associate(remoteAddress).ConfigureAwait(false);
        return new CountingAssociationHandle(handle, _counters, inbound: false);
    }

    /// <inheritdoc />
    public override Task<bool> Shutdown() => _wrapped.Shutdown();

    /// <inheritdoc />
    public override Task<bool> ManagementCommand(object message) => _wrapped.ManagementCommand(message);
}
