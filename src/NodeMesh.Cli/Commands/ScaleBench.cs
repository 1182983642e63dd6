using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using NodeMesh.Actors.Driving;
using NodeMesh.Core;
using NodeMesh.Core.Data;
using NodeMesh.Core.Model;
using NodeMesh.Core.Strategies;
using NodeMesh.Core.Tiles;
using NodeMesh.Core.Training;

namespace NodeMesh.Cli.Commands;

/// <summary>What one net of <c>bench --scale</c> cost, measured in a process of its own.</summary>
/// <param name="Input">The input size the net was built for.</param>
/// <param name="Strategy">The tying strategy, in the grammar of <c>train --strategy</c>.</param>
/// <param name="UnitActors">Unit actors (feature-map units and dense neurons).</param>
/// <param name="Tiles">Tile actors.</param>
/// <param name="WeightBytes">Bytes of every unit's weights and bias (float32).</param>
/// <param name="BuildSeconds">Wall time to start the actor system, create every actor and load the weights.</param>
/// <param name="HeapBeforeBytes">Managed heap after a full collection, before the actors exist (data and runtime).</param>
/// <param name="HeapBuiltBytes">Managed heap after a full collection, once every actor holds its weights.</param>
/// <param name="RssBuiltBytes">Resident set once built.</param>
/// <param name="PeakRssBytes">Peak resident set of the process over build, warm-up and timed steps.</param>
/// <param name="Steps">Timed training steps (after as many warm-up steps).</param>
/// <param name="Batch">Samples per step.</param>
/// <param name="SecondsPerStep">Wall time per timed training step.</param>
/// <param name="ProcessId">The process that measured the net (each net has its own).</param>
public sealed record ScalePoint(
    string Input, string Strategy, long UnitActors, int Tiles, long WeightBytes, double BuildSeconds,
    long HeapBeforeBytes, long HeapBuiltBytes, long RssBuiltBytes, long PeakRssBytes, int Steps, int Batch, double SecondsPerStep, int ProcessId)
{
    /// <summary>
    /// Managed bytes each unit actor adds beyond its weights: the heap growth from building the
    /// network (actor cells, mailboxes, unit state and gradient buffers, counters, and each unit's
    /// share of its tile) minus the weights, per unit actor.
    /// </summary>
    [JsonIgnore]
    public double BytesPerUnitActor => (double)(HeapBuiltBytes - HeapBeforeBytes - WeightBytes) / UnitActors;

    /// <summary>Training samples per second over the timed steps.</summary>
    [JsonIgnore]
    public double SamplesPerSecond => Batch / SecondsPerStep;
}

/// <summary>
/// <c>nodemesh bench --scale</c>: builds the same architecture for growing input sizes, each in a
/// fresh <c>nodemesh</c> process (so that its memory is its own), trains a few steps on synthetic
/// data, and reports unit actors, tiles, build time, memory and step time, with the growth
/// exponents fitted over the sizes and what the largest net says about this machine.
/// </summary>
public static class ScaleBench
{
    /// <summary>The default ladder: the reference net from 16×16 to 224×224 inputs (about 6,000 to 1,200,000 unit actors).</summary>
    public const string DefaultInputs = "16x16x1,32x32x1,64x64x1,128x128x1,224x224x1";

    /// <summary>Timed steps per net when --steps is not given (as many warm-up steps run first).</summary>
    public const int DefaultSteps = 3;

