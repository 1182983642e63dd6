namespace NodeMesh.Actors.Tests;

/// <summary>
/// The test classes that start whole actor systems with thousands of unit actors (whole runs:
/// equivalence, gossip, devices and drift, learning, failures). xunit runs them one class at a
/// time: on a 2-core machine two such ActorSystems in parallel starve each other's dispatchers
/// and TestKit's timeouts fire. Small TestKit probe tests stay outside and run in parallel.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ActorSystemsCollection
{
    /// <summary>The collection name used in <c>[Collection(ActorSystemsCollection.Name)]</c>.</summary>
    public const string Name = "actor systems";
}
