using NodeMesh.Core.Model;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;

namespace NodeMesh.Actors.Serialization;

/// <summary>
/// The largest message a run can put on the wire, computed from its plan. Akka.Remote drops an
/// outgoing message larger than <c>maximum-frame-size</c> with only a log line, and a receiver
/// closes the connection on one; so a cluster run checks this against every member's frame size
/// before it starts, and says which message is too large and what to set.
/// </summary>
public static class WireLimits
{
    /// <summary>Headroom for Akka's envelope (recipient path, manifest, serializer id, sequence number, ack) and the protobuf fields around a payload.</summary>
    public const int EnvelopeBytes = 2048;

    /// <summary>The largest payload (bytes) and what it is, for a run of <paramref name="spec"/> with the given batch sizes.</summary>
    public static (long Bytes, string What) Largest(RunSpec spec, int batch, int evalBatch)
    {
        var plan = spec.Plan();
        var tiles = spec.Tiles(plan);
        var links = new TileLinks(tiles);
        int b = Math.Max(batch, evalBatch);
        long best = 0;
        string what = "";
        void Consider(long floats, string name)
        {
            long bytes = floats * sizeof(float) + 64;
            if (bytes > best) { best = bytes; what = name; }
        }
        foreach (var l in plan.Layers)
        {
            foreach (var t in tiles.Tiles[l.Index])
            {
                if (l.Index == 0) Consider((long)TileLinks.InputRegion(l, t).Cells * l.InChannels * b, $"the images of one {l.Name} tile (batch {b})");
                foreach (var link in links.InputsOf(l.Index, t.Index))
                {
                    Consider((long)link.Area.Cells * l.InChannels * b, $"activations from {plan.Layers[link.ProducerLayer].Name} tile {link.Producer} to {l.Name} tile {t.Index} (batch {b})");
                    Consider((long)link.Area.Cells * l.InChannels * batch, $"errors from {l.Name} tile {t.Index} to {plan.Layers[link.ProducerLayer].Name} tile {link.Producer} (batch {batch})");
                }
                foreach (var link in links.SkipsOf(l.Index, t.Index))
                    Consider((long)link.Area.Cells * l.OutMaps * b, $"residual-add pieces between {plan.Layers[link.ProducerLayer].Name} tile {link.Producer} and {l.Name} tile {t.Index} (batch {b})");
                Consider((long)t.UnitCount * (l.FanIn + 1), $"the weights of {l.Name} tile {t.Index} ({t.UnitCount} units)");
            }
            if (l.Kind == LayerKind.Conv) Consider(l.FanIn + 1, $"a {l.Name} tying vector");
        }
        Consider((long)plan.Classes * b, $"the logits of a batch of {b}");
        return (best, what);
    }

    /// <summary>The frame size a member needs for <paramref name="payloadBytes"/>.</summary>
    public static long FrameFor(long payloadBytes) => payloadBytes + EnvelopeBytes;
}
