using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;

namespace NodeMesh.Core.Tiles;

/// <summary>
/// The part of a tile that is not its units: its input region (its rectangle of the layer's
/// input plus the kernel halo, assembled from the pieces its producer tiles send), buffers for
/// the sweeps, the post-ops (activation and pooling) of its region, the pieces it sends on
/// (activations forward, input errors backward), and the tile's share of the logical traffic.
/// A tile actor wraps one; the actor-free engine holds one per tile. Never touches a weight.
/// </summary>
public sealed class TileCompute
{
    public WeightedLayer Layer { get; }
    public Tile Tile { get; }

    /// <summary>The tile's input region in padded input coordinates (see <see cref="TileLinks.InputRegion"/>).</summary>
    public Rect Region { get; }

    /// <summary>The tile's pooled output rectangle in the next layer's input (interior coordinates).</summary>
    public Rect Output { get; }

    private readonly TilePostOps _post;
    private readonly long _poolMessages;
    private readonly long _poolByteHopsPerSample;
    private readonly long _skipMessages;
    private readonly long _skipByteHopsPerSample;
    private readonly GridBuffer?[] _inputs = new GridBuffer?[2];
    private int _nextInput;
    private float[] _pre = [];
    private float[] _delta = [];
    private float[] _grad = [];
    private int _batch = -1;

    public TileCompute(WeightedLayer layer, Tile tile, Fabric.FabricLayout? fabric = null)
    {
        Layer = layer; Tile = tile;
        Region = TileLinks.InputRegion(layer, tile);
        Output = TileLinks.OutputRect(layer, tile);
        _post = new TilePostOps(layer.PostOps, tile.Height, tile.Width, tile.Maps);
        _poolMessages = FabricModel.PoolMessages(layer, tile);
        _poolByteHopsPerSample = fabric?.PoolTransfers(layer, tile, 1).ByteHops ?? 0;
        _skipMessages = FabricModel.SkipMessages(layer, tile);
        _skipByteHopsPerSample = fabric?.SkipTransfers(layer, tile, 1).ByteHops ?? 0;
        if (_post.OutputHeight != Output.Height || _post.OutputWidth != Output.Width)
            throw new InvalidOperationException($"tile {tile} pools to {_post.OutputHeight}x{_post.OutputWidth}, plan says {Output.Height}x{Output.Width}");
    }

    /// <summary>Floats per cell of the input region (input channels × batch).</summary>
    private int InCell(int batch) => Layer.InChannels * batch;

    /// <summary>Floats per cell of the pooled output (maps × batch).</summary>
    private int OutCell(int batch) => Tile.Maps * batch;

    /// <summary>
    /// The input region buffer for a step, [rows][cols][C][B] with the conv padding left zero. Two
    /// buffers alternate: a unit with a pulsed store applies its update from this buffer after it
    /// has passed the backward sweep on, so the tile may already be assembling the next step's
    /// input while a unit still reads the last one. A third step cannot begin before every unit of
    /// the tile has finished the second step's forward pass, which queues behind its update, so
    /// the buffer of step n is free again when step n + 2 needs it.
    /// </summary>
    public GridBuffer InputBuffer(int batch)
    {
        _nextInput ^= 1;
        var buffer = _inputs[_nextInput];
        if (buffer is null || buffer.Batch != batch)
            _inputs[_nextInput] = buffer = new GridBuffer(Region.Height, Region.Width, Layer.InChannels, 0, batch);
        return buffer;
    }

    /// <summary>Copies a producer's piece ([h][w][C][B] over <paramref name="link"/>'s area) into the input region.</summary>
    public void WriteInput(TileLink link, ReadOnlySpan<float> piece, GridBuffer input)
    {
        var a = link.Area;
        if (piece.Length != a.Cells * InCell(input.Batch))
            throw new ArgumentException($"tile {Layer.Name}/{Tile.Index}: a piece from tile {link.Producer} holds {piece.Length} floats, its area needs {a.Cells * InCell(input.Batch)}", nameof(piece));
        var (y, x) = TileLinks.InRegion(Layer, Tile, a);
        RegionCopy.Copy(piece, a.Width, 0, 0, input.Data, Region.Width, y, x, a.Height, a.Width, InCell(input.Batch));
    }

