using NodeMesh.Core.Checkpoints;

namespace NodeMesh.Cli.Tests;

/// <summary>Bad input: exit code 2, one <c>error:</c> line naming the problem, no stack trace, no run directory.</summary>
public class UserErrorTests
{
    [Theory]
    [InlineData("--epoch", "epochs")]
    [InlineData("--stratgy", "strategy")]
    [InlineData("--lrr", "lr")]
    [InlineData("--quite", "quiet")]
    [InlineData("--train-limt", "train-limit")]
    public async Task UnknownTrainOptionSuggestsTheNearest(string option, string nearest)
    {
        var r = await Cli.RunAsync("train", option, "2");
        Cli.AssertUserError(r, singleLine: true, $"unknown option {option}", $"did you mean --{nearest}?");
    }

    [Fact]
    public async Task UnknownBenchOptionSuggestsTheNearest()
    {
        var r = await Cli.RunAsync("bench", "--step", "2");
        Cli.AssertUserError(r, singleLine: true, "unknown option --step", "'nodemesh bench'", "did you mean --steps?");
    }

    [Fact]
    public async Task UnknownOptionWithInlineValueIsNamedWithoutTheValue()
    {
        var r = await Cli.RunAsync("train", "--epoch=2");
        Cli.AssertUserError(r, singleLine: true, "unknown option --epoch ", "did you mean --epochs?");
    }

    [Theory]
    [InlineData("--lr")]
    [InlineData("--lr", "--quiet")]
    [InlineData("--epochs")]
    public async Task MissingValueIsAnError(params string[] args)
    {
        var r = await Cli.RunAsync(["train", .. args]);
        Cli.AssertUserError(r, singleLine: true, $"{args[0]} needs a value");
    }

    [Fact]
    public async Task MissingBenchValueIsAnError()
    {
        var r = await Cli.RunAsync("bench", "--strategies");
        Cli.AssertUserError(r, singleLine: true, "--strategies needs a value");
    }

    [Fact]
    public async Task FlagWithAValueIsAnError()
    {
        var r = await Cli.RunAsync("train", "--quiet=yes");
        Cli.AssertUserError(r, singleLine: true, "--quiet is a flag");
    }

    [Fact]
    public async Task PositionalArgumentIsAnError()
    {
        var r = await Cli.RunAsync("train", "extra");
        Cli.AssertUserError(r, singleLine: true, "'extra' is not an option");
    }

    [Theory]
    [InlineData("conv3x3x2,bogus,dense10", "'bogus'")]
    [InlineData("conv3x3x2,relu,maxpol2,dense10", "'maxpol2'")]
    [InlineData("conv4x4x2,dense10", "'conv4x4x2'")]
    [InlineData("conv3x5x2,dense10", "'conv3x5x2'")]
    [InlineData("conv3x3x2,,dense10", "token 2 is empty")]
    public async Task BadArchTokenIsNamed(string arch, string named)
    {
        using var tmp = new TempDir();
        var r = await Cli.RunAsync("train", "--arch", arch, "--quiet", "--out", tmp["run"]);
        Cli.AssertUserError(r, singleLine: true, "--arch", named);
        Assert.False(Directory.Exists(tmp["run"]));
    }

    [Fact]
    public async Task ArchThatDoesNotEndInTheClassCountIsAnError()
    {
        using var tmp = new TempDir();
        var r = await Cli.TrainAsync("--arch", "conv3x3x2,relu,maxpool2,dense7", "--out", tmp["run"]);
        Cli.AssertUserError(r, singleLine: true, "dense7", "dense10");
        Assert.False(Directory.Exists(tmp["run"]));
    }

    [Fact]
    public async Task BadBenchArchIsNamed()
    {
        var r = await Cli.RunAsync("bench", "--arch", "conv3x3x2,nope,dense10", "--steps", "1", "--strategies", "none");
        Cli.AssertUserError(r, singleLine: true, "'nope'");
    }

    [Fact]
    public async Task UnknownStrategyListsTheChoices()
    {
        var r = await Cli.TrainAsync("--strategy", "nonsense");
        Cli.AssertUserError(r, singleLine: true, "--strategy", "'nonsense'", "none", "allreduce");
    }

