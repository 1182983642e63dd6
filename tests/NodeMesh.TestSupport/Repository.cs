namespace NodeMesh.TestSupport;

/// <summary>Where the repository's files are, for tests that read sources or docs.</summary>
public static class Repository
{
    /// <summary>The directory that holds NodeMesh.sln, found by walking up from the test assembly.</summary>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "NodeMesh.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No NodeMesh.sln above {AppContext.BaseDirectory}.");
    }
}
