using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NodeMesh.Core.Fabric;

/// <summary>
/// Time constants of the emulated processor-in-memory fabric: the network-on-chip (clock, router
/// and link cycles per hop, link width), the arrays (crossbar read, ADC rate, ADCs per unit) and
/// the device writes (pulse width, program-and-verify rounds). Defaults come from the sources in
/// docs/references.md (order of magnitude; see docs/latency.md). A JSON file (snake_case field
/// names, all optional; unknown fields, duplicates and out-of-range values rejected) overrides any
/// of them. <see cref="FabricLatency"/> turns them into the time of a training step.
/// </summary>
public sealed record LatencyModel
{
    /// <summary>Clock of the routers and links, GHz (default 1: PUMA's 1 GHz, the order of ISAAC's 1.2 GHz).</summary>
    public double ClockGhz { get; init; } = 1.0;

    /// <summary>Router pipeline cycles per hop (default 2: on-chip mesh routers take 1–3 cycles).</summary>
    public double RouterCycles { get; init; } = 2;

    /// <summary>Link traversal cycles per hop (default 1: one cycle for a ~1 mm hop).</summary>
    public double LinkCycles { get; init; } = 1;

    /// <summary>Bytes a link moves per cycle: the flit width (default 16 = 128-bit links).</summary>
    public double LinkBytesPerCycle { get; init; } = 16;

    /// <summary>ns of one analog read of a unit's array: one multiply-accumulate of all its rows (default 100, ISAAC's crossbar read).</summary>
    public double CrossbarReadNs { get; init; } = 100;

    /// <summary>ADC rate, giga-samples per second (default 1.28, ISAAC's 8-bit ADC): one conversion takes 1/rate ns.</summary>
    public double AdcGsps { get; init; } = 1.28;

    /// <summary>ADCs a unit's array converts with in parallel (default 1): the backward pass converts FanIn outputs over them.</summary>
    public double AdcsPerUnit { get; init; } = 1;

    /// <summary>ns of one programming pulse on a device (default 10; an assumption between the RPU target and typical ReRAM/PCM pulses, see docs/latency.md).</summary>
    public double WritePulseNs { get; init; } = 10;

    /// <summary>Verify rounds (read + conversion + one pulse slot) per device of a program-to-target after weight averaging (default 3).</summary>
    public double ProgramVerifyRounds { get; init; } = 3;

    /// <summary>The documented defaults.</summary>
    public static LatencyModel Default { get; } = new();

    /// <summary>ns per clock cycle.</summary>
    [JsonIgnore]
    public double CycleNs => 1.0 / ClockGhz;

    /// <summary>ns a packet's head needs per hop: (router + link cycles) / clock.</summary>
    [JsonIgnore]
    public double HopNs => (RouterCycles + LinkCycles) * CycleNs;

    /// <summary>ns of one ADC conversion: 1 / rate.</summary>
    [JsonIgnore]
    public double ConversionNs => 1.0 / AdcGsps;

    /// <summary>ns to push <paramref name="bytes"/> through one link or port: ⌈bytes / width⌉ cycles.</summary>
    public double SerializeNs(double bytes) => bytes <= 0 ? 0 : Math.Ceiling(bytes / LinkBytesPerCycle) * CycleNs;

    /// <summary>
    /// ns of a wormhole transfer: the head crosses <paramref name="hops"/> hops, then the
    /// <paramref name="bytes"/> that queue at the busiest port follow it: hops × <see cref="HopNs"/> + <see cref="SerializeNs"/>.
    /// </summary>
    public double TransferNs(double hops, double bytes) => hops * HopNs + SerializeNs(bytes);

    private static readonly NumberFields<LatencyModel> Form = new("latency model", SettingKeys.Latency, Default,
    [
        new("clock_ghz", "GHz", true, m => m.ClockGhz, (m, v) => m with { ClockGhz = v }),
        new("router_cycles", "cycles", false, m => m.RouterCycles, (m, v) => m with { RouterCycles = v }),
        new("link_cycles", "cycles", false, m => m.LinkCycles, (m, v) => m with { LinkCycles = v }),
        new("link_bytes_per_cycle", "bytes per cycle", true, m => m.LinkBytesPerCycle, (m, v) => m with { LinkBytesPerCycle = v }),
        new("crossbar_read_ns", "ns", false, m => m.CrossbarReadNs, (m, v) => m with { CrossbarReadNs = v }),
        new("adc_gsps", "GS/s", true, m => m.AdcGsps, (m, v) => m with { AdcGsps = v }),
        new("adcs_per_unit", "ADCs", true, m => m.AdcsPerUnit, (m, v) => m with { AdcsPerUnit = v }),
        new("write_pulse_ns", "ns", false, m => m.WritePulseNs, (m, v) => m with { WritePulseNs = v }),
        new("program_verify_rounds", "rounds", false, m => m.ProgramVerifyRounds, (m, v) => m with { ProgramVerifyRounds = v }),
    ], f => $"a count of {f.Unit} cannot be negative");

    /// <summary>The JSON field names, in file order.</summary>
    public static IReadOnlyList<string> FieldNames => Form.Names;

    /// <summary>
    /// Reads a latency model from a JSON file; fields left out keep their defaults.
    /// Throws <see cref="UserInputException"/> about <see cref="SettingKeys.Latency"/>, naming the file and any bad field.
    /// </summary>
    public static LatencyModel Load(string path) => Form.Load(path);

    /// <summary>
    /// Parses a latency model from JSON (comments and trailing commas allowed). <paramref name="source"/>
    /// names the input in error messages.
    /// </summary>
    public static LatencyModel Parse(string json, string source = "latency model") => Form.Parse(json, source);

    /// <summary>This model as an indented JSON object with every field.</summary>
    public string ToJson() => Form.ToJson(this);
}
