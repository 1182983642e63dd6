using NodeMesh.Core.Fabric;

namespace NodeMesh.Core.Tests.Fabric;

/// <summary>The JSON latency model: defaults, derived times, round trip, and rejected input.</summary>
public sealed class LatencyModelTests
{
    [Fact]
    public void Defaults_are_the_documented_figures()
    {
        var m = LatencyModel.Default;
        Assert.Equal((1.0, 2.0, 1.0, 16.0), (m.ClockGhz, m.RouterCycles, m.LinkCycles, m.LinkBytesPerCycle));
        Assert.Equal((100.0, 1.28, 1.0, 10.0, 3.0), (m.CrossbarReadNs, m.AdcGsps, m.AdcsPerUnit, m.WritePulseNs, m.ProgramVerifyRounds));
        Assert.Equal(3.0, m.HopNs);
        Assert.Equal(1 / 1.28, m.ConversionNs, 12);
    }

    [Fact]
    public void Transfers_are_hops_plus_whole_flits()
    {
        var m = LatencyModel.Default with { ClockGhz = 2 }; // 0.5 ns cycles, 1.5 ns per hop
        Assert.Equal(4 * 1.5 + 2 * 0.5, m.TransferNs(4, 17)); // 17 bytes = 2 flits of 16
        Assert.Equal(0, m.SerializeNs(0));
    }

    [Fact]
    public void Json_round_trips_and_fields_left_out_keep_their_defaults()
    {
        var model = LatencyModel.Default with { LinkBytesPerCycle = 32, WritePulseNs = 0 };
        Assert.Equal(model, LatencyModel.Parse(model.ToJson()));
        Assert.Equal(LatencyModel.FieldNames, System.Text.Json.JsonDocument.Parse(model.ToJson()).RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(LatencyModel.Default with { RouterCycles = 1 }, LatencyModel.Parse("""{ /* one-cycle routers */ "router_cycles": 1, }"""));
    }

    [Theory]
    [InlineData("""{"router_cycle": 1}""", "unknown field 'router_cycle'", "router_cycles")]
    [InlineData("""{"clock_ghz": 0}""", "clock_ghz", "greater than 0 GHz")]
    [InlineData("""{"link_cycles": -1}""", "link_cycles", "negative")]
    [InlineData("""{"adc_gsps": "fast"}""", "adc_gsps", "number of GS/s")]
    [InlineData("""{"write_pulse_ns": 1, "write_pulse_ns": 2}""", "write_pulse_ns", "more than once")]
    [InlineData("""[1]""", "JSON object", "array")]
    public void Bad_values_are_user_errors_naming_the_field(string json, string names, string says)
    {
        var e = Assert.Throws<UserInputException>(() => LatencyModel.Parse(json, "x.json"));
        Assert.StartsWith("x.json: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(names, e.Message);
        Assert.Contains(says, e.Message);
    }

    [Fact]
    public void A_bad_file_is_a_user_error_about_the_latency_setting_naming_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"nodemesh-latency-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"hop_ns": 5}""");
        try
        {
            var e = Assert.Throws<UserInputException>(() => LatencyModel.Load(path));
            Assert.Equal(SettingKeys.Latency, e.Setting);
            Assert.StartsWith($"'{path}': unknown field 'hop_ns'", e.Message, StringComparison.Ordinal);
        }
        finally { File.Delete(path); }
        Assert.Equal(SettingKeys.Latency, Assert.Throws<UserInputException>(() => LatencyModel.Load("/nonexistent/latency.json")).Setting);
    }
}
