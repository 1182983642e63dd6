using NodeMesh.Actors.Driving;
using NodeMesh.Core.Devices;
using NodeMesh.Core.Fabric;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;

namespace NodeMesh.Actors.Tests;

/// <summary>Units whose weights live in simulated memristor arrays.</summary>
[Collection(ActorSystemsCollection.Name)]
public sealed class DeviceActorTests
{
    private const string Arch = "conv3x3x3,relu,maxpool2,conv3x3x4,relu,maxpool2,dense10";
    private const int Size = 8;

    private static Task<(float[][] Model, Messages.EpochTrained Epoch)> Train(string preset, StrategyOptions strategy) =>
        Train(DeviceConfig.Load(preset), strategy);

    private static async Task<(float[][] Model, Messages.EpochTrained Epoch)> Train(DeviceConfig device, StrategyOptions strategy)
    {
        var plan = NetworkPlan.Build(ArchSpec.Parse(Arch), 1, Size, Size, 10);
        var options = new TrainOptions(Arch, strategy, Batch: 8, TrainLimit: 32, Seed: 2, TileSide: 4).Validate();
        await using var run = await LocalRun.StartAsync(RunSpecs.From(options, plan, device), options, TestData.Random(32, 8, Size, 1), name: "devices");
        await run.PrepareAsync();
        var epoch = await run.TrainEpochAsync(1);
        return (await run.FetchModelAsync(), epoch);
    }

    [Fact]
    public async Task Tied_gradients_applied_to_each_units_own_devices_let_the_copies_diverge()
    {
        var (model, epoch) = await Train("gokmen-vlasov", new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Tree));
        var plan = NetworkPlan.Build(ArchSpec.Parse(Arch), 1, Size, Size, 10);
        foreach (var l in plan.Layers.Where(l => l.Kind == LayerKind.Conv))
        {
            var c = ConsensusReport.Measure(l, model[l.Index]);
            Assert.True(c.ConsensusDistance > 0, $"{l.Name}: device variation should make the tied copies differ");
            Assert.True(epoch.Ledger.DeviceOf(l.Index, DeviceField.UpdatePulses) > 0);
            Assert.Equal(l.UnitCount * (l.FanIn + 1), epoch.Ledger.DeviceOf(l.Index, DeviceField.Devices));
        }
    }

    [Fact]
    public async Task Pulsed_updates_and_reads_are_counted_per_layer()
    {
        var (_, epoch) = await Train("reram-sb", new StrategyOptions());
        var plan = NetworkPlan.Build(ArchSpec.Parse(Arch), 1, Size, Size, 10);
        foreach (var l in plan.Layers)
        {
            long devices = epoch.Ledger.DeviceOf(l.Index, DeviceField.Devices);
            long pulses = epoch.Ledger.DeviceOf(l.Index, DeviceField.UpdatePulses);
            Assert.Equal(l.UnitCount * (l.FanIn + 1), devices);
            Assert.True(pulses > 0, $"{l.Name}: no pulses");
            Assert.True(epoch.Ledger.DeviceOf(l.Index, DeviceField.MaxPulsesPerDevice) * devices >= pulses, "max per device below the mean");
            Assert.True(epoch.Ledger.DeviceOf(l.Index, DeviceField.Reads) > 0);
            Assert.Equal(0, epoch.Ledger.DeviceOf(l.Index, DeviceField.ProgramPulses)); // nothing is averaged with none
        }
    }

    [Fact]
    public async Task Weight_averaging_writes_the_average_into_the_devices_by_counted_pulses()
    {
        var (_, epoch) = await Train("gokmen-vlasov", new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Ring, ReduceOp.Sum, 2));
        var conv1 = 0;
        Assert.True(epoch.Ledger.DeviceOf(conv1, DeviceField.ProgramPulses) > 0, "averaging must program the devices by pulses");
    }

    /// <summary>
    /// Weight averaging onto devices with narrow bounds that vary from device to device: a map's
    /// average lies beyond some units' own bounds, so program-and-verify runs into them. Those
    /// clips are counted as clipped program pulses, a part of the program pulses.
    /// </summary>
    [Fact]
    public async Task Program_and_verify_clips_of_weight_averaging_are_counted()
    {
        var narrow = DeviceConfig.Load("gokmen-vlasov") with { WMax = 0.05, WMin = -0.05, WMaxDtod = 0.3, WMinDtod = 0.3 };
        var (_, epoch) = await Train(narrow, new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Ring, ReduceOp.Sum, 2));
        var a = DeviceActivity.Of(epoch.Ledger, 0);
        Assert.True(a.ProgramPulses > 0, "averaging must program the devices by pulses");
        Assert.InRange(a.ClippedProgramPulses, 1, a.ProgramPulses);
        Assert.InRange(a.ClippedUpdatePulses, 0, a.UpdatePulses);
    }

    [Fact]
    public async Task The_ideal_store_counts_no_device_activity()
    {
        var (_, epoch) = await Train("ideal", new StrategyOptions());
        Assert.All(epoch.Ledger.Devices.ToArray(), v => Assert.Equal(0, v));
    }

    /// <summary>
    /// The ideal store has no device counters, yet its units count the reads and conversions of
    /// their training passes: for 32 samples exactly 32 times the closed form per sample (forward
    /// FanIn + 1 reads and one conversion per unit; backward, after the first layer, FanIn of each),
    /// so the measured compute energy equals the closed form's.
    /// </summary>
    [Fact]
    public async Task The_ideal_store_counts_the_reads_and_conversions_of_the_closed_form()
    {
        var (_, epoch) = await Train("ideal", new StrategyOptions());
        var plan = NetworkPlan.Build(ArchSpec.Parse(Arch), 1, Size, Size, 10);
        Assert.Equal(32, epoch.Samples);
        Assert.Equal(ArrayActivity.PerSample(plan).Times(32), ArrayActivity.Of(epoch.Ledger));
        foreach (var l in plan.Layers)
            Assert.Equal(ArrayActivity.PerSample(l).ForwardReads * 32, epoch.Ledger.ComputeOf(l.Index, ComputeField.ForwardReads));
        Assert.Equal(EnergyModel.Default.ComputePj(ArrayActivity.PerSample(plan)),
            MeasuredEnergy.PerSample(EnergyModel.Default, epoch.Ledger, epoch.Samples).Compute, 9);
    }

    /// <summary>A one-sided pair reads both its devices in every multiply-accumulate: twice the reads of single devices, the same conversions.</summary>
    [Fact]
    public async Task One_sided_pairs_read_two_devices_per_weight()
    {
        var (_, epoch) = await Train("pcm", new StrategyOptions());
        var plan = NetworkPlan.Build(ArchSpec.Parse(Arch), 1, Size, Size, 10);
        var closed = ArrayActivity.PerSample(plan).Times(32);
        var counted = ArrayActivity.Of(epoch.Ledger);
        Assert.Equal((2 * closed.Reads, closed.Conversions), (counted.Reads, counted.Conversions));
    }
}

