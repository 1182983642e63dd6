using System.Globalization;
using System.Text.Json;

namespace NodeMesh.Core.Devices;

public sealed partial record DeviceConfig
{
    /// <summary>One JSON parameter: its name, allowed range, when it matters, and how to read and print it.</summary>
    private sealed record Spec(
        string Name,
        string Range,
        string Help,
        Func<DeviceConfig, bool> Relevant,
        Func<DeviceConfig, string> Format,
        Func<DeviceConfig, bool> InRange,
        Func<DeviceConfig, JsonElement, DeviceConfig> Apply);

    private static bool Always(DeviceConfig c) => true;
    private static bool Finite(double v) => double.IsFinite(v);
    private static bool NonNegative(double v) => double.IsFinite(v) && v >= 0;
    private static bool Unit(double v) => double.IsFinite(v) && v >= 0 && v <= 1;
    private static bool Symmetric1(double v) => double.IsFinite(v) && v >= -1 && v <= 1;

    private static Spec Real(string name, string range, string help, Func<DeviceConfig, double> get,
        Func<DeviceConfig, double, DeviceConfig> set, Func<double, bool> ok, Func<DeviceConfig, bool>? relevant = null) =>
        new(name, range, help, relevant ?? Always, c => Num(get(c)), c => ok(get(c)),
            (c, e) => set(c, e.ValueKind == JsonValueKind.Number
                ? e.GetDouble()
                : throw new UserInputException($"{name}: expected a number, got {Describe(e)}.")));

