using System.Globalization;
using System.Text;
using NodeMesh.Actors.Serialization;
using NodeMesh.Cli.Records;

namespace NodeMesh.Cli.Reports;

/// <summary>
/// The "Cluster traffic" section of report.md for a run whose summary.json has a
/// <c>cluster</c> section: the members and what was placed on them, the run's total wire bytes,
/// and per epoch the physical traffic between members by category (messages, payload and wire
/// bytes per training sample, wire/payload) and by message type. These are bytes that really
/// crossed process boundaries, unlike the logical fabric traffic of the other sections.
/// </summary>
public static class ClusterSection
{
    /// <summary>The row name of Akka's own traffic in the per-category tables.</summary>
    public const string Housekeeping = "housekeeping";

    /// <summary>Appends the section to <paramref name="sb"/>.</summary>
    public static void Append(StringBuilder sb, ClusterSummary c)
    {
        sb.Append("## Cluster traffic\n\n");
        int workers = c.Members.Count(m => m.Role != "driver");
        sb.Append(CultureInfo.InvariantCulture,
            $"A driver and {workers} worker(s), tiles placed **{c.Placement}**. Over the whole run (set-up, training and evaluation) the members wrote ")
          .Append(CultureInfo.InvariantCulture, $"**{Markdown.Count(c.WireBytes)} bytes** ({RunConsole.HumanBytes(c.WireBytes)}) to the wire between them: ")
          .Append(CultureInfo.InvariantCulture, $"{Markdown.Count(c.PayloadBytes)} bytes of NodeMesh payload and {Markdown.Count(c.HousekeepingWireBytes)} bytes of Akka housekeeping.\n\n");

        // Sent and received bytes per member over the training windows of all epochs.
        var sent = c.Epochs.SelectMany(e => e.Members).GroupBy(m => m.Address).ToDictionary(g => g.Key, g => (Sent: g.Sum(m => m.SentWireBytes), Received: g.Sum(m => m.ReceivedWireBytes)));
        sb.Append(Markdown.Table(["member", "address", "role", "tiles", "units", "reducers", "sent wire bytes", "received wire bytes"], "lll",
            c.Members.Select(m => (IReadOnlyList<string>)
            [
                m.Index < 0 ? "–" : m.Index.ToString(CultureInfo.InvariantCulture), m.Address, m.Role,
                Markdown.Count(m.Tiles), Markdown.Count(m.Units), Markdown.Count(m.Reducers),
                sent.TryGetValue(m.Address, out var s) ? Markdown.Count(s.Sent) : "–",
                sent.TryGetValue(m.Address, out var r) ? Markdown.Count(r.Received) : "–",
            ]))).Append('\n');
        sb.Append("Sent and received bytes are over the training of all epochs. Per training sample below = the epoch's bytes divided by its training samples; ")
          .Append("wire bytes are whole frames (payload, Akka envelope, 4-byte length prefix; no TCP/IP headers), wire/payload their ratio. ")
          .Append("Housekeeping is Akka's own traffic (heartbeats, cluster gossip, acks, handshakes, system messages): frames, not NodeMesh messages, and no payload.\n\n");

        foreach (var e in c.Epochs)
        {
            sb.Append(CultureInfo.InvariantCulture, $"### Epoch {e.Epoch}: {Markdown.Count(e.Samples)} training samples\n\n");
            sb.Append(Markdown.Table(["category", "messages", "messages/sample", "payload B/sample", "wire B/sample", "wire/payload"], "l", CategoryRows(e))).Append('\n');
        }

        sb.Append("### Per message type\n\n");
        sb.Append("NodeMesh messages between members by type (the two-letter manifest of the NodeMesh serializer; docs/cluster.md names them).\n\n");
        sb.Append(Markdown.Table(["epoch", "type", "category", "messages", "messages/sample", "payload B/sample", "wire B/sample", "wire/payload"], "lll",
            c.Epochs.SelectMany(e => e.Types.Select(t => (IReadOnlyList<string>)
            [
                e.Epoch.ToString(CultureInfo.InvariantCulture), t.Key, CategoryTraffic.NameOf(NodeMeshSerializer.CategoryOf(t.Key)),
                .. Cells(t.Value),
            ])))).Append('\n');
    }

    /// <summary>activation, error, sync, control, housekeeping and the total of one epoch.</summary>
    private static IEnumerable<IReadOnlyList<string>> CategoryRows(EpochWire e)
    {
        foreach (var (name, t) in e.Categories) yield return [name, .. Cells(t)];
        var h = e.Housekeeping;
        double n = Math.Max(1, e.Samples);
        yield return [Housekeeping, $"{Markdown.Count(h.Frames)} frames", Markdown.Num(h.Frames / n), "–", Markdown.Num(h.WireBytesPerSample), "–"];
        long messages = e.Categories.Values.Sum(t => t.Messages);
        yield return ["**total**", Markdown.Count(messages), Markdown.Num(messages / n), Markdown.Num(e.PayloadBytes / n), Markdown.Num(e.WireBytes / n),
            Markdown.Ratio(e.OverheadRatio) + " (NodeMesh)"];
    }

    private static IEnumerable<string> Cells(CrossTraffic t) =>
        [Markdown.Count(t.Messages), Markdown.Num(t.MessagesPerSample), Markdown.Num(t.PayloadBytesPerSample), Markdown.Num(t.WireBytesPerSample),
         t.PayloadBytes == 0 ? "–" : Markdown.Ratio(t.Overhead)];
}
