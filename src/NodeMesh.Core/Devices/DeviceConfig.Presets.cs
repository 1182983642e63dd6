using System.Text;
using System.Text.Json;

namespace NodeMesh.Core.Devices;

public sealed partial record DeviceConfig
{
    /// <summary>A named preset and a one-line description of what it models.</summary>
    public sealed record PresetInfo(string Name, string Summary, DeviceConfig Config);

    private static readonly Lazy<PresetInfo[]> PresetTable = new(BuildPresets);

    /// <summary>The preset names accepted by <see cref="Load"/>, in listing order (<c>ideal</c> first).</summary>
    public static IReadOnlyList<string> PresetNames => PresetTable.Value.Select(p => p.Name).ToArray();

    /// <summary>Every preset with its description and parameters.</summary>
    public static IReadOnlyList<PresetInfo> Presets => PresetTable.Value;

    /// <summary>The preset called <paramref name="name"/> (case-insensitive); throws <see cref="UserInputException"/> for an unknown name.</summary>
    public static DeviceConfig Preset(string name)
    {
        foreach (var p in PresetTable.Value)
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) return p.Config;
        throw new UserInputException($"unknown device preset '{name}'; allowed: {string.Join("|", PresetNames)}, or a JSON file.");
    }

    /// <summary>
    /// The configuration of the <see cref="SettingKeys.Device"/> setting: a preset name, or the path
    /// of a JSON object whose optional <c>"preset"</c> names the base (default: the reference
    /// defaults, ConstantStep) and whose other members override parameters by their snake_case
    /// names. Unknown members, values of the wrong type and values out of range are rejected with a
    /// <see cref="UserInputException"/> about that setting, naming the member and its allowed range.
    /// </summary>
    public static DeviceConfig Load(string presetOrJsonPath)
    {
        ArgumentNullException.ThrowIfNull(presetOrJsonPath);
        foreach (var p in PresetTable.Value)
            if (string.Equals(p.Name, presetOrJsonPath, StringComparison.OrdinalIgnoreCase)) return p.Config;
        if (!File.Exists(presetOrJsonPath))
        {
            if (presetOrJsonPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                throw new UserInputException($"'{presetOrJsonPath}': the file does not exist.", SettingKeys.Device);
            throw new UserInputException($"'{presetOrJsonPath}' is neither a preset ({string.Join("|", PresetNames)}) nor an existing JSON file.", SettingKeys.Device);
        }
        string text;
        try { text = File.ReadAllText(presetOrJsonPath); }
        catch (IOException e) { throw new UserInputException($"'{presetOrJsonPath}': cannot read the file: {e.Message}", SettingKeys.Device); }
        catch (UnauthorizedAccessException e) { throw new UserInputException($"'{presetOrJsonPath}': cannot read the file: {e.Message}", SettingKeys.Device); }
        try { return Parse(text, Path.GetFileName(presetOrJsonPath)); }
        catch (UserInputException e) { throw e.ForSetting(SettingKeys.Device); }
    }

    /// <summary>Parses a JSON device description (see <see cref="Load"/>); <paramref name="source"/> names it in messages.</summary>
    public static DeviceConfig Parse(string json, string source = "device.json")
    {
        JsonDocument doc = UserJson.Parse(json, source);
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new UserInputException($"{source}: expected a JSON object of device parameters, got {root.ValueKind.ToString().ToLowerInvariant()}.");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in root.EnumerateObject())
                if (!seen.Add(prop.Name))
                    throw new UserInputException($"{source}: parameter '{prop.Name}' is given twice.");

            DeviceConfig config = new();
            string baseName = "defaults";
            if (root.TryGetProperty("preset", out var presetElement))
            {
                if (presetElement.ValueKind != JsonValueKind.String)
                    throw new UserInputException($"{source}: preset: expected a preset name, got {Describe(presetElement)}; allowed: {string.Join("|", PresetNames)}.");
                baseName = presetElement.GetString()!;
                try { config = Preset(baseName); }
                catch (UserInputException e) { throw new UserInputException($"{source}: preset: {e.Message}"); }
                baseName = config.Name;
            }
            if (config.IsIdeal)
            {
                foreach (var prop in root.EnumerateObject())
                    if (prop.Name != "preset")
                        throw new UserInputException($"{source}: {prop.Name}: preset 'ideal' is the exact float store and takes no device parameters.");
                return config;
            }
            foreach (var prop in root.EnumerateObject())
            {
                if (prop.Name == "preset") continue;
                var spec = Array.Find(Specs, s => s.Name == prop.Name);
                if (spec is null)
                {
                    var near = Array.Find(Specs, s => string.Equals(s.Name, prop.Name, StringComparison.OrdinalIgnoreCase));
                    string hint = near is not null ? $" (did you mean '{near.Name}'?)" : "";
                    throw new UserInputException($"{source}: unknown device parameter '{prop.Name}'{hint}; known parameters: preset, {string.Join(", ", ParameterNames)}.");
                }
                try { config = spec.Apply(config, prop.Value); }
                catch (UserInputException e) { throw new UserInputException($"{source}: {e.Message}"); }
            }
            config = config with { Name = $"{source} ({baseName})" };
            try { config.CheckRanges(); }
            catch (UserInputException e) { throw new UserInputException($"{source}: {e.Message}"); }
            return config;
        }
    }

    /// <summary>
    /// The preset listing (of <c>nodemesh devices</c>, which puts how to choose a preset above it):
    /// one block per preset with the parameters its model uses.
    /// </summary>
    public static string Describe()
    {
        var sb = new StringBuilder();
        sb.AppendLine("Weights are in weight units; relative spreads are fractions of their mean; see docs/devices.md.");
        foreach (var p in PresetTable.Value)
        {
            sb.AppendLine();
            sb.Append(p.Name);
            if (!p.Config.IsIdeal) sb.Append(" (").Append(p.Config.Model).Append(p.Config.OneSided ? ", one-sided pair" : "").Append(')');
            sb.Append(" - ").AppendLine(p.Summary);
            sb.Append(p.Config.Format());
        }
        return sb.ToString();
    }

    private static PresetInfo[] BuildPresets()
    {
        // Values of aihwkit's preset classes (aihwkit.simulator.presets.devices); sources in
        // docs/references.md, the table in docs/devices.md.
        var idealized = new DeviceConfig
        {
            Name = "idealized", Model = DeviceModel.ConstantStep,
            DwMin = 0.0002, DwMinDtod = 0.3, DwMinStd = 0.3, UpDown = 0, UpDownDtod = 0,
            WMax = 1, WMin = -1, WMaxDtod = 0.3, WMinDtod = 0.3,
        };
        var gokmenVlasov = new DeviceConfig
        {
            Name = "gokmen-vlasov", Model = DeviceModel.ConstantStep,
            DwMin = 0.0016, DwMinDtod = 0.3, DwMinStd = 0.3, UpDown = 0, UpDownDtod = 0.01,
            WMax = 1, WMin = -1, WMaxDtod = 0.3, WMinDtod = 0.3,
        };
        var reramEs = new DeviceConfig
        {
            Name = "reram-es", Model = DeviceModel.ExpStep,
            DwMin = 0.00135, UpDown = 0.259359, WMax = 1, WMin = -1,
            ExpA = -0.5, ExpB = -0.5, GammaUp = 5, GammaDown = 5, ExpAUp = -1.18445, ExpADown = -0.081404,
            DwMinDtod = 0.2, UpDownDtod = 0.05, WMaxDtod = 0.3, WMinDtod = 0.3,
            DwMinStd = 5.0, WriteNoiseStd = 75.0,
        };
        var reramSb = new DeviceConfig
        {
            Name = "reram-sb", Model = DeviceModel.SoftBounds,
            DwMin = 0.002, UpDown = 0, WMax = 1.25, WMin = -0.75, MultNoise = false,
            DwMinDtod = 0.3, UpDownDtod = 0.01, WMaxDtod = 0.3 / 1.25, WMinDtod = 0.3 / 0.75,
            DwMinStd = 3.75, WriteNoiseStd = 56,
        };
        var ecram = new DeviceConfig
        {
            Name = "ecram", Model = DeviceModel.LinearStep,
            DwMin = 0.002, UpDown = 0, WMax = 1.1724, WMin = -0.8276, MultNoise = true,
            GammaUp = 0.1153, GammaDown = 0.5085, GammaUpDtod = 0.05, GammaDownDtod = 0.05,
            DwMinDtod = 0.1, UpDownDtod = 0.01, WMaxDtod = 0.05, WMinDtod = 0.05,
            DwMinStd = 0.3, WriteNoiseStd = 0,
        };
        var capacitor = new DeviceConfig
        {
            Name = "capacitor", Model = DeviceModel.LinearStep,
            DwMin = 0.005, UpDown = 0, WMax = 1, WMin = -1, MultNoise = false,
            GammaUp = 0.05, GammaDown = 0.05, GammaUpDtod = 0.01, GammaDownDtod = 0.01,
            DwMinDtod = 0.1, UpDownDtod = 0.06, WMaxDtod = 0.07, WMinDtod = 0.07,
            DwMinStd = 0.3, WriteNoiseStd = 0, Lifetime = 1.0e6, LifetimeDtod = 0.3,
        };
        var pcm = new DeviceConfig
        {
            Name = "pcm", Model = DeviceModel.ExpStep,
            DwMin = 0.01, UpDown = 0, WMax = 2, WMin = 0,
            ExpA = -1, ExpB = 0, GammaUp = 2.5, GammaDown = 2.5, ExpAUp = -27.235, ExpADown = -2.235,
            DwMinDtod = 0.2, UpDownDtod = 0.05, WMaxDtod = 0.1, WMinDtod = 0,
            DwMinStd = 0.6, DwMinStdAdd = 0.042, DwMinStdSlope = 0.108, WriteNoiseStd = 0,
            Reset = 0.01, ResetDtod = 0.02, ResetStd = 0.01,
            OneSided = true, RefreshUpperThres = 0.75, RefreshLowerThres = 0.25,
        };
        PresetInfo[] table =
        [
            new("ideal", "the exact float32 store (plain SGD); not a device", new DeviceConfig { Name = "ideal", IsIdeal = true }),
            new("idealized", "symmetric constant-step device with ~10,000 states (Gokmen & Vlasov 2016 spec without asymmetry)", idealized),
            new("gokmen-vlasov", "constant-step device with ~1,250 states over +-1 (Gokmen & Vlasov 2016)", gokmenVlasov),
            new("reram-es", "ReRAM, exponential-step fit to Gong et al. 2018; large cycle-to-cycle and write noise", reramEs),
            new("reram-sb", "ReRAM, soft-bounds fit to Gong et al. 2018 (symmetry point shifted to 0)", reramSb),
            new("ecram", "Li-based ECRAM, linear-step fit to Tang et al. 2018", ecram),
            new("capacitor", "capacitor cell, linear step with leakage (Li et al. 2018)", capacitor),
            new("pcm", "GST phase-change memory, exponential step, one-sided pair with refresh (Nandakumar et al. 2020)", pcm),
        ];
        foreach (var p in table) p.Config.Validate();
        return table;
    }
}