    [Theory]
    [InlineData("--topology", "ring")]
    [InlineData("--every", "2")]
    [InlineData("--reduce", "mean")]
    public async Task TyingOptionsNeedAStrategy(string option, string value)
    {
        var r = await Cli.TrainAsync("--strategy", "none", option, value);
        Cli.AssertUserError(r, singleLine: true, "--strategy allreduce");
        var implicitNone = await Cli.TrainAsync(option, value);
        Cli.AssertUserError(implicitNone, singleLine: true, "--strategy allreduce");
    }

    [Theory]
    [InlineData("grid")]
    [InlineData("exp")]
    public async Task GossipTopologyWithAllReduceIsAnError(string topology)
    {
        var r = await Cli.TrainAsync("--strategy", "allreduce", "--topology", topology);
        Cli.AssertUserError(r, singleLine: true, $"--topology {topology}", "star, tree or ring");
    }

    [Theory]
    [InlineData("--epochs", "0", "--epochs 0")]
    [InlineData("--epochs", "-3", "--epochs -3")]
    [InlineData("--epochs", "two", "--epochs 'two'")]
    [InlineData("--lr", "-1", "--lr -1")]
    [InlineData("--lr", "0", "--lr 0")]
    [InlineData("--lr", "nan", "--lr 'nan'")]
    [InlineData("--lr", "fast", "--lr 'fast'")]
    [InlineData("--batch", "0", "--batch 0")]
    [InlineData("--train-limit", "-1", "--train-limit -1")]
    [InlineData("--test-limit", "-1", "--test-limit -1")]
    [InlineData("--eval-batch", "0", "--eval-batch 0")]
    [InlineData("--tile", "-1", "--tile -1")]
    [InlineData("--shuffle", "maybe", "--shuffle 'maybe'")]
    public async Task OutOfRangeNumbersAreErrors(string option, string value, string named)
    {
        using var tmp = new TempDir();
        var r = await Cli.RunAsync(["train", .. Cli.TinyWith(option, value), "--out", tmp["run"]]);
        Cli.AssertUserError(r, singleLine: true, named);
        Assert.False(Directory.Exists(tmp["run"]), "a rejected run must not create its run directory");
    }

    [Fact]
    public async Task A_core_error_is_one_line_that_starts_with_the_flag()
    {
        var r = await Cli.TrainAsync("--epochs", "0");
        Assert.Equal("error: --epochs 0: train at least 1 epoch.", Cli.AssertUserError(r, singleLine: true));
    }

    [Theory]
    [InlineData("--layer-hops", "-1", "--layer-hops -1")]
    [InlineData("--every", "0", "--every 0")]
    public async Task Fabric_and_tying_settings_checked_in_core_name_their_flag(string option, string value, string named)
    {
        var r = await Cli.TrainAsync("--strategy", "allreduce", option, value);
        Cli.AssertUserError(r, singleLine: true, named);
    }

    [Fact]
    public async Task An_unknown_fabric_cast_lists_the_choices_and_starts_no_run()
    {
        using var tmp = new TempDir();
        var r = await Cli.TrainAsync("--fabric-cast", "broadcast", "--out", tmp["run"]);
        Assert.Equal("error: --fabric-cast 'broadcast' is not one of: unicast, multicast.", Cli.AssertUserError(r, singleLine: true));
        Assert.False(Directory.Exists(tmp["run"]), "a rejected run must not create its run directory");
    }

