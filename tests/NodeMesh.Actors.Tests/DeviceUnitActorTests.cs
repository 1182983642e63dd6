using Akka.Actor;
using Akka.TestKit.Xunit2;
using NodeMesh.Actors.Serialization;
using NodeMesh.Actors.Messages;
using NodeMesh.Core.Devices;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Units;

namespace NodeMesh.Actors.Tests;

/// <summary>
/// A unit actor on a device store takes its samples' input scales in the forward pass (for the
/// read noise and the update) and, without tying, computes no gradient. What it does must be what
/// the device array does when driven through its general API, which computes the scales itself.
/// </summary>
public sealed class DeviceUnitActorTests() : TestKit(NodeMeshConfig.Local())
{
    private const string Arch = "conv3x3x2,dense10";
    private const int Index = 5;

    // 35 samples: the kernels' four-vector block, and a scalar tail.
    private const int Batch = 35;

    private static float[] Initial => Enumerable.Range(0, 10).Select(i => 0.05f * (i - 4)).ToArray();

    /// <summary>The one tile's input region (the padded 4x4 grid), values of both signs and some above 1.</summary>
    private static GridBuffer Input()
    {
        var images = Enumerable.Range(0, Batch * 16).Select(i => (float)((i * 37) % 23) / 7f - 1.5f).ToArray();
        var padded = GridBuffer.FromImages(images, 1, 4, 4, 1, Enumerable.Range(0, Batch).ToArray());
        return new GridBuffer(6, 6, 1, 0, Batch, padded.Data);
    }

    [Theory]
    [InlineData("gokmen-vlasov")]
    [InlineData("idealized")]
    [InlineData("reram-sb")]
    public void A_device_units_outputs_input_error_and_updated_devices_equal_the_arrays_general_path(string preset)
    {
        const float lr = 0.5f;
        var device = DeviceConfig.Load(preset);
        Assert.True(device.OutNoise > 0, "the read noise must be on for the forward pass's scales to matter");
        var u = UnitProbe.Create(this, Arch, 4, 4, new StrategyOptions(), Index, Initial, lr, device);
        var (settings, _, _) = UnitProbe.FirstTile(Arch, 4, 4, new StrategyOptions(), lr, device);

        // The reference: the same unit's store (same seed), programmed as the load sweep does.
        var state = new UnitState(u.Layer, u.Tile, u.Index, settings.Spec.Store(u.Layer, new UnitState(u.Layer, u.Tile, u.Index, new IdealWeightStore(u.Length)).GlobalIndex));
        var store = (IPulsedWeightStore)state.Store;
        var vectors = new float[u.Tile.UnitCount * u.Length];
        Initial.CopyTo(vectors, Index * u.Length);
        store.ProgramTo(vectors.AsSpan(Index * u.Length, u.Length));

        var input = Input();
        var y = new float[Batch];
        UnitKernels.Forward(store.Read(), input.Data, state.Input, Batch, y);
        store.AddOutputNoise(y, input.Data, state.Input, Batch);

        u.Unit.Tell(new ForwardSweep(0, true, input, new float[u.Tile.UnitCount * Batch]));
        var forward = u.Next.ExpectMsg<ForwardSweep>();
        Assert.Equal(y, forward.Output.AsSpan(Index * Batch, Batch).ToArray());

        var delta = Enumerable.Range(0, Batch).Select(b => (b % 5 - 2) * 0.07f).ToArray();
        var dx = new float[input.Data.Length];
        var grad = new float[u.Length];
        UnitKernels.Backward(store.Read(), input.Data, state.Input, delta, Batch, grad, dx, state.Error);
        store.ApplyBatchUpdate(input.Data, state.Input, delta, Batch, lr);

        var deltas = new float[u.Tile.UnitCount * Batch];
        delta.CopyTo(deltas, Index * Batch);
        u.Unit.Tell(new BackwardSweep(0, deltas, new float[input.Data.Length]));
        var backward = u.Next.ExpectMsg<BackwardSweep>();
        Assert.Equal(dx, backward.InputError);
        Assert.Contains(dx, v => v != 0f);

        Assert.True(store.Counters.UpdatePulses > 0, "the step must pulse the devices");
        Assert.Equal(store.Read().ToArray(), u.Weights());
    }
}
