using NodeMesh.Core.Model;
using NodeMesh.Core.Units;

namespace NodeMesh.Core.Tiles;

/// <summary>
/// A tile: a rectangle of output positions [U0, U1) × [V0, V1) of one layer, with all maps.
/// Its units are ordered position-major then map (unit i = position p·Maps + map m), which is
/// the order of the tile's sweeps and of its output rows. Pooling windows never straddle tiles
/// (a layer whose pools overlap is one tile).
/// </summary>
public sealed record Tile(int Layer, int Index, int U0, int U1, int V0, int V1, int Maps)
{
    public int Height => U1 - U0;
    public int Width => V1 - V0;
    public int Positions => Height * Width;
    public int UnitCount => Positions * Maps;

    /// <summary>(map, u, v) of the tile's i-th unit.</summary>
    public (int Map, int U, int V) UnitAt(int i)
    {
        int p = i / Maps;
        return (i % Maps, U0 + p / Width, V0 + p % Width);
    }
}

/// <summary>How every weighted layer is cut into tiles, and where each unit's data lie.</summary>
public sealed class TilePlan
{
    public NetworkPlan Network { get; }
    public IReadOnlyList<IReadOnlyList<Tile>> Tiles { get; }

    private TilePlan(NetworkPlan network, IReadOnlyList<IReadOnlyList<Tile>> tiles)
    {
        Network = network; Tiles = tiles;
    }

    /// <summary>
    /// Cuts each conv layer into square tiles of side <paramref name="tileSide"/> (0 = automatic:
    /// about 4×4 tiles per layer), rounded up to a multiple of the layer's pool factor. A dense
    /// layer is one tile holding all its neurons; so is a conv layer whose pooling windows overlap
    /// (<see cref="WeightedLayer.PoolsAcrossTiles"/>: <c>maxpool3s2</c>, <c>gap</c>), since a window
    /// that straddles two tiles would need both tiles' pre-activations.
    /// </summary>
    public static TilePlan Build(NetworkPlan network, int tileSide = 0)
    {
        if (tileSide < 0) throw new UserInputException($"{tileSide}: the tile side must be 0 (automatic) or a positive number of positions.", SettingKeys.Tile);
        var all = new List<IReadOnlyList<Tile>>();
        foreach (var l in network.Layers)
        {
            var list = new List<Tile>();
            if (l.Kind == LayerKind.Dense)
            {
                list.Add(new Tile(l.Index, 0, 0, 1, 0, 1, l.OutMaps));
            }
            else if (l.PoolsAcrossTiles)
            {
                list.Add(new Tile(l.Index, 0, 0, l.OutHeight, 0, l.OutWidth, l.OutMaps));
            }
            else
            {
                int p = l.PoolFactor;
                int side = tileSide > 0 ? tileSide : (int)Math.Ceiling(Math.Max(l.OutHeight, l.OutWidth) / 4.0);
                side = Math.Max(p, (side + p - 1) / p * p);
                for (int u0 = 0; u0 < l.OutHeight; u0 += side)
                    for (int v0 = 0; v0 < l.OutWidth; v0 += side)
                        list.Add(new Tile(l.Index, list.Count, u0, Math.Min(l.OutHeight, u0 + side), v0, Math.Min(l.OutWidth, v0 + side), l.OutMaps));
            }
            all.Add(list);
        }
        return new TilePlan(network, all);
    }

    /// <summary>Where a unit's receptive field lies in its layer's input grid (padded coordinates).</summary>
    public static PatchGeometry InputGeometry(WeightedLayer l, int u, int v)
    {
        if (l.Kind == LayerKind.Dense) return new PatchGeometry(0, 1, l.FanIn, 0);
        int pw = l.InWidth + 2 * l.Padding;
        return new PatchGeometry((u * l.Stride * pw + v * l.Stride) * l.InChannels, l.Kernel, l.Kernel * l.InChannels, pw * l.InChannels);
    }

    /// <summary>
    /// The tile's input-error region in padded input coordinates: (row0, col0, rows, cols), the
    /// union of its units' windows: rows [U0·S, (U1 − 1)·S + K) for stride S and kernel K.
    /// </summary>
    public static (int Y0, int X0, int Height, int Width) ErrorRegion(WeightedLayer l, Tile t) =>
        l.Kind == LayerKind.Dense
            ? (0, 0, l.InHeight, l.InWidth)
            : (t.U0 * l.Stride, t.V0 * l.Stride, (t.Height - 1) * l.Stride + l.Kernel, (t.Width - 1) * l.Stride + l.Kernel);

    /// <summary>Where a unit's receptive field lies in its tile's input-error region.</summary>
    public static PatchGeometry ErrorGeometry(WeightedLayer l, Tile t, int u, int v)
    {
        if (l.Kind == LayerKind.Dense) return new PatchGeometry(0, 1, l.FanIn, 0);
        int rw = (t.Width - 1) * l.Stride + l.Kernel;
        return new PatchGeometry(((u - t.U0) * l.Stride * rw + (v - t.V0) * l.Stride) * l.InChannels, l.Kernel, l.Kernel * l.InChannels, rw * l.InChannels);
    }

    /// <summary>The tile's pooled output rectangle in the next layer's input grid: (y0, x0, h, w).</summary>
    public static (int Y0, int X0, int Height, int Width) OutputRegion(WeightedLayer l, Tile t)
    {
        if (l.Kind == LayerKind.Dense) return (0, 0, 1, 1);
        int p = l.PoolFactor;
        int y0 = t.U0 / p, x0 = t.V0 / p;
        // A tile at the bottom (right) edge ends at the pooled grid's edge: with a single tile
        // (overlapping pools) ⌊(H − K)/S⌋ + 1 is not H/S.
        int y1 = t.U1 == l.OutHeight ? l.PostHeight : Math.Min(t.U1 / p, l.PostHeight);
        int x1 = t.V1 == l.OutWidth ? l.PostWidth : Math.Min(t.V1 / p, l.PostWidth);
        return (y0, x0, Math.Max(0, y1 - y0), Math.Max(0, x1 - x0));
    }

    /// <summary>Global index of unit (map, u, v) within its layer: map-major, then row, then column.</summary>
    public static int GlobalUnitIndex(WeightedLayer l, int map, int u, int v) => (map * l.OutHeight + u) * l.OutWidth + v;
}
