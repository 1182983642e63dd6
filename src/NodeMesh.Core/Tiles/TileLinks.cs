using NodeMesh.Core.Model;

namespace NodeMesh.Core.Tiles;

/// <summary>An axis-aligned rectangle of grid cells: rows [Y0, Y0 + Height), columns [X0, X0 + Width).</summary>
public readonly record struct Rect(int Y0, int X0, int Height, int Width)
{
    public int Y1 => Y0 + Height;
    public int X1 => X0 + Width;
    public bool IsEmpty => Height <= 0 || Width <= 0;
    public int Cells => IsEmpty ? 0 : Height * Width;

    /// <summary>The common part of two rectangles (empty when they do not meet).</summary>
    public Rect Intersect(Rect o)
    {
        int y0 = Math.Max(Y0, o.Y0), x0 = Math.Max(X0, o.X0);
        int y1 = Math.Min(Y1, o.Y1), x1 = Math.Min(X1, o.X1);
        return new Rect(y0, x0, Math.Max(0, y1 - y0), Math.Max(0, x1 - x0));
    }
}

/// <summary>How a link's piece enters its consumer tile.</summary>
public enum LinkKind
{
    /// <summary>The piece is part of the consumer layer's input (read by its units' windows).</summary>
    Input,

    /// <summary>
    /// A residual add: the piece is added to the consumer's pre-activations over the same positions
    /// (the consumer's unit grid is the producer's output grid); backward, the consumer's deltas
    /// over the area go back to the producer.
    /// </summary>
    Skip,
}

/// <summary>
/// One edge of the tile-to-tile dataflow: <see cref="Producer"/> (a tile of layer
/// <see cref="ProducerLayer"/>, the consumer layer's <see cref="WeightedLayer.Source"/>, usually
/// L − 1) writes <see cref="Area"/> of layer L's input grid, which the receptive fields of
/// <see cref="Consumer"/> (a tile of layer L = <see cref="Layer"/>) read. Area is in the interior
/// coordinates of layer L's input grid (no padding). Forward, the producer sends its pooled
/// activations over Area to the consumer; backward, the consumer sends the input error over Area
/// back to the producer. A <see cref="LinkKind.Skip"/> link instead carries the producer's output
/// over Area of L's unit grid into the residual add of L (producer layer <see cref="WeightedLayer.Skip"/>).
/// </summary>
public sealed record TileLink(int Layer, int Producer, int Consumer, Rect Area)
{
    /// <summary>The producer tile's layer.</summary>
    public int ProducerLayer { get; init; } = Layer - 1;

    /// <summary>Input or residual add.</summary>
    public LinkKind Kind { get; init; } = LinkKind.Input;
}

/// <summary>
/// Which tile sends which region to which tile, derived from the tile plan alone: the tiles of
/// layer L need their rectangle of L's input plus the kernel halo, and the tiles of L's source
/// layer own the pooled regions that make up that input; the last conv of a residual block also
/// needs its skip layer's output over its own rectangle. A producer's outputs are listed by
/// consumer layer, then consumer tile, ascending: the order in which it sums the errors it gets
/// back (so a split run adds the same floats in the same order as one process that assembles
/// whole grids).
/// </summary>
public sealed class TileLinks
{
    private readonly TileLink[][][] _inputs;   // [layer][consumer tile] -> links from its source layer's producers, ascending producer
    private readonly TileLink[][][] _skips;    // [layer][consumer tile] -> residual-add links from its skip layer, ascending producer
    private readonly TileLink[][][] _outputs;  // [layer][producer tile] -> links to consumers, by consumer layer then tile

    public TilePlan Tiles { get; }

    public TileLinks(TilePlan tiles)
    {
        Tiles = tiles;
        var layers = tiles.Network.Layers;
        _inputs = new TileLink[layers.Count][][];
        _skips = new TileLink[layers.Count][][];
        _outputs = new TileLink[layers.Count][][];
        var outputs = new List<TileLink>[layers.Count][];
        for (int l = 0; l < layers.Count; l++)
        {
            _inputs[l] = new TileLink[tiles.Tiles[l].Count][];
            _skips[l] = new TileLink[tiles.Tiles[l].Count][];
            _outputs[l] = new TileLink[tiles.Tiles[l].Count][];
            outputs[l] = tiles.Tiles[l].Select(_ => new List<TileLink>()).ToArray();
        }
        for (int l = 0; l < layers.Count; l++)
        {
            var consumerLayer = layers[l];
            foreach (var c in tiles.Tiles[l])
            {
                _inputs[l][c.Index] = consumerLayer.Source < 0 ? []
                    : Links(consumerLayer.Source, c, InteriorNeed(consumerLayer, c), LinkKind.Input);
                _skips[l][c.Index] = consumerLayer.Skip is { } skip
                    ? Links(skip, c, new Rect(c.U0, c.V0, c.Height, c.Width), LinkKind.Skip)
                    : [];
            }
        }
        for (int l = 0; l < layers.Count; l++)
            for (int p = 0; p < outputs[l].Length; p++) _outputs[l][p] = outputs[l][p].ToArray();

        TileLink[] Links(int producerLayer, Tile c, Rect need, LinkKind kind)
        {
            var list = new List<TileLink>();
            foreach (var p in tiles.Tiles[producerLayer])
            {
                var area = OutputRect(layers[producerLayer], p).Intersect(need);
                if (area.IsEmpty) continue;
                var link = new TileLink(c.Layer, p.Index, c.Index, area) { ProducerLayer = producerLayer, Kind = kind };
                list.Add(link);
                outputs[producerLayer][p.Index].Add(link);
            }
            return list.ToArray();
        }
    }

