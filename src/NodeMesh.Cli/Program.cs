using NodeMesh.Cli;

return await NodeMeshCli.RunAsync(args, Console.Out, Console.Error);
