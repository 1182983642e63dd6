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

    [Fact]
    public void Stride_padding_pool_stride_and_gap_parse_and_the_old_tokens_keep_their_meaning()
    {
        var spec = ArchSpec.Parse("conv11x11x64s4p2,conv4x4x8pvalid,conv5x5x2s2,conv3x3x4psame,conv3x3x4,maxpool3s2,avgpool2,gap,dense10");
        Assert.Equal((11, 64, 4, 2), Conv(spec, 0));
        Assert.Equal((4, 8, 1, 0), Conv(spec, 1));
        Assert.Equal((5, 2, 2, 2), Conv(spec, 2));   // default padding ⌊K/2⌋ at any stride
        Assert.Equal((3, 4, 1, 1), Conv(spec, 3));
        Assert.Equal(spec.Layers[3] with { Token = "conv3x3x4" }, spec.Layers[4]); // psame is the default
        var pool = (PoolSpec)spec.Layers[5];
        Assert.Equal((PoolKind.Max, 3, 2, false, true), (pool.Kind, pool.Size, pool.Stride, pool.Global, pool.Overlaps));
        Assert.Equal(new PoolSpec("avgpool2", PoolKind.Avg, 2), spec.Layers[6]);
        Assert.False(((PoolSpec)spec.Layers[6]).Overlaps);
        var gap = (PoolSpec)spec.Layers[7];
        Assert.Equal((PoolKind.Avg, true, (1, 1), (5, 7)), (gap.Kind, gap.Global, gap.Output(5, 7), gap.Window(5, 7)));

        static (int, int, int, int) Conv(ArchSpec s, int i) { var c = (ConvSpec)s.Layers[i]; return (c.Kernel, c.Maps, c.Stride, c.Padding); }
    }

    [Fact]
    public void Strided_padded_convs_and_overlapping_pools_resolve_to_pytorchs_output_sizes()
    {
        // conv4 s2 p1 on 21x19: ⌊(21+2−4)/2⌋+1 = 10, ⌊(19+2−4)/2⌋+1 = 9; maxpool3s2: ⌊(10−3)/2⌋+1 = 4, ⌊(9−3)/2⌋+1 = 4;
        // conv3 valid on 4x4: 2x2; gap: 1x1.
        var plan = NetworkPlan.Build(ArchSpec.Parse("conv4x4x3s2p1,relu,maxpool3s2,conv3x3x5pvalid,gap,dense10"), 2, 21, 19);
        var (c1, c2, d) = (plan.Layers[0], plan.Layers[1], plan.Layers[2]);
        Assert.Equal((10, 9, 4, 4, 2, 1, 32, 2, true), (c1.OutHeight, c1.OutWidth, c1.PostHeight, c1.PostWidth, c1.Stride, c1.Padding, c1.FanIn, c1.PoolFactor, c1.PoolsAcrossTiles));
        Assert.Equal((3, 4, 4, 2, 2, 1, 1, 0, 1), (c2.InChannels, c2.InHeight, c2.InWidth, c2.OutHeight, c2.OutWidth, c2.PostHeight, c2.PostWidth, c2.Padding, c2.Stride));
        Assert.Equal((5, 1, 1, 5), (d.InChannels, d.InHeight, d.InWidth, d.FanIn));
        // Unit 9 of conv1 reads rows 17..20 of 21; input row 0 is read by unit 0 only, row 20 by unit 9 only.
        Assert.Equal((17, 4), c1.WindowRows(9, 21));
        Assert.Equal((0, 3), c1.WindowRows(0, 21)); // rows −1..2, the first is padding
        Assert.Equal((0, 0), c1.Consumers(0, 10));
        Assert.Equal((4, 5), c1.Consumers(9, 10));  // rows 7..10 and 9..12
        var valid = NetworkPlan.Build(ArchSpec.Parse("conv5x5x1s3pvalid,dense10"), 1, 9, 9).Layers[0];
        Assert.Equal(2, valid.OutHeight);            // windows 0..4 and 3..7: row 8 is read by none
        var (first, last) = valid.Consumers(8, 2);
        Assert.True(first > last);
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
    [InlineData("conv3x3x4s0,dense10", 1, "conv3x3x4s0")]  // stride 0
    [InlineData("conv3x3x4s4,dense10", 1, "conv3x3x4s4")]  // stride larger than the kernel
    [InlineData("conv3x3x4p3,dense10", 1, "conv3x3x4p3")]  // padding not less than the kernel
    [InlineData("conv4x4x8psame,dense10", 1, "conv4x4x8psame")] // same padding needs an odd kernel
    [InlineData("conv3x3x4pfull,dense10", 1, "conv3x3x4pfull")] // unknown padding
    [InlineData("conv3x3x4,maxpool3s0,dense10", 2, "maxpool3s0")]
    [InlineData("conv3x3x4,maxpool2s3,dense10", 2, "maxpool2s3")] // pool stride larger than the window
    [InlineData("conv3x3x4,gap2,dense10", 2, "gap2")]
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
    [InlineData("conv5x5x4,maxpool8,conv5x5x2pvalid,dense10", 3, "conv5x5x2pvalid")] // valid 5x5 on 3x3: output 0
    [InlineData("conv5x5x4,maxpool8,conv5x5x2p0,dense10", 3, "conv5x5x2p0")]
    [InlineData("conv5x5x4,maxpool8,maxpool3s2,maxpool2,dense10", 4, "maxpool2")]      // 3x3 → 1x1, then 2 leaves nothing
    [InlineData("gap,dense10", 1, "gap")]                                             // gap first
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

/// <summary>Residual blocks: <c>res(…)</c> with an identity or a projection shortcut.</summary>
public sealed class ResidualSpecTests
{
    private const string Identity = "conv3x3x4,relu,res(conv3x3x4,relu,conv3x3x4),relu,dense10";
    private const string Projection = "conv3x3x4,relu,res(conv3x3x8s2,relu,conv3x3x8;conv1x1x8s2pvalid),relu,maxpool2,dense10";

    [Fact]
    public void An_identity_block_adds_the_layer_before_it_to_its_last_conv()
    {
        var spec = ArchSpec.Parse(" Res( conv3x3x4 ,relu,conv3x3x4 ) ,relu".Insert(0, "conv3x3x4,relu,") + ",dense10");
        Assert.Equal(Identity, spec.Text);
        Assert.Equal(spec.Text, ArchSpec.Parse(spec.Text).Text); // the canonical text parses to itself
        var plan = NetworkPlan.Build(spec);
        Assert.Equal(["conv1", "conv2", "conv3", "dense1"], plan.Layers.Select(l => l.Name));
        Assert.Equal([-1, 0, 1, 2], plan.Layers.Select(l => l.Source));
        Assert.Equal([null, null, 0, null], plan.Layers.Select(l => l.Skip));
        Assert.Equal(["relu"], plan.Layers[2].PostOps.Select(p => p.Token)); // the relu after ')' follows the add
        Assert.Empty(plan.Layers[1].PostOps.OfType<PoolSpec>());
    }

    [Fact]
    public void A_projection_shortcut_reads_the_blocks_input_and_sits_before_the_block()
    {
        var spec = ArchSpec.Parse(Projection);
        Assert.Equal(Projection, spec.Text);
        var plan = NetworkPlan.Build(spec);
        Assert.Equal(["conv1", "conv2", "conv3", "conv4", "dense1"], plan.Layers.Select(l => l.Name));
        Assert.Equal([false, true, false, false, false], plan.Layers.Select(l => l.Shortcut));
        Assert.Equal([-1, 0, 0, 2, 3], plan.Layers.Select(l => l.Source));
        Assert.Equal([null, null, null, 1, null], plan.Layers.Select(l => l.Skip));
        var sc = plan.Layers[1];
        Assert.Equal((1, 0, 2, 4, 28, 8, 14), (sc.Kernel, sc.Padding, sc.Stride, sc.InChannels, sc.InHeight, sc.OutMaps, sc.OutHeight));
        Assert.Empty(sc.PostOps);
        var first = plan.Layers[2];
        Assert.Equal((4, 28, 8, 14), (first.InChannels, first.InHeight, first.OutMaps, first.OutHeight));
        Assert.Equal((8, 14, 7), (plan.Layers[3].InChannels, plan.Layers[3].OutHeight, plan.Layers[3].PostHeight));
        Assert.Equal((8, 7, 7), (plan.Layers[4].InChannels, plan.Layers[4].InHeight, plan.Layers[4].InWidth));
        Assert.Equal(4L * 10 + 8 * 5 + 8 * 37 + 8 * 73 + 10 * (8 * 49 + 1), plan.SharedParameters);
    }

    [Theory]
    [InlineData("res(conv3x3x4,conv3x3x4),dense10", "needs a conv layer before it")]
    [InlineData("conv3x3x4,res(conv3x3x4,relu,conv3x3x4,relu),dense10", "must end with a conv")]
    [InlineData("conv3x3x4,res(conv3x3x4),dense10", "needs at least two")]
    [InlineData("conv3x3x4,res(conv3x3x4,relu,conv3x3x8),dense10", "identity shortcut needs equal shapes")]
    [InlineData("conv3x3x4,res(conv3x3x8s2,relu,conv3x3x8;conv1x1x4s2pvalid),dense10", "the add needs equal shapes")]
    [InlineData("conv3x3x4,res(conv3x3x4,relu,res(conv3x3x4,conv3x3x4)),dense10", "cannot nest")]
    [InlineData("conv3x3x4,res(conv3x3x4,relu,conv3x3x4,dense10", "never closed")]
    [InlineData("conv3x3x4,conv3x3x4),dense10", "never opened")]
    [InlineData("conv3x3x4,res(conv3x3x4,maxpool2,conv3x3x4),dense10", "pooling inside a residual block")]
    [InlineData("conv3x3x4,res(conv3x3x4,relu,conv3x3x4;relu),dense10", "shortcut of a residual block must be a conv")]
    [InlineData("conv3x3x4,res(conv3x3x4,dense10),dense10", "close it with ')' before the dense layers")]
    public void A_malformed_residual_block_is_a_user_error_that_says_what_to_change(string arch, string message)
    {
        var e = Assert.Throws<UserInputException>(() => NetworkPlan.Build(ArchSpec.Parse(arch)));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
