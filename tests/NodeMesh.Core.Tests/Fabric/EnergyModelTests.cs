using NodeMesh.Core.Fabric;

namespace NodeMesh.Core.Tests.Fabric;

/// <summary>The JSON energy model: defaults, round trip, and rejected input.</summary>
public sealed class EnergyModelTests
{
    [Fact]
    public void Defaults_are_the_documented_figures()
    {
        var e = EnergyModel.Default;
        Assert.Equal((0.3, 0.01, 1.0, 2.0), (e.LinkPjPerBitHop, e.DeviceReadPj, e.WritePulsePj, e.AdcConversionPj));
        Assert.Equal((640.0, 5.0, 4.6), (e.DramAccessPj, e.SramAccessPj, e.Fp32MacPj));
    }

    [Fact]
    public void Json_round_trips_through_a_file()
    {
        var model = EnergyModel.Default with { LinkPjPerBitHop = 0.123456789, AdcConversionPj = 0, DramAccessPj = 1e4 };
        string path = Path.Combine(Path.GetTempPath(), $"nodemesh-energy-{Guid.NewGuid():N}.json");
        try
        {
            model.Save(path);
            Assert.Equal(model, EnergyModel.Load(path));
        }
        finally { File.Delete(path); }
        Assert.Equal(EnergyModel.Default, EnergyModel.Parse(EnergyModel.Default.ToJson()));
        Assert.Equal(EnergyModel.FieldNames, System.Text.Json.JsonDocument.Parse(model.ToJson()).RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Fields_left_out_keep_their_defaults()
    {
        var m = EnergyModel.Parse("""
            {
              // a comment is fine
              "write_pulse_pj": 8,
            }
            """);
        Assert.Equal(EnergyModel.Default with { WritePulsePj = 8 }, m);
        Assert.Equal(EnergyModel.Default, EnergyModel.Parse("{}"));
    }

    [Fact]
    public void Unknown_fields_are_named()
    {
        var e = Assert.Throws<UserInputException>(() => EnergyModel.Parse("""{"link_pj_per_bit_hop": 0.2, "adc_pj": 1, "sram": 5}""", "x.json"));
        Assert.StartsWith("x.json: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("'adc_pj'", e.Message);
        Assert.Contains("'sram'", e.Message);
        Assert.Contains("adc_conversion_pj", e.Message); // lists the valid fields
        Assert.DoesNotContain("'link_pj_per_bit_hop'", e.Message);
    }

    [Theory]
    [InlineData("""{"device_read_pj": -0.5}""", "device_read_pj", "negative")]
    [InlineData("""{"fp32_mac_pj": "4.6"}""", "fp32_mac_pj", "number")]
    [InlineData("""{"dram_access_pj": null}""", "dram_access_pj", "number")]
    [InlineData("""{"sram_access_pj": 1, "sram_access_pj": 2}""", "sram_access_pj", "more than once")]
    [InlineData("""[1, 2]""", "JSON object", "array")]
    [InlineData("""{"sram_access_pj": 1""", "not valid JSON", "JSON")]
    public void Bad_values_are_user_errors_naming_the_field(string json, string names, string says)
    {
        var e = Assert.Throws<UserInputException>(() => EnergyModel.Parse(json));
        Assert.Contains(names, e.Message);
        Assert.Contains(says, e.Message);
    }

    [Fact]
    public void A_missing_file_is_a_user_error()
    {
        var e = Assert.Throws<UserInputException>(() => EnergyModel.Load("/nonexistent/energy.json"));
        Assert.Equal(SettingKeys.Energy, e.Setting);
        Assert.StartsWith("'/nonexistent/energy.json': cannot read the energy model", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_file_is_a_user_error_about_the_energy_setting_naming_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"nodemesh-energy-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"sram": 5}""");
        try
        {
            var e = Assert.Throws<UserInputException>(() => EnergyModel.Load(path));
            Assert.Equal(SettingKeys.Energy, e.Setting);
            Assert.StartsWith($"'{path}': unknown field 'sram'", e.Message, StringComparison.Ordinal);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Pricing_follows_the_formulas()
    {
        var e = EnergyModel.Default;
        Assert.Equal(100 * 0.01 + 7 * 2.0, e.ComputePj(100, 7), 12);
        Assert.Equal(3.0, e.WritePj(3), 12);
        Assert.Equal(0.0, e.WritePj(0));
        Assert.Equal(10 * 8 * 0.3, e.TransportPj(10), 12); // 10 byte-hops = 80 bit-hops
        Assert.Equal(e.TransportPj(40 * 3), e.TransportPj(TransportCost.Single(40, 3)), 12);
        var b = e.Breakdown(new ArrayActivity(90, 10, 5, 10), 4, 10, 20);
        Assert.Equal(new EnergyBreakdown(100 * 0.01 + 15 * 2.0, 4.0, 24.0, 48.0), b);
        Assert.Equal(b.ComputePj + 4 + 24 + 48, b.TotalPj, 12);
        Assert.Equal(b.TotalPj / 4, b.Per(4).TotalPj, 12);
    }
}
