using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Tests.Metrics;

/// <summary>Closed-form message counts of the emulated fabric.</summary>
public sealed class FabricModelTests
{
    private static readonly NetworkPlan Default = NetworkPlan.Build(ArchSpec.Parse(ArchSpec.Default));

    [Theory]
    [InlineData(0, 0, 9)]    // corner: 3x3 of the 5x5 window is in bounds
    [InlineData(27, 27, 9)]
    [InlineData(0, 27, 9)]
    [InlineData(0, 14, 15)]  // top edge: 3x5
    [InlineData(14, 27, 15)] // right edge: 5x3
    [InlineData(1, 1, 16)]   // one in from the corner: 4x4
    [InlineData(1, 14, 20)]  // one in from the edge: 4x5
    [InlineData(14, 14, 25)] // interior
    [InlineData(2, 2, 25)]
    public void A_5x5_conv_unit_on_28x28_receives_one_message_per_in_bounds_input_position(int u, int v, int messages)
    {
        var conv1 = Default.Layers[0];
        Assert.Equal((messages, 1), FabricModel.UnitInputs(Default, conv1, u, v));
    }

    [Fact]
    public void Messages_into_the_second_conv_layer_carry_all_its_input_channels()
    {
        var conv2 = Default.Layers[1]; // 14x14 input of 16 channels
        Assert.Equal((9, 16), FabricModel.UnitInputs(Default, conv2, 0, 0));
        Assert.Equal((25, 16), FabricModel.UnitInputs(Default, conv2, 7, 7));
    }

    [Fact]
    public void A_dense_unit_receives_one_message_per_input_position_after_a_conv_and_one_per_neuron_after_a_dense()
    {
        Assert.Equal((49, 32), FabricModel.UnitInputs(Default, Default.Layers[2], 0, 0));
        var plan = NetworkPlan.Build(ArchSpec.Parse("conv3x3x2,maxpool2,dense12,relu,dense10"), 1, 8, 8);
        Assert.Equal((16, 2), FabricModel.UnitInputs(plan, plan.Layers[1], 0, 0));
        Assert.Equal((12, 1), FabricModel.UnitInputs(plan, plan.Layers[2], 0, 0));
        var denseFirst = NetworkPlan.Build(ArchSpec.Parse("dense10"), 3, 4, 5);
        Assert.Equal((20, 3), FabricModel.UnitInputs(denseFirst, denseFirst.Layers[0], 0, 0));
    }

    [Fact]
    public void A_4x4_tile_of_3_maps_with_maxpool2_sends_36_pool_messages()
    {
        var l = NetworkPlan.Build(ArchSpec.Parse("conv3x3x3,relu,maxpool2,dense10"), 1, 8, 8).Layers[0];
        var tile = new Tile(0, 0, 0, 4, 0, 4, 3);
        Assert.Equal(4L * 3 * (4 - 1), FabricModel.PoolMessages(l, tile));
    }

    [Fact]
    public void Pool_messages_count_only_whole_windows_and_add_up_over_successive_pools()
    {
        var one = NetworkPlan.Build(ArchSpec.Parse("conv3x3x3,maxpool2,dense10"), 1, 8, 8).Layers[0];
        Assert.Equal(4L * 3 * 3, FabricModel.PoolMessages(one, new Tile(0, 0, 0, 5, 0, 5, 3))); // 5x5 floors to 2x2 windows
        Assert.Equal(0L, FabricModel.PoolMessages(one, new Tile(0, 0, 0, 1, 0, 4, 3)));        // a 1-row tile has no window

        var two = NetworkPlan.Build(ArchSpec.Parse("conv3x3x3,maxpool2,relu,avgpool2,dense10"), 1, 8, 8).Layers[0];
        Assert.Equal(16L * 3 * 3 + 4L * 3 * 3, FabricModel.PoolMessages(two, new Tile(0, 0, 0, 8, 0, 8, 3)));

        var none = NetworkPlan.Build(ArchSpec.Parse("conv3x3x3,relu,dense10"), 1, 8, 8).Layers[0];
        Assert.Equal(0L, FabricModel.PoolMessages(none, new Tile(0, 0, 0, 8, 0, 8, 3)));
    }

    [Fact]
    public void A_sync_message_carries_the_fan_in_weights_and_the_bias_as_float32()
    {
        Assert.Equal(26 * 4, FabricModel.SyncBytes(Default.Layers[0]));
        Assert.Equal(401 * 4, FabricModel.SyncBytes(Default.Layers[1]));
        Assert.Equal(1569 * 4, FabricModel.SyncBytes(Default.Layers[2]));
    }
}
