using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;

namespace NodeMesh.Core.Tiles;

/// <summary>
/// The part of a tile that is not its units: buffers for the sweeps, the post-ops (activation
/// and pooling) of its region, and the tile's share of the logical traffic. A tile actor wraps
/// one; the actor-free engine holds one per tile. Never touches a weight.
/// </summary>
public sealed class TileCompute
{
    public WeightedLayer Layer { get; }
    public Tile Tile { get; }
    private readonly TilePostOps _post;
    private readonly long _poolMessages;
    private readonly long _poolByteHopsPerSample;
    private float[] _pre = [];
    private float[] _delta = [];
    private int _batch = -1;

    public TileCompute(WeightedLayer layer, Tile tile, Fabric.FabricLayout? fabric = null)
    {
        Layer = layer; Tile = tile;
        _post = new TilePostOps(layer.PostOps, tile.Height, tile.Width, tile.Maps);
        _poolMessages = FabricModel.PoolMessages(layer, tile);
        _poolByteHopsPerSample = fabric?.PoolTransfers(layer, tile, 1).ByteHops ?? 0;
        var r = TilePlan.OutputRegion(layer, tile);
        if (_post.OutputHeight != r.Height || _post.OutputWidth != r.Width)
            throw new InvalidOperationException($"tile {tile} pools to {_post.OutputHeight}x{_post.OutputWidth}, plan says {r.Height}x{r.Width}");
    }

    /// <summary>The buffer a forward sweep fills: [unit-in-tile][B]; reused across steps of equal batch.</summary>
    public float[] ForwardBuffer(int batch)
    {
        int n = Tile.UnitCount * batch;
        if (_pre.Length != n) _pre = new float[n];
        return _pre;
    }

    /// <summary>Applies the post-ops to a completed forward sweep; returns the pooled region [h][w][M][B] (a new array).</summary>
    public float[] FinishForward(float[] pre, int batch, TrafficLedger? ledger)
    {
        _pre = pre;
        _batch = batch;
        var output = new float[_post.OutputLength(batch)];
        _post.Forward(pre, batch, output);
        ledger?.Add(Layer.Index, TrafficCategory.Activation, _poolMessages, _poolMessages * batch * FabricModel.FloatBytes, _poolByteHopsPerSample * batch);
        return output;
    }

    /// <summary>
    /// Reads this tile's share of the gradient w.r.t. the layer's post-op output and back-propagates
    /// it through the post-ops; returns the per-unit deltas [unit-in-tile][B] (reused buffer).
    /// </summary>
    public float[] BeginBackward(GridBuffer gradOutput, TrafficLedger? ledger)
    {
        int batch = gradOutput.Batch;
        if (batch != _batch) throw new InvalidOperationException($"backward batch {batch} differs from the forward batch {_batch}");
        var r = TilePlan.OutputRegion(Layer, Tile);
        var g = new float[r.Height * r.Width * Tile.Maps * batch];
        gradOutput.ReadRegion(r.Y0, r.X0, r.Height, r.Width, g);
        int n = Tile.UnitCount * batch;
        if (_delta.Length != n) _delta = new float[n];
        _post.Backward(g, batch, _delta);
        ledger?.Add(Layer.Index, TrafficCategory.Error, _poolMessages, _poolMessages * batch * FabricModel.FloatBytes, _poolByteHopsPerSample * batch);
        return _delta;
    }

    /// <summary>A zeroed input-error region for the backward sweep (empty for the first layer, whose input needs no error).</summary>
    public float[] NewInputError(int batch)
    {
        if (Layer.Index == 0) return [];
        var r = TilePlan.ErrorRegion(Layer, Tile);
        return new float[r.Height * r.Width * Layer.InChannels * batch];
    }
}

/// <summary>Builds each layer's input grid from tile outputs and each layer's error grid from tile errors.</summary>
public static class LayerAssembler
{
    /// <summary>An empty input grid for <paramref name="layer"/> (padded for conv).</summary>
    public static GridBuffer NewInput(WeightedLayer layer, int batch) =>
        new(layer.InHeight, layer.InWidth, layer.InChannels, layer.Padding, batch);

    /// <summary>Writes a tile's pooled output into the next layer's input grid.</summary>
    public static void WriteOutput(GridBuffer nextInput, WeightedLayer layer, Tile tile, ReadOnlySpan<float> output)
    {
        var r = TilePlan.OutputRegion(layer, tile);
        if (r.Height == 0 || r.Width == 0) return;
        nextInput.WriteRegion(r.Y0, r.X0, r.Height, r.Width, output);
    }

    /// <summary>Adds a tile's input-error region into the layer's input-error grid (same shape as its input grid).</summary>
    public static void AddError(GridBuffer inputError, WeightedLayer layer, Tile tile, ReadOnlySpan<float> error)
    {
        var r = TilePlan.ErrorRegion(layer, tile);
        inputError.AddPaddedRegion(r.Y0, r.X0, r.Height, r.Width, error);
    }
}
