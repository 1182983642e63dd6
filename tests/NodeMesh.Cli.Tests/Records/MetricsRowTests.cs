using NodeMesh.Cli.Records;
using NodeMesh.Cli.Tests.Reports;

namespace NodeMesh.Cli.Tests.Records;

/// <summary>metrics.csv: one column list for the header, the writer and the reader.</summary>
public class MetricsRowTests(TinyRuns runs) : IClassFixture<TinyRuns>
{
    /// <summary>The header of every metrics.csv written so far (docs/results): scripts read these names.</summary>
    [Fact]
    public void HeaderKeepsItsColumns() => Assert.Equal(
        "epoch,layer,category,messages,payload_bytes,byte_hops,actor_messages,dropped,train_loss,train_accuracy,test_loss,test_accuracy,train_seconds,samples_per_second,consensus_xi2,snr,pulses_mean_per_device,pulses_max_per_device,device_reads,stuck_devices,clipped_update_fraction,clipped_program_fraction",
        MetricsRow.Header);

    /// <summary>Every member of the record is a column, in declaration order, so a new member cannot be left out of the file.</summary>
    [Fact]
    public void EveryMemberIsAColumn()
    {
        var parameters = typeof(MetricsRow).GetConstructors().Single().GetParameters().Select(p => RunJson.NameOf(p.Name!));
        Assert.Equal(parameters, MetricsRow.Columns);
    }

    [Fact]
    public void RowsRoundTripIncludingInfinityAndBlanks()
    {
        using var tmp = new TempDir();
        MetricsRow[] rows =
        [
            new(1, "all", "sync", 10, 400, 800, 10, 0, 2.5, 0.125, 2.25, 0.5, 1.5, 42.75, null, null, 0, 0, 0, 0, null, null),
            new(2, "conv1", "activation", 1L << 40, 3, 0, 7, 1, double.NaN, 1, 0.5, 0.25, 0.001, 1e6, 0, double.PositiveInfinity, 2.5, 12, 99, 3, 0.0625, 0.5),
        ];
        string path = tmp["metrics.csv"];
        File.WriteAllText(path, MetricsRow.Header + "\n" + MetricsRow.ToCsv(rows));
        Assert.Contains(",0,inf,", File.ReadAllText(path), StringComparison.Ordinal); // Ξ² 0, SNR +∞
        Assert.Contains(",,,", File.ReadAllText(path), StringComparison.Ordinal);     // no consensus for "all"
        Assert.Equal(rows, MetricsRow.Read(path));
    }

    /// <summary>A trained run's metrics.csv: 4 categories × ("all" + 2 layers) per epoch; "all" sums the layers.</summary>
    [Fact]
    public void TrainedRunReadsBack()
    {
        var rows = MetricsRow.Read(Path.Combine(runs.None, "metrics.csv"));
        Assert.Equal(2 * 4 * 3, rows.Count);
        foreach (var g in rows.GroupBy(r => (r.Epoch, r.Category)))
        {
            var all = g.Single(r => r.Layer == "all");
            Assert.Equal(all.Messages, g.Where(r => r.Layer != "all").Sum(r => r.Messages));
            Assert.Equal(all.PayloadBytes, g.Where(r => r.Layer != "all").Sum(r => r.PayloadBytes));
            Assert.Null(all.ConsensusXi2);
            Assert.NotNull(g.Single(r => r.Layer == "conv1").ConsensusXi2);
        }
    }

    [Fact]
    public void MissingColumnIsNamed()
    {
        using var tmp = new TempDir();
        string path = tmp["metrics.csv"];
        File.WriteAllText(path, MetricsRow.Header.Replace(",snr", "", StringComparison.Ordinal) + "\n");
        var e = Assert.Throws<FormatException>(() => MetricsRow.Read(path));
        Assert.Contains("snr", e.Message, StringComparison.Ordinal);
    }
}
