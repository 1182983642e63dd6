using NodeMesh.Core.Model;

namespace NodeMesh.Core.Tests.Model;

/// <summary>Parsing of <c>--arch</c> and resolution of shapes by <see cref="NetworkPlan"/>.</summary>
public sealed class ArchSpecAndNetworkPlanTests
{
    [Fact]
    public void The_default_network_resolves_to_the_shapes_of_the_design_brief()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(ArchSpec.Default));
        Assert.Equal(3, plan.Layers.Count);

        var conv1 = plan.Layers[0];
        Assert.Equal(("conv1", LayerKind.Conv, 16, 28, 28, 25), (conv1.Name, conv1.Kind, conv1.OutMaps, conv1.OutHeight, conv1.OutWidth, conv1.FanIn));
        Assert.Equal((1, 28, 28, 5, 2, 14, 14, 2), (conv1.InChannels, conv1.InHeight, conv1.InWidth, conv1.Kernel, conv1.Padding, conv1.PostHeight, conv1.PostWidth, conv1.PoolFactor));

        var conv2 = plan.Layers[1];
        Assert.Equal(("conv2", LayerKind.Conv, 32, 14, 14, 400), (conv2.Name, conv2.Kind, conv2.OutMaps, conv2.OutHeight, conv2.OutWidth, conv2.FanIn));
        Assert.Equal((16, 14, 14, 7, 7), (conv2.InChannels, conv2.InHeight, conv2.InWidth, conv2.PostHeight, conv2.PostWidth));

        var dense1 = plan.Layers[2];
        Assert.Equal(("dense1", LayerKind.Dense, 10, 1568), (dense1.Name, dense1.Kind, dense1.OutMaps, dense1.FanIn));
        Assert.Equal((32, 7, 7, 0), (dense1.InChannels, dense1.InHeight, dense1.InWidth, dense1.PostOps.Count));

        Assert.Equal(18_826, plan.UnitCount);
        Assert.Equal(2_856_906L, plan.UnitParameters);
        Assert.Equal(16L * 26 + 32 * 401 + 10 * 1569, plan.SharedParameters);
    }

    [Fact]
    public void Parsing_is_case_insensitive_trims_spaces_and_normalises_the_text()
    {
        var spec = ArchSpec.Parse(" CONV3x3x4 , ReLU,MaxPool2 ,dense10 ");
        Assert.Equal("conv3x3x4,relu,maxpool2,dense10", spec.Text);
        Assert.Equal(new ConvSpec("conv3x3x4", 3, 4), spec.Layers[0]);
        Assert.Equal(new ActivationSpec("relu", ActivationKind.Relu), spec.Layers[1]);
        Assert.Equal(new PoolSpec("maxpool2", PoolKind.Max, 2), spec.Layers[2]);
        Assert.Equal(new DenseSpec("dense10", 10), spec.Layers[3]);
    }

    /// <summary>Bad layer lists, the 1-based position of the bad token and the token as the message must quote it.</summary>
    [Theory]
    [InlineData("conv4x4x8,dense10", 1, "conv4x4x8")]      // even kernel
    [InlineData("conv3x5x8,dense10", 1, "conv3x5x8")]      // not square
    [InlineData("conv17x17x8,dense10", 1, "conv17x17x8")]  // kernel too large
    [InlineData("conv3x3x0,dense10", 1, "conv3x3x0")]      // no maps
    [InlineData("conv3x3x4,dense", 2, "dense")]            // missing number
    [InlineData("conv3x3x4,dense0", 2, "dense0")]
    [InlineData("conv3x3x4,dense99999999999", 2, "dense99999999999")] // number too large
    [InlineData("conv3x3x4,foo,dense10", 2, "foo")]
    [InlineData("conv3x3x4,maxpool1,dense10", 2, "maxpool1")]
    [InlineData("conv3x3x4,,dense10", 2, "")]              // empty token
    public void A_malformed_token_is_a_user_error_naming_the_token_and_its_position(string arch, int position, string token)
    {
        var ex = Assert.Throws<UserInputException>(() => ArchSpec.Parse(arch));
        Assert.Equal(SettingKeys.Arch, ex.Setting);
        Assert.StartsWith($"'{arch}': ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(token.Length == 0 ? $"token {position} is empty" : $"token {position} '{token}'", ex.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_layer_list_is_a_user_error_that_shows_an_example(string arch)
    {
        var ex = Assert.Throws<UserInputException>(() => ArchSpec.Parse(arch));
        Assert.Equal(SettingKeys.Arch, ex.Setting);
        Assert.StartsWith("is empty; ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(ArchSpec.Default, ex.Message);
    }

    /// <summary>Well-formed tokens in an impossible order, and the token the message must blame.</summary>
    [Theory]
    [InlineData("relu,conv3x3x4,dense10", 1, "relu")]                 // activation first
    [InlineData("maxpool2,dense10", 1, "maxpool2")]                   // pool first
    [InlineData("dense20,maxpool2,dense10", 2, "maxpool2")]           // pool after dense
    [InlineData("conv3x3x4,dense20,conv3x3x4,dense10", 3, "conv3x3x4")] // conv after dense
    [InlineData("conv5x5x4,maxpool8,conv5x5x2,dense10", 3, "conv5x5x2")] // kernel larger than its 3x3 input
    [InlineData("conv5x5x4,maxpool8,maxpool8,dense10", 3, "maxpool8")] // pooling leaves nothing
    public void An_impossible_layer_order_is_a_user_error_naming_the_token_and_its_position(string arch, int position, string token)
    {
        var spec = ArchSpec.Parse(arch);
        var ex = Assert.Throws<UserInputException>(() => NetworkPlan.Build(spec));
        Assert.Equal(SettingKeys.Arch, ex.Setting);
        Assert.StartsWith($"'{arch}': token {position} '{token}'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("conv3x3x4,relu")]          // no dense layer at all
    [InlineData("conv3x3x4,dense10,dense5")] // last layer has the wrong width
    [InlineData("conv3x3x4,dense12")]
    public void A_last_layer_other_than_dense10_is_a_user_error_saying_to_end_with_dense10(string arch)
    {
        var ex = Assert.Throws<UserInputException>(() => NetworkPlan.Build(ArchSpec.Parse(arch)));
        Assert.True(ex.Message.Contains("must be dense10", StringComparison.Ordinal) || ex.Message.Contains("end with dense10", StringComparison.Ordinal), ex.Message);
    }

    [Fact]
    public void A_post_op_after_the_last_dense_layer_is_a_user_error_naming_it()
    {
        var ex = Assert.Throws<UserInputException>(() => NetworkPlan.Build(ArchSpec.Parse("conv3x3x4,dense10,relu")));
        Assert.Contains("'relu'", ex.Message);
    }

    [Fact]
    public void Odd_sizes_are_floored_by_pooling_and_dense_after_dense_takes_the_neurons_as_channels()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse("conv3x3x2,tanh,avgpool2,conv5x5x3,maxpool3,dense7,relu,dense4"), 3, 13, 11, 4);
        var (c1, c2, d1, d2) = (plan.Layers[0], plan.Layers[1], plan.Layers[2], plan.Layers[3]);
        Assert.Equal((13, 11, 6, 5, 27), (c1.OutHeight, c1.OutWidth, c1.PostHeight, c1.PostWidth, c1.FanIn));
        Assert.Equal((2, 6, 5, 2, 1, 50, 3), (c2.InChannels, c2.InHeight, c2.InWidth, c2.PostHeight, c2.PostWidth, c2.FanIn, c2.PoolFactor));
        Assert.Equal((3, 2, 1, 6), (d1.InChannels, d1.InHeight, d1.InWidth, d1.FanIn));
        Assert.Equal((7, 1, 1, 7, 4), (d2.InChannels, d2.InHeight, d2.InWidth, d2.FanIn, d2.OutMaps));
        Assert.Equal(2 * 13 * 11 + 3 * 6 * 5 + 7 + 4, plan.UnitCount);
    }
}
