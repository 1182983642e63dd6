using System.Globalization;
using NodeMesh.Cli.Commands;

namespace NodeMesh.Cli.Tests;

public sealed class DeviceCliTests
{
    [Fact]
    public async Task Devices_lists_every_preset_with_its_parameters()
    {
        var r = await Cli.RunAsync("devices");
        Assert.Equal(0, r.Code);
        foreach (var name in new[] { "ideal", "idealized", "gokmen-vlasov", "reram-es", "reram-sb", "ecram", "capacitor", "pcm" })
            Assert.Contains(name, r.Out, StringComparison.Ordinal);
        Assert.Contains("dw_min", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_device_is_a_clear_error()
    {
        var r = await Cli.TrainAsync("--device", "flux-capacitor");
        Cli.AssertUserError(r, singleLine: true, "--device 'flux-capacitor' is neither a preset");
    }

    [Fact]
    public async Task Devices_show_names_its_own_flag_for_an_unknown_device()
    {
        var r = await Cli.RunAsync("devices", "--show", "flux-capacitor");
        var line = Cli.AssertUserError(r, singleLine: true, "--show 'flux-capacitor' is neither a preset");
        Assert.DoesNotContain("--device", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Devices_lists_the_presets_under_how_to_choose_one()
    {
        var r = await Cli.RunAsync("devices");
        Assert.StartsWith("Device presets (--device NAME, or --device FILE.json", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_device_file_with_an_unknown_field_names_the_field()
    {
        using var tmp = new TempDir();
        string file = tmp["dev.json"];
        File.WriteAllText(file, """{"preset": "reram-sb", "dw_minn": 0.001}""");
        var r = await Cli.TrainAsync("--device", file);
        Cli.AssertUserError(r, singleLine: false, "--device dev.json: ", "dw_minn");
    }

    [Fact]
    public async Task A_run_on_devices_reports_pulses_reads_and_clipping_per_layer()
    {
        using var tmp = new TempDir();
        var r = await Cli.TrainAsync("--device", "gokmen-vlasov", "--out", tmp["run"]);
        Assert.True(r.Code == 0, r.ToString());
        var rows = Cli.ReadCsv(Path.Combine(tmp["run"], "metrics.csv"), out string header);
        Assert.Equal(NodeMesh.Cli.Records.MetricsRow.Header, header);
        var conv1 = rows.First(x => x["layer"] == "conv1");
        Assert.True(double.Parse(conv1["pulses_mean_per_device"], CultureInfo.InvariantCulture) > 0);
        Assert.True(long.Parse(conv1["pulses_max_per_device"], CultureInfo.InvariantCulture) > 0);
        Assert.True(long.Parse(conv1["device_reads"], CultureInfo.InvariantCulture) > 0);
        var json = File.ReadAllText(Path.Combine(tmp["run"], "summary.json"));
        Assert.Contains("\"devices\"", json, StringComparison.Ordinal);
        Assert.Contains("gokmen-vlasov", File.ReadAllText(Path.Combine(tmp["run"], "config.json")), StringComparison.Ordinal);
        _ = DevicesCommand.Summary;
    }
}
