using System.Globalization;
using System.Text;

namespace NodeMesh.Cli.Records;

/// <summary>
/// One row of <c>metrics.csv</c>: one epoch, one layer ("all" sums the layers) and one traffic
/// category. The traffic columns are the layer's; the learning, timing, consensus and device
/// columns repeat for every category of the layer (consensus is blank for "all" and the dense
/// layer). Columns are the snake_case names of the properties, in <see cref="Columns"/> order;
/// <see cref="Header"/>, <see cref="ToCsv"/> and <see cref="Read"/> all use that one list.
/// Numbers are invariant; non-integers have 9 significant digits, +∞ is written "inf".
/// </summary>
/// <param name="Messages">Logical messages of the fabric.</param>
/// <param name="PayloadBytes">Their payload bytes.</param>
/// <param name="ByteHops">Payload bytes × mesh hops.</param>
/// <param name="ActorMessages">Actor messages delivered.</param>
/// <param name="Dropped">Messages lost.</param>
/// <param name="TrainSeconds">Seconds of training of the epoch.</param>
/// <param name="ConsensusXi2">Ξ² of a conv layer; null (blank) otherwise.</param>
/// <param name="Snr">SNR of a conv layer; null (blank) otherwise.</param>
/// <param name="PulsesMeanPerDevice">Programming pulses per device since training started.</param>
/// <param name="PulsesMaxPerDevice">Largest pulse count of one device.</param>
/// <param name="DeviceReads">Device reads since training started.</param>
/// <param name="StuckDevices">Stuck devices.</param>
/// <param name="ClippedUpdateFraction">Clipped update pulses / update pulses since training started (blank without update pulses).</param>
/// <param name="ClippedProgramFraction">Clipped program pulses / program pulses since training started (blank without program pulses).</param>
public sealed record MetricsRow(
    int Epoch, string Layer, string Category,
    long Messages, long PayloadBytes, long ByteHops, long ActorMessages, long Dropped,
    double TrainLoss, double TrainAccuracy, double TestLoss, double TestAccuracy, double TrainSeconds, double SamplesPerSecond,
    double? ConsensusXi2, double? Snr,
    double PulsesMeanPerDevice, long PulsesMaxPerDevice, long DeviceReads, long StuckDevices,
    double? ClippedUpdateFraction, double? ClippedProgramFraction)
{
    /// <summary>A column: its name in the header (the property's snake_case name) and how a row writes it.</summary>
    private sealed record Column(string Name, Func<MetricsRow, string> Write);

    private static Column C(string property, Func<MetricsRow, string> write) => new(RunJson.NameOf(property), write);

    /// <summary>The columns in file order; the only place that lists them.</summary>
    private static readonly Column[] All =
    [
        C(nameof(Epoch), r => I(r.Epoch)),
        C(nameof(Layer), r => r.Layer),
        C(nameof(Category), r => r.Category),
        C(nameof(Messages), r => I(r.Messages)),
        C(nameof(PayloadBytes), r => I(r.PayloadBytes)),
        C(nameof(ByteHops), r => I(r.ByteHops)),
        C(nameof(ActorMessages), r => I(r.ActorMessages)),
        C(nameof(Dropped), r => I(r.Dropped)),
        C(nameof(TrainLoss), r => F(r.TrainLoss)),
        C(nameof(TrainAccuracy), r => F(r.TrainAccuracy)),
        C(nameof(TestLoss), r => F(r.TestLoss)),
        C(nameof(TestAccuracy), r => F(r.TestAccuracy)),
        C(nameof(TrainSeconds), r => F(r.TrainSeconds)),
        C(nameof(SamplesPerSecond), r => F(r.SamplesPerSecond)),
        C(nameof(ConsensusXi2), r => r.ConsensusXi2 is { } x ? F(x) : ""),
        C(nameof(Snr), r => r.Snr is { } x ? F(x) : ""),
        C(nameof(PulsesMeanPerDevice), r => F(r.PulsesMeanPerDevice)),
        C(nameof(PulsesMaxPerDevice), r => I(r.PulsesMaxPerDevice)),
        C(nameof(DeviceReads), r => I(r.DeviceReads)),
        C(nameof(StuckDevices), r => I(r.StuckDevices)),
        C(nameof(ClippedUpdateFraction), r => r.ClippedUpdateFraction is { } x ? F(x) : ""),
        C(nameof(ClippedProgramFraction), r => r.ClippedProgramFraction is { } x ? F(x) : ""),
    ];

    /// <summary>The column names in file order.</summary>
    public static IReadOnlyList<string> Columns { get; } = All.Select(c => c.Name).ToArray();

    /// <summary>The first line of metrics.csv.</summary>
    public static string Header { get; } = string.Join(',', Columns);

    /// <summary>This row as one CSV line (no newline). Layer names never hold commas, so nothing is quoted.</summary>
    public string ToCsv() => string.Join(',', All.Select(c => c.Write(this)));

    /// <summary>Rows as CSV lines, each ending in a newline.</summary>
    public static string ToCsv(IEnumerable<MetricsRow> rows)
    {
        var sb = new StringBuilder();
        foreach (var r in rows) sb.Append(r.ToCsv()).Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// Reads a metrics.csv: the header names the columns (any order; every column of
    /// <see cref="Columns"/> must be there), one row per line. Throws <see cref="FormatException"/>
    /// naming the line and column of anything it cannot read.
    /// </summary>
    public static IReadOnlyList<MetricsRow> Read(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0) throw new FormatException($"{path} is empty; expected the header {Header}");
        var index = lines[0].Split(',').Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i, StringComparer.Ordinal);
        var missing = Columns.Where(c => !index.ContainsKey(c)).ToList();
        if (missing.Count > 0) throw new FormatException($"{path}: the header lacks {string.Join(", ", missing)}");
        return lines.Skip(1).Select((line, n) => Parse(line.Split(','), index, $"{path} line {n + 2}")).ToList();
    }

    private static MetricsRow Parse(string[] cells, Dictionary<string, int> index, string where)
    {
        string S(string property)
        {
            int i = index[RunJson.NameOf(property)];
            return i < cells.Length ? cells[i] : throw new FormatException($"{where}: no value for {RunJson.NameOf(property)}");
        }
        long L(string property) => long.TryParse(S(property), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v
            : throw new FormatException($"{where}: {RunJson.NameOf(property)} '{S(property)}' is not an integer");
        double D(string property) => ParseDouble(S(property)) ?? throw new FormatException($"{where}: {RunJson.NameOf(property)} '{S(property)}' is not a number");
        double? N(string property) => S(property).Length == 0 ? null : D(property);
        return new MetricsRow(
            (int)L(nameof(Epoch)), S(nameof(Layer)), S(nameof(Category)),
            L(nameof(Messages)), L(nameof(PayloadBytes)), L(nameof(ByteHops)), L(nameof(ActorMessages)), L(nameof(Dropped)),
            D(nameof(TrainLoss)), D(nameof(TrainAccuracy)), D(nameof(TestLoss)), D(nameof(TestAccuracy)), D(nameof(TrainSeconds)), D(nameof(SamplesPerSecond)),
            N(nameof(ConsensusXi2)), N(nameof(Snr)),
            D(nameof(PulsesMeanPerDevice)), L(nameof(PulsesMaxPerDevice)), L(nameof(DeviceReads)), L(nameof(StuckDevices)),
            N(nameof(ClippedUpdateFraction)), N(nameof(ClippedProgramFraction)));
    }

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>9 significant digits (float32 training values need no more), "inf" for +∞ as before the records existed.</summary>
    private static string F(double v) => double.IsPositiveInfinity(v) ? "inf" : v.ToString("G9", CultureInfo.InvariantCulture);

    private static double? ParseDouble(string s) => s switch
    {
        "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        _ => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : null,
    };
}