    /// <summary>The first layer's input region cut from a padded image grid ([H+2p][W+2p][C][B]).</summary>
    public void WriteImages(GridBuffer paddedImages, GridBuffer input)
    {
        if (paddedImages.Batch != input.Batch) throw new ArgumentException("batch mismatch", nameof(paddedImages));
        RegionCopy.Copy(paddedImages.Data, paddedImages.PaddedWidth, Region.Y0, Region.X0, input.Data, Region.Width, 0, 0, Region.Height, Region.Width, InCell(input.Batch));
    }

    /// <summary>The buffer a forward sweep fills: [unit-in-tile][B]; reused across steps of equal batch.</summary>
    public float[] ForwardBuffer(int batch)
    {
        int n = Tile.UnitCount * batch;
        if (_pre.Length != n) _pre = new float[n];
        return _pre;
    }

    /// <summary>Applies the post-ops to a completed forward sweep; returns the pooled region [h][w][M][B] (rented from <see cref="PieceBuffers"/>: the caller owns it).</summary>
    public float[] FinishForward(float[] pre, int batch, TrafficLedger? ledger)
    {
        _pre = pre;
        _batch = batch;
        var output = PieceBuffers.Rent(_post.OutputLength(batch));
        _post.Forward(pre, batch, output);
        ledger?.Add(Layer.Index, TrafficCategory.Activation, _poolMessages, _poolMessages * batch * FabricModel.FloatBytes, _poolByteHopsPerSample * batch);
        // The residual add's inputs: one value per unit from the skip layer's output site.
        if (_skipMessages > 0) ledger?.Add(Layer.Index, TrafficCategory.Activation, _skipMessages, _skipMessages * batch * FabricModel.FloatBytes, _skipByteHopsPerSample * batch);
        return output;
    }

    /// <summary>The piece of a pooled output that <paramref name="link"/> carries to its consumer (rented from <see cref="PieceBuffers"/>: the caller owns it).</summary>
    public float[] OutputPiece(TileLink link, ReadOnlySpan<float> output, int batch)
    {
        var a = link.Area;
        var piece = PieceBuffers.Rent(a.Cells * OutCell(batch));
        RegionCopy.Copy(output, Output.Width, a.Y0 - Output.Y0, a.X0 - Output.X0, piece, a.Width, 0, 0, a.Height, a.Width, OutCell(batch));
        return piece;
    }

    /// <summary>
    /// Adds a skip producer's output over <paramref name="link"/>'s area (a <see cref="LinkKind.Skip"/>
    /// link: [h][w][M][B], positions of this layer's unit grid) to the pre-activations of a finished
    /// forward sweep (<paramref name="pre"/>, [unit-in-tile][B], which is [h][w][M][B] over the tile's
    /// rectangle); the residual add, before <see cref="FinishForward"/> applies the activation.
    /// </summary>
    public void AddSkip(TileLink link, ReadOnlySpan<float> piece, float[] pre, int batch)
    {
        var a = link.Area;
        if (link.Kind != LinkKind.Skip) throw new ArgumentException($"tile {Layer.Name}/{Tile.Index}: AddSkip needs a skip link", nameof(link));
        if (piece.Length != a.Cells * Tile.Maps * batch)
            throw new ArgumentException($"tile {Layer.Name}/{Tile.Index}: a skip piece from tile {link.Producer} holds {piece.Length} floats, its area needs {a.Cells * Tile.Maps * batch}", nameof(piece));
        RegionCopy.Add(piece, a.Width, 0, 0, pre, Tile.Width, a.Y0 - Tile.U0, a.X0 - Tile.V0, a.Height, a.Width, Tile.Maps * batch);
    }

