using NodeMesh.Core.Checkpoints;

namespace NodeMesh.Core.Tests.Checkpoints;

public sealed class TrainingCheckpointTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "nmck-" + Guid.NewGuid().ToString("N")[..8]);

    public TrainingCheckpointTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static TrainingCheckpoint Sample() => new("""{"epoch":2,"cursor":320}""",
        [new TileState(0, 0, [1, 2, 3]), new TileState(0, 1, []), new TileState(2, 0, Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray())]);

    [Fact]
    public void A_checkpoint_reads_back_exactly_and_leaves_no_temporary_file()
    {
        string path = Path.Combine(_dir, TrainingCheckpoint.FileName);
        Sample().Write(path);
        var back = TrainingCheckpoint.Read(path);
        Assert.Equal(Sample().Header, back.Header);
        Assert.Equal(Sample().Tiles.Count, back.Tiles.Count);
        for (int i = 0; i < back.Tiles.Count; i++)
        {
            Assert.Equal((Sample().Tiles[i].Layer, Sample().Tiles[i].Tile), (back.Tiles[i].Layer, back.Tiles[i].Tile));
            Assert.Equal(Sample().Tiles[i].State, back.Tiles[i].State);
        }
        Assert.Equal([TrainingCheckpoint.FileName], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void A_second_write_replaces_the_first_whole()
    {
        string path = Path.Combine(_dir, TrainingCheckpoint.FileName);
        Sample().Write(path);
        new TrainingCheckpoint("{}", []).Write(path);
        Assert.Empty(TrainingCheckpoint.Read(path).Tiles);
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    [InlineData("magic")]
    [InlineData("empty")]
    public void A_damaged_checkpoint_is_refused_whole_with_a_clear_error(string damage)
    {
        string path = Path.Combine(_dir, TrainingCheckpoint.FileName);
        Sample().Write(path);
        var bytes = File.ReadAllBytes(path);
        bytes = damage switch
        {
            "flip" => Flip(bytes, bytes.Length / 2),
            "truncate" => bytes[..(bytes.Length - 100)],
            "magic" => Flip(bytes, 0),
            _ => [],
        };
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<UserInputException>(() => TrainingCheckpoint.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Matches("corrupted|truncated|not a NodeMesh checkpoint", e.Message);
    }

    private static byte[] Flip(byte[] b, int i)
    {
        b[i] ^= 0x40;
        return b;
    }

    [Fact]
    public void A_missing_checkpoint_says_so() =>
        Assert.Contains("no checkpoint there", Assert.Throws<UserInputException>(() => TrainingCheckpoint.Read(Path.Combine(_dir, "none.nmck"))).Message);
}