    private const string PointPrefix = "scale-point ";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Measures one net in this process and writes it as one <c>scale-point</c> JSON line (the child side of --scale).</summary>
    public static async Task<int> RunPointAsync(string arch, InputShape input, string strategyName, StrategyOptions strategy, int steps, int batch, TextWriter stdout)
    {
        var data = SyntheticData.Generate(input, DatasetLoader.Classes, steps * batch, batch, seed: 1);
        var plan = NetworkPlan.Build(ArchSpec.Parse(arch), input.Channels, input.Height, input.Width, DatasetLoader.Classes);
        var tiles = TilePlan.Build(plan);
        long weightBytes = plan.Layers.Sum(l => (long)l.UnitCount * (l.FanIn + 1)) * sizeof(float);
        var options = new TrainOptions(plan.Arch.Text, strategy, Epochs: 2, Batch: batch, TrainLimit: steps * batch, Shuffle: false).Validate();
        var spec = RunSpecs.From(options, plan);
        using var self = Process.GetCurrentProcess();
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var sw = Stopwatch.StartNew();
        await using var run = await LocalRun.StartAsync(spec, options, data);
        await run.PrepareAsync();
        double build = sw.Elapsed.TotalSeconds;
        long heapBuilt = GC.GetTotalMemory(forceFullCollection: true);
        self.Refresh();
        long rssBuilt = self.WorkingSet64;
        await run.TrainEpochAsync(1); // warm-up: as many steps as are timed
        sw.Restart();
        var timed = await run.TrainEpochAsync(2);
        double perStep = sw.Elapsed.TotalSeconds / Math.Max(1, timed.Steps);
        self.Refresh();
        var point = new ScalePoint(input.ToString(), strategyName, plan.UnitCount, tiles.Tiles.Sum(t => t.Count), weightBytes, build,
            heapBefore, heapBuilt, rssBuilt, self.PeakWorkingSet64, timed.Steps, batch, perStep, Environment.ProcessId);
        stdout.WriteLine(PointPrefix + JsonSerializer.Serialize(point, Json));
        return 0;
    }

    /// <summary>Runs every input size × strategy in a child process, printing each row as it finishes.</summary>
    public static async Task<int> RunAsync(string arch, IReadOnlyList<InputShape> inputs, IReadOnlyList<(string Name, StrategyOptions Options)> strategies,
        int steps, int batch, string? csvPath, TextWriter stdout)
    {
        // Every size must build before anything runs: a spec that does not fit one of them fails now, not after an hour.
        var units = inputs.Select(i => NetworkPlan.Build(ArchSpec.Parse(arch), i.Channels, i.Height, i.Width, DatasetLoader.Classes).UnitCount).ToArray();
        stdout.WriteLine($"nodemesh bench --scale: {arch}, batch {batch}, {steps} warm-up + {steps} timed steps per net, each net in its own process, {Environment.ProcessorCount} cores");
        stdout.WriteLine("| input | strategy | unit actors | tiles | build s | bytes / unit actor (excl. weights) | RSS built | peak RSS | s / step | samples/s |");
        stdout.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        var points = new List<ScalePoint>();
        var csv = new List<string> { "input,strategy,unit_actors,tiles,weight_bytes,build_seconds,heap_before_bytes,heap_built_bytes,bytes_per_unit_actor,rss_built_bytes,peak_rss_bytes,steps,batch,seconds_per_step,samples_per_second,process_id" };
        for (int i = 0; i < inputs.Count; i++)
            foreach (var (name, _) in strategies)
            {
                var p = await MeasureInChild(arch, inputs[i], name, steps, batch, units[i]);
                points.Add(p);
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {p.Input} | {p.Strategy} | {p.UnitActors:N0} | {p.Tiles:N0} | {p.BuildSeconds:F1} | {p.BytesPerUnitActor:N0} | {Reports.Markdown.Bytes(p.RssBuiltBytes)} | {Reports.Markdown.Bytes(p.PeakRssBytes)} | {p.SecondsPerStep:G3} | {p.SamplesPerSecond:G3} |"));
                csv.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{p.Input},{p.Strategy},{p.UnitActors},{p.Tiles},{p.WeightBytes},{p.BuildSeconds:F3},{p.HeapBeforeBytes},{p.HeapBuiltBytes},{p.BytesPerUnitActor:F1},{p.RssBuiltBytes},{p.PeakRssBytes},{p.Steps},{p.Batch},{p.SecondsPerStep:G6},{p.SamplesPerSecond:G6},{p.ProcessId}"));
                if (csvPath is not null) File.WriteAllLines(csvPath, csv); // rows so far survive an interrupted ladder
            }
        foreach (var (name, _) in strategies) Summarize(points.Where(p => p.Strategy == name).ToList(), stdout);
        return 0;
    }