    /// <summary>
    /// The piece of this tile's deltas (<see cref="BeginBackward"/>'s result, the gradient w.r.t. the
    /// pre-activations and so w.r.t. the skip producer's output) that a skip link carries back (rented from <see cref="PieceBuffers"/>: the caller owns it).
    /// </summary>
    public float[] SkipErrorPiece(TileLink link, ReadOnlySpan<float> delta, int batch)
    {
        var a = link.Area;
        var piece = PieceBuffers.Rent(a.Cells * Tile.Maps * batch);
        RegionCopy.Copy(delta, Tile.Width, a.Y0 - Tile.U0, a.X0 - Tile.V0, piece, a.Width, 0, 0, a.Height, a.Width, Tile.Maps * batch);
        return piece;
    }

    /// <summary>A zeroed gradient buffer over the pooled output ([h][w][M][B]) into which consumers' errors are added.</summary>
    public float[] GradBuffer(int batch)
    {
        int n = _post.OutputLength(batch);
        if (_grad.Length != n) _grad = new float[n];
        else Array.Clear(_grad);
        return _grad;
    }

    /// <summary>Adds a consumer's input error over <paramref name="link"/>'s area into the output gradient.</summary>
    public void AddGradPiece(TileLink link, ReadOnlySpan<float> piece, float[] grad, int batch)
    {
        var a = link.Area;
        if (piece.Length != a.Cells * OutCell(batch))
            throw new ArgumentException($"tile {Layer.Name}/{Tile.Index}: an error piece from tile {link.Consumer} holds {piece.Length} floats, its area needs {a.Cells * OutCell(batch)}", nameof(piece));
        RegionCopy.Add(piece, a.Width, 0, 0, grad, Output.Width, a.Y0 - Output.Y0, a.X0 - Output.X0, a.Height, a.Width, OutCell(batch));
    }

    /// <summary>
    /// Back-propagates the gradient w.r.t. this tile's pooled output ([h][w][M][B]) through the
    /// post-ops; returns the per-unit deltas [unit-in-tile][B] (reused buffer).
    /// </summary>
    public float[] BeginBackward(ReadOnlySpan<float> gradOutput, int batch, TrafficLedger? ledger)
    {
        if (batch != _batch) throw new InvalidOperationException($"backward batch {batch} differs from the forward batch {_batch}");
        if (gradOutput.Length != _post.OutputLength(batch))
            throw new ArgumentException($"tile {Layer.Name}/{Tile.Index}: output gradient holds {gradOutput.Length} floats, expected {_post.OutputLength(batch)}", nameof(gradOutput));
        int n = Tile.UnitCount * batch;
        if (_delta.Length != n) _delta = new float[n];
        _post.Backward(gradOutput, batch, _delta);
        ledger?.Add(Layer.Index, TrafficCategory.Error, _poolMessages, _poolMessages * batch * FabricModel.FloatBytes, _poolByteHopsPerSample * batch);
        // Its gradient: each unit's delta back to the skip layer's output site.
        if (_skipMessages > 0) ledger?.Add(Layer.Index, TrafficCategory.Error, _skipMessages, _skipMessages * batch * FabricModel.FloatBytes, _skipByteHopsPerSample * batch);
        return _delta;
    }

    /// <summary>A zeroed input-error region for the backward sweep (empty for the first layer, whose input needs no error); rented from <see cref="PieceBuffers"/>: the caller owns it.</summary>
    public float[] NewInputError(int batch)
    {
        if (Layer.Index == 0) return [];
        return PieceBuffers.RentZeroed(Region.Cells * InCell(batch));
    }

    /// <summary>The piece of this tile's input error that <paramref name="link"/> carries back to its producer (rented from <see cref="PieceBuffers"/>: the caller owns it).</summary>
    public float[] ErrorPiece(TileLink link, ReadOnlySpan<float> inputError, int batch)
    {
        var a = link.Area;
        var piece = PieceBuffers.Rent(a.Cells * InCell(batch));
        var (y, x) = TileLinks.InRegion(Layer, Tile, a);
        RegionCopy.Copy(inputError, Region.Width, y, x, piece, a.Width, 0, 0, a.Height, a.Width, InCell(batch));
        return piece;
    }
}
