using NodeMesh.Core.Checkpoints;
using NodeMesh.Core.Model;

namespace NodeMesh.Core.Tests.Model;

/// <summary>Conversions between unit weight vectors and checkpoint tensors.</summary>
public sealed class WeightLayoutTests
{
    private static NetworkPlan Plan() =>
        NetworkPlan.Build(ArchSpec.Parse("conv3x3x4,relu,maxpool2,conv3x3x3,dense10"), 2, 7, 6, 10);

    private static float[] RandomArray(Random rng, long n)
    {
        var a = new float[n];
        for (long i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Unit_vectors_survive_a_round_trip_through_checkpoint_tensors(int layer)
    {
        var l = Plan().Layers[layer];
        var v = RandomArray(new Random(layer), (long)l.UnitCount * (l.FanIn + 1));
        var (w, b) = WeightLayout.FromUnitVectors(l, v);
        var (uw, ub) = WeightLayout.UnitShapes(l);
        Assert.Equal(uw, w.Shape);
        Assert.Equal(ub, b.Shape);
        Assert.Equal(WeightLayout.Names(l), (w.Name, b.Name));
        Assert.Equal(v, WeightLayout.ToUnitVectors(l, w, b, "test"));
        // And the other way round: tensors → vectors → tensors.
        var (w2, b2) = WeightLayout.FromUnitVectors(l, WeightLayout.ToUnitVectors(l, w, b, "test"));
        Assert.True(w.ContentEquals(w2));
        Assert.True(b.ContentEquals(b2));
    }

    [Fact]
    public void A_conv_unit_weight_lands_at_its_pytorch_index_in_the_per_position_tensor()
    {
        var l = Plan().Layers[0]; // 4 maps of 7x6, 2 input channels, 3x3
        Assert.Equal(new[] { 4, 7, 6, 2, 3, 3 }, WeightLayout.UnitShapes(l).Weight);
        int stride = l.FanIn + 1;
        var v = new float[l.UnitCount * stride];
        int unit = TilePlanIndex(l, map: 2, u: 5, v: 1);
        v[unit * stride + WeightLayout.UnitWeightIndex(l, c: 1, y: 2, x: 0)] = 7f;
        v[unit * stride + l.FanIn] = -3f;
        var (w, b) = WeightLayout.FromUnitVectors(l, v);
        int expectedAt = ((((2 * 7 + 5) * 6 + 1) * 2 + 1) * 3 + 2) * 3 + 0;
        Assert.Equal(7f, w.Data[expectedAt]);
        Assert.Equal(7f, w.Data.Sum());
        Assert.Equal(-3f, b.Data[(2 * 7 + 5) * 6 + 1]);
        Assert.Equal(-3f, b.Data.Sum());
    }

    private static int TilePlanIndex(WeightedLayer l, int map, int u, int v) => (map * l.OutHeight + u) * l.OutWidth + v;

    [Fact]
    public void A_dense_unit_weight_lands_at_its_channel_row_column_index_of_the_out_in_tensor()
    {
        var l = Plan().Layers[2]; // input 3 channels of 3x3
        Assert.Equal((3, 3, 3), (l.InChannels, l.InHeight, l.InWidth));
        int stride = l.FanIn + 1;
        var v = new float[l.UnitCount * stride];
        v[6 * stride + WeightLayout.UnitWeightIndex(l, c: 2, y: 1, x: 0)] = 5f;
        var (w, _) = WeightLayout.FromUnitVectors(l, v);
        Assert.Equal(5f, w.Data[6 * l.FanIn + (2 * 3 + 1) * 3 + 0]);
        Assert.Equal(5f, w.Data.Sum());
    }

    [Fact]
    public void A_shared_conv_kernel_is_broadcast_to_every_position_of_its_map()
    {
        var l = Plan().Layers[1]; // 3 maps of 3x3, 4 input channels, 3x3 kernel
        var (sw, sb) = WeightLayout.SharedShapes(l);
        Assert.Equal(new[] { 3, 4, 3, 3 }, sw);
        var rng = new Random(11);
        var kernel = RandomArray(rng, 3 * 4 * 3 * 3);
        var bias = RandomArray(rng, 3);
        var v = WeightLayout.ToUnitVectors(l, new NamedTensor("k", sw, kernel), new NamedTensor("b", sb, bias), "test");
        int stride = l.FanIn + 1;
        for (int m = 0; m < 3; m++)
            for (int p = 0; p < l.Positions; p++)
            {
                int unit = m * l.Positions + p;
                for (int c = 0; c < 4; c++)
                    for (int y = 0; y < 3; y++)
                        for (int x = 0; x < 3; x++)
                            Assert.Equal(kernel[((m * 4 + c) * 3 + y) * 3 + x], v[unit * stride + WeightLayout.UnitWeightIndex(l, c, y, x)]);
                Assert.Equal(bias[m], v[unit * stride + l.FanIn]);
            }
    }

    [Fact]
    public void A_conv_weight_of_neither_accepted_shape_is_a_user_error_naming_the_tensor_and_both_shapes()
    {
        var l = Plan().Layers[0];
        var w = new NamedTensor("conv1.weight", [4, 2, 3], new float[24]);
        var b = new NamedTensor("conv1.bias", [4], new float[4]);
        var ex = Assert.Throws<UserInputException>(() => WeightLayout.ToUnitVectors(l, w, b, "model.safetensors"));
        Assert.Contains("model.safetensors", ex.Message);
        Assert.Contains("'conv1.weight'", ex.Message);
        Assert.Contains("[4, 2, 3]", ex.Message);
        Assert.Contains("[4, 7, 6, 2, 3, 3]", ex.Message);
        Assert.Contains("[4, 2, 3, 3]", ex.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_conv_bias_that_does_not_match_its_weight_layout_is_a_user_error_naming_the_bias(bool perPosition)
    {
        var l = Plan().Layers[0];
        var (uw, ub) = WeightLayout.UnitShapes(l);
        var (sw, sb) = WeightLayout.SharedShapes(l);
        var shape = perPosition ? uw : sw;
        var w = new NamedTensor("conv1.weight", shape, new float[shape.Aggregate(1, (a, d) => a * d)]);
        var wrongBias = perPosition ? sb : ub; // the other layout's bias
        var b = new NamedTensor("conv1.bias", wrongBias, new float[wrongBias.Aggregate(1, (a, d) => a * d)]);
        var ex = Assert.Throws<UserInputException>(() => WeightLayout.ToUnitVectors(l, w, b, "ckpt"));
        Assert.Contains("'conv1.bias'", ex.Message);
        Assert.Contains(perPosition ? "[4, 7, 6]" : "[4]", ex.Message);
    }

    [Fact]
    public void A_dense_weight_or_bias_of_the_wrong_shape_is_a_user_error_naming_the_tensor_and_the_shape_it_needs()
    {
        var l = Plan().Layers[2];
        var goodW = new NamedTensor("dense1.weight", [10, 27], new float[270]);
        var goodB = new NamedTensor("dense1.bias", [10], new float[10]);
        var ex = Assert.Throws<UserInputException>(() =>
            WeightLayout.ToUnitVectors(l, new NamedTensor("dense1.weight", [27, 10], new float[270]), goodB, "ckpt"));
        Assert.Contains("'dense1.weight'", ex.Message);
        Assert.Contains("[27, 10]", ex.Message);
        Assert.Contains("[10, 27]", ex.Message);
        ex = Assert.Throws<UserInputException>(() =>
            WeightLayout.ToUnitVectors(l, goodW, new NamedTensor("dense1.bias", [1, 10], new float[10]), "ckpt"));
        Assert.Contains("'dense1.bias'", ex.Message);
        Assert.Contains("[10]", ex.Message);
    }

    [Fact]
    public void Initial_vectors_give_every_position_of_a_conv_map_the_same_kernel_within_the_default_bound()
    {
        var plan = Plan();
        var init = WeightLayout.InitialVectors(plan, 42);
        Assert.Equal(init, WeightLayout.InitialVectors(plan, 42)); // deterministic
        foreach (var l in plan.Layers)
        {
            int stride = l.FanIn + 1;
            var v = init[l.Index];
            Assert.Equal((long)l.UnitCount * stride, v.LongLength);
            float bound = 1f / MathF.Sqrt(l.FanIn);
            Assert.All(v, x => Assert.InRange(x, -bound, bound));
            if (l.Kind != LayerKind.Conv) continue;
            for (int m = 0; m < l.OutMaps; m++)
                for (int p = 1; p < l.Positions; p++)
                    Assert.True(v.AsSpan((m * l.Positions + p) * stride, stride).SequenceEqual(v.AsSpan(m * l.Positions * stride, stride)));
        }
    }
}
