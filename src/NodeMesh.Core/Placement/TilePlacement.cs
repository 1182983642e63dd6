using NodeMesh.Core.Model;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Placement;

/// <summary>How the tiles of each layer are spread over the members of a cluster.</summary>
public enum PlacementKind
{
    /// <summary>
    /// Two-dimensional blocks: the layer's grid of tiles is cut into pr × pc contiguous blocks
    /// (pr · pc = members, pr chosen so the blocks are as square as the grid allows), so a tile's
    /// grid neighbours mostly share its member.
    /// </summary>
    Block,

    /// <summary>Row-major stripes: the tiles in row-major order are cut into members contiguous runs of near-equal length.</summary>
    Stripe,

    /// <summary>Tile i of a layer (row-major) goes to member i mod members: neighbours on different members (the worst locality; a baseline).</summary>
    RoundRobin,
}

/// <summary>
/// Which cluster member holds each tile (and so its units), and where each star reducer sits.
/// A pure function of the tile plan, the member count and the kind, so every member computes the
/// same placement from the run's settings. Members are numbered 0 … M−1 (the driver orders its
/// workers by address); a layer with fewer tiles than members leaves some members without tiles
/// of that layer. The dense layers (one tile each) go to member 0 under block and stripe.
/// </summary>
public sealed class TilePlacement
{
    private readonly int[][] _member; // [layer][tile]

    public TilePlan Tiles { get; }
    public int Members { get; }
    public PlacementKind Kind { get; }

    private TilePlacement(TilePlan tiles, int members, PlacementKind kind, int[][] member)
    {
        Tiles = tiles; Members = members; Kind = kind; _member = member;
    }

    /// <summary>Places every tile of <paramref name="tiles"/> on one of <paramref name="members"/> members.</summary>
    public static TilePlacement Build(TilePlan tiles, int members, PlacementKind kind)
    {
        if (members < 1) throw new UserInputException($"a run needs at least one member to hold its tiles (got {members}).");
        var all = new int[tiles.Network.Layers.Count][];
        foreach (var l in tiles.Network.Layers)
        {
            var list = tiles.Tiles[l.Index];
            var (rows, cols) = Grid(list);
            var m = new int[list.Count];
            for (int i = 0; i < list.Count; i++)
            {
                int r = i / cols, c = i % cols;
                m[i] = kind switch
                {
                    PlacementKind.RoundRobin => i % members,
                    PlacementKind.Stripe => (int)((long)i * members / list.Count),
                    _ => BlockOf(r, c, rows, cols, members),
                };
            }
            all[l.Index] = m;
        }
        return new TilePlacement(tiles, members, kind, all);
    }

    /// <summary>The member holding tile <paramref name="tile"/> of <paramref name="layer"/>.</summary>
    public int MemberOf(int layer, int tile) => _member[layer][tile];

    /// <summary>The member holding the unit at (u, v) of a layer (all maps of a position share a tile).</summary>
    public int MemberOfPosition(int layer, int u, int v) => MemberOf(layer, TileOf(layer, u, v));

    /// <summary>The tile holding position (u, v) of a layer.</summary>
    public int TileOf(int layer, int u, int v)
    {
        foreach (var t in Tiles.Tiles[layer])
            if (u >= t.U0 && u < t.U1 && v >= t.V0 && v < t.V1) return t.Index;
        throw new ArgumentOutOfRangeException(nameof(u), $"position ({u},{v}) lies in no tile of layer {layer}");
    }

    /// <summary>The member of a star reducer: the one holding the map centre (H/2, W/2), where the fabric places the reducer.</summary>
    public int ReducerMember(int layer) => MemberOfPosition(layer, Tiles.Network.Layers[layer].OutHeight / 2, Tiles.Network.Layers[layer].OutWidth / 2);

    /// <summary>The tiles a member holds, layer by layer in tile order.</summary>
    public IEnumerable<Tile> TilesOf(int member)
    {
        foreach (var l in Tiles.Network.Layers)
            foreach (var t in Tiles.Tiles[l.Index])
                if (_member[l.Index][t.Index] == member) yield return t;
    }

    /// <summary>Units a member holds.</summary>
    public int UnitsOf(int member) => TilesOf(member).Sum(t => t.UnitCount);

    /// <summary>Rows and columns of a layer's tile grid (tiles are numbered row-major).</summary>
    public static (int Rows, int Cols) Grid(IReadOnlyList<Tile> tiles)
    {
        int cols = tiles.Count(t => t.U0 == tiles[0].U0);
        return ((tiles.Count + cols - 1) / cols, cols);
    }

    private static int BlockOf(int r, int c, int rows, int cols, int members)
    {
        // pr · pc = members with pr the divisor that makes blocks closest to square.
        int pr = 1;
        double best = double.MaxValue;
        for (int d = 1; d <= members; d++)
        {
            if (members % d != 0) continue;
            double aspect = Math.Abs(Math.Log((double)rows / d / ((double)cols / (members / d))));
            if (aspect <= best + 1e-12) { best = aspect; pr = d; } // ties: more rows of blocks (horizontal bands)
        }
        int pc = members / pr;
        int br = (int)((long)r * pr / rows), bc = (int)((long)c * pc / cols);
        return br * pc + bc;
    }

    /// <summary>A picture of one layer's placement: one character per tile (member 0 = 'A', 1 = 'B', …).</summary>
    public string Picture(int layer)
    {
        var list = Tiles.Tiles[layer];
        var (rows, cols) = Grid(list);
        var sb = new System.Text.StringBuilder();
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols && r * cols + c < list.Count; c++) sb.Append((char)('A' + _member[layer][r * cols + c] % 26));
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
