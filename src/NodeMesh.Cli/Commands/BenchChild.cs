using System.Diagnostics;
using System.Globalization;
using System.Text;
using NodeMesh.Core;

namespace NodeMesh.Cli.Commands;

/// <summary>
/// A bench measurement in a nodemesh process of its own (<c>--scale</c>'s nets, <c>--runs</c>' runs):
/// started with <c>--exit-with-pid</c> so that it never outlives this bench, its output read to the
/// end, and killed if this side stops first.
/// </summary>
internal static class BenchChild
{
    /// <summary>How the process ended and what it printed.</summary>
    public sealed record Result(int ExitCode, string Output, string Errors)
    {
        /// <summary>The last three lines of its errors and output, for a one-line error message.</summary>
        public string Why => string.Join(" | ", (Errors + "\n" + Output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(3));
    }

    /// <summary>
    /// Runs <c>nodemesh bench</c> with <paramref name="benchArgs"/> and waits for it; <paramref name="onLine"/>
    /// sees each line of its output as it comes. <paramref name="what"/> completes "could not start … ".
    /// </summary>
    public static async Task<Result> RunAsync(IEnumerable<string> benchArgs, string what, Action<string>? onLine = null)
    {
        var psi = WorkerLauncher.SelfStartInfo(["bench", .. benchArgs, "--exit-with-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture)]);
        using var process = new Process { StartInfo = psi };
        if (!process.Start()) throw new UserInputException($"could not start '{psi.FileName}' {what}.");
        try
        {
            var errorsTask = process.StandardError.ReadToEndAsync();
            var output = new StringBuilder();
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                onLine?.Invoke(line);
                output.Append(line).Append('\n');
            }
            await process.WaitForExitAsync();
            return new Result(process.ExitCode, output.ToString(), await errorsTask);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
