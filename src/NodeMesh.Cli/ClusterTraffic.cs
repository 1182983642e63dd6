using System.Globalization;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Serialization;
using NodeMesh.Cli.Records;
using NodeMesh.Cluster;
using NodeMesh.Core.Metrics;
using NodeMesh.Core.Placement;

namespace NodeMesh.Cli;

/// <summary>
/// Turns the members' cumulative transport and serializer counters (<see cref="WireReport"/>)
/// into per-epoch cross-member traffic: messages and payload from the serializer (which, with
/// serialize-messages off, runs only for messages that leave their member), wire bytes from the
/// counting transport, both summed over the sending members, split by NodeMesh category and
/// message type, with Akka's housekeeping apart.
/// </summary>
public sealed class ClusterTraffic
{
    /// <summary>What the counters include, for readers of summary.json.</summary>
    public const string CountedNote =
        "messages and payload_bytes: NodeMesh messages serialized by their sending member (only messages that cross a member boundary are serialized); " +
        "wire_bytes: bytes written by the members' Akka.Remote transports (frame + 4-byte length prefix; no TCP/IP headers); " +
        "housekeeping: Akka's own frames (heartbeats, cluster gossip, acks, handshakes, system messages)";

    private readonly string _placement;
    private readonly List<ClusterMemberRecord> _members;
    private readonly List<EpochWire> _epochs = [];
    private Dictionary<string, WireReport> _mark = [];
    private IReadOnlyList<WireReport> _final = [];

    public ClusterTraffic(IReadOnlyList<ClusterMember> members, PlacementKind placement)
    {
        _placement = placement switch { PlacementKind.RoundRobin => "round-robin", _ => placement.ToString().ToLowerInvariant() };
        _members = members.Select(m => new ClusterMemberRecord(m.Index, m.Address, m.Role, 0, 0, 0)).ToList();
    }

    public IReadOnlyList<ClusterMemberRecord> Members => _members;

    public IReadOnlyList<EpochWire> Epochs => _epochs;

    /// <summary>Puts back the epochs of a run that is continued from a checkpoint.</summary>
    public void Restore(IEnumerable<EpochWire> epochs) => _epochs.InsertRange(0, epochs);

    /// <summary>Fills in each worker's tiles, units and reducers from the placement.</summary>
    public void Built(Prepared prepared, TilePlacement placement)
    {
        var plan = placement.Tiles.Network;
        for (int i = 0; i < _members.Count; i++)
        {
            var m = _members[i];
            if (m.Index < 0) continue;
            int reducers = prepared.Reducers == 0 ? 0
                : plan.Layers.Where(l => l.Kind == Core.Model.LayerKind.Conv && placement.ReducerMember(l.Index) == m.Index).Sum(l => l.OutMaps);
            _members[i] = m with { Tiles = placement.TilesOf(m.Index).Count(), Units = placement.UnitsOf(m.Index), Reducers = reducers };
        }
    }

    /// <summary>Remembers the counters now (the start of the next epoch's window).</summary>
    public void Mark(IReadOnlyList<WireReport> reports) => _mark = reports.ToDictionary(r => r.Address);

