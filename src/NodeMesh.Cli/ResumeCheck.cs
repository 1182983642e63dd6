using System.Text.Json.Nodes;
using NodeMesh.Cli.Records;

namespace NodeMesh.Cli;

/// <summary>One setting whose recorded value differs from the requested one.</summary>
public sealed record ConfigDifference(string Key, string Recorded, string Requested)
{
    public override string ToString() => $"{Key} {Recorded} → {Requested}";
}

/// <summary>
/// Compares two run configurations (config.json) setting by setting, as they are written, all but
/// the start time and the tool that made it (name, version, commit): what a resumed sweep uses to decide whether a run it finds answers the
/// new command (stricter than the columns of <see cref="Reports.ConfigDiff"/>, which show what differs among compared runs).
/// </summary>
public static class ResumeCheck
{
    /// <summary>Keys that describe when or by what a run was made, not what it computes.</summary>
    private static readonly HashSet<string> Ignored = [RunJson.NameOf(nameof(RunConfig.StartedUtc)), RunJson.NameOf(nameof(RunConfig.Tool)), RunJson.NameOf(nameof(RunConfig.Version)), RunJson.NameOf(nameof(RunConfig.Commit))];

    /// <summary>The settings in which <paramref name="recorded"/> and <paramref name="requested"/> differ, in config.json's order.</summary>
    public static IReadOnlyList<ConfigDifference> Of(RunConfig recorded, RunConfig requested)
    {
        // Runs written before unit_init, fabric_cast and step_parity were recorded read with their
        // defaults (tied, unicast, off), so that the sweeps they belong to still resume.
        recorded = recorded with
        {
            UnitInit = recorded.UnitInit ?? "tied",
            FabricCast = recorded.FabricCast ?? "unicast",
            StepParity = recorded.StepParity ?? false,
        };
        var a = JsonNode.Parse(RunJson.Serialize(recorded))!.AsObject();
        var b = JsonNode.Parse(RunJson.Serialize(requested))!.AsObject();
        var keys = a.Select(p => p.Key).Concat(b.Select(p => p.Key)).Distinct(StringComparer.Ordinal);
        var diffs = new List<ConfigDifference>();
        foreach (var key in keys)
        {
            if (Ignored.Contains(key)) continue;
            a.TryGetPropertyValue(key, out var x);
            b.TryGetPropertyValue(key, out var y);
            if (!JsonNode.DeepEquals(x, y)) diffs.Add(new ConfigDifference(key, Show(x), Show(y)));
        }
        return diffs;
    }

    private static string Show(JsonNode? node)
    {
        string s = node?.ToJsonString() ?? "(none)";
        return s.Length <= 60 ? s : s[..57] + "...";
    }
}
