using NodeMesh.Core.Metrics;
using NodeMesh.Core.Model;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Core.Tests.Metrics;

/// <summary>Counting, merging and copying of <see cref="TrafficLedger"/>, and what a tile books into it.</summary>
public sealed class TrafficLedgerTests
{
    [Fact]
    public void Counters_are_kept_per_layer_and_category_and_totals_sum_over_layers()
    {
        var t = new TrafficLedger(3);
        t.Add(0, TrafficCategory.Activation, 5, 100);
        t.Add(2, TrafficCategory.Activation, 1, 8);
        t.Add(2, TrafficCategory.Sync, 2, 40);
        t.Deliver(1, TrafficCategory.Control);
        t.Deliver(1, TrafficCategory.Control, 4);
        t.Drop(2, TrafficCategory.Sync, 3);
        Assert.Equal((5L, 100L), (t.MessagesOf(0, TrafficCategory.Activation), t.BytesOf(0, TrafficCategory.Activation)));
        Assert.Equal(0L, t.MessagesOf(1, TrafficCategory.Activation));
        Assert.Equal((6L, 108L), (t.TotalMessages(TrafficCategory.Activation), t.TotalBytes(TrafficCategory.Activation)));
        Assert.Equal(5L, t.DeliveredOf(1, TrafficCategory.Control));
        Assert.Equal(5L, t.TotalDelivered(TrafficCategory.Control));
        Assert.Equal(3L, t.TotalDropped(TrafficCategory.Sync));
        Assert.Equal(0L, t.TotalMessages(TrafficCategory.Error));
    }

    [Fact]
    public void Merge_adds_every_counter_and_Copy_is_independent()
    {
        var a = new TrafficLedger(2);
        a.Add(1, TrafficCategory.Error, 2, 16);
        var b = a.Copy();
        b.Add(1, TrafficCategory.Error, 1, 4);
        b.Drop(0, TrafficCategory.Sync);
        Assert.Equal(2L, a.MessagesOf(1, TrafficCategory.Error)); // the copy does not share arrays
        a.Merge(b);
        Assert.Equal((5L, 36L), (a.MessagesOf(1, TrafficCategory.Error), a.BytesOf(1, TrafficCategory.Error)));
        Assert.Equal(1L, a.DroppedOf(0, TrafficCategory.Sync));
        a.Clear();
        Assert.All(a.Messages.Concat(a.Bytes).Concat(a.Delivered).Concat(a.Dropped), v => Assert.Equal(0L, v));
    }

    [Fact]
    public void Arrays_that_do_not_match_the_layer_count_are_refused()
    {
        var ok = new long[2 * TrafficLedger.Categories];
        Assert.Throws<ArgumentException>(() => new TrafficLedger(2, ok, ok, ok, new long[3], ok));
    }

    [Fact]
    public void A_tile_books_its_pool_messages_as_activation_forward_and_error_backward()
    {
        var l = NetworkPlan.Build(ArchSpec.Parse("conv3x3x3,relu,maxpool2,dense10"), 1, 8, 8).Layers[0];
        var tile = new Tile(0, 0, 0, 4, 0, 4, 3);
        var c = new TileCompute(l, tile);
        var ledger = new TrafficLedger(2);
        const int batch = 5;
        c.FinishForward(new float[tile.UnitCount * batch], batch, ledger);
        Assert.Equal((36L, 36L * batch * 4), (ledger.MessagesOf(0, TrafficCategory.Activation), ledger.BytesOf(0, TrafficCategory.Activation)));
        c.BeginBackward(new float[2 * 2 * 3 * batch], batch, ledger);
        Assert.Equal((36L, 36L * batch * 4), (ledger.MessagesOf(0, TrafficCategory.Error), ledger.BytesOf(0, TrafficCategory.Error)));
    }
}