    /// <summary>Growth exponents (log-log least squares) and what the largest net says about this machine's memory.</summary>
    private static void Summarize(IReadOnlyList<ScalePoint> points, TextWriter stdout)
    {
        if (points.Count == 0) return;
        var largest = points.MaxBy(p => p.UnitActors)!;
        string strategy = points[0].Strategy;
        if (points.Count >= 2 && points.Select(p => p.UnitActors).Distinct().Count() >= 2)
        {
            double time = FitExponent(points.Select(p => ((double)p.UnitActors, p.SecondsPerStep)));
            double rss = FitExponent(points.Select(p => ((double)p.UnitActors, (double)p.PeakRssBytes)));
            double span = (double)largest.UnitActors / points.Min(p => p.UnitActors);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{strategy}: over {span:F0}x in unit actors, time per step grows as units^{time:F2} and peak RSS as units^{rss:F2} (least squares on logs)."));
            var ordered = points.OrderBy(p => p.UnitActors).ToList();
            var (a, b) = (ordered[^2], ordered[^1]);
            double marginal = (double)(b.PeakRssBytes - a.PeakRssBytes) / (b.UnitActors - a.UnitActors);
            long memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            if (marginal > 0)
            {
                double fits = b.UnitActors + (memory - b.PeakRssBytes) / marginal;
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{strategy}: largest net measured: {largest.UnitActors:N0} unit actors at {Reports.Markdown.Bytes(largest.PeakRssBytes)} peak RSS. At the {Reports.Markdown.Bytes(marginal)} of peak RSS per unit actor added between the two largest nets, this machine's {Reports.Markdown.Bytes(memory)} would hold about {fits:N0} unit actors of this architecture (an extrapolation, not a run)."));
                return;
            }
        }
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{strategy}: largest net measured: {largest.UnitActors:N0} unit actors at {Reports.Markdown.Bytes(largest.PeakRssBytes)} peak RSS."));
    }

    /// <summary>The slope of log y against log x by least squares.</summary>
    public static double FitExponent(IEnumerable<(double X, double Y)> points)
    {
        var p = points.Select(q => (X: Math.Log(q.X), Y: Math.Log(q.Y))).ToArray();
        double mx = p.Average(q => q.X), my = p.Average(q => q.Y);
        double sxy = p.Sum(q => (q.X - mx) * (q.Y - my)), sxx = p.Sum(q => (q.X - mx) * (q.X - mx));
        return sxx > 0 ? sxy / sxx : double.NaN;
    }

    private static async Task<ScalePoint> MeasureInChild(string arch, InputShape input, string strategy, int steps, int batch, long units)
    {
        var child = await BenchChild.RunAsync(["--scale-point", input.ToString(), "--arch", arch, "--strategies", strategy,
            "--steps", steps.ToString(CultureInfo.InvariantCulture), "--batch", batch.ToString(CultureInfo.InvariantCulture)], $"to measure {input}");
        string? line = child.Output.Split('\n').LastOrDefault(l => l.StartsWith(PointPrefix, StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null)
            throw new UserInputException($"the {input} net ({units:N0} unit actors, {strategy}) failed in its process with exit code {child.ExitCode}" +
                (child.ExitCode == 137 ? " (killed, most likely out of memory: leave it out of --scale-inputs)" : "") + $": {child.Why}");
        return JsonSerializer.Deserialize<ScalePoint>(line[PointPrefix.Length..], Json)
            ?? throw new InvalidDataException($"the {input} net's process printed an empty result");
    }
}
