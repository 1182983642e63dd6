namespace NodeMesh.Integration.Tests;

/// <summary>
/// A test that starts <c>nodemesh</c> processes: each gets a fresh working directory, and every
/// process it started is killed (with its children) and the directory removed when it ends.
/// </summary>
public abstract class ProcessTest : IDisposable
{
    private readonly List<NodeProcess> _processes = [];

    /// <summary>The test's own directory (the processes' working directory).</summary>
    protected string Dir { get; } = Cli.TempDir();

    /// <summary>Starts <c>nodemesh args</c> as a process owned by this test.</summary>
    protected NodeProcess Start(string name, params string[] args)
    {
        var p = NodeProcess.Start(name, args, workingDirectory: Dir);
        _processes.Add(p);
        return p;
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing) return;
        foreach (var p in _processes) p.Dispose();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
