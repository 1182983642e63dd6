using System.Text.Json;
using System.Text.Json.Serialization;

namespace NodeMesh.Core.Devices;

// The complete device configuration as one JSON value, for the run spec that members receive:
// every parameter, so that a member builds exactly the driver's devices (not a preset name that
// could mean something else on another version).
public sealed partial record DeviceConfig
{
    private static readonly JsonSerializerOptions WireJson = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
        IgnoreReadOnlyProperties = true,
    };

    /// <summary>All parameters of <paramref name="config"/> as JSON.</summary>
    public static string ToJson(DeviceConfig config) => JsonSerializer.Serialize(config, WireJson);

    /// <summary>Reads <see cref="ToJson"/>'s output back and validates it.</summary>
    public static DeviceConfig FromJson(string json) =>
        (JsonSerializer.Deserialize<DeviceConfig>(json, WireJson) ?? throw new JsonException("empty device configuration")).Validate();
}
