namespace NodeMesh.Actors.Messages;

/// <summary>
/// Marker for every message NodeMesh actors exchange. The marker binds them to
/// <see cref="Serialization.NodeMeshSerializer"/> (protobuf), never to Akka's default JSON.
/// Messages are immutable values: arrays inside them are never written after the message is
/// sent, except the sweep buffers documented on <see cref="ForwardSweep"/> and
/// <see cref="BackwardSweep"/>, which are owned by exactly one actor at a time.
/// </summary>
public interface INodeMeshMessage;