    [Fact]
    public async Task A_bad_energy_file_names_the_flag_and_the_file()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp["energy.json"], """{"sram": 5}""");
        var r = await Cli.TrainAsync("--energy", tmp["energy.json"]);
        Cli.AssertUserError(r, singleLine: true, $"--energy '{tmp["energy.json"]}': unknown field 'sram'");
    }

    [Fact]
    public async Task InlineValueIsValidatedLikeASeparateOne()
    {
        var r = await Cli.TrainAsync("--lr=-1");
        Cli.AssertUserError(r, singleLine: true, "--lr -1");
    }

    [Theory]
    [InlineData("--reduce", "sum", "--reduce")]
    [InlineData("--topology", "star", "--topology star")]
    [InlineData("--mix", "1.5", "--mix")]
    [InlineData("--fanout", "0", "--fanout 0")]
    [InlineData("--gossip-drop", "1", "--gossip-drop")]
    public async Task BadGossipOptionsAreRejectedClearly(string option, string value, string expected)
    {
        var r = await Cli.TrainAsync("--strategy", "gossip", option, value);
        Cli.AssertUserError(r, singleLine: true, expected);
    }

    [Fact]
    public async Task GossipOptionsWithoutGossipAreRejected()
    {
        var r = await Cli.TrainAsync("--fanout", "2");
        Cli.AssertUserError(r, singleLine: true, "--fanout");
    }

    [Fact]
    public async Task MissingDataDirectoryIsAnError()
    {
        var r = await Cli.TrainAsync("--data", "/nonexistent");
        Cli.AssertUserError(r, singleLine: true, "--data /nonexistent", "does not exist");
    }

    [Fact]
    public async Task DataDirectoryWithoutIdxFilesIsAnError()
    {
        using var tmp = new TempDir();
        var r = await Cli.TrainAsync("--data", tmp.Path);
        Cli.AssertUserError(r, singleLine: true, "--data", "missing", "train-images-idx3-ubyte");
    }

    [Fact]
    public async Task DataThatIsAFileIsAnError()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp["x"], "x");
        var r = await Cli.TrainAsync("--data", tmp["x"]);
        Cli.AssertUserError(r, singleLine: true, "not a directory");
    }

    [Fact]
    public async Task InitOfAMissingFileIsAnError()
    {
        using var tmp = new TempDir();
        var missing = tmp["missing.safetensors"];
        var r = await Cli.TrainAsync("--init", missing, "--out", tmp["run"]);
        Cli.AssertUserError(r, singleLine: true, $"--init {missing}", "not found");
        Assert.False(Directory.Exists(tmp["run"]));
    }

    [Fact]
    public async Task InitOfAFileThatIsNotSafetensorsIsAnError()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp["junk.safetensors"], "not a checkpoint at all");
        var r = await Cli.TrainAsync("--init", tmp["junk.safetensors"]);
        Cli.AssertUserError(r, singleLine: true, tmp["junk.safetensors"]);
    }

    private static NamedTensor Zeros(string name, params int[] shape) =>
        new(name, shape, new float[shape.Aggregate(1, (a, b) => a * b)]);

    [Fact]
    public async Task InitWithWrongConvShapeNamesTheTensorAndTheExpectedShapes()
    {
        using var tmp = new TempDir();
        string path = tmp["wrong.safetensors"];
        SafeTensorsFile.Write(path, [
            Zeros("conv1.weight", 2, 1, 5, 5), Zeros("conv1.bias", 2),
            Zeros("dense1.weight", 10, 392), Zeros("dense1.bias", 10)]);
        var r = await Cli.TrainAsync("--init", path, "--out", tmp["run"]);
        Cli.AssertUserError(r, singleLine: true, "--init", "conv1.weight", "[2, 1, 5, 5]", "[2, 28, 28, 1, 3, 3]", "[2, 1, 3, 3]");
        Assert.False(Directory.Exists(tmp["run"]));
    }

    [Fact]
    public async Task InitWithWrongDenseShapeNamesTheTensor()
    {
        using var tmp = new TempDir();
        string path = tmp["wrong.safetensors"];
        SafeTensorsFile.Write(path, [
            Zeros("conv1.weight", 2, 1, 3, 3), Zeros("conv1.bias", 2),
            Zeros("dense1.weight", 10, 784), Zeros("dense1.bias", 10)]);
        var r = await Cli.TrainAsync("--init", path);
        Cli.AssertUserError(r, singleLine: true, "dense1.weight", "[10, 784]", "[10, 392]");
    }

    [Fact]
    public async Task InitWithBiasShapeNotMatchingTheWeightLayoutIsAnError()
    {
        using var tmp = new TempDir();
        string path = tmp["wrong.safetensors"];
        // shared weight with a per-position bias
        SafeTensorsFile.Write(path, [
            Zeros("conv1.weight", 2, 1, 3, 3), Zeros("conv1.bias", 2, 28, 28),
            Zeros("dense1.weight", 10, 392), Zeros("dense1.bias", 10)]);
        var r = await Cli.TrainAsync("--init", path);
        Cli.AssertUserError(r, singleLine: true, "conv1.bias", "[2, 28, 28]", "[2]");
    }

    [Fact]
    public async Task InitWithAMissingTensorNamesIt()
    {
        using var tmp = new TempDir();
        string path = tmp["partial.safetensors"];
        SafeTensorsFile.Write(path, [Zeros("conv1.weight", 2, 1, 3, 3), Zeros("conv1.bias", 2)]);
        var r = await Cli.TrainAsync("--init", path);
        Cli.AssertUserError(r, singleLine: true, "'dense1.weight'", "dense1");
    }

    [Fact]
    public async Task InitWithAnExtraTensorNamesIt()
    {
        using var tmp = new TempDir();
        string path = tmp["extra.safetensors"];
        SafeTensorsFile.Write(path, [
            Zeros("conv1.weight", 2, 1, 3, 3), Zeros("conv1.bias", 2),
            Zeros("conv2.weight", 4, 2, 3, 3), Zeros("conv2.bias", 4),
            Zeros("dense1.weight", 10, 392), Zeros("dense1.bias", 10)]);
        var r = await Cli.TrainAsync("--init", path);
        Cli.AssertUserError(r, singleLine: true, "conv2.weight", "conv2.bias", Cli.TinyArch);
    }

    [Fact]
    public async Task OutDirectoryHoldingAFinishedRunIsRefusedAndLeftAlone()
    {
        using var tmp = new TempDir();
        string run = tmp["run"];
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "summary.json"), "{\"keep\": true}");
        var r = await Cli.TrainAsync("--out", run);
        Cli.AssertUserError(r, singleLine: true, "--out", "summary.json");
        Assert.Equal("{\"keep\": true}", File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.False(File.Exists(Path.Combine(run, "metrics.csv")), "a refused run must not write metrics.csv");
        Assert.False(File.Exists(Path.Combine(run, "config.json")), "a refused run must not write config.json");
    }

    [Fact]
    public async Task OutThatIsAFileIsAnError()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp["file"], "x");
        var r = await Cli.TrainAsync("--out", tmp["file"]);
        Cli.AssertUserError(r, singleLine: true, "--out", "is a file; give a folder");
    }

    [Fact]
    public async Task SaveIntoAMissingDirectoryFailsBeforeTraining()
    {
        using var tmp = new TempDir();
        string save = Path.Combine(tmp["nodir"], "w.safetensors");
        var r = await Cli.TrainAsync("--save", save, "--out", tmp["run"]);
        Cli.AssertUserError(r, singleLine: true, "--save", "does not exist");
        Assert.False(Directory.Exists(tmp["run"]), "the check must happen before the run starts");
    }

    [Fact]
    public async Task SaveOntoAnExistingDirectoryFailsBeforeTraining()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp["adir"]);
        var r = await Cli.TrainAsync("--save", tmp["adir"], "--out", tmp["run"]);
        Cli.AssertUserError(r, singleLine: true, "--save");
        Assert.False(File.Exists(Path.Combine(tmp["run"], "metrics.csv")), "the check must happen before training");
    }

    [Fact]
    public async Task UnknownCommandIsAnErrorFollowedByUsage()
    {
        var r = await Cli.RunAsync("frobnicate", "--epochs", "1");
        Cli.AssertUserError(r, singleLine: true, "unknown command 'frobnicate'", "see 'nodemesh --help'");
        Assert.Empty(r.Out);
    }

    [Fact]
    public async Task CommandNamesAreCaseSensitive()
    {
        var r = await Cli.RunAsync("Train");
        Cli.AssertUserError(r, singleLine: false, "unknown command 'Train'");
    }
}
