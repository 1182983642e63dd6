using NodeMesh.Core.Devices;
using NodeMesh.Core.Units;

namespace NodeMesh.Core.Tests.Devices;

/// <summary>
/// Presets carry the values documented in docs/devices.md; JSON files override any parameter on a
/// base preset; unknown, mistyped and out-of-range parameters are rejected with a message naming
/// the parameter (and its allowed range).
/// </summary>
public sealed class DeviceConfigTests : IDisposable
{
    private readonly List<string> _files = [];

    public void Dispose()
    {
        foreach (var f in _files) File.Delete(f);
    }

    [Fact]
    public void PresetsHaveTheDocumentedValues()
    {
        Assert.Equal(["ideal", "idealized", "gokmen-vlasov", "reram-es", "reram-sb", "ecram", "capacitor", "pcm"], DeviceConfig.PresetNames);
        Assert.True(DeviceConfig.Load("ideal").IsIdeal);

        var idealized = DeviceConfig.Load("idealized");
        Assert.Equal((DeviceModel.ConstantStep, 0.0002, 1.0, -1.0, 0.3, 0.3, 0.0), (idealized.Model, idealized.DwMin, idealized.WMax, idealized.WMin, idealized.DwMinDtod, idealized.DwMinStd, idealized.UpDownDtod));

        var gv = DeviceConfig.Load("gokmen-vlasov");
        Assert.Equal((DeviceModel.ConstantStep, 0.0016, 1.0, -1.0, 0.01), (gv.Model, gv.DwMin, gv.WMax, gv.WMin, gv.UpDownDtod));

        var es = DeviceConfig.Load("reram-es");
        Assert.Equal((DeviceModel.ExpStep, 0.00135, 1.0, -1.0, 5.0, 75.0), (es.Model, es.DwMin, es.WMax, es.WMin, es.DwMinStd, es.WriteNoiseStd));
        Assert.Equal((-0.5, -0.5, 5.0, 5.0, -1.18445, -0.081404, 0.259359), (es.ExpA, es.ExpB, es.EffectiveGammaUp, es.EffectiveGammaDown, es.ExpAUp, es.ExpADown, es.UpDown));

        var sb = DeviceConfig.Load("reram-sb");
        Assert.Equal((DeviceModel.SoftBounds, 0.002, 1.25, -0.75, 3.75, 56.0, false), (sb.Model, sb.DwMin, sb.WMax, sb.WMin, sb.DwMinStd, sb.WriteNoiseStd, sb.MultNoise));

        var ec = DeviceConfig.Load("ecram");
        Assert.Equal((DeviceModel.LinearStep, 0.002, 0.1153, 0.5085, 1.1724, -0.8276), (ec.Model, ec.DwMin, ec.EffectiveGammaUp, ec.EffectiveGammaDown, ec.WMax, ec.WMin));

        var cap = DeviceConfig.Load("capacitor");
        Assert.Equal((DeviceModel.LinearStep, 0.005, 0.05, 0.05, 1.0e6, false), (cap.Model, cap.DwMin, cap.EffectiveGammaUp, cap.EffectiveGammaDown, cap.Lifetime, cap.MultNoise));

        var pcm = DeviceConfig.Load("PCM");
        Assert.Equal((DeviceModel.ExpStep, 0.01, 2.0, 0.0, 0.6, true), (pcm.Model, pcm.DwMin, pcm.WMax, pcm.WMin, pcm.DwMinStd, pcm.OneSided));
        Assert.Equal((-1.0, 0.0, 2.5, 2.5, -27.235, -2.235), (pcm.ExpA, pcm.ExpB, pcm.EffectiveGammaUp, pcm.EffectiveGammaDown, pcm.ExpAUp, pcm.ExpADown));

        foreach (var name in DeviceConfig.PresetNames.Skip(1))
        {
            var c = DeviceConfig.Load(name);
            Assert.Equal((31, true, PulseMode.Stochastic, 0.06), (c.DesiredBl, c.UpdateManagement, c.Mode, c.OutNoise));
        }
    }

    [Fact]
    public void DefaultsAreTheReferenceDefaults()
    {
        var c = new DeviceConfig();
        Assert.Equal((0.001, 0.3, 0.3, 0.0, 0.01, 0.6, -0.6, 0.3, 0.3, 0.0), (c.DwMin, c.DwMinDtod, c.DwMinStd, c.UpDown, c.UpDownDtod, c.WMax, c.WMin, c.WMaxDtod, c.WMinDtod, c.CorruptDevicesProb));
        Assert.Equal(1200, c.States, 6);
        var exp = c with { Model = DeviceModel.ExpStep };
        Assert.Equal((0.00081, 0.36833, 12.44625, 12.78785, 0.244, 0.2425), (exp.ExpAUp, exp.ExpADown, exp.EffectiveGammaUp, exp.EffectiveGammaDown, exp.ExpA, exp.ExpB));
        var lin = c with { Model = DeviceModel.LinearStep };
        Assert.Equal((0.0, 0.0, 0.05, 0.05), (lin.EffectiveGammaUp, lin.EffectiveGammaDown, lin.GammaUpDtod, lin.GammaDownDtod));
        var pow = c with { Model = DeviceModel.PowStep };
        Assert.Equal((1.0, 0.1), (pow.PowGamma, pow.PowGammaDtod));
    }