    private static Spec Int(string name, string range, string help, Func<DeviceConfig, int> get,
        Func<DeviceConfig, int, DeviceConfig> set, Func<int, bool> ok) =>
        new(name, range, help, Always, c => get(c).ToString(CultureInfo.InvariantCulture), c => ok(get(c)),
            (c, e) => set(c, e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v)
                ? v
                : throw new UserInputException($"{name}: expected an integer, got {Describe(e)}; allowed: {range}.")));

    private static Spec Bool(string name, string help, Func<DeviceConfig, bool> get,
        Func<DeviceConfig, bool, DeviceConfig> set, Func<DeviceConfig, bool>? relevant = null) =>
        new(name, "true or false", help, relevant ?? Always, c => get(c) ? "true" : "false", _ => true,
            (c, e) => set(c, e.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new UserInputException($"{name}: expected true or false, got {Describe(e)}."),
            }));

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => $"\"{e.GetString()}\"",
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null => e.GetRawText(),
        _ => e.ValueKind.ToString().ToLowerInvariant(),
    };

    private static bool Is(DeviceConfig c, params DeviceModel[] models) => Array.IndexOf(models, c.Model) >= 0;

    private static DeviceModel ParseModel(JsonElement e)
    {
        string allowed = string.Join("|", Enum.GetNames<DeviceModel>());
        if (e.ValueKind == JsonValueKind.String)
        {
            string s = e.GetString()!.Replace("-", "").Replace("_", "");
            foreach (var m in Enum.GetValues<DeviceModel>())
                if (string.Equals(m.ToString(), s, StringComparison.OrdinalIgnoreCase)) return m;
        }
        throw new UserInputException($"model: {Describe(e)} is not a device model; allowed: {allowed}.");
    }

    private static PulseMode ParseMode(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.String)
        {
            string s = e.GetString()!;
            if (string.Equals(s, "stochastic", StringComparison.OrdinalIgnoreCase)) return PulseMode.Stochastic;
            if (string.Equals(s, "mean", StringComparison.OrdinalIgnoreCase)) return PulseMode.Mean;
        }
        throw new UserInputException($"mode: {Describe(e)} is not an update mode; allowed: stochastic|mean.");
    }

    /// <summary>Every parameter, in listing order.</summary>
    private static readonly Spec[] Specs =
    [
        new("model", string.Join("|", Enum.GetNames<DeviceModel>()), "update-once rule", Always,
            c => c.Model.ToString(), _ => true, (c, e) => c with { Model = ParseModel(e) }),
        Real("dw_min", "> 0", "mean step per pulse (weight units)", c => c.DwMin, (c, v) => c with { DwMin = v }, v => double.IsFinite(v) && v > 0),
        Real("dw_min_dtod", ">= 0", "device-to-device spread of the step (relative)", c => c.DwMinDtod, (c, v) => c with { DwMinDtod = v }, NonNegative),
        Real("dw_min_std", ">= 0", "cycle-to-cycle spread of each step (relative)", c => c.DwMinStd, (c, v) => c with { DwMinStd = v }, NonNegative),
        Real("up_down", "[-1, 1]", "up/down asymmetry (> 0: larger up steps)", c => c.UpDown, (c, v) => c with { UpDown = v }, Symmetric1),
        Real("up_down_dtod", ">= 0", "device-to-device spread of the asymmetry (relative)", c => c.UpDownDtod, (c, v) => c with { UpDownDtod = v }, NonNegative),
        Real("w_max", ">= 0", "mean upper bound (weight units)", c => c.WMax, (c, v) => c with { WMax = v }, NonNegative),
        Real("w_min", "<= 0", "mean lower bound (weight units)", c => c.WMin, (c, v) => c with { WMin = v }, v => double.IsFinite(v) && v <= 0),
        Real("w_max_dtod", ">= 0", "device-to-device spread of w_max (relative)", c => c.WMaxDtod, (c, v) => c with { WMaxDtod = v }, NonNegative),
        Real("w_min_dtod", ">= 0", "device-to-device spread of w_min (relative)", c => c.WMinDtod, (c, v) => c with { WMinDtod = v }, NonNegative),
        Real("corrupt_devices_prob", "[0, 1]", "probability that a device is stuck", c => c.CorruptDevicesProb, (c, v) => c with { CorruptDevicesProb = v }, Unit),
        Real("corrupt_devices_range", ">= 0", "stuck value uniform in +-range (weight units)", c => c.CorruptDevicesRange, (c, v) => c with { CorruptDevicesRange = v }, NonNegative,
            c => c.CorruptDevicesProb > 0),
        Real("write_noise_std", ">= 0 (0 for ConstantStep)", "read-visible write noise (relative to dw_min)", c => c.WriteNoiseStd, (c, v) => c with { WriteNoiseStd = v }, NonNegative,
            c => c.Model != DeviceModel.ConstantStep),
        Bool("mult_noise", "cycle-to-cycle noise multiplies the step (else additive)", c => c.MultNoise, (c, v) => c with { MultNoise = v },
            c => Is(c, DeviceModel.LinearStep, DeviceModel.SoftBounds)),
        new("gamma_up", "LinearStep: >= 0; ExpStep: finite", "LinearStep slope / ExpStep exponent (up)", c => Is(c, DeviceModel.LinearStep, DeviceModel.ExpStep),
            c => Num(c.EffectiveGammaUp), c => Finite(c.EffectiveGammaUp),
            (c, e) => c with { GammaUp = e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw new UserInputException($"gamma_up: expected a number, got {Describe(e)}.") }),
        new("gamma_down", "LinearStep: >= 0; ExpStep: finite", "LinearStep slope / ExpStep exponent (down)", c => Is(c, DeviceModel.LinearStep, DeviceModel.ExpStep),
            c => Num(c.EffectiveGammaDown), c => Finite(c.EffectiveGammaDown),
            (c, e) => c with { GammaDown = e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw new UserInputException($"gamma_down: expected a number, got {Describe(e)}.") }),
        Real("gamma_up_dtod", ">= 0", "device-to-device spread of gamma_up (absolute)", c => c.GammaUpDtod, (c, v) => c with { GammaUpDtod = v }, NonNegative,
            c => c.Model == DeviceModel.LinearStep),
        Real("gamma_down_dtod", ">= 0", "device-to-device spread of gamma_down (absolute)", c => c.GammaDownDtod, (c, v) => c with { GammaDownDtod = v }, NonNegative,
            c => c.Model == DeviceModel.LinearStep),
        Real("a", "finite", "ExpStep slope of z", c => c.ExpA, (c, v) => c with { ExpA = v }, Finite, c => c.Model == DeviceModel.ExpStep),
        Real("b", "finite", "ExpStep offset of z", c => c.ExpB, (c, v) => c with { ExpB = v }, Finite, c => c.Model == DeviceModel.ExpStep),
        Real("A_up", "finite", "ExpStep prefactor (up)", c => c.ExpAUp, (c, v) => c with { ExpAUp = v }, Finite, c => c.Model == DeviceModel.ExpStep),
        Real("A_down", "finite", "ExpStep prefactor (down)", c => c.ExpADown, (c, v) => c with { ExpADown = v }, Finite, c => c.Model == DeviceModel.ExpStep),
        Real("dw_min_std_add", ">= 0", "ExpStep complex noise: additive part (weight units)", c => c.DwMinStdAdd, (c, v) => c with { DwMinStdAdd = v }, NonNegative,
            c => c.Model == DeviceModel.ExpStep),
        Real("dw_min_std_slope", ">= 0", "ExpStep complex noise: part proportional to |w|", c => c.DwMinStdSlope, (c, v) => c with { DwMinStdSlope = v }, NonNegative,
            c => c.Model == DeviceModel.ExpStep),
        Real("pow_gamma", ">= 0", "PowStep exponent", c => c.PowGamma, (c, v) => c with { PowGamma = v }, NonNegative, c => c.Model == DeviceModel.PowStep),
        Real("pow_gamma_dtod", ">= 0", "device-to-device spread of pow_gamma (relative)", c => c.PowGammaDtod, (c, v) => c with { PowGammaDtod = v }, NonNegative,
            c => c.Model == DeviceModel.PowStep),
        Real("pow_up_down", "[-1, 1]", "PowStep exponent bias (> 0 lowers gamma_down, < 0 gamma_up)", c => c.PowUpDown, (c, v) => c with { PowUpDown = v }, Symmetric1,
            c => c.Model == DeviceModel.PowStep),
        Real("pow_up_down_dtod", ">= 0", "device-to-device spread of pow_up_down (absolute)", c => c.PowUpDownDtod, (c, v) => c with { PowUpDownDtod = v }, NonNegative,
            c => c.Model == DeviceModel.PowStep),
        Real("lifetime", "0 (no decay) or >= 1", "decay time constant (mini-batches)", c => c.Lifetime, (c, v) => c with { Lifetime = v },
            v => double.IsFinite(v) && (v == 0 || v >= 1)),
        Real("lifetime_dtod", ">= 0", "device-to-device spread of lifetime (relative)", c => c.LifetimeDtod, (c, v) => c with { LifetimeDtod = v }, NonNegative,
            c => c.Lifetime > 0),
        Bool("one_sided", "pair w = g+ - g- of up-only devices with refresh", c => c.OneSided, (c, v) => c with { OneSided = v }),
        Real("refresh_upper_thres", "(0, 1]", "refresh when the larger device > thres * w_max ...", c => c.RefreshUpperThres, (c, v) => c with { RefreshUpperThres = v },
            v => double.IsFinite(v) && v > 0 && v <= 1, c => c.OneSided),
        Real("refresh_lower_thres", "[0, 1]", "... and the smaller one > thres * w_max", c => c.RefreshLowerThres, (c, v) => c with { RefreshLowerThres = v }, Unit,
            c => c.OneSided),
        Real("reset", "finite", "mean reset value (weight units)", c => c.Reset, (c, v) => c with { Reset = v }, Finite, c => c.OneSided),
        Real("reset_dtod", ">= 0", "device-to-device spread of the reset value (weight units)", c => c.ResetDtod, (c, v) => c with { ResetDtod = v }, NonNegative,
            c => c.OneSided),
        Real("reset_std", ">= 0", "cycle-to-cycle spread of a reset (weight units)", c => c.ResetStd, (c, v) => c with { ResetStd = v }, NonNegative, c => c.OneSided),
        Real("drift_nu", "[0, 1]", "drift exponent (0 = no drift)", c => c.DriftNu, (c, v) => c with { DriftNu = v }, Unit),
        Real("drift_nu_dtod", ">= 0", "device-to-device spread of drift_nu (relative)", c => c.DriftNuDtod, (c, v) => c with { DriftNuDtod = v }, NonNegative,
            c => c.DriftNu > 0),
        Real("drift_t0", "> 0", "drift reference time (seconds)", c => c.DriftT0, (c, v) => c with { DriftT0 = v }, v => double.IsFinite(v) && v > 0,
            c => c.DriftNu > 0),
        Real("out_noise", ">= 0", "output noise std (normalised units)", c => c.OutNoise, (c, v) => c with { OutNoise = v }, NonNegative),
        Int("desired_bl", "[1, 255]", "maximal pulse-train length (slots)", c => c.DesiredBl, (c, v) => c with { DesiredBl = v }, v => v >= 1 && v <= 255),
        Bool("update_management", "balance x/d pulse probabilities", c => c.UpdateManagement, (c, v) => c with { UpdateManagement = v }),
        new("mode", "stochastic|mean", "pulse-count mode", Always, c => c.Mode == PulseMode.Mean ? "mean" : "stochastic", _ => true,
            (c, e) => c with { Mode = ParseMode(e) }),
        Int("program_max_pulses", "[1, 10000000]", "pulse cap per device per write", c => c.ProgramMaxPulses, (c, v) => c with { ProgramMaxPulses = v },
            v => v >= 1 && v <= 10_000_000),
    ];

    /// <summary>The JSON names of every parameter, in listing order.</summary>
    public static IReadOnlyList<string> ParameterNames { get; } = Specs.Select(s => s.Name).ToArray();
}
