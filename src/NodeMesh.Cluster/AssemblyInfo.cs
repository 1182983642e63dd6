// NodeMesh.Cluster: Akka.Hosting set-up of every ActorSystem (local mode, cluster members, tests),
// cluster membership of the driver and its workers, and the transport adapter that counts the
// bytes that cross members.
namespace NodeMesh.Cluster;
