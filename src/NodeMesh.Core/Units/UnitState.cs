using NodeMesh.Core.Devices;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Units;

/// <summary>
/// Everything one unit owns: its weight store (kernel + bias), its gradient buffer and where its
/// receptive field lies. A unit actor wraps exactly one of these; the actor-free engine holds
/// them in arrays. Nothing else reads or writes the store.
/// </summary>
public sealed class UnitState
{
    public WeightedLayer Layer { get; }
    public int Map { get; }
    public int U { get; }
    public int V { get; }
    public int IndexInTile { get; }
    /// <summary>The receptive field in the tile's input region (see <see cref="TileLinks.InputRegion"/>).</summary>
    public PatchGeometry Input { get; }

    /// <summary>The receptive field in the tile's input-error region (the same rectangle as the input region).</summary>
    public PatchGeometry Error { get; }
    public IWeightStore Store { get; }

    /// <summary>
    /// The gradient of the last backward pass that wrote here (FanIn + 1 values), made on first use.
    /// The actor-free engine keeps every unit's gradient until its map's reduction; a unit actor
    /// computes its gradient into a buffer of its own choosing (<see cref="Backward(GridBuffer, ReadOnlySpan{float}, Span{float}, Span{float}, IComputeCounter?)"/>)
    /// and never makes this one.
    /// </summary>
    public float[] Gradient => _gradient ??= new float[Layer.FanIn + 1];

    private float[]? _gradient;

    /// <summary>
    /// Devices read per weight in a multiply-accumulate: 2 for a one-sided pair (g⁺ and g⁻), else 1
    /// (the ideal store is priced as one device per weight).
    /// </summary>
    public int DevicesPerWeight { get; }

    public UnitState(WeightedLayer layer, Tile tile, int indexInTile, IWeightStore store)
    {
        if (store.Length != layer.FanIn + 1)
            throw new ArgumentException($"store holds {store.Length} values, unit needs {layer.FanIn + 1}", nameof(store));
        Layer = layer;
        IndexInTile = indexInTile;
        (Map, U, V) = tile.UnitAt(indexInTile);
        Input = TilePlan.ErrorGeometry(layer, tile, U, V);
        Error = TilePlan.ErrorGeometry(layer, tile, U, V);
        Store = store;
        DevicesPerWeight = store is DeviceArray a ? a.DeviceCount / a.Length : 1;
    }

    /// <summary>Global unit index in the layer (map-major, row, column).</summary>
    public int GlobalIndex => TilePlan.GlobalUnitIndex(Layer, Map, U, V);

    /// <summary>Position of the unit within its map's grid (u·W + v).</summary>
    public int Position => U * Layer.OutWidth + V;

    /// <summary>
    /// Writes this unit's pre-activations for the batch into <paramref name="y"/>; <paramref name="input"/>
    /// is the tile's input region. With a <paramref name="ledger"/> (training passes) counts the
    /// array's work: each sample reads every device of the FanIn + 1 weights and converts one output.
    /// </summary>
    public void Forward(GridBuffer input, Span<float> y, IComputeCounter? ledger = null)
    {
        UnitKernels.Forward(Store.Read(), input.Data, Input, input.Batch, y);
        ledger?.CountForward(Layer.Index, (long)input.Batch * Store.Length * DevicesPerWeight, input.Batch);
    }

    /// <summary>
    /// As <see cref="Forward(GridBuffer, Span{float}, IComputeCounter?)"/>, and writes each sample's
    /// input scale max(1, max_j |x_jb|) into <paramref name="inputScales"/> in the same pass (what a
    /// device store's read noise and update need; see <see cref="IPulsedWeightStore.InputScales"/>).
    /// </summary>
    public void Forward(GridBuffer input, Span<float> y, Span<float> inputScales, IComputeCounter? ledger = null)
    {
        UnitKernels.Forward(Store.Read(), input.Data, Input, input.Batch, y, inputScales);
        ledger?.CountForward(Layer.Index, (long)input.Batch * Store.Length * DevicesPerWeight, input.Batch);
    }

    /// <summary>
    /// Computes <see cref="Gradient"/> and, when <paramref name="dxRegion"/> is not empty, adds the
    /// input error; then, with a <paramref name="ledger"/>, counts the transposed read that input
    /// error takes: each sample reads every device of the FanIn weights (not the bias) and converts
    /// FanIn values. The gradient itself is digital (the update is priced by its pulses).
    /// </summary>
    public void Backward(GridBuffer input, ReadOnlySpan<float> delta, Span<float> dxRegion, IComputeCounter? ledger = null) =>
        Backward(input, delta, dxRegion, Gradient, ledger);

    /// <summary>
    /// As <see cref="Backward(GridBuffer, ReadOnlySpan{float}, Span{float}, IComputeCounter?)"/>, with the gradient written to
    /// <paramref name="gradient"/> (FanIn + 1 values) instead of <see cref="Gradient"/>.
    /// </summary>
    public void Backward(GridBuffer input, ReadOnlySpan<float> delta, Span<float> dxRegion, Span<float> gradient, IComputeCounter? ledger = null)
    {
        if (gradient.Length != Layer.FanIn + 1) throw new ArgumentException($"gradient buffer holds {gradient.Length} values, unit needs {Layer.FanIn + 1}", nameof(gradient));
        UnitKernels.Backward(Store.Read(), input.Data, Input, delta, input.Batch, gradient, dxRegion, Error);
        if (!dxRegion.IsEmpty) CountInputError(input.Batch, ledger);
    }

    /// <summary>
    /// The input error alone, added into <paramref name="dxRegion"/> (nothing when it is empty) and
    /// counted as <see cref="Backward(GridBuffer, ReadOnlySpan{float}, Span{float}, Span{float}, IComputeCounter?)"/>
    /// counts it; no gradient. For a device store whose update is its own pulse trains.
    /// </summary>
    public void InputError(int batch, ReadOnlySpan<float> delta, Span<float> dxRegion, IComputeCounter? ledger = null)
    {
        var w = Store.Read(); // counted as Backward counts it, with or without an error to compute
        if (dxRegion.IsEmpty) return;
        UnitKernels.InputError(w, delta, batch, dxRegion, Error);
        CountInputError(batch, ledger);
    }

    private void CountInputError(int batch, IComputeCounter? ledger) =>
        ledger?.CountBackward(Layer.Index, (long)batch * Layer.FanIn * DevicesPerWeight, (long)batch * Layer.FanIn);
}
