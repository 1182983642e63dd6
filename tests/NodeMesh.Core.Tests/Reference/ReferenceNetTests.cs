using NodeMesh.Core.Model;
using NodeMesh.TestSupport.Reference;

namespace NodeMesh.Core.Tests.Reference;

/// <summary>Properties of <see cref="ReferenceNet"/> that need no PyTorch.</summary>
public sealed class ReferenceNetTests
{
    private const string SmallArch = "conv3x3x4,relu,maxpool2,conv5x5x3,tanh,avgpool2,dense10";

    private static NetworkPlan SmallPlan() => NetworkPlan.Build(ArchSpec.Parse(SmallArch), 2, 13, 11, 10);

    private static float[] RandomImages(NetworkPlan plan, int batch, int seed)
    {
        var rng = new Random(seed);
        var x = new float[batch * plan.InputChannels * plan.InputHeight * plan.InputWidth];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        return x;
    }

    private static byte[] RandomLabels(int batch, int classes, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, batch).Select(_ => (byte)rng.Next(classes)).ToArray();
    }

    /// <summary>Copies a Shared net's parameters into a Local net, each map's kernel to every position.</summary>
    private static void BroadcastInto(ReferenceNet shared, ReferenceNet local)
    {
        for (int l = 0; l < shared.Plan.Layers.Count; l++)
        {
            var layer = shared.Plan.Layers[l];
            if (layer.Kind == LayerKind.Conv)
            {
                ReferenceKernels.BroadcastToPositions(shared.Weight(l), layer.OutMaps, layer.Positions, layer.FanIn, local.Weight(l));
                ReferenceKernels.BroadcastToPositions(shared.Bias(l), layer.OutMaps, layer.Positions, 1, local.Bias(l));
            }
            else
            {
                shared.Weight(l).CopyTo(local.Weight(l), 0);
                shared.Bias(l).CopyTo(local.Bias(l), 0);
            }
        }
    }

    [Fact]
    public void Local_with_identical_kernels_at_every_position_gives_the_same_forward_output_as_shared()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(ArchSpec.Default), 1, 28, 28, 10);
        var shared = new ReferenceNet(plan, WeightSharing.Shared);
        var local = new ReferenceNet(plan, WeightSharing.Local);
        // Arbitrary (non-default) kernels: random values of a different scale than the default init.
        var rng = new Random(7);
        for (int l = 0; l < plan.Layers.Count; l++)
        {
            foreach (var p in new[] { shared.Weight(l), shared.Bias(l) })
                for (int i = 0; i < p.Length; i++) p[i] = (float)(rng.NextDouble() - 0.5) * 0.4f;
        }
        BroadcastInto(shared, local);
        var images = RandomImages(plan, 3, 11);

        var ys = shared.Forward(images, 3);
        var yl = local.Forward(images, 3);

        // Same loop nest, same values, same summation order: bit-identical, not just close.
        Assert.Equal(ys, yl);
        Assert.Contains(ys, v => v != 0);
    }

    [Fact]
    public void Default_init_starts_local_and_shared_from_the_same_network()
    {
        var plan = SmallPlan();
        var shared = new ReferenceNet(plan, WeightSharing.Shared);
        var local = new ReferenceNet(plan, WeightSharing.Local);
        shared.InitDefault(42);
        local.InitDefault(42);

        var expectedLocal = new ReferenceNet(plan, WeightSharing.Local);
        BroadcastInto(shared, expectedLocal);
        for (int l = 0; l < plan.Layers.Count; l++)
        {
            Assert.Equal(expectedLocal.Weight(l), local.Weight(l));
            Assert.Equal(expectedLocal.Bias(l), local.Bias(l));
        }
        var images = RandomImages(plan, 4, 1);
        Assert.Equal(shared.Forward(images, 4), local.Forward(images, 4));
    }

    [Fact]
    public void Default_init_is_uniform_within_one_over_root_fan_in_and_depends_only_on_the_seed()
    {
        var plan = SmallPlan();
        var a = new ReferenceNet(plan, WeightSharing.Shared);
        var b = new ReferenceNet(plan, WeightSharing.Shared);
        var c = new ReferenceNet(plan, WeightSharing.Shared);
        a.InitDefault(5);
        b.InitDefault(5);
        c.InitDefault(6);
        for (int l = 0; l < plan.Layers.Count; l++)
        {
            float bound = 1f / MathF.Sqrt(plan.Layers[l].FanIn);
            var all = a.Weight(l).Concat(a.Bias(l)).ToArray();
            Assert.All(all, v => Assert.InRange(v, -bound, bound));
            Assert.True(all.Max() > 0.5f * bound && all.Min() < -0.5f * bound, $"layer {l}: values do not spread over ±{bound}");
            Assert.Equal(a.Weight(l), b.Weight(l));
            Assert.Equal(a.Bias(l), b.Bias(l));
            Assert.NotEqual(a.Weight(l), c.Weight(l));
        }
    }

    [Fact]
    public void Default_init_matches_the_unit_initial_vectors_of_WeightLayout()
    {
        var plan = SmallPlan();
        var local = new ReferenceNet(plan, WeightSharing.Local);
        local.InitDefault(123);
        var vectors = WeightLayout.InitialVectors(plan, 123);
        for (int l = 0; l < plan.Layers.Count; l++)
        {
            var (w, b) = WeightLayout.FromUnitVectors(plan.Layers[l], vectors[l]);
            Assert.Equal(w.Data, local.Weight(l));
            Assert.Equal(b.Data, local.Bias(l));
        }
    }

    [Fact]
    public void Summing_local_gradients_over_positions_gives_the_shared_gradient()
    {
        // The identity behind allreduce(sum): a ConvNet's kernel gradient is the sum of the
        // gradients of the per-position copies, when all copies hold the same kernel.
        var plan = SmallPlan();
        var shared = new ReferenceNet(plan, WeightSharing.Shared);
        var local = new ReferenceNet(plan, WeightSharing.Local);
        shared.InitDefault(3);
        local.InitDefault(3);
        var images = RandomImages(plan, 5, 2);
        var labels = RandomLabels(5, 10, 2);

        float lossShared = shared.TrainStep(images, labels, 5, 0.05f);
        float lossLocal = local.TrainStep(images, labels, 5, 0.05f);
        Assert.Equal(lossShared, lossLocal);

        for (int l = 0; l < plan.Layers.Count; l++)
        {
            var layer = plan.Layers[l];
            var (dWs, dBs) = shared.LastGradients[l];
            var (dWl, dBl) = local.LastGradients[l];
            if (layer.Kind == LayerKind.Dense)
            {
                Assert.Equal(dWs, dWl);
                Assert.Equal(dBs, dBl);
                continue;
            }
            int positions = layer.Positions, fanIn = layer.FanIn;
            var sumW = new float[dWs.Length];
            var sumB = new float[dBs.Length];
            for (int m = 0; m < layer.OutMaps; m++)
            for (int p = 0; p < positions; p++)
            {
                for (int i = 0; i < fanIn; i++) sumW[m * fanIn + i] += dWl[(m * positions + p) * fanIn + i];
                sumB[m] += dBl[m * positions + p];
            }
            Tolerance.Float32Sums.AssertClose(dWs, sumW, $"{layer.Name} summed local dW");
            Tolerance.Float32Sums.AssertClose(dBs, sumB, $"{layer.Name} summed local dB");
            Assert.Contains(dWs, v => v != 0);
        }
    }

    [Fact]
    public void Train_step_applies_plain_sgd_with_the_reported_gradients()
    {
        var plan = SmallPlan();
        var net = new ReferenceNet(plan, WeightSharing.Local);
        net.InitDefault(9);
        var before = Enumerable.Range(0, plan.Layers.Count).Select(l => (W: net.Weight(l).ToArray(), B: net.Bias(l).ToArray())).ToArray();
        var images = RandomImages(plan, 2, 4);
        var labels = RandomLabels(2, 10, 4);
        const float lr = 0.1f;

        float loss = net.TrainStep(images, labels, 2, lr);

        Assert.InRange(loss, 0.5f, 5f);
        for (int l = 0; l < plan.Layers.Count; l++)
        {
            var (dW, dB) = net.LastGradients[l];
            for (int i = 0; i < dW.Length; i++) Assert.Equal(before[l].W[i] - lr * dW[i], net.Weight(l)[i]);
            for (int i = 0; i < dB.Length; i++) Assert.Equal(before[l].B[i] - lr * dB[i], net.Bias(l)[i]);
        }
        // After one local step the positions of a map no longer share a kernel.
        var conv1 = plan.Layers[0];
        var w = net.Weight(0);
        Assert.NotEqual(w.AsSpan(0, conv1.FanIn).ToArray(), w.AsSpan(conv1.FanIn, conv1.FanIn).ToArray());
    }

    [Fact]
    public void Parameter_lengths_follow_the_checkpoint_layouts()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(ArchSpec.Default), 1, 28, 28, 10);
        var local = new ReferenceNet(plan, WeightSharing.Local);
        var shared = new ReferenceNet(plan, WeightSharing.Shared);
        Assert.Equal(16 * 1 * 5 * 5, shared.Weight(0).Length);
        Assert.Equal(16, shared.Bias(0).Length);
        Assert.Equal(16 * 28 * 28 * 1 * 5 * 5, local.Weight(0).Length);
        Assert.Equal(16 * 28 * 28, local.Bias(0).Length);
        Assert.Equal(32 * 14 * 14 * 16 * 5 * 5, local.Weight(1).Length);
        Assert.Equal(10 * 32 * 7 * 7, local.Weight(2).Length);
        long localTotal = Enumerable.Range(0, 3).Sum(l => (long)local.Weight(l).Length + local.Bias(l).Length);
        long sharedTotal = Enumerable.Range(0, 3).Sum(l => (long)shared.Weight(l).Length + shared.Bias(l).Length);
        Assert.Equal(2_856_906, localTotal); // the design brief's locally connected parameter count
        Assert.Equal(plan.UnitParameters, localTotal);
        Assert.Equal(plan.SharedParameters, sharedTotal);
    }

    [Fact]
    public void Wrong_input_sizes_and_labels_are_rejected()
    {
        var plan = SmallPlan();
        var net = new ReferenceNet(plan, WeightSharing.Shared);
        var images = RandomImages(plan, 2, 0);
        Assert.Throws<ArgumentException>(() => net.Forward(images.AsSpan(1), 2));
        Assert.Throws<ArgumentException>(() => net.TrainStep(images, new byte[] { 1 }, 2, 0.1f));
        Assert.Throws<ArgumentException>(() => net.TrainStep(images, new byte[] { 1, 10 }, 2, 0.1f));
    }
}
