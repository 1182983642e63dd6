using NodeMesh.Core.Strategies;

namespace NodeMesh.Core.Tests.Strategies;

/// <summary>When a strategy ties gradients or averages weights, and which combinations it refuses.</summary>
public sealed class StrategyOptionsTests
{
    [Fact]
    public void All_reduce_every_step_ties_gradients_and_never_averages_weights()
    {
        var s = new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Tree);
        Assert.True(s.TiesGradients);
        Assert.All(Enumerable.Range(0, 10), step => Assert.False(s.AveragesWeightsAfter(step)));
        Assert.Equal("allreduce/tree/sum/every1", s.Describe());
    }

    [Fact]
    public void All_reduce_every_3_averages_weights_after_steps_3_6_and_9_only()
    {
        var s = new StrategyOptions(StrategyKind.AllReduce, Every: 3);
        Assert.False(s.TiesGradients);
        var after = Enumerable.Range(0, 10).Where(step => s.AveragesWeightsAfter(step)).ToArray();
        Assert.Equal([2, 5, 8], after); // 0-based steps
    }

    [Theory]
    [InlineData(StrategyKind.None, 1)]
    [InlineData(StrategyKind.None, 4)]
    [InlineData(StrategyKind.Gossip, 1)]
    [InlineData(StrategyKind.Gossip, 2)]
    public void Other_strategies_neither_tie_gradients_nor_average_weights_in_the_engine(StrategyKind kind, int every)
    {
        var s = new StrategyOptions(kind, Every: every);
        Assert.False(s.TiesGradients);
        Assert.All(Enumerable.Range(0, 8), step => Assert.False(s.AveragesWeightsAfter(step)));
    }

    [Theory]
    [InlineData(StrategyKind.AllReduce, TopologyKind.Grid, 1, 1, 0.5f, 0f, SettingKeys.Topology, "grid does not apply to allreduce")]
    [InlineData(StrategyKind.Gossip, TopologyKind.Star, 1, 1, 0.5f, 0f, SettingKeys.Topology, "star does not apply to gossip")]
    [InlineData(StrategyKind.AllReduce, TopologyKind.Star, 0, 1, 0.5f, 0f, SettingKeys.Every, "0:")]
    [InlineData(StrategyKind.Gossip, TopologyKind.Grid, 1, 0, 0.5f, 0f, SettingKeys.Fanout, "0:")]
    [InlineData(StrategyKind.Gossip, TopologyKind.Grid, 1, 1, 0f, 0f, SettingKeys.Mix, "0:")]
    [InlineData(StrategyKind.Gossip, TopologyKind.Grid, 1, 1, 1.5f, 0f, SettingKeys.Mix, "1.5:")]
    [InlineData(StrategyKind.Gossip, TopologyKind.Grid, 1, 1, float.NaN, 0f, SettingKeys.Mix, "NaN:")]
    [InlineData(StrategyKind.Gossip, TopologyKind.Grid, 1, 1, 0.5f, 1f, SettingKeys.GossipDrop, "1:")]
    public void Invalid_combinations_are_user_errors_naming_the_setting(StrategyKind kind, TopologyKind topology, int every, int fanout, float mix, float drop,
        string setting, string messageStart)
    {
        var s = new StrategyOptions(kind, topology, ReduceOp.Sum, every, fanout, mix, drop);
        var ex = Assert.Throws<UserInputException>(() => s.Validate());
        Assert.Equal(setting, ex.Setting);
        // The message follows the setting's name: it starts with the offending value.
        Assert.StartsWith(messageStart, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(StrategyKind.None, TopologyKind.Star)]
    [InlineData(StrategyKind.AllReduce, TopologyKind.Ring)]
    [InlineData(StrategyKind.Gossip, TopologyKind.Exp)]
    public void Valid_combinations_validate_to_themselves(StrategyKind kind, TopologyKind topology)
    {
        var s = new StrategyOptions(kind, topology);
        Assert.Same(s, s.Validate());
    }
}
