using System.Globalization;
using System.Text.Json;
using NodeMesh.Cli.Records;

namespace NodeMesh.Cli.Reports;

/// <summary>
/// The options in which compared runs differ, found generically from their <see cref="RunConfig"/>
/// as config.json names them (device, lr, seed, batch, epochs, data, train_samples, arch, every,
/// fanout, mix, …; members of an object such as energy_model or device_parameters as
/// <c>energy_model.write_pulse_pj</c>). Left out: what differs between any two runs without being
/// an option (the start time, the tool and its version and commit, the data source text) and what follows from the
/// architecture (units, tiles, parameter counts, the layer table).
/// </summary>
public static class ConfigDiff
{
    /// <summary>config.json members that are not compared.</summary>
    public static readonly IReadOnlySet<string> Volatile = new HashSet<string>(StringComparer.Ordinal)
    {
        Name(nameof(RunConfig.StartedUtc)), Name(nameof(RunConfig.Tool)), Name(nameof(RunConfig.Version)), Name(nameof(RunConfig.Commit)), Name(nameof(RunConfig.DataSource)),
        Name(nameof(RunConfig.Units)), Name(nameof(RunConfig.Tiles)), Name(nameof(RunConfig.UnitParameters)),
        Name(nameof(RunConfig.SharedParameters)), Name(nameof(RunConfig.Layers)),
    };

    private static string Name(string property) => RunJson.NameOf(property);

    /// <summary>Every compared option of a run, in config.json order, as displayed text ("–" when the run did not record it).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Options(RunData run)
    {
        var result = new List<KeyValuePair<string, string>>();
        var config = JsonSerializer.SerializeToElement(run.Config, RunJson.Default.RunConfig);
        foreach (var p in config.EnumerateObject())
        {
            if (Volatile.Contains(p.Name)) continue;
            // Older runs hold device_parameters as a text listing: the device name column tells those apart.
            if (p.Name == Name(nameof(RunConfig.DeviceParameters)) && p.Value.ValueKind == JsonValueKind.String) continue;
            if (p.Value.ValueKind == JsonValueKind.Object)
                foreach (var m in p.Value.EnumerateObject()) result.Add(new($"{p.Name}.{m.Name}", Text(m.Value)));
            else if (p.Value.ValueKind != JsonValueKind.Array)
                result.Add(new(p.Name, Text(p.Value)));
        }
        // Older runs did not record the samples used; their first epoch trained on that many.
        int i = result.FindIndex(x => x.Key == Name(nameof(RunConfig.TrainSamples)));
        if (i >= 0 && run.Config.TrainSamples is null) result[i] = new(result[i].Key, run.TrainSamples.ToString(CultureInfo.InvariantCulture));
        // Older runs did not record the fabric cast; they were all unicast.
        int c = result.FindIndex(x => x.Key == Name(nameof(RunConfig.FabricCast)));
        if (c >= 0 && run.Config.FabricCast is null) result[c] = new(result[c].Key, "unicast");
        return result;
    }

    /// <summary>
    /// The options whose value is not the same in every run, in config.json order (empty for one
    /// run). A member of an object option (device_parameters.dw_min) counts only among the runs
    /// that recorded it: an ideal run has no device parameters, and the device column already
    /// tells it from a device run.
    /// </summary>
    public static IReadOnlyList<string> Differing(IReadOnlyList<RunData> runs)
    {
        var options = runs.Select(r => Options(r).ToDictionary(x => x.Key, x => x.Value, StringComparer.Ordinal)).ToList();
        var names = runs.SelectMany(Options).Select(x => x.Key).Distinct(StringComparer.Ordinal);
        return names.Where(n =>
        {
            var values = options.Select(o => o.GetValueOrDefault(n) ?? "–");
            if (n.Contains('.', StringComparison.Ordinal)) values = values.Where(v => v != "–");
            return values.Distinct(StringComparer.Ordinal).Count() > 1;
        }).ToList();
    }

    /// <summary>
    /// The columns of compare.md for the differing options: one per plain option, named as in
    /// config.json, and one per object option (device_parameters, energy_model) whose cells list
    /// its differing members as name=value.
    /// </summary>
    public static IReadOnlyList<(string Header, Func<RunData, string> Cell)> Columns(IReadOnlyList<RunData> runs, IEnumerable<string> differing)
    {
        var columns = new List<(string, Func<RunData, string>)>();
        foreach (var group in differing.GroupBy(d => d.Split('.', 2)[0], StringComparer.Ordinal))
        {
            var members = group.ToList();
            if (members.Count == 1 && members[0] == group.Key)
            {
                columns.Add((group.Key, r => Value(r, group.Key)));
                continue;
            }
            columns.Add((group.Key, r =>
            {
                var cells = members.Select(m => (Name: m[(group.Key.Length + 1)..], Value: Value(r, m))).Where(x => x.Value != "–").ToList();
                return cells.Count == 0 ? "–" : string.Join(", ", cells.Select(x => $"{x.Name}={x.Value}"));
            }));
        }
        return columns;
    }

    /// <summary>The value of option <paramref name="name"/> in <paramref name="run"/>, "–" when absent.</summary>
    public static string Value(RunData run, string name) =>
        Options(run).FirstOrDefault(x => x.Key == name).Value ?? "–";

    private static string Text(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => "–",
        JsonValueKind.String => v.GetString() ?? "",
        _ => v.GetRawText(),
    };
}
