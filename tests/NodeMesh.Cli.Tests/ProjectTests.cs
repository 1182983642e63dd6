using System.Diagnostics;
using NodeMesh.Actors.Driving;
using NodeMesh.Cli.Commands;
using NodeMesh.Core.Data;
using NodeMesh.Core.Fabric;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Training;

namespace NodeMesh.Cli.Tests;

/// <summary><c>nodemesh project</c>: the shipped specs, its speed at ImageNet size, and its calibration against counted runs.</summary>
public sealed class ProjectTests
{
    private static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "NodeMesh.sln"))) return Path.Combine(dir.FullName, relative);
        throw new FileNotFoundException($"no NodeMesh.sln above {AppContext.BaseDirectory}");
    }

    private static NetworkPlan Vgg16() =>
        NetworkPlan.Build(ArchSpec.Parse(ProjectCommand.ReadArchFile(RepoFile("specs/vgg16.txt"))), 3, 224, 224, 1000);

    [Fact]
    public void Vgg16_spec_has_torchvisions_parameter_count_at_224x224x3()
    {
        var plan = Vgg16();
        Assert.Equal(138_357_544, plan.SharedParameters);
        Assert.Equal(16, plan.Layers.Count);
        Assert.Equal(7, plan.Layers[13].InHeight); // five pools: 224 / 32
    }

    [Fact]
    public void Alexnet_spec_has_torchvisions_parameter_count_and_feature_shapes_at_224x224x3()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(ProjectCommand.ReadArchFile(RepoFile("specs/alexnet.txt"))), 3, 224, 224, 1000);
        Assert.Equal(61_100_840, plan.SharedParameters);
        Assert.Equal(8, plan.Layers.Count);
        // conv1 11x11 stride 4 pad 2: 55x55, pooled 3 by 2 to 27; conv2 27, pooled to 13; conv3–5 13, pooled to 6.
        Assert.Equal([55, 27, 13, 13, 13], plan.Layers.Take(5).Select(l => l.OutHeight));
        Assert.Equal([27, 13, 13, 13, 6], plan.Layers.Take(5).Select(l => l.PostHeight));
        Assert.Equal((256, 6, 6), (plan.Layers[5].InChannels, plan.Layers[5].InHeight, plan.Layers[5].InWidth));
    }

    [Fact]
    public void Resnet18_spec_has_torchvisions_parameter_count_less_batch_norm_plus_conv_biases_at_224x224x3()
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(ProjectCommand.ReadArchFile(RepoFile("specs/resnet18.txt"))), 3, 224, 224, 1000);
        // torchvision: 11,689,512 with 9,600 batch-norm parameters; NodeMesh: a bias per conv map (4,800) instead.
        Assert.Equal(11_689_512 - 9_600 + 4_800, plan.SharedParameters);
        Assert.Equal(21, plan.Layers.Count); // stem, 16 block convs, 3 shortcuts, dense
        Assert.Equal(3, plan.Layers.Count(l => l.Shortcut));
        Assert.Equal(8, plan.Layers.Count(l => l.Skip is not null));
        // Stage sizes: 55 (torchvision 56: the stem pool is unpadded here), then 28, 14, 7 as torchvision.
        Assert.Equal([112, 55, 55, 55, 55, 28, 28, 28, 28, 28], plan.Layers.Take(10).Select(l => l.OutHeight));
        Assert.Equal((512, 1, 1), (plan.Layers[^1].InChannels, plan.Layers[^1].InHeight, plan.Layers[^1].InWidth));
    }

    [Fact]
    public async Task Project_of_vgg16_at_224x224x3_writes_its_files_within_a_minute()
    {
        string dir = Path.Combine(Path.GetTempPath(), "nodemesh-project-" + Guid.NewGuid().ToString("N"));
        try
        {
            var sw = Stopwatch.StartNew();
            var r = await Cli.RunAsync("project", "--arch-file", RepoFile("specs/vgg16.txt"), "--input", "224x224x3", "--classes", "1000", "--out", dir);
            Assert.True(r.Code == 0, r.ToString());
            Assert.True(sw.Elapsed < TimeSpan.FromMinutes(1), $"took {sw.Elapsed}");
            foreach (var f in new[] { "project.md", "project.csv", "project.json", "project.png" }) Assert.True(File.Exists(Path.Combine(dir, f)), f);
            Assert.Contains("138,357,544 tied", File.ReadAllText(Path.Combine(dir, "project.md")), StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// ResNet-18 projects as fast as VGG-16, with its skip traffic shown: the 8 blocks' last convs
    /// receive one float per unit, 2·(64·55² + 128·28² + 256·14² + 512·7²) = 738,432 messages of
    /// 4 bytes × B per batch, i.e. 23,076 messages and 2,953,728 bytes per sample each way.
    /// </summary>
    [Fact]
    public async Task Project_of_resnet18_at_224x224x3_shows_its_skip_traffic_within_a_minute()
    {
        string dir = Path.Combine(Path.GetTempPath(), "nodemesh-project-" + Guid.NewGuid().ToString("N"));
        try
        {
            var sw = Stopwatch.StartNew();
            var r = await Cli.RunAsync("project", "--arch-file", RepoFile("specs/resnet18.txt"), "--input", "224x224x3", "--classes", "1000", "--out", dir);
            Assert.True(r.Code == 0, r.ToString());
            Assert.True(sw.Elapsed < TimeSpan.FromMinutes(1), $"took {sw.Elapsed}");
            string md = File.ReadAllText(Path.Combine(dir, "project.md"));
            Assert.Contains("11,684,712 tied", md, StringComparison.Ordinal);
            Assert.Contains("Residual adds: the skip values into each block's add and their deltas back, 23,076 messages, 2.95 MB", md, StringComparison.Ordinal);
            var rows = Cli.ReadCsv(Path.Combine(dir, "project.csv"), out _);
            var total = rows.First(x => x["layer"] == "total" && x["strategy"] == "none" && x["cast"] == "unicast");
            Assert.Equal("2953728", total["skip_bytes_per_sample"]);
            Assert.Equal("0", rows.First(x => x["layer"] == "conv2" && x["cast"] == "unicast")["skip_bytes_per_sample"]);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// What docs/latency.md says of ResNet-18: its shortcuts run beside the blocks' first convs and
    /// its skip transfers arrive before the blocks' own paths, so under either cast each wave is
    /// that of the chain of stem, block convs and dense layer, shortcuts left out.
    /// </summary>
    [Theory]
    [InlineData(FabricCast.Unicast)]
    [InlineData(FabricCast.Multicast)]
    public void Resnet18s_waves_are_those_of_its_chain_of_convs_with_the_shortcuts_and_skips_hidden(FabricCast cast)
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(ProjectCommand.ReadArchFile(RepoFile("specs/resnet18.txt"))), 3, 224, 224, 1000);
        var f = new FabricLayout(plan, new FabricOptions(Cast: cast));
        var m = LatencyModel.Default;
        const int batch = 32;
        var step = FabricLatency.Step(f, new StrategyOptions(), batch, m);
        var chain = plan.Layers.Where(l => !l.Shortcut).ToList();
        double loss = FabricLatency.LossNs(f, batch, m);
        double forward = chain.Sum(l => FabricLatency.InputNs(f, l, batch, m) + batch * (m.CrossbarReadNs + m.ConversionNs) + FabricLatency.PoolNs(f, l, batch, m)) + loss;
        double backward = loss + chain.Sum(l => FabricLatency.PoolNs(f, l, batch, m) + (l.Source < 0 ? 0
            : batch * (m.CrossbarReadNs + Math.Ceiling(l.FanIn / m.AdcsPerUnit) * m.ConversionNs) + FabricLatency.InputNs(f, l, batch, m)));
        Assert.Equal(forward, step.ForwardNs, 6);
        Assert.Equal(backward, step.BackwardNs, 6);
    }

    [Theory]
    [InlineData("--input", "32x32", "is not HxWxC")]
    [InlineData("--input", "0x32x3", "height and width must be")]
    [InlineData("--classes", "0", "--classes 0")]
    [InlineData("--strategies", "allreduce-cube", "is not a allreduce topology")]
    public async Task Bad_project_options_get_one_clear_line(string flag, string value, string fragment)
    {
        var r = await Cli.RunAsync("project", flag, value);
        Cli.AssertUserError(r, true, fragment);
    }

    /// <summary>
    /// A strided net on the embedded 28×28 images: conv1 5×5 at stride 2 with padding 2 (14×14),
    /// an overlapping 3-by-2 max pool (6×6), conv2 3×3 with padding 1, global average pooling.
    /// </summary>
    private const string StridedArch = "conv5x5x8s2p2,relu,maxpool3s2,conv3x3x16p1,relu,gap,dense10";

    /// <summary>
    /// A residual net on the embedded 28×28 images: an identity block on the stem's output and a
    /// projection block (1×1 stride-2 shortcut) whose add feeds a max pool.
    /// </summary>
    private const string ResidualArch = "conv3x3x4,relu,res(conv3x3x4,relu,conv3x3x4),relu,res(conv3x3x8s2,relu,conv3x3x8;conv1x1x8s2pvalid),relu,maxpool2,dense10";

    public static TheoryData<string, string, string> Calibrated => new()
    {
        { "none", "unicast", ArchSpec.Default }, { "none", "multicast", ArchSpec.Default },
        { "allreduce-tree", "unicast", ArchSpec.Default }, { "allreduce-tree", "multicast", ArchSpec.Default },
        { "allreduce-star-every2", "unicast", ArchSpec.Default }, { "allreduce-ring", "multicast", ArchSpec.Default },
        { "none", "unicast", StridedArch }, { "allreduce-tree", "multicast", StridedArch }, { "allreduce-star-every2", "unicast", StridedArch },
        { "none", "unicast", ResidualArch }, { "allreduce-tree", "multicast", ResidualArch }, { "allreduce-ring-every2", "unicast", ResidualArch },
    };

    /// <summary>
    /// A real short training of the reference net, of a strided net and of a residual net, on the embedded data
    /// (2 steps of 32) counts exactly what the projection predicts per sample × samples:
    /// activation, error and tying messages, bytes and byte-hops, and (to float rounding) energy
    /// by category. Gossip is left out: which peer a unit reaches, and so the rounds' byte-hops,
    /// depend on timing.
    /// </summary>
    [Theory]
    [MemberData(nameof(Calibrated))]
    public async Task Projection_equals_what_a_run_of_the_net_counts(string strategyName, string castName, string arch)
    {
        const int batch = 32, samples = 64;
        var strategy = BenchCommand.ParseStrategy(strategyName);
        var fabric = new FabricOptions(Cast: castName == "multicast" ? FabricCast.Multicast : FabricCast.Unicast);
        var data = DatasetLoader.LoadEmbedded();
        var plan = NetworkPlan.Build(ArchSpec.Parse(arch), 1, 28, 28, 10);
        var options = new TrainOptions(arch, strategy, Epochs: 1, Batch: batch, Seed: 1, Shuffle: false, TrainLimit: samples).Validate();
        var spec = RunSpecs.From(options, plan, fabric: fabric);
        TrafficCounts ledger;
        await using (var run = await LocalRun.StartAsync(spec, options, data, name: "calibration"))
        {
            await run.PrepareAsync();
            var epoch = await run.TrainEpochAsync(1);
            Assert.Equal(samples, epoch.Samples);
            ledger = epoch.Ledger;
        }
        var p = Assert.Single(Projection.Compute(plan, [strategy], [fabric], batch));
        foreach (var (category, predicted) in new[]
                 { (TrafficCategory.Activation, p.ActivationPerSample), (TrafficCategory.Error, p.ErrorPerSample), (TrafficCategory.Sync, p.SyncPerSample) })
        {
            Assert.Equal(predicted.Messages * samples, ledger.TotalMessages(category));
            Assert.Equal(predicted.Bytes * samples, ledger.TotalBytes(category));
            Assert.Equal(predicted.ByteHops * samples, ledger.TotalByteHops(category));
        }
        foreach (var l in plan.Layers)
            Assert.Equal(p.LayerSyncPerSample(l.Index).ByteHops * samples, ledger.ByteHopsOf(l.Index, TrafficCategory.Sync));
        var measured = MeasuredEnergy.PerSample(EnergyModel.Default, ledger, samples);
        Assert.Equal(p.Energy.ComputePj, measured.Compute, 9);
        Assert.Equal(p.Energy.TransportPj, measured.ActivationTransport + measured.ErrorTransport, 9);
        Assert.Equal(p.Energy.SyncPj, measured.SyncTransport, 9);
        Assert.Equal(p.Energy.TotalPj, measured.Total, 6);
    }

    public static TheoryData<string, string, string> Timed => new()
    {
        { "allreduce-tree", "unicast", "ideal" }, { "allreduce-star-every2", "multicast", "ideal" },
        { "gossip-grid", "unicast", "gokmen-vlasov" }, { "none", "multicast", "ideal" },
    };

    /// <summary>
    /// A real short <c>train</c> of the reference net (2 steps of 32) reports in summary.json, report.md
    /// and its last console line exactly the step time that <c>project</c> prints for the same net,
    /// strategy, cast, batch, device and latency file.
    /// </summary>
    [Theory]
    [MemberData(nameof(Timed))]
    public async Task A_run_reports_the_step_time_that_project_predicts(string strategy, string cast, string device)
    {
        string root = Path.Combine(Path.GetTempPath(), "nodemesh-steptime-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            string latency = Path.Combine(root, "latency.json");
            File.WriteAllText(latency, """{"link_bytes_per_cycle": 32, "write_pulse_ns": 5}""");
            string[] common = ["--strategy", strategy, "--fabric-cast", cast, "--device", device, "--batch", "32", "--latency", latency];
            var train = await Cli.RunAsync(["train", "--train-limit", "64", "--test-limit", "50", "--quiet", "--out", Path.Combine(root, "run"), .. common]);
            Assert.True(train.Code == 0, train.ToString());
            var project = await Cli.RunAsync("project", "--strategies", strategy, "--fabric-cast", cast, "--device", device, "--batch", "32", "--latency", latency,
                "--samples", "64", "--out", Path.Combine(root, "project"));
            Assert.True(project.Code == 0, project.ToString());

            using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "run", "summary.json")));
            using var projected = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "project", "project.json")));
            var measured = summary.RootElement.GetProperty("projected_step_time");
            var predicted = Assert.Single(projected.RootElement.GetProperty("projections").EnumerateArray()).GetProperty("step_time");
            Assert.Equal(predicted.GetProperty("step_ns").GetDouble(), measured.GetProperty("step_ns").GetDouble());
            Assert.Equal(predicted.GetProperty("epoch_seconds").GetDouble(), measured.GetProperty("epoch_seconds").GetDouble());
            Assert.Equal(32.0, summary.RootElement.GetProperty("config").GetProperty("latency_model").GetProperty("link_bytes_per_cycle").GetDouble());
            string step = NodeMesh.Cli.Reports.Markdown.Duration(predicted.GetProperty("step_ns").GetDouble());
            Assert.Contains($"projected on the fabric: {step} per step of 32", train.Out, StringComparison.Ordinal);
            Assert.Contains($"projected time on the fabric {step} per step", File.ReadAllText(Path.Combine(root, "run", "report.md")), StringComparison.Ordinal);
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Theory]
    [InlineData("train")]
    [InlineData("project")]
    public async Task A_bad_latency_file_gets_one_clear_line(string command)
    {
        string path = Path.Combine(Path.GetTempPath(), $"nodemesh-latency-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"clock_ghz": 0}""");
        try
        {
            var r = command == "train" ? await Cli.TrainAsync("--latency", path) : await Cli.RunAsync("project", "--latency", path);
            Cli.AssertUserError(r, true, $"--latency '{path}': field 'clock_ghz' is 0; it must be greater than 0 GHz.");
        }
        finally { File.Delete(path); }
    }
}
