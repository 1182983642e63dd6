using System.Globalization;
using System.Text;
using System.Text.Json;
using NodeMesh.Cli.Reports;
using NodeMesh.Core;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Placement;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Cli.Commands;

/// <summary>
/// The cluster part of <c>nodemesh project</c> (<c>--members</c>, <c>--placement</c>, <c>--tile</c>):
/// per strategy and member count, the cross-member messages and payload bytes per training sample
/// that a cluster run's serializers would count (<see cref="CrossMemberTraffic"/>), with the wire
/// bytes estimated from a per-message envelope. Kept apart from <see cref="ProjectCommand"/> so that
/// the fabric projection stays readable.
/// </summary>
public static class ProjectCluster
{
    /// <summary>The checked cluster options: member counts, placement and the tile plan of the run.</summary>
    public sealed record Setup(IReadOnlyList<int> Members, PlacementKind Placement, string PlacementName, TilePlan Tiles);

    /// <summary>One (strategy, member count) projection; <see cref="Traffic"/> is null for gossip (not projected).</summary>
    public sealed record Row(StrategyOptions Strategy, int Members, CrossMemberTraffic? Traffic);

    /// <summary>Largest member count accepted (more members than a layer has tiles only leaves members idle).</summary>
    public const int MaxMembers = 4096;