    [Fact]
    public void WeightGranularityIsAihwkitsPerModel()
    {
        // aihwkit's calcWeightGranularity: dw_min for ConstantStep and LinearStep (SoftBounds is a
        // LinearStep there); ExpStep: its down step at w = 0 (z = b), with the up_down bias of the
        // down step, or dw_min when that is 0; PowStep: dw_min·0.5^pow_gamma.
        foreach (string name in new[] { "idealized", "gokmen-vlasov", "reram-sb", "ecram", "capacitor" })
            Assert.Equal(DeviceConfig.Load(name).DwMin, DeviceConfig.Load(name).WeightGranularity);
        Assert.Equal(0.001 * Math.Pow(0.5, 1.7), new DeviceConfig { Model = DeviceModel.PowStep, PowGamma = 1.7 }.WeightGranularity, 1e-15);
        Assert.Equal(0.001 * (1 - 0.36833 * Math.Exp(-12.78785 * 0.2425)), new DeviceConfig { Model = DeviceModel.ExpStep }.WeightGranularity, 1e-15);
        // reram-es: up_down 0.259359 > 0 scales the down step by 1 − up_down; A_down < 0, b = −0.5.
        Assert.Equal(0.00135 * (1 - 0.259359) * (1 + 0.081404 * Math.Exp(5 * 0.5)), DeviceConfig.Load("reram-es").WeightGranularity, 1e-15);
        Assert.Equal(0.01 * (1 + 2.235), DeviceConfig.Load("pcm").WeightGranularity, 1e-15); // b = 0
        Assert.Equal(0.001, new DeviceConfig { Model = DeviceModel.ExpStep, ExpADown = 100 }.WeightGranularity); // no down step at 0
    }

    [Fact]
    public void JsonOverridesParametersOfItsBasePreset()
    {
        string path = WriteTemp("""
            { "preset": "reram-sb", "dw_min": 0.004, "corrupt_devices_prob": 0.1, "mode": "mean", "desired_bl": 15,
              "update_management": false, "A_up": 0.5, // comments are allowed
              "model": "LinearStep", "gamma_up": 0.2 }
            """);
        var c = DeviceConfig.Load(path);
        Assert.Equal((DeviceModel.LinearStep, 0.004, 0.1, PulseMode.Mean, 15, false, 0.5, 0.2), (c.Model, c.DwMin, c.CorruptDevicesProb, c.Mode, c.DesiredBl, c.UpdateManagement, c.ExpAUp, c.EffectiveGammaUp));
        Assert.Equal((1.25, -0.75, 56.0), (c.WMax, c.WMin, c.WriteNoiseStd)); // from the base preset
        Assert.Equal(0.0, c.EffectiveGammaDown); // not given: the LinearStep default
        Assert.Contains("reram-sb", c.Name);
        Assert.IsType<DeviceArray>(c.CreateStore(5, 1));
        Assert.IsType<IdealWeightStore>(DeviceConfig.Load("ideal").CreateStore(5, 1));

        var noPreset = DeviceConfig.Parse("""{ "model": "PowStep", "pow_gamma": 2 }""");
        Assert.Equal((DeviceModel.PowStep, 2.0, 0.001), (noPreset.Model, noPreset.PowGamma, noPreset.DwMin));
    }

