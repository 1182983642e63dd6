using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using NodeMesh.Actors.Driving;
using NodeMesh.Actors.Messages;
using NodeMesh.Cluster;
using NodeMesh.Core;
using NodeMesh.Core.Checkpoints;
using NodeMesh.Core.Fabric;
using NodeMesh.Core.Placement;
using NodeMesh.Core.Training;

namespace NodeMesh.Cli.Commands;

/// <summary>
/// Runs a prepared <c>nodemesh train</c>: claims the run folder, trains epoch by epoch and writes
/// the run directory. It ends early, with the files it can finish, on Ctrl-C (SIGINT/SIGTERM:
/// summary.json marked "interrupted", exit code 130) and on a non-finite loss ("diverged", exit 1).
/// </summary>
public static class TrainRun
{
    /// <summary>Exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells report it.</summary>
    public const int InterruptedExitCode = 130;

    /// <summary>Why a run was stopped from outside, set at most once.</summary>
    private sealed class StopReason
    {
        private int _set;
        public string? Status { get; private set; }
        public string? Text { get; private set; }

        public bool TrySet(string status, string text)
        {
            if (Interlocked.Exchange(ref _set, 1) == 1) return false;
            Text = text; Status = status;
            return true;
        }
    }

    public static async Task<int> RunAsync(TrainSetup s, TextWriter stdout, TextWriter stderr, Func<Akka.Actor.Address, Task>? onDriverUp = null)
    {
        var a = s.Args;
        var options = s.Options;
        foreach (var w in s.Warnings) stderr.WriteLine($"warning: {w}");
        string what = $"nodemesh train {StrategyGrammar.Name(options.Strategy)} (started {DateTime.UtcNow:o})";
        string outDir;
        bool created = s.Header is null;
        if (s.Header is not null) outDir = s.OutDir!;
        else if (s.OutDir is not null) { outDir = s.OutDir; RunDirectory.Claim(outDir, what); }
        else outDir = RunDirectory.ClaimUnique("runs", s.DefaultName(DateTime.UtcNow), what);

        RunRecorder recorder;
        try
        {
            recorder = s.Header is null
                ? RunRecorder.Create(outDir, s.Config, options, s.Plan, s.Fabric, s.Energy)
                : RunRecorder.Reopen(outDir, options, s.Plan, s.Fabric, s.Energy, s.Header.Finished.Select(f => f.ToRecord()));
        }
        catch (UserInputException) when (created)
        {
            Directory.Delete(outDir, recursive: true); // ours, just made: leave nothing half-written
            throw;
        }
        recorder.Writes = DeviceWrites.Of(s.Device);
        if (s.Header is { } resumed)
            stdout.WriteLine($"resuming {outDir} at step {resumed.GlobalStep} (epoch {resumed.Epoch}, {resumed.Cursor} samples in; checkpoint of {resumed.SavedUtc})");
        var sink = s.CheckpointEvery < 0 ? null
            : new CheckpointWriter(outDir, a.ToArgs(n => !TrainCommand.ResumeOptions.Contains(n) && n != "out"), recorder, stdout.WriteLine);
        DriverSetup Configure(DriverSetup setup) => setup with
        {
            Checkpoints = sink,
            CheckpointEvery = Math.Max(0, s.CheckpointEvery),
            Resume = s.Header is null ? null : new ResumePoint(s.Header.Position, s.Saved!.Tiles),
            ResumeOnMemberLoss = s.ResumeOnMemberLoss,
        };
        var data = s.Data;
        var plan = s.Plan;
        var device = s.Device;
        stdout.WriteLine($"NodeMesh train: {StrategyGrammar.Name(options.Strategy)}{(options.Strategy.Kind == Core.Strategies.StrategyKind.None ? "" : $" ({options.Strategy.Describe()})")} on {data.Train.Source}");
        stdout.WriteLine($"  weights in: {(device.IsIdeal ? "ideal float32 stores (exact SGD)" : $"{device.Name} devices ({device.Model}, dw_min {device.DwMin.ToString(CultureInfo.InvariantCulture)})")}; fabric {s.Fabric.Options.Layout.ToString().ToLowerInvariant()} layout, {s.Fabric.Options.LayerHops} hop(s) between layers, {s.Fabric.Options.Cast.ToString().ToLowerInvariant()}");
        stdout.WriteLine($"  net {plan.Arch}: {plan.UnitCount:N0} unit actors in {s.Tiles.Tiles.Sum(t => t.Count)} tiles, {plan.UnitParameters:N0} unit parameters ({plan.SharedParameters:N0} if shared)");
        int trainCount = options.TrainLimit > 0 ? Math.Min(options.TrainLimit, data.Train.Count) : data.Train.Count;
        int testCount = options.TestLimit > 0 ? Math.Min(options.TestLimit, data.Test.Count) : data.Test.Count;
        if (s.CostOnly)
            stdout.WriteLine($"  cost-only run: synthetic {s.Config.Input} data with random labels; traffic, energy and samples/s are as usual, accuracy is not meaningful and is not shown");
        stdout.WriteLine($"  {trainCount:N0} train / {testCount:N0} test samples, batch {options.Batch}, lr {options.LearningRate.ToString(CultureInfo.InvariantCulture)}, {options.Epochs} epoch(s), seed {options.Seed}; run directory {outDir}");

        var progress = new ProgressBar(stderr, enabled: !a.Flag("quiet"));
        var stop = new StopReason();
        TrainingSession? session = null;
        StepProgress last = new(s.Header?.Epoch ?? 1, 0, 0, 0);
        void Stop(string status, string text)
        {
            if (stop.TrySet(status, text)) session?.Stop(text);
        }
        void OnProgress(StepProgress p)
        {
            last = p;
            if (!double.IsFinite(p.MeanLoss))
                Stop("diverged", $"the training loss became {p.MeanLoss.ToString(CultureInfo.InvariantCulture)} at epoch {p.Epoch}, step {p.Step}: training diverged (try a smaller --lr than {options.LearningRate.ToString(CultureInfo.InvariantCulture)})");
            progress.Report(p);
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = stop.Status is null; Stop("interrupted", "stopped by Ctrl-C"); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = stop.Status is null; Stop("interrupted", "stopped by SIGTERM"); });

