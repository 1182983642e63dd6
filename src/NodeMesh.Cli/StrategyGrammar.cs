using System.Globalization;
using NodeMesh.Core;
using NodeMesh.Core.Strategies;

namespace NodeMesh.Cli;

/// <summary>A strategy word as the user wrote it: the parts it gives (topology and period may be left out).</summary>
public sealed record StrategyWord(StrategyKind Kind, TopologyKind? Topology, int? Every, bool Parity = false)
{
    /// <summary>The topology, or the strategy's default (star for allreduce, grid for gossip).</summary>
    public TopologyKind TopologyOrDefault => Topology ?? (Kind == StrategyKind.Gossip ? TopologyKind.Grid : TopologyKind.Star);
}

/// <summary>
/// The one strategy grammar of every command (<c>train --strategy</c>, <c>sweep --strategies</c>,
/// <c>bench --strategies</c>, and the names <c>compare</c> and the run directories show):
/// <c>none</c> | <c>allreduce[-star|-tree|-ring][-everyF][-parity]</c> | <c>gossip[-grid|-random|-exp][-everyF][-parity]</c>
/// (<c>-parity</c>: weight averaging at a ConvNet's step, <see cref="StrategyOptions.StepParity"/>).
/// <see cref="Name"/> writes the canonical form (topology and period always given, e.g.
/// <c>allreduce-tree-every10</c>), which <see cref="Parse"/> reads back to the same strategy.
/// </summary>
public static class StrategyGrammar
{
    public const string Forms = "none, allreduce[-star|-tree|-ring][-everyF][-parity] or gossip[-grid|-random|-exp][-everyF][-parity] (e.g. allreduce-tree-every10, gossip-grid-every1-parity)";

    private static readonly (string Word, TopologyKind Kind)[] AllReduceTopologies = [("star", TopologyKind.Star), ("tree", TopologyKind.Tree), ("ring", TopologyKind.Ring)];
    private static readonly (string Word, TopologyKind Kind)[] GossipTopologies = [("grid", TopologyKind.Grid), ("random", TopologyKind.Random), ("exp", TopologyKind.Exp)];

    /// <summary>Every topology word, all-reduce's then gossip's (for <c>train --topology</c>).</summary>
    public static readonly (string Word, TopologyKind Kind)[] Topologies = [.. AllReduceTopologies, .. GossipTopologies];

    /// <summary>Reads one strategy word; <paramref name="flag"/> (with "--") names the option in the error.</summary>
    public static StrategyWord Parse(string word, string flag)
    {
        string w = word.Trim().ToLowerInvariant();
        UserInputException Bad(string why) => new($"{flag} '{word}': {why}; use {Forms}.");
        var parts = w.Split('-');
        var kind = parts[0] switch
        {
            "none" => StrategyKind.None,
            "allreduce" => StrategyKind.AllReduce,
            "gossip" => StrategyKind.Gossip,
            _ => throw Bad($"'{parts[0]}' is not a strategy"),
        };
        if (kind == StrategyKind.None)
            return parts.Length == 1 ? new StrategyWord(kind, null, null) : throw Bad("none ties nothing and takes no topology or period");
        TopologyKind? topology = null;
        int? every = null;
        int i = 1;
        if (i < parts.Length && !parts[i].StartsWith("every", StringComparison.Ordinal) && parts[i] != "parity")
        {
            var table = kind == StrategyKind.AllReduce ? AllReduceTopologies : GossipTopologies;
            int found = Array.FindIndex(table, t => t.Word == parts[i]);
            if (found < 0) throw Bad($"'{parts[i]}' is not a {parts[0]} topology ({string.Join(", ", table.Select(t => t.Word))})");
            topology = table[found].Kind;
            i++;
        }
        if (i < parts.Length && parts[i] != "parity")
        {
            if (!parts[i].StartsWith("every", StringComparison.Ordinal)
                || !int.TryParse(parts[i].AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int f) || f < 1)
                throw Bad($"'{parts[i]}' is not a tying period (everyF with a whole F >= 1)");
            every = f;
            i++;
        }
        bool parity = false;
        if (i < parts.Length && parts[i] == "parity")
        {
            parity = true;
            i++;
        }
        if (i < parts.Length) throw Bad($"'{string.Join('-', parts[i..])}' is left over");
        return new StrategyWord(kind, topology, every, parity);
    }

    /// <summary>The canonical name of a strategy: <c>none</c>, or kind-topology-everyF.</summary>
    public static string Name(StrategyOptions s) => s.Kind switch
    {
        StrategyKind.None => "none",
        _ => string.Create(CultureInfo.InvariantCulture, $"{Lower(s.Kind)}-{Lower(s.Topology)}-every{s.Every}{(s.StepParity ? "-parity" : "")}"),
    };

    /// <summary>The canonical name from a run's recorded strategy, topology and period.</summary>
    public static string Name(string strategy, string? topology, int every, bool parity = false) =>
        strategy == "none" ? "none" : string.Create(CultureInfo.InvariantCulture, $"{strategy}-{topology}-every{every}{(parity ? "-parity" : "")}");

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}