    /// <summary>The links that feed a tile of <paramref name="layer"/> its input (empty for the first layer, fed by the driver).</summary>
    public IReadOnlyList<TileLink> InputsOf(int layer, int tile) => _inputs[layer][tile];

    /// <summary>The residual-add links into a tile of <paramref name="layer"/> (empty unless the layer has a <see cref="WeightedLayer.Skip"/>).</summary>
    public IReadOnlyList<TileLink> SkipsOf(int layer, int tile) => _skips[layer][tile];

    /// <summary>The links a tile of <paramref name="layer"/> feeds, input and skip (empty for the last layer, whose logits go to the driver).</summary>
    public IReadOnlyList<TileLink> OutputsOf(int layer, int tile) => _outputs[layer][tile];

    /// <summary>
    /// A tile's input region in the padded coordinates of its layer's input grid: its rectangle
    /// of positions plus the K − 1 halo for a conv layer, the whole (unpadded) input for a dense
    /// layer. Unit receptive fields are addressed relative to this region.
    /// </summary>
    public static Rect InputRegion(WeightedLayer l, Tile t)
    {
        var (y0, x0, h, w) = TilePlan.ErrorRegion(l, t);
        return new Rect(y0, x0, h, w);
    }

    /// <summary>The interior cells (no padding) of the layer's input that a tile's units read.</summary>
    public static Rect InteriorNeed(WeightedLayer l, Tile t)
    {
        var r = InputRegion(l, t);
        int pad = l.Kind == LayerKind.Conv ? l.Padding : 0;
        return new Rect(r.Y0 - pad, r.X0 - pad, r.Height, r.Width).Intersect(new Rect(0, 0, l.InHeight, l.InWidth));
    }

    /// <summary>A tile's pooled output rectangle in the next layer's input grid (interior coordinates).</summary>
    public static Rect OutputRect(WeightedLayer l, Tile t)
    {
        var (y0, x0, h, w) = TilePlan.OutputRegion(l, t);
        return new Rect(y0, x0, h, w);
    }

    /// <summary>Where <paramref name="area"/> (interior coordinates of <paramref name="l"/>'s input) lies in a tile's input region.</summary>
    public static (int Y, int X) InRegion(WeightedLayer l, Tile t, Rect area)
    {
        var r = InputRegion(l, t);
        int pad = l.Kind == LayerKind.Conv ? l.Padding : 0;
        return (area.Y0 + pad - r.Y0, area.X0 + pad - r.X0);
    }
}

/// <summary>
/// Copies and adds rectangles between buffers laid out [rows][columns][cell], where a cell is
/// <c>cellFloats</c> consecutive floats (channels × batch). Used for the pieces that move tile
/// to tile; the per-row work is a contiguous span copy or SIMD add.
/// </summary>
public static class RegionCopy
{
    /// <summary>Copies an h×w block from (sy, sx) of <paramref name="src"/> (row width sw cells) to (dy, dx) of <paramref name="dst"/> (row width dw cells).</summary>
    public static void Copy(ReadOnlySpan<float> src, int sw, int sy, int sx, Span<float> dst, int dw, int dy, int dx, int h, int w, int cellFloats)
    {
        int run = w * cellFloats;
        for (int y = 0; y < h; y++)
            src.Slice(((sy + y) * sw + sx) * cellFloats, run).CopyTo(dst.Slice(((dy + y) * dw + dx) * cellFloats, run));
    }

    /// <summary>Adds an h×w block from (sy, sx) of <paramref name="src"/> into (dy, dx) of <paramref name="dst"/>.</summary>
    public static void Add(ReadOnlySpan<float> src, int sw, int sy, int sx, Span<float> dst, int dw, int dy, int dx, int h, int w, int cellFloats)
    {
        int run = w * cellFloats;
        for (int y = 0; y < h; y++)
        {
            var d = dst.Slice(((dy + y) * dw + dx) * cellFloats, run);
            System.Numerics.Tensors.TensorPrimitives.Add(d, src.Slice(((sy + y) * sw + sx) * cellFloats, run), d);
        }
    }
}