/// <summary>Device drift between steps: weights relax over simulated time on real unit actors.</summary>
[Collection(ActorSystemsCollection.Name)]
public sealed class DriftActorTests
{
    public static TheoryData<string> Strategies => ["none", "allreduce", "allreduce-every2", "gossip"];

    // Every unit's device clock advances every step under every strategy, tied units included.
    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task Conductance_drift_over_simulated_time_changes_the_trained_weights(string name)
    {
        const string arch = "conv3x3x2,relu,maxpool2,dense10";
        var plan = NetworkPlan.Build(ArchSpec.Parse(arch), 1, 8, 8, 10);
        var strategy = name switch
        {
            "none" => new StrategyOptions(),
            "allreduce" => new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Tree),
            "allreduce-every2" => new StrategyOptions(StrategyKind.AllReduce, TopologyKind.Tree, ReduceOp.Sum, 2),
            _ => new StrategyOptions(StrategyKind.Gossip, TopologyKind.Grid),
        };
        // A learning rate so small that no update pulse fires: only drift can move a weight.
        var options = new TrainOptions(arch, strategy, Batch: 8, LearningRate: 1e-12f, TrainLimit: 32, Seed: 2, TileSide: 4).Validate();
        var device = DeviceConfig.Parse("""{"preset": "gokmen-vlasov", "drift_nu": 0.1, "drift_t0": 1}""", "drift.json");
        async Task<float[][]> Run(double stepSeconds)
        {
            await using var run = await LocalRun.StartAsync(RunSpecs.From(options, plan, device, stepSeconds: stepSeconds), options, TestData.Random(32, 8, 8, 1), name: "drift");
            await run.PrepareAsync();
            await run.TrainEpochAsync(1);
            return await run.FetchModelAsync();
        }
        var still = await Run(0);
        var drifted = await Run(1000);
        foreach (var l in plan.Layers) // conv units (tied or not) and the dense neurons alike
        {
            Assert.NotEqual(still[l.Index], drifted[l.Index]);
            // Drift relaxes conductances toward zero: the drifted weights are smaller on average.
            Assert.True(drifted[l.Index].Sum(Math.Abs) < still[l.Index].Sum(Math.Abs), $"{l.Name}: drift did not shrink the weights");
        }
    }
}