    /// <summary>Records an epoch: the counters now minus the last mark.</summary>
    public EpochWire Epoch(int epoch, int samples, IReadOnlyList<WireReport> reports)
    {
        var wireByKey = new Dictionary<string, (long Frames, long Wire, long Payload)>();
        var serialized = new Dictionary<string, (long Messages, long Bytes)>();
        var members = new List<MemberWire>();
        foreach (var r in reports)
        {
            _mark.TryGetValue(r.Address, out var before);
            var old = before?.Wire.ToDictionary(w => (w.Peer, w.Sent, w.Key)) ?? [];
            long sent = 0, received = 0;
            var to = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var w in r.Wire)
            {
                old.TryGetValue((w.Peer, w.Sent, w.Key), out var o);
                long frames = w.Frames - (o?.Frames ?? 0), wire = w.WireBytes - (o?.WireBytes ?? 0), payload = w.PayloadBytes - (o?.PayloadBytes ?? 0);
                if (!w.Sent) { received += wire; continue; }
                sent += wire;
                to[w.Peer] = to.GetValueOrDefault(w.Peer) + wire;
                var acc = wireByKey.GetValueOrDefault(w.Key);
                wireByKey[w.Key] = (acc.Frames + frames, acc.Wire + wire, acc.Payload + payload);
            }
            var oldSer = before?.Serialized.ToDictionary(s => s.Manifest) ?? [];
            foreach (var s in r.Serialized)
            {
                oldSer.TryGetValue(s.Manifest, out var o);
                var acc = serialized.GetValueOrDefault(s.Manifest);
                serialized[s.Manifest] = (acc.Messages + s.OutMessages - (o?.OutMessages ?? 0), acc.Bytes + s.OutBytes - (o?.OutBytes ?? 0));
            }
            members.Add(new MemberWire(r.Address, sent, received, to));
        }
        var types = new SortedDictionary<string, CrossTraffic>(StringComparer.Ordinal);
        foreach (var manifest in serialized.Keys.Union(wireByKey.Keys.Where(k => k.StartsWith("nodemesh:", StringComparison.Ordinal)).Select(k => k["nodemesh:".Length..])))
        {
            var (messages, bytes) = serialized.GetValueOrDefault(manifest);
            var w = wireByKey.GetValueOrDefault("nodemesh:" + manifest);
            if (messages == 0 && w.Wire == 0) continue;
            types[manifest] = CrossTraffic.Of(messages, bytes, w.Wire, samples);
        }
        var categories = new Dictionary<string, CrossTraffic>();
        foreach (var c in Enum.GetValues<TrafficCategory>())
        {
            var of = types.Where(t => NodeMeshSerializer.CategoryOf(t.Key) == c).Select(t => t.Value).ToList();
            categories[CategoryTraffic.NameOf(c)] = CrossTraffic.Of(of.Sum(t => t.Messages), of.Sum(t => t.PayloadBytes), of.Sum(t => t.WireBytes), samples);
        }
        var house = wireByKey.Where(k => !k.Key.StartsWith("nodemesh:", StringComparison.Ordinal)).ToList();
        var housekeeping = new HousekeepingTraffic(house.Sum(k => k.Value.Frames), house.Sum(k => k.Value.Wire), house.Sum(k => k.Value.Wire) / (double)Math.Max(1, samples),
            new SortedDictionary<string, long>(house.ToDictionary(k => k.Key, k => k.Value.Wire), StringComparer.Ordinal));
        long payloadTotal = categories.Values.Sum(c => c.PayloadBytes);
        long nodeMeshWire = categories.Values.Sum(c => c.WireBytes);
        var e = new EpochWire(epoch, samples, nodeMeshWire + housekeeping.WireBytes, payloadTotal, payloadTotal == 0 ? 0 : (double)nodeMeshWire / payloadTotal,
            categories, housekeeping, types, members);
        _epochs.Add(e);
        return e;
    }

    /// <summary>The counters at the end of the run (totals since the members started).</summary>
    public void Finish(IReadOnlyList<WireReport> reports)
    {
        _final = reports;
        var byAddress = reports.ToDictionary(r => r.Address);
        for (int i = 0; i < _members.Count; i++)
            if (byAddress.TryGetValue(_members[i].Address, out var r) && r.PeakRssBytes > 0)
                _members[i] = _members[i] with { PeakRssBytes = r.PeakRssBytes };
    }

    /// <summary>One console line with each member's peak resident set, or null when none reported one.</summary>
    public string? MemoryLine()
    {
        var known = _members.Where(m => m.PeakRssBytes is not null).ToList();
        if (known.Count == 0) return null;
        return "  cluster peak RSS: " + string.Join(", ", known.Select(m =>
            $"{(m.Index < 0 ? "driver" : $"worker {m.Index}")} {RunConsole.HumanBytes(m.PeakRssBytes!.Value)} ({m.Units:N0} units)"));
    }

    /// <summary>One console line per epoch.</summary>
    public string EpochLine(int epoch)
    {
        var e = _epochs.Single(x => x.Epoch == epoch);
        string Cat(string c) => $"{c} {RunConsole.HumanBytes((long)e.Categories[c].WireBytesPerSample)}";
        return string.Create(CultureInfo.InvariantCulture,
            $"  cluster: {RunConsole.HumanBytes(e.WireBytes)} on the wire between {_members.Count} members ({RunConsole.HumanBytes((long)(e.WireBytes / (double)Math.Max(1, e.Samples)))}/sample: {Cat("activation")}, {Cat("error")}, {Cat("sync")}, {Cat("control")}; housekeeping {RunConsole.HumanBytes((long)e.Housekeeping.WireBytesPerSample)}); wire/payload {e.OverheadRatio:F3}");
    }

    /// <summary>The summary.json section.</summary>
    public ClusterSummary Summary()
    {
        long wire = _final.Sum(r => r.Wire.Where(w => w.Sent).Sum(w => w.WireBytes));
        long payload = _final.Sum(r => r.Wire.Where(w => w.Sent).Sum(w => w.PayloadBytes));
        long house = _final.Sum(r => r.Wire.Where(w => w.Sent && !w.Key.StartsWith("nodemesh:", StringComparison.Ordinal)).Sum(w => w.WireBytes));
        return new ClusterSummary(_placement, _members, wire, payload, house, CountedNote, _epochs);
    }
}
