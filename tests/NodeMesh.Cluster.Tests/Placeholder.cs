namespace NodeMesh.Cluster.Tests;
