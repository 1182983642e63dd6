using NodeMesh.Core.Devices;
using NodeMesh.Core.Fabric;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Core.Tests.Fabric;

/// <summary>
/// The step-time model against hand computation. The model used here has round numbers: 1 GHz,
/// 2 router + 1 link cycles (3 ns per hop), 16 bytes per cycle, 100 ns reads, 1 ns conversions.
/// </summary>
public sealed class FabricLatencyTests
{
    private static readonly LatencyModel Round = LatencyModel.Default with { AdcGsps = 1 };

    /// <summary>conv3x3x2 on 4×4×1: one 4×4 map pair (N = 16, M = 2, S = 40 bytes, so 80 bytes = 5 ns per position).</summary>
    private static NetworkPlan Tiny() => NetworkPlan.Build(ArchSpec.Parse("conv3x3x2,relu,maxpool2,dense3"), 1, 4, 4, 3);

    private static StrategyOptions AllReduce(TopologyKind t) => new(StrategyKind.AllReduce, t);

    [Fact]
    public void Star_exchange_of_a_4x4_map_is_gather_and_broadcast_through_the_reducers_port()
    {
        var layout = new FabricLayout(Tiny());
        // Farthest position (0,0) is 4 hops from the centre (2,2): 12 ns; 16 positions × 80 bytes = 1280 bytes = 80 ns; twice.
        Assert.Equal(184, FabricLatency.ExchangeNs(layout, layout.Plan.Layers[0], AllReduce(TopologyKind.Star), Round));
    }

    [Fact]
    public void Ring_exchange_of_a_4x4_map_is_thirty_messages_one_after_the_other()
    {
        var layout = new FabricLayout(Tiny());
        // 2(N−1) = 30 messages of 5 ns; 29 travel one hop, the wrap link (3,0)→(0,0) three: (29 + 3)·3 ns.
        Assert.Equal(30 * 5 + 32 * 3, FabricLatency.ExchangeNs(layout, layout.Plan.Layers[0], AllReduce(TopologyKind.Ring), Round));
    }

    [Fact]
    public void Tree_exchange_of_a_4x4_map_follows_its_deepest_branch_and_the_children_queued_at_each_port()
    {
        var layout = new FabricLayout(Tiny());
        // Up: (u,1) 8 ns after its leaf; (0,2) 8+3+10 = 21; (1,2) 21+3+15 = 39; root 39+3+20 = 62.
        // Down: root's 4 children at 85; (1,2)'s 3 children at 103; (0,2)'s 2 children at 116; (0,0) at 124.
        Assert.Equal(124, FabricLatency.ExchangeNs(layout, layout.Plan.Layers[0], AllReduce(TopologyKind.Tree), Round));
    }

    [Fact]
    public void Grid_gossip_round_is_one_push_pull_over_one_link_per_peer()
    {
        var layout = new FabricLayout(Tiny());
        var grid = new StrategyOptions(StrategyKind.Gossip, TopologyKind.Grid);
        Assert.Equal(2 * (3 + 5), FabricLatency.ExchangeNs(layout, layout.Plan.Layers[0], grid, Round));
        Assert.Equal(2 * 2 * (3 + 5), FabricLatency.ExchangeNs(layout, layout.Plan.Layers[0], grid with { Fanout = 2 }, Round));
        Assert.Equal(0, FabricLatency.ExchangeNs(layout, layout.Plan.Layers[1], grid, Round)); // dense layers are not tied
    }

    [Fact]
    public void A_strided_conv_gathers_its_whole_kernel_window_from_inputs_at_the_input_spacing()
    {
        // AlexNet's conv1 (11×11 at stride 4, padding 2) on 224×224×3, batch 1: unit (u, v) sits over input
        // (4u, 4v), its window reaches 2 inputs before and 8 after, inputs 1 hop apart: 16 hops; unicast
        // sends 121 points × 64 maps × 3 channels × 4 bytes = 92,928 bytes = 5,808 cycles of 16 bytes.
        var plan = NetworkPlan.Build(ArchSpec.Parse("conv11x11x64s4p2,relu,maxpool3s2,dense10"), 3, 224, 224, 10);
        var unicast = new FabricLayout(plan);
        Assert.Equal(16 * 3 + 5808, FabricLatency.InputNs(unicast, plan.Layers[0], 1, Round));
        // The overlapping 3×3 pool at stride 2: 8 other members, the farthest (2 + 2) hops at the units' spacing of 4.
        Assert.Equal(4 * 4 * 3 + 8 * 64 * 4 / 16, FabricLatency.PoolNs(unicast, plan.Layers[0], 1, Round));
    }

    [Fact]
    public void A_global_average_pool_gathers_the_whole_map_to_its_site()
    {
        // conv3x3x2 on 4×4: gap gathers the other 15 positions' 2 maps × 4 bytes (120 bytes = 8 cycles), the farthest 3 + 3 hops away.
        var plan = NetworkPlan.Build(ArchSpec.Parse("conv3x3x2,relu,gap,dense3"), 1, 4, 4, 3);
        var layout = new FabricLayout(plan);
        Assert.Equal(6 * 3 + 8, FabricLatency.PoolNs(layout, plan.Layers[0], 1, Round));
    }

