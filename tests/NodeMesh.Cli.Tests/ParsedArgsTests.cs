using NodeMesh.Cli.Commands;
using NodeMesh.Core;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Cli.Tests;

public class ParsedArgsTests
{
    private static ParsedArgs Train(params string[] args) => ParsedArgs.Parse("train", TrainCommand.Options, args);

    [Fact]
    public void SeparateAndInlineValuesAreEquivalent()
    {
        var a = Train("--lr", "0.25", "--epochs=3", "--quiet");
        Assert.Equal(0.25f, a.Float("lr"));
        Assert.Equal(3, a.Int("epochs"));
        Assert.True(a.Flag("quiet"));
        Assert.False(a.Flag("help"));
    }

    [Fact]
    public void NegativeNumbersAreValuesNotOptions()
    {
        var a = Train("--seed", "-5", "--lr", "-1");
        Assert.Equal(-5, a.Int("seed"));
        Assert.Equal(-1f, a.Float("lr"));
    }

    [Fact]
    public void DefaultsComeFromTheOptionTable()
    {
        var a = Train();
        Assert.Equal(1, a.Int("epochs"));
        Assert.Equal(32, a.Int("batch"));
        Assert.Equal(0.05f, a.Float("lr"));
        Assert.False(a.Has("out"));
        var o = TrainCommand.ParseOptions(a);
        Assert.Equal(StrategyKind.None, o.Strategy.Kind);
        Assert.True(o.Shuffle);
    }

    [Fact]
    public void RepeatedOptionIsAnError()
    {
        var e = Assert.Throws<UserInputException>(() => Train("--epochs", "2", "--epochs=4"));
        Assert.Equal("--epochs is given twice ('2', then '4'); give it once.", e.Message);
        e = Assert.Throws<UserInputException>(() => Train("--quiet", "--lr", "0.1", "--quiet"));
        Assert.Equal("--quiet is given twice; give it once.", e.Message);
    }

    [Fact]
    public void ParseOptionsBuildsTheStrategy()
    {
        var o = TrainCommand.ParseOptions(Train("--strategy", "AllReduce", "--topology", "ring", "--reduce", "mean", "--every", "5"));
        Assert.Equal(StrategyKind.AllReduce, o.Strategy.Kind);
        Assert.Equal(TopologyKind.Ring, o.Strategy.Topology);
        Assert.Equal(ReduceOp.Mean, o.Strategy.Reduce);
        Assert.Equal(5, o.Strategy.Every);
        Assert.Equal(TopologyKind.Star, TrainCommand.ParseOptions(Train("--strategy", "allreduce")).Strategy.Topology);
    }

    [Theory]
    [InlineData("--lr", "1e40")]
    [InlineData("--lr", "inf")]
    [InlineData("--epochs", "99999999999")]
    [InlineData("--epochs", "1.5")]
    public void UnparsableNumbersAreUserErrors(string option, string value)
    {
        var a = Train(option, value);
        var e = Assert.Throws<UserInputException>(() => TrainCommand.ParseOptions(a));
        Assert.Contains($"'{value}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HelpTableHasOneLinePerOption()
    {
        var lines = ParsedArgs.Help(TrainCommand.Options).Split('\n');
        Assert.Equal(TrainCommand.Options.Length, lines.Length);
        for (int i = 0; i < lines.Length; i++)
            Assert.StartsWith("  --" + TrainCommand.Options[i].Name, lines[i], StringComparison.Ordinal);
    }
}
