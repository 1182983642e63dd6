using NodeMesh.Cli.Commands;

namespace NodeMesh.Cli.Tests;

public class HelpTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public async Task ToolHelpListsTheCommandsAndExitsZero(string help)
    {
        var r = await Cli.RunAsync(help);
        Assert.True(r.Code == 0, r.ToString());
        Assert.Empty(r.Err);
        Assert.Contains("Usage: nodemesh <command>", r.Out, StringComparison.Ordinal);
        Assert.Contains(QuickstartCommand.Summary, r.Out, StringComparison.Ordinal);
        Assert.Contains("train", r.Out, StringComparison.Ordinal);
        Assert.Contains("bench", r.Out, StringComparison.Ordinal);
        Assert.Contains(TrainCommand.Summary, r.Out, StringComparison.Ordinal);
        Assert.Contains(BenchCommand.Summary, r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoCommandPrintsUsageAndFails()
    {
        var r = await Cli.RunAsync();
        Assert.True(r.Code == 2, r.ToString());
        Assert.Empty(r.Out);
        Assert.Contains("Usage: nodemesh <command>", r.Err, StringComparison.Ordinal);
        Assert.Contains("error: no command given", r.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--version")]
    [InlineData("version")]
    public async Task VersionPrintsTheToolsVersion(string flag)
    {
        var r = await Cli.RunAsync(flag);
        Assert.True(r.Code == 0, r.ToString());
        Assert.Matches(@"^nodemesh \d+\.\d+\.\d+( \(commit [0-9a-f]{7,40}\))?\n$", r.Out);
    }

    [Theory]
    [InlineData("trian", "train")]
    [InlineData("sweeep", "sweep")]
    [InlineData("quickstrat", "quickstart")]
    [InlineData("compre", "compare")]
    public async Task MistypedCommandGetsASuggestion(string typed, string meant)
    {
        var r = await Cli.RunAsync(typed);
        Cli.AssertUserError(r, singleLine: true, $"unknown command '{typed}'", $"did you mean '{meant}'?");
    }

    [Fact]
    public async Task TrainHelpPrintsEveryOptionAndExitsZero()
    {
        var r = await Cli.RunAsync("train", "--help");
        Assert.True(r.Code == 0, r.ToString());
        Assert.Empty(r.Err);
        Assert.Contains("Usage: nodemesh train", r.Out, StringComparison.Ordinal);
        foreach (var o in TrainCommand.Options)
        {
            string expected = "--" + o.Name + (o.Value is null ? "" : " " + o.Value);
            Assert.True(r.Out.Contains("  " + expected + " ", StringComparison.Ordinal), $"train help lacks '{expected}'\n{r.Out}");
            Assert.Contains(o.Help, r.Out, StringComparison.Ordinal);
            if (o.Default is not null) Assert.Contains($"[default: {o.Default}]", r.Out, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("train")]
    [InlineData("project")]
    public async Task The_layer_grammar_in_help_includes_residual_blocks(string command)
    {
        var r = await Cli.RunAsync(command, "--help");
        Assert.True(r.Code == 0, r.ToString());
        Assert.Contains("res(conv3x3x32s2,relu,conv3x3x32;conv1x1x32s2pvalid)", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BenchHelpPrintsEveryOptionAndExitsZero()
    {
        var r = await Cli.RunAsync("bench", "--help");
        Assert.True(r.Code == 0, r.ToString());
        Assert.Empty(r.Err);
        Assert.Contains("Usage: nodemesh bench", r.Out, StringComparison.Ordinal);
        foreach (var o in BenchCommand.Options)
        {
            string expected = "--" + o.Name + (o.Value is null ? "" : " " + o.Value);
            Assert.True(r.Out.Contains("  " + expected + " ", StringComparison.Ordinal), $"bench help lacks '{expected}'\n{r.Out}");
            Assert.Contains(o.Help, r.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task HelpWinsOverOtherValidOptionsAndRunsNothing()
    {
        using var tmp = new TempDir();
        var r = await Cli.RunAsync("train", "--epochs", "3", "--out", tmp["run"], "--help");
        Assert.True(r.Code == 0, r.ToString());
        Assert.Contains("Usage: nodemesh train", r.Out, StringComparison.Ordinal);
        Assert.False(Directory.Exists(tmp["run"]), "--help must not start a run");
    }

    [Fact]
    public void OptionNamesAreUniqueAndHelpIsAFlag()
    {
        foreach (var defs in new[] { TrainCommand.Options, BenchCommand.Options })
        {
            Assert.Equal(defs.Length, defs.Select(d => d.Name).Distinct().Count());
            var help = Assert.Single(defs, d => d.Name == "help");
            Assert.Null(help.Value);
        }
    }
}
