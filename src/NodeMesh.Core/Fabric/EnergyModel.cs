using System.Text;
using System.Text.Json;

namespace NodeMesh.Core.Fabric;

/// <summary>
/// Energy figures of the emulated processor-in-memory fabric and of the conventional baseline, in
/// pJ. Defaults come from the sources in docs/references.md (45 nm, order of magnitude); see docs/fabric.md.
/// A JSON file (snake_case field names, all optional, unknown fields and negative values
/// rejected) overrides any of them.
/// </summary>
public sealed record EnergyModel
{
    /// <summary>
    /// pJ per bit per hop, link + router (default 0.3). Park et al. (DAC 2012) report roughly
    /// 0.2–0.5 pJ/bit per router hop and ~0.6 pJ per delivered bit on a 4×4 mesh, whose mean route
    /// between distinct nodes under uniform traffic is 8/3 hops (≈ 0.22 pJ/bit/hop) to 2 hops
    /// (0.3); a 1 mm hop of on-chip wire at ~40 fJ/bit/mm is included in this figure.
    /// </summary>
    public double LinkPjPerBitHop { get; init; } = 0.3;

    /// <summary>pJ per device read, one multiply-accumulate in the array (default 0.01; NeuroSim cell read 0.0025–0.025 pJ, cell only).</summary>
    public double DeviceReadPj { get; init; } = 0.01;

    /// <summary>pJ per programming pulse on one device (default 1; NeuroSim write pulse 0.8–8 pJ, low end).</summary>
    public double WritePulsePj { get; init; } = 1.0;

    /// <summary>
    /// pJ per analog-to-digital conversion of one array output (default 2). An assumption, not a
    /// figure from NeuroSim (which says only that the ADC dominates the cell read): a 9-bit
    /// conversion (the ADC resolution of aihwkit's default read path) at a Walden figure of merit of
    /// ~4 fJ per conversion step is 2⁹ × 4 fJ ≈ 2 pJ.
    /// </summary>
    public double AdcConversionPj { get; init; } = 2.0;

    /// <summary>pJ per 32-bit DRAM access (default 640; Horowitz, ISSCC 2014, via Han et al. 2015).</summary>
    public double DramAccessPj { get; init; } = 640;

    /// <summary>pJ per 32-bit SRAM access, 8 KB array (default 5; Horowitz 2014).</summary>
    public double SramAccessPj { get; init; } = 5;

    /// <summary>pJ per FP32 multiply-accumulate (default 4.6 = mult 3.7 + add 0.9; Horowitz 2014).</summary>
    public double Fp32MacPj { get; init; } = 4.6;

    /// <summary>The documented defaults.</summary>
    public static EnergyModel Default { get; } = new();

    private static readonly NumberFields<EnergyModel> Form = new("energy model", SettingKeys.Energy, Default,
    [
        new("link_pj_per_bit_hop", "pJ", false, m => m.LinkPjPerBitHop, (m, v) => m with { LinkPjPerBitHop = v }),
        new("device_read_pj", "pJ", false, m => m.DeviceReadPj, (m, v) => m with { DeviceReadPj = v }),
        new("write_pulse_pj", "pJ", false, m => m.WritePulsePj, (m, v) => m with { WritePulsePj = v }),
        new("adc_conversion_pj", "pJ", false, m => m.AdcConversionPj, (m, v) => m with { AdcConversionPj = v }),
        new("dram_access_pj", "pJ", false, m => m.DramAccessPj, (m, v) => m with { DramAccessPj = v }),
        new("sram_access_pj", "pJ", false, m => m.SramAccessPj, (m, v) => m with { SramAccessPj = v }),
        new("fp32_mac_pj", "pJ", false, m => m.Fp32MacPj, (m, v) => m with { Fp32MacPj = v }),
    ], _ => "an energy cannot be negative");

    /// <summary>The JSON field names, in file order.</summary>
    public static IReadOnlyList<string> FieldNames => Form.Names;

    /// <summary>
    /// Reads an energy model from a JSON file; fields left out keep their defaults.
    /// Throws <see cref="UserInputException"/> about <see cref="SettingKeys.Energy"/>, naming the file and any bad field.
    /// </summary>
    public static EnergyModel Load(string path) => Form.Load(path);

    /// <summary>
    /// Parses an energy model from JSON (comments and trailing commas allowed). <paramref name="source"/>
    /// names the input in error messages.
    /// </summary>
    public static EnergyModel Parse(string json, string source = "energy model") => Form.Parse(json, source);

    /// <summary>This model as an indented JSON object with every field.</summary>
    public string ToJson() => Form.ToJson(this);

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/>.</summary>
    public void Save(string path) => File.WriteAllText(path, ToJson() + "\n");

    // ---- pricing ------------------------------------------------------------------------------

    /// <summary>Energy in pJ of computing in the arrays: reads × <see cref="DeviceReadPj"/> + conversions × <see cref="AdcConversionPj"/>.</summary>
    public double ComputePj(double deviceReads, double adcConversions) => deviceReads * DeviceReadPj + adcConversions * AdcConversionPj;

    /// <summary>Energy in pJ of the reads and conversions of <paramref name="activity"/>.</summary>
    public double ComputePj(ArrayActivity activity) => ComputePj(activity.Reads, activity.Conversions);

    /// <summary>Energy in pJ of <paramref name="pulses"/> programming pulses (0 for the ideal float store).</summary>
    public double WritePj(double pulses) => pulses * WritePulsePj;

    /// <summary>Energy in pJ of moving <paramref name="byteHops"/> byte-hops: bytes × 8 bits × hops × <see cref="LinkPjPerBitHop"/>.</summary>
    public double TransportPj(double byteHops) => byteHops * 8 * LinkPjPerBitHop;

    /// <summary>Energy in pJ of the byte-hops of <paramref name="cost"/>.</summary>
    public double TransportPj(TransportCost cost) => TransportPj(cost.ByteHops);

    /// <summary>
    /// Energy by category, in pJ, from counts: array activity, programming pulses, activation and
    /// error byte-hops, and tying (sync) byte-hops.
    /// </summary>
    public EnergyBreakdown Breakdown(ArrayActivity activity, double pulses, double transportByteHops, double syncByteHops) =>
        new(ComputePj(activity), WritePj(pulses), TransportPj(transportByteHops), TransportPj(syncByteHops));
}

/// <summary>Energy of the fabric by category, in pJ.</summary>
/// <param name="ComputePj">Compute in the arrays: device reads and ADC conversions.</param>
/// <param name="WritePj">Device writes: programming pulses.</param>
/// <param name="TransportPj">Activation and error transport.</param>
/// <param name="SyncPj">Weight-tying (sync) transport.</param>
public sealed record EnergyBreakdown(double ComputePj, double WritePj, double TransportPj, double SyncPj)
{
    /// <summary>Sum of the categories, pJ.</summary>
    public double TotalPj => ComputePj + WritePj + TransportPj + SyncPj;

    /// <summary>Each category divided by <paramref name="samples"/> (e.g. pJ per sample).</summary>
    public EnergyBreakdown Per(double samples) => new(ComputePj / samples, WritePj / samples, TransportPj / samples, SyncPj / samples);

    public static EnergyBreakdown operator +(EnergyBreakdown a, EnergyBreakdown b) =>
        new(a.ComputePj + b.ComputePj, a.WritePj + b.WritePj, a.TransportPj + b.TransportPj, a.SyncPj + b.SyncPj);
}
