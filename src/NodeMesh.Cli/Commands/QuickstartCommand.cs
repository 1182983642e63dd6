using NodeMesh.Cli.Reports;

namespace NodeMesh.Cli.Commands;

/// <summary>
/// <c>nodemesh quickstart</c>: the first run. A small sweep (no sharing, exact tying by a tree
/// all-reduce, gossip tying on the grid; 3 epochs on the embedded subset) into a new folder,
/// ending with the comparison table and the accuracy-against-tying-traffic plot.
/// </summary>
public static class QuickstartCommand
{
    public const string Summary = "the seed question in a few minutes: no sharing vs exact tying vs gossip, compared (table and plot)";

    public const string Strategies = "none,allreduce-tree,gossip-grid";
    public const string Epochs = "3";

    /// <summary>The sweep's options with the quickstart's defaults (and --out optional).</summary>
    public static readonly OptionDef[] Options = SweepCommand.Options.Select(o => o.Name switch
    {
        "out" => o with { Default = "runs/quickstart-<time>-<xxxx>", Help = "folder of the comparison (new or empty); the default is a new folder" },
        "strategies" => o with { Default = Strategies },
        "every" => o with { Default = "1" },
        "epochs" => o with { Default = Epochs },
        _ => o,
    }).ToArray();

    public static string HelpText => $"""
        nodemesh quickstart — {Summary}

        Trains the same ConvNet three ways on the embedded Fashion-MNIST subset (2,000 training and
        500 test images), one after another: locally connected (none: every position learns its own
        kernel, no weights move), exactly tied by a tree all-reduce of the gradients every step, and
        tied approximately by gossip on the grid of positions. It then prints the comparison table
        and writes compare.md, compare.csv and tradeoff_bytes.png (test accuracy against the tying
        traffic per sample). It is 'nodemesh sweep' with these defaults, so every sweep and train
        option applies; 'nodemesh train' stays the command for one run.

        Usage: nodemesh quickstart [options]

        Options:
        {ParsedArgs.Help(Options)}

        Examples:
          nodemesh quickstart
          nodemesh quickstart --seed 2 --epochs 5
          nodemesh quickstart --seeds 1,2,3                 # mean ± std over three seeds
          nodemesh quickstart --data full --train-limit 10000
        """;

    public static async Task<int> RunAsync(ParsedArgs a, TextWriter stdout, TextWriter stderr)
    {
        var given = a.ToArgs(_ => true).ToList();
        var args = new List<string>(given);
        if (!a.Given("strategies")) args.AddRange(["--strategies", Strategies]);
        if (!a.Given("every")) args.AddRange(["--every", "1"]);
        if (!a.Given("epochs")) args.AddRange(["--epochs", Epochs]);
        // A new folder name; the sweep claims it once every option has been checked.
        string outDir = a.Given("out") ? a.String("out")! : RunDirectory.NewName("runs", $"quickstart-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        if (!a.Given("out")) args.AddRange(["--out", outDir]);
        int code = await SweepCommand.RunAsync(ParsedArgs.Parse("sweep", SweepCommand.Options, args), stdout, stderr);
        if (code != 0) return code;
        stdout.WriteLine();
        string compare = File.ReadAllText(Path.Combine(outDir, Comparison.MarkdownFile));
        int sections = compare.IndexOf("\n## ", StringComparison.Ordinal); // the header and the table; the plots' sections stay in the file
        stdout.WriteLine((sections > 0 ? compare[..sections] : compare).Trim());
        stdout.WriteLine();
        stdout.WriteLine($"the whole comparison: {Path.Combine(outDir, Comparison.MarkdownFile)}");
        stdout.WriteLine();
        stdout.WriteLine($"plot: {Path.Combine(outDir, Comparison.BytesPng)} (test accuracy against tying traffic per sample)");
        stdout.WriteLine($"each run's report: {Path.Combine(outDir, a.Given("seeds") ? "<setting>-seed<N>" : "<setting>", ReportWriter.ReportFile)}");
        return 0;
    }
}
