namespace NodeMesh.Core.Fabric;

/// <summary>How the feature maps of one conv layer are laid out on the mesh.</summary>
public enum MapLayout
{
    /// <summary>
    /// The maps of one position share a column: unit (m, u, v) of every map m sits at the same
    /// mesh point, 0 hops apart (one message carries all channels of a position).
    /// </summary>
    Column,

    /// <summary>
    /// The maps are tiled side by side: with c = ⌈√M⌉ block columns, map m occupies the block at
    /// block row m / c and block column m % c, each block H·s hops high and W·s hops wide.
    /// </summary>
    Spread,
}

/// <summary>How a value produced at one point reaches its several consumers on the fabric.</summary>
public enum FabricCast
{
    /// <summary>
    /// One logical message per (value, consumer unit), each routed XY on its own; an input error
    /// travels back from every consumer unit as its own message (the logical message model of
    /// <see cref="Metrics.FabricModel"/>).
    /// </summary>
    Unicast,

    /// <summary>
    /// Each produced packet travels once along its XY multicast tree (the union of the XY routes
    /// from its source to every consumer point; <see cref="FabricLayout.TreeHops"/>); the input
    /// errors are summed in the network along the same tree, one partial sum per tree link.
    /// </summary>
    Multicast,
}

/// <summary>Placement and transport options of the emulated fabric.</summary>
/// <param name="Layout">Where the maps of a layer go: <see cref="MapLayout.Column"/> (default) or <see cref="MapLayout.Spread"/>.</param>
/// <param name="LayerHops">Hops between two consecutive layers of the stack (≥ 0; default 1).</param>
/// <param name="Cast">How activations reach their consumers and errors return: <see cref="FabricCast.Unicast"/> (default) or <see cref="FabricCast.Multicast"/>.</param>
public sealed record FabricOptions(MapLayout Layout = MapLayout.Column, int LayerHops = 1, FabricCast Cast = FabricCast.Unicast)
{
    /// <summary>Column layout, 1 hop between consecutive layers, unicast.</summary>
    public static FabricOptions Default { get; } = new();

    /// <summary>Checks the options; throws <see cref="UserInputException"/> saying what to change.</summary>
    public FabricOptions Validate()
    {
        if (LayerHops < 0)
            throw new UserInputException($"{LayerHops}: the hop cost between consecutive layers must be 0 or more.", SettingKeys.LayerHops);
        if (!Enum.IsDefined(Layout))
            throw new UserInputException($"{(int)Layout}: use column or spread.", SettingKeys.MapLayout);
        if (!Enum.IsDefined(Cast))
            throw new UserInputException($"{(int)Cast}: use unicast or multicast.", SettingKeys.FabricCast);
        return this;
    }
}

/// <summary>
/// A point of the emulated 3D fabric: a 2D mesh coordinate (<paramref name="Y"/>, <paramref name="X"/>)
/// in hops, on the stack level <paramref name="Level"/> (the index of the weighted layer; the input
/// image enters on level 0).
/// </summary>
public readonly record struct MeshPoint(int Y, int X, int Level);

/// <summary>
/// A unit of the network: conv unit (<paramref name="Layer"/>, <paramref name="Map"/>, <paramref name="U"/>, <paramref name="V"/>),
/// or dense neuron <paramref name="Map"/> of a dense layer with U = V = 0.
/// </summary>
public readonly record struct UnitCoord(int Layer, int Map, int U, int V);

/// <summary>
/// One tying message of a map exchange, between map positions p = u·W + v.
/// <see cref="Reducer"/> (−1) stands for the star's reducer.
/// </summary>
public readonly record struct SyncEdge(int From, int To)
{
    /// <summary>The position index that stands for the star reducer of the map.</summary>
    public const int Reducer = -1;
}