    [Fact]
    public void Step_of_a_tiny_net_without_tying_is_the_two_waves()
    {
        // Forward: conv1 input 2 hops + 18 packets × 8 bytes (9 ns) = 15, reads 2 × 101 = 202, pool 2 hops + 48 bytes = 9;
        // dense3 input 5 hops + 12 packets × 16 bytes (12 ns) = 27, reads 202; logits 24 bytes = 2. Total 457.
        // Backward: deltas 2, dense3 transposed read 2 × (100 + 8) = 216, input errors 27, pool scatter 9: 254.
        var step = FabricLatency.Step(new FabricLayout(Tiny()), new StrategyOptions(), 2, Round);
        Assert.Equal((457.0, 254.0, 711.0, 711.0), (step.ForwardNs, step.BackwardNs, step.PlainStepNs, step.MeanStepNs));
        Assert.Equal(355.5, step.PerSampleNs);
        Assert.Equal(711.0 / 2 * 1000 * 1e-9, step.EpochSeconds(1000), 15);
    }

    [Fact]
    public void Multicast_sends_one_packet_per_position_instead_of_one_per_consumer_unit()
    {
        // conv1 input 6 + 9 packets × 8 bytes (5 ns) = 11; dense3 15 + 4 × 16 bytes (4 ns) = 19.
        var layout = new FabricLayout(Tiny(), new FabricOptions(Cast: FabricCast.Multicast));
        var step = FabricLatency.Step(layout, new StrategyOptions(), 2, Round);
        Assert.Equal((445.0, 691.0), (step.ForwardNs, step.MeanStepNs));
    }

    [Fact]
    public void Tied_gradients_add_the_exchange_after_the_first_layers_backward_read()
    {
        var layout = new FabricLayout(Tiny());
        // conv1's gradient is ready at 711 (the end of the wave); the star exchange takes 184.
        var star = FabricLatency.Step(layout, AllReduce(TopologyKind.Star), 2, Round);
        Assert.Equal((711.0 + 184, 711.0, 184.0), (star.MeanStepNs, star.UntiedStepNs, star.TyingNs));
        Assert.Equal(711 + 124, FabricLatency.Step(layout, AllReduce(TopologyKind.Tree), 2, Round).MeanStepNs);
    }

    [Fact]
    public void Averaging_every_F_steps_spreads_one_exchange_over_the_period()
    {
        var layout = new FabricLayout(Tiny());
        var step = FabricLatency.Step(layout, AllReduce(TopologyKind.Star) with { Every = 4 }, 2, Round);
        Assert.Equal((711.0, 711.0 + 184), (step.PlainStepNs, step.ExchangeStepNs));
        Assert.Equal(711 + 184 / 4.0, step.MeanStepNs);
        Assert.Equal(184 / 4.0, step.TyingNs);
    }

    [Fact]
    public void Pulsed_devices_write_B_pulse_trains_per_step_and_one_after_a_tied_gradient()
    {
        var layout = new FabricLayout(Tiny());
        var bl31 = new DeviceWrites(31); // 31 slots × 10 ns = 310 ns per update
        // none: conv1 ready at 711, then 2 × 310.
        Assert.Equal(711 + 620, FabricLatency.Step(layout, new StrategyOptions(), 2, Round, bl31).MeanStepNs);
        // star F = 1: conv1 711 + 184 + 310 = 1205; dense3 ready at 675 + 620 = 1295 ends last.
        Assert.Equal(1295, FabricLatency.Step(layout, AllReduce(TopologyKind.Star), 2, Round, bl31).MeanStepNs);
        Assert.Equal(0, FabricLatency.Step(layout, new StrategyOptions(), 2, Round, DeviceWrites.Of(DeviceConfig.Load("ideal"))).WriteNs);
        Assert.Equal(31, DeviceWrites.Of(DeviceConfig.Load("gokmen-vlasov")).UpdateSlots);
    }

    [Fact]
    public void A_json_override_changes_the_step()
    {
        var layout = new FabricLayout(Tiny());
        var faster = LatencyModel.Parse("""{"adc_gsps": 1, "crossbar_read_ns": 50}""");
        // Three reads per sample lie on the critical path (conv1 and dense3 forward, dense3 backward): 3 × 2 samples × 50 ns less.
        Assert.Equal(711 - 3 * 2 * 50, FabricLatency.Step(layout, new StrategyOptions(), 2, faster).MeanStepNs);
    }

    [Fact]
    public void The_spread_layout_is_not_modelled()
    {
        var layout = new FabricLayout(Tiny(), new FabricOptions(MapLayout.Spread));
        Assert.False(FabricLatency.Supports(layout.Options));
        Assert.Throws<ArgumentException>(() => FabricLatency.Step(layout, new StrategyOptions(), 2, Round));
    }
}
