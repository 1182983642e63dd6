using System.Text.Json;
using System.Text.Json.Nodes;
using NodeMesh.Core.Devices;

namespace NodeMesh.Cli.Records;

/// <summary>
/// The <c>device_parameters</c> of config.json: every parameter of a device configuration as a
/// JSON object, built from Core's complete JSON form (<see cref="DeviceConfig.ToJson"/>) with the
/// member names of a <c>--device</c> JSON file (<see cref="DeviceConfig.ParameterNames"/>), so
/// that the object is itself a valid device file that rebuilds the same devices.
/// </summary>
public static class DeviceJson
{
    // ToJson's property names that the device file spells differently from their snake_case form.
    private static readonly Dictionary<string, string> Renamed = new(StringComparer.Ordinal)
    {
        ["ExpA"] = "a", ["ExpB"] = "b", ["ExpAUp"] = "A_up", ["ExpADown"] = "A_down",
    };

    /// <summary>The parameters of <paramref name="device"/>; null for none or the ideal store.</summary>
    public static JsonElement? Of(DeviceConfig? device)
    {
        if (device is null || device.IsIdeal) return null;
        var wire = JsonNode.Parse(DeviceConfig.ToJson(device))!.AsObject();
        var result = new JsonObject();
        foreach (var (key, value) in wire)
        {
            // Name is config.json's "device"; IsIdeal is false here; null = the model's default (as an absent member).
            if (key is nameof(DeviceConfig.Name) or nameof(DeviceConfig.IsIdeal) || value is null) continue;
            string name = Renamed.GetValueOrDefault(key) ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(key);
            result[name] = value.DeepClone();
        }
        using var doc = JsonDocument.Parse(result.ToJsonString());
        return doc.RootElement.Clone();
    }

    /// <summary>
    /// The parameters as (name, value) rows for a table: the members of an object, or for a run
    /// written before the object form, the "name value help" lines of its text listing.
    /// </summary>
    public static IReadOnlyList<(string Name, string Value)> Rows(JsonElement? parameters)
    {
        if (parameters is not { } p) return [];
        if (p.ValueKind == JsonValueKind.Object)
            return p.EnumerateObject()
                .Select(m => (m.Name, m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString() ?? "" : m.Value.GetRawText())).ToList();
        if (p.ValueKind != JsonValueKind.String) return [];
        return (p.GetString() ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries))
            .Where(w => w.Length >= 2)
            .Select(w => (w[0], w[1])).ToList();
    }
}