    [Theory]
    [InlineData("""{ "dw_min": -0.001 }""", "dw_min", "> 0")]
    [InlineData("""{ "dw_min": 0 }""", "dw_min", "> 0")]
    [InlineData("""{ "w_min": 0.5 }""", "w_min", "<= 0")]
    [InlineData("""{ "w_max": -0.1 }""", "w_max", ">= 0")]
    [InlineData("""{ "corrupt_devices_prob": 1.5 }""", "corrupt_devices_prob", "[0, 1]")]
    [InlineData("""{ "corrupt_devices_prob": -0.1 }""", "corrupt_devices_prob", "[0, 1]")]
    [InlineData("""{ "dw_min_std": -1 }""", "dw_min_std", ">= 0")]
    [InlineData("""{ "up_down": 2 }""", "up_down", "[-1, 1]")]
    [InlineData("""{ "desired_bl": 0 }""", "desired_bl", "[1, 255]")]
    [InlineData("""{ "desired_bl": 3.5 }""", "desired_bl", "integer")]
    [InlineData("""{ "drift_t0": 0, "drift_nu": 0.05 }""", "drift_t0", "> 0")]
    [InlineData("""{ "drift_nu": 2 }""", "drift_nu", "[0, 1]")]
    [InlineData("""{ "refresh_lower_thres": 0.9, "one_sided": true }""", "refresh_lower_thres", "refresh_upper_thres")]
    [InlineData("""{ "write_noise_std": 5 }""", "write_noise_std", "ConstantStep")]
    [InlineData("""{ "model": "LinearStep", "gamma_up": -0.1 }""", "gamma_up", ">= 0")]
    [InlineData("""{ "model": "Banana" }""", "model", "ConstantStep|LinearStep|SoftBounds|ExpStep|PowStep")]
    [InlineData("""{ "mode": "fast" }""", "mode", "stochastic|mean")]
    [InlineData("""{ "dw_min": "small" }""", "dw_min", "expected a number")]
    [InlineData("""{ "mult_noise": 1 }""", "mult_noise", "true or false")]
    [InlineData("""{ "w_max": 0, "w_min": 0 }""", "w_max", "w_max > w_min")]
    [InlineData("""{ "dw_mn": 0.001 }""", "dw_mn", "known parameters")]
    [InlineData("""{ "DW_MIN": 0.001 }""", "DW_MIN", "did you mean 'dw_min'")]
    [InlineData("""{ "preset": "memristor" }""", "preset", "gokmen-vlasov")]
    [InlineData("""{ "preset": "ideal", "dw_min": 0.1 }""", "dw_min", "no device parameters")]
    [InlineData("""{ "dw_min": 0.1, "dw_min": 0.2 }""", "dw_min", "twice")]
    [InlineData("""[1, 2]""", "bad.json", "JSON object")]
    [InlineData("""{ "dw_min": """, "bad.json", "not valid JSON")]
    public void BadConfigNamesTheField(string json, string field, string allowed)
    {
        var e = Assert.Throws<UserInputException>(() => DeviceConfig.Parse(json, "bad.json"));
        Assert.Contains(field, e.Message);
        Assert.Contains(allowed, e.Message);
    }

    [Fact]
    public void UnknownNameOrMissingFileIsAUserError()
    {
        var e = Assert.Throws<UserInputException>(() => DeviceConfig.Load("memristor"));
        Assert.Equal(SettingKeys.Device, e.Setting);
        Assert.StartsWith("'memristor' is neither a preset", e.Message, StringComparison.Ordinal);
        Assert.Contains("reram-sb", e.Message);
        e = Assert.Throws<UserInputException>(() => DeviceConfig.Load(Path.Combine(Path.GetTempPath(), "no-such-device-file.json")));
        Assert.Equal(SettingKeys.Device, e.Setting);
        Assert.Contains("does not exist", e.Message);
        // A file's own errors are about the device setting too, and name the file.
        e = Assert.Throws<UserInputException>(() => DeviceConfig.Load(WriteTemp("""{ "w_min": 0.2 }""")));
        Assert.Equal(SettingKeys.Device, e.Setting);
        Assert.Contains("w_min", e.Message);
        Assert.Contains(".json", e.Message);
    }

    [Fact]
    public void DescribeListsEveryPresetWithItsParameters()
    {
        string text = DeviceConfig.Describe();
        foreach (var name in DeviceConfig.PresetNames) Assert.Contains(name + " ", text);
        Assert.Contains("0.00135", text);
        Assert.Contains("-27.235", text);
        Assert.Contains("one-sided pair", text);
        Assert.Contains("write_noise_std", text);
        // Each block lists only what its model uses: no ExpStep parameters in the ConstantStep blocks.
        string idealizedBlock = text[text.IndexOf("\nidealized", StringComparison.Ordinal)..text.IndexOf("\ngokmen-vlasov", StringComparison.Ordinal)];
        Assert.DoesNotContain("A_up", idealizedBlock);
        Assert.Contains("dw_min ", idealizedBlock);
    }

    [Fact]
    public void OutputNoiseHasTheConfiguredSpread()
    {
        var c = DeviceConfig.Load("gokmen-vlasov");
        var rng = new Random(3);
        const int n = 100_000;
        double s2 = 0, s = 0;
        for (int i = 0; i < n; i++) { double z = c.OutputNoise(rng); s += z; s2 += z * z; }
        double var = s2 / n - (s / n) * (s / n);
        Assert.InRange(Math.Sqrt(var), 0.06 * (1 - 5 / Math.Sqrt(2.0 * n)), 0.06 * (1 + 5 / Math.Sqrt(2.0 * n)));
        Assert.Equal(0f, DeviceConfig.Load("ideal").OutputNoise(rng));
    }

    private string WriteTemp(string json)
    {
        string path = Path.Combine(Path.GetTempPath(), $"nodemesh-device-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        _files.Add(path);
        return path;
    }
}