        var cluster = s.Cluster;
        var spec = RunSpecs.From(options, plan, device, s.Fabric.Options, s.StepSeconds, s.UnitInit, shipsWeights: s.Weights is not null,
            placement: cluster?.Placement ?? PlacementKind.Block, members: Math.Max(1, cluster?.Workers ?? 1));
        TrainingSession run;
        try
        {
            run = cluster is null
                ? await LocalRun.StartAsync(spec, options, data, s.Weights, OnProgress, configure: Configure)
                : await ClusterRun.StartAsync(cluster.Member, cluster.Workers, cluster.JoinTimeout, spec, options, data, s.Weights,
                    OnProgress, stdout, onDriverUp ?? (_ => Task.CompletedTask), configure: Configure);
        }
        catch (UserInputException) when (created)
        {
            // Refused before training (workers that never came, frames too small): nothing of this run
            // exists yet, so its folder, made a moment ago, goes too.
            Directory.Delete(outDir, recursive: true);
            throw;
        }
        await using var runScope = run;
        session = run;
        if (stop.Text is { } early) run.Stop(early); // a signal before the session existed
        var clusterRun = run as ClusterRun;
        var wire = clusterRun is null ? null : new ClusterTraffic(clusterRun.Members, spec.Placement);
        if (wire is not null && s.Header is not null) wire.Restore(s.Header.ClusterEpochs);
        bool success = false;
        string endReason = "the run failed";
        var total = Stopwatch.StartNew();
        try
        {
            var prepared = await run.PrepareAsync();
            stdout.WriteLine($"  built {prepared.Units:N0} units, {prepared.Tiles} tiles, {prepared.Reducers} reducers on {prepared.Members} member(s)");
            if (clusterRun is not null)
            {
                wire!.Built(prepared, TilePlacement.Build(s.Tiles, spec.Members, spec.Placement));
                foreach (var m in wire.Members) stdout.WriteLine($"  member {m.Address} ({m.Role}): {m.Tiles} tiles, {m.Units:N0} units, {m.Reducers} reducers");
                wire.Mark(await clusterRun.FetchWireReportsAsync());
            }

            for (int epoch = s.Header?.Epoch ?? 1; epoch <= options.Epochs; epoch++)
            {
                var sw = Stopwatch.StartNew();
                progress.Begin(epoch, options.Epochs);
                var trained = await run.TrainEpochAsync(epoch);
                // The step's progress event may still be in flight when a short epoch ends: then the epoch's loss says it.
                if (!double.IsFinite(trained.Loss))
                    Stop("diverged", $"the training loss became {trained.Loss.ToString(CultureInfo.InvariantCulture)} during epoch {epoch}: training diverged (try a smaller --lr than {options.LearningRate.ToString(CultureInfo.InvariantCulture)})");
                if (stop.Text is { } why) throw new RunFailedException(why);
                double trainSeconds = sw.Elapsed.TotalSeconds;
                if (clusterRun is not null) wire!.Epoch(epoch, trained.Samples, await clusterRun.FetchWireReportsAsync());
                // Progress events travel through an actor and may still be in flight: draw the finished bar here.
                progress.Report(new StepProgress(epoch, trained.Steps, trained.Steps, trained.Loss));
                progress.End();
                var eval = await run.EvaluateAsync();
                var model = await run.FetchModelAsync();
                var epochResult = new EpochRecord(epoch, trained, eval, trainSeconds, sw.Elapsed.TotalSeconds, Core.Metrics.ConsensusReport.Measure(plan, model));
                recorder.Add(epochResult);
                stdout.WriteLine(RunConsole.EpochLine(epochResult, recorder.Energy(epochResult), s.CostOnly));
                if (wire is not null) stdout.WriteLine(wire.EpochLine(epoch));
                foreach (var r in trained.Recoveries)
                    stdout.WriteLine($"  lost member {r.Member} at step {r.LostAtStep} ({r.Reason}); continued on {r.Members} member(s) from the checkpoint of step {r.ResumedAtStep}: {r.StepsRedone} step(s) redone");
                if (wire is not null) recorder.Cluster = wire;
                if (sink is not null) await run.SaveCheckpointAsync();
                if (wire is not null) wire.Mark(await clusterRun!.FetchWireReportsAsync());
            }
            var final = await run.FetchModelAsync();
            if (s.Save is not null)
            {
                Checkpoint.Save(plan, final, s.Save, options);
                stdout.WriteLine($"  saved weights to {s.Save}");
            }
            if (wire is not null)
            {
                wire.Finish(await clusterRun!.FetchWireReportsAsync());
                if (wire.MemoryLine() is { } memory) stdout.WriteLine(memory);
            }
            recorder.Cluster = wire;
            recorder.Finish(total.Elapsed.TotalSeconds);
            Fonts.WarnIfMissing(stderr);
            Reports.ReportWriter.Write(outDir);
            stdout.WriteLine();
            stdout.WriteLine(RunConsole.SummaryTable(options, plan, recorder.Epochs, s.CostOnly));
            if (recorder.ProjectedStep is { } step) stdout.WriteLine(RunConsole.StepTimeLine(step, recorder.Epochs[^1].Trained.Samples));
            stdout.WriteLine($"results: {Path.Combine(outDir, "metrics.csv")}, {Path.Combine(outDir, "summary.json")}, {Path.Combine(outDir, "report.md")}");
            success = true;
            return 0;
        }
        catch (RunFailedException e)
        {
            progress.End();
            recorder.Cluster = wire;
            endReason = e.Message;
            if (stop.Status is { } status)
            {
                recorder.Stop(status, stop.Text!, total.Elapsed.TotalSeconds);
                if (recorder.Epochs.Count > 0) Reports.ReportWriter.Write(outDir);
                return Stopped(status, stop.Text!, last, recorder, outDir, sink, stderr);
            }
            recorder.Fail(e.Message, total.Elapsed.TotalSeconds);
            stderr.WriteLine($"error: the run failed: {e.Message}");
            stderr.WriteLine($"  metrics of the finished epochs are in {outDir} (summary.json says why the run stopped)");
            return 1;
        }
        finally
        {
            if (clusterRun is not null) await clusterRun.EndAsync(success, success ? "the run ended" : endReason);
        }
    }

    /// <summary>Says what was stopped, where the partial results are and how to go on; returns the exit code.</summary>
    private static int Stopped(string status, string reason, StepProgress last, RunRecorder recorder, string outDir, CheckpointWriter? sink, TextWriter stderr)
    {
        int done = recorder.Epochs.Count;
        if (status == "diverged")
        {
            stderr.WriteLine($"error: {reason}.");
            stderr.WriteLine($"  stopped; {done} finished epoch(s) and summary.json (status \"diverged\") are in {outDir}");
            return 1;
        }
        stderr.WriteLine();
        stderr.WriteLine($"{reason}: stopped training at epoch {last.Epoch}, step {last.Step} of {last.Steps}.");
        stderr.WriteLine(done > 0
            ? $"  the {done} finished epoch(s) are in {outDir} (metrics.csv, report.md); summary.json is marked \"interrupted\""
            : $"  no epoch finished; {outDir}/summary.json is marked \"interrupted\"");
        if (sink is not null && File.Exists(sink.Path))
            stderr.WriteLine($"  continue from the last checkpoint with: nodemesh train --resume {outDir}");
        else
            stderr.WriteLine("  there is no checkpoint to continue from (--checkpoint-every N writes one every N steps)");
        return InterruptedExitCode;
    }
}