    /// <summary>Reads --members, --placement and --tile; null when --members is not given.</summary>
    public static Setup? Prepare(ParsedArgs a, NetworkPlan plan)
    {
        if (!a.Given("members"))
        {
            foreach (var o in new[] { "placement", "tile" })
                if (a.Given(o)) throw new UserInputException($"--{o} needs --members (the member counts to project, e.g. --members 2,4,8).");
            return null;
        }
        var members = new List<int>();
        string text = a.String("members") ?? "";
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int m) || m < 1 || m > MaxMembers)
                throw new UserInputException($"--members '{text}': give a comma-separated list of member counts, each 1..{MaxMembers} (e.g. 2,4,8).");
            if (!members.Contains(m)) members.Add(m);
        }
        var kind = ClusterArgs.PlacementOf(a);
        string name = kind == PlacementKind.RoundRobin ? "round-robin" : kind.ToString().ToLowerInvariant();
        var tiles = TilePlan.Build(plan, a.Int("tile"));
        return new Setup(members, kind, name, tiles);
    }

    /// <summary>
    /// Projects every strategy on every member count over the first ⌊samples / B⌋ steps (at least
    /// one), from step 0: an epoch of full batches, whose step numbers the payload sizes include.
    /// </summary>
    public static IReadOnlyList<Row> Compute(Setup s, IReadOnlyList<StrategyOptions> strategies, int batch, long samples)
    {
        long steps = Math.Max(1, samples / batch);
        var rows = new List<Row>();
        foreach (int m in s.Members)
        {
            var placement = TilePlacement.Build(s.Tiles, m, s.Placement);
            foreach (var strategy in strategies)
                rows.Add(new Row(strategy, m, strategy.Kind == StrategyKind.Gossip ? null : CrossMemberTraffic.Compute(placement, strategy, batch, 0, steps)));
        }
        return rows;
    }

    private static readonly TrafficCategory[] Categories = [TrafficCategory.Activation, TrafficCategory.Error, TrafficCategory.Sync, TrafficCategory.Control];

    private static string Name(TrafficCategory c) => c.ToString().ToLowerInvariant();

    private static double PerSample(double v, CrossMemberTraffic t) => v / t.Samples;

    /// <summary>The project.md section.</summary>
    public static string Render(Setup s, IReadOnlyList<Row> rows, long samples)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var any = rows.FirstOrDefault(r => r.Traffic is not null)?.Traffic;
        sb.Append(inv, $"## Cross-member traffic per sample, {s.PlacementName} placement\n\n");
        sb.Append("What a cluster run (`nodemesh train --workers M --placement ").Append(s.PlacementName)
          .Append("`) would send between members: the driver (a member without tiles) and M workers holding the tiles")
          .Append(inv, $" ({s.Tiles.Tiles.Sum(t => t.Count)} tiles in {s.Tiles.Tiles.Count} layers)")
          .Append(". Messages and payload bytes (protobuf, as the members' serializers count them) are exact");
        if (any is not null) sb.Append(inv, $", over steps 0..{any.Steps - 1} (the step field's size is included)");
        sb.Append(inv, $"; control is the per-step `sb` only. Wire bytes are an estimate: payload + {CrossMemberTraffic.DefaultEnvelopeBytes:0} bytes of Akka envelope per message. Gossip is not projected (its peers depend on timing).\n\n");
        sb.Append(Markdown.Table(
            ["strategy", "members", "msgs/sample", "activation", "error", "sync", "control", "payload/sample", "est. wire/sample", "sync share", "payload/epoch"], "ll",
            rows.Select(r =>
            {
                if (r.Traffic is not { } t)
                    return (IReadOnlyList<string>)[StrategyGrammar.Name(r.Strategy), r.Members.ToString(inv), "n/a", "n/a", "n/a", "n/a", "n/a", "n/a", "n/a", "n/a", "n/a"];
                var total = t.Total;
                var cells = new List<string> { StrategyGrammar.Name(r.Strategy), r.Members.ToString(inv), Markdown.Num(PerSample(total.Messages, t)) };
                cells.AddRange(Categories.Select(c => Markdown.Bytes(PerSample(t.Category(c).PayloadBytes, t))));
                cells.Add(Markdown.Bytes(PerSample(total.PayloadBytes, t)));
                cells.Add(Markdown.Bytes(PerSample(CrossMemberTraffic.WireEstimate(total), t)));
                cells.Add(Markdown.Percent(total.PayloadBytes > 0 ? (double)t.Category(TrafficCategory.Sync).PayloadBytes / total.PayloadBytes : 0));
                cells.Add(Markdown.Bytes(PerSample(total.PayloadBytes, t) * samples));
                return (IReadOnlyList<string>)cells;
            })));
        sb.Append(inv, $"\nPayload per epoch = payload per sample × {Markdown.Count(samples)} samples.\n\n");
        return sb.ToString();
    }

    private static readonly string[] CsvHeader =
    [
        "placement", "members", "strategy", "steps", "batch",
        "activation_messages_per_sample", "activation_payload_bytes_per_sample",
        "error_messages_per_sample", "error_payload_bytes_per_sample",
        "sync_messages_per_sample", "sync_payload_bytes_per_sample",
        "control_messages_per_sample", "control_payload_bytes_per_sample",
        "messages_per_sample", "payload_bytes_per_sample", "wire_bytes_estimate_per_sample",
    ];

    /// <summary>project-cluster.csv: one row per (member count, strategy); gossip rows are left empty.</summary>
    public static string Csv(Setup s, IReadOnlyList<Row> rows)
    {
        static string G(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var sb = new StringBuilder(string.Join(',', CsvHeader)).Append('\n');
        foreach (var r in rows)
        {
            var cells = new List<string> { s.PlacementName, G(r.Members), StrategyGrammar.Name(r.Strategy) };
            if (r.Traffic is { } t)
            {
                cells.Add(G(t.Steps)); cells.Add(G(t.Batch));
                foreach (var c in Categories) { var x = t.Category(c); cells.Add(G(PerSample(x.Messages, t))); cells.Add(G(PerSample(x.PayloadBytes, t))); }
                cells.Add(G(PerSample(t.Total.Messages, t))); cells.Add(G(PerSample(t.Total.PayloadBytes, t))); cells.Add(G(PerSample(CrossMemberTraffic.WireEstimate(t.Total), t)));
            }
            else cells.AddRange(Enumerable.Repeat("", CsvHeader.Length - 3));
            sb.AppendJoin(',', cells).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>project.json's <c>cluster</c> object: the setup and, per member count and strategy, messages and payload per sample by category and message type.</summary>
    public static void Json(Utf8JsonWriter w, Setup s, IReadOnlyList<Row> rows)
    {
        w.WriteStartObject("cluster");
        w.WriteString("placement", s.PlacementName);
        w.WriteNumber("envelope_bytes_per_message", CrossMemberTraffic.DefaultEnvelopeBytes);
        w.WriteString("exact", "messages and payload_bytes (protobuf, as counted by the members' serializers); control counts the per-step sb only");
        w.WriteString("estimate", "wire_bytes = payload_bytes + envelope_bytes_per_message x messages");
        w.WriteStartArray("projections");
        foreach (var r in rows)
        {
            w.WriteStartObject();
            w.WriteNumber("members", r.Members);
            w.WriteString("strategy", StrategyGrammar.Name(r.Strategy));
            if (r.Traffic is not { } t)
            {
                w.WriteString("not_projected", "gossip: which peers a unit reaches depends on timing");
                w.WriteEndObject();
                continue;
            }
            w.WriteNumber("steps", t.Steps);
            w.WriteNumber("batch", t.Batch);
            void Count(string name, CrossCount c)
            {
                w.WriteStartObject(name);
                w.WriteNumber("messages", PerSample(c.Messages, t)); w.WriteNumber("payload_bytes", PerSample(c.PayloadBytes, t));
                w.WriteNumber("wire_bytes_estimate", PerSample(CrossMemberTraffic.WireEstimate(c), t));
                w.WriteEndObject();
            }
            w.WriteStartObject("per_sample");
            Count("total", t.Total);
            foreach (var c in Categories) Count(Name(c), t.Category(c));
            w.WriteStartObject("types");
            foreach (var (k, c) in t.ByKind.OrderBy(k => k.Key)) Count(CrossMemberTraffic.Manifest(k), c);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
