using NodeMesh.Core.Model;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Tests.Tiles;

/// <summary>Buffer ownership of <see cref="TileCompute"/> across consecutive steps.</summary>
public sealed class TileComputeTests
{
    /// <summary>
    /// A unit with a pulsed store applies its update from the tile's input region after it has
    /// passed the backward sweep on, while the tile may already assemble the next step's input: the
    /// region a step was computed from must survive the next step's pieces being written.
    /// </summary>
    [Fact]
    public void The_input_region_of_a_step_survives_the_next_steps_input_being_written()
    {
        var tiles = TilePlan.Build(NetworkPlan.Build(ArchSpec.Parse("conv3x3x4,relu,maxpool2,conv3x3x6,relu,maxpool2,dense10"), 1, 12, 12, 10), 3);
        var links = new TileLinks(tiles);
        var layer = tiles.Network.Layers[1];
        var tile = tiles.Tiles[1][0];
        var compute = new TileCompute(layer, tile);
        const int batch = 4;

        GridBuffer Step(float value)
        {
            var input = compute.InputBuffer(batch);
            foreach (var link in links.InputsOf(layer.Index, tile.Index))
                compute.WriteInput(link, Enumerable.Repeat(value, link.Area.Cells * layer.InChannels * batch).ToArray(), input);
            return input;
        }

        var first = Step(1f);
        var kept = first.Data.ToArray();
        Assert.Contains(1f, kept);
        Step(2f); // the next step's pieces arrive while a unit may still update from the first
        Assert.Equal(kept, first.Data);
    }
}
