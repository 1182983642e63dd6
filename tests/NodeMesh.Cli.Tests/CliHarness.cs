using System.Globalization;

namespace NodeMesh.Cli.Tests;

/// <summary>The outcome of one in-process <c>nodemesh</c> invocation.</summary>
public sealed record CliResult(int Code, string Out, string Err)
{
    public string[] ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {Code}\n--- stdout ---\n{Out}\n--- stderr ---\n{Err}";
}

/// <summary>Runs the CLI in-process and checks the shape of user errors.</summary>
public static class Cli
{
    /// <summary>A tiny network on the embedded data: a run takes well under a second.</summary>
    public const string TinyArch = "conv3x3x2,relu,maxpool2,dense10";

    public static readonly string[] Tiny =
        ["--arch", TinyArch, "--train-limit", "64", "--test-limit", "50", "--batch", "16", "--quiet"];

    public static async Task<CliResult> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        int code = await NodeMeshCli.RunAsync(args, stdout, stderr);
        return new CliResult(code, stdout.ToString().Replace("\r\n", "\n", StringComparison.Ordinal),
            stderr.ToString().Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    /// <summary>The tiny options with those that <paramref name="overrides"/> gives replaced by them.</summary>
    public static string[] TinyWith(params string[] overrides) => NodeMesh.TestSupport.CommandArgs.Override(Tiny, overrides);

    /// <summary><c>nodemesh train</c> with the tiny options, then <paramref name="more"/>.</summary>
    public static Task<CliResult> TrainAsync(params string[] more) => RunAsync(["train", .. Tiny, .. more]);

    /// <summary>
    /// Exit code 2, the first stderr line is <c>error: …</c> containing every fragment, no other
    /// line starts with <c>error:</c>, and nothing looks like a stack trace.
    /// When <paramref name="singleLine"/>, stderr holds that one line only.
    /// </summary>
    public static string AssertUserError(CliResult r, bool singleLine, params string[] fragments)
    {
        Assert.True(r.Code == 2, $"expected exit code 2\n{r}");
        var lines = r.ErrLines;
        Assert.True(lines.Length > 0, $"expected an error on stderr\n{r}");
        string error = lines[0];
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Single(lines, l => l.StartsWith("error:", StringComparison.Ordinal));
        if (singleLine) Assert.True(lines.Length == 1, $"expected a one-line error\n{r}");
        Assert.DoesNotContain("Exception", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        foreach (var f in fragments)
            Assert.True(error.Contains(f, StringComparison.Ordinal), $"error line should mention '{f}': {error}");
        return error;
    }

    /// <summary>Reads a CSV without quoting (the CLI writes none) into rows keyed by the header.</summary>
    public static List<Dictionary<string, string>> ReadCsv(string path, out string header)
    {
        var lines = File.ReadAllLines(path);
        header = lines[0];
        var names = header.Split(',');
        var rows = new List<Dictionary<string, string>>();
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var cells = line.Split(',');
            Assert.True(cells.Length == names.Length, $"row '{line}' has {cells.Length} cells, header has {names.Length}");
            rows.Add(names.Zip(cells).ToDictionary(p => p.First, p => p.Second));
        }
        return rows;
    }

    public static double D(string s) => s == "inf" ? double.PositiveInfinity : double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
}

/// <summary>A fresh directory under the system temp directory, deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "nodemesh-cli-tests-" + Guid.NewGuid().ToString("N"));

    public TempDir() => Directory.CreateDirectory(Path);

    public string this[string name] => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
