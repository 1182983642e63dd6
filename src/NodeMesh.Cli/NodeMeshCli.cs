using NodeMesh.Cli.Commands;
using NodeMesh.Core;

namespace NodeMesh.Cli;

/// <summary>Entry point: dispatches subcommands and turns user errors into one clear line and exit code 2.</summary>
public static class NodeMeshCli
{
    public static string Usage => $"""
        nodemesh — weight sharing on processor-in-memory hardware, measured with one actor per feature-map unit

        Usage: nodemesh <command> [options]     (nodemesh <command> --help for its options; nodemesh --version)

        Commands:
          quickstart  {QuickstartCommand.Summary}
          train       {TrainCommand.Summary}
          node        {NodeCommand.Summary}
          cluster     {ClusterCommand.Summary}
          bench       {BenchCommand.Summary}
          project     {ProjectCommand.Summary}
          compare     {CompareCommand.Summary}
          sweep       {SweepCommand.Summary}
          devices     {DevicesCommand.Summary}
        """;

    /// <summary>The commands, for suggestions.</summary>
    private static readonly string[] Commands = ["train", "quickstart", "node", "cluster", "bench", "project", "compare", "sweep", "devices"];

    /// <summary>The tool's version and, after a '+', the commit it was built from when the build knew it (the assembly's informational version).</summary>
    public static string Build =>
        typeof(NodeMeshCli).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "0.0.0";

    /// <summary>The tool's version (the informational version without build metadata).</summary>
    public static string Version => Build.Split('+')[0];

    /// <summary>The commit the tool was built from (the informational version's build metadata), or null when the build did not know it.</summary>
    public static string? Commit => Build.Split('+') is [_, var commit, ..] && commit.Length > 0 ? commit : null;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0)
        {
            stderr.WriteLine(Usage);
            stderr.WriteLine();
            stderr.WriteLine("error: no command given; try 'nodemesh quickstart' or 'nodemesh train'.");
            return 2;
        }
        if (args[0] is "--help" or "-h" or "help")
        {
            stdout.WriteLine(Usage);
            return 0;
        }
        if (args[0] is "--version" or "version")
        {
            stdout.WriteLine(Commit is { } commit ? $"nodemesh {Version} (commit {commit})" : $"nodemesh {Version}");
            return 0;
        }
        string command = args[0];
        var rest = args[1..];
        try
        {
            switch (command)
            {
                case "train":
                    {
                        var a = ParsedArgs.Parse("train", TrainCommand.Options, rest);
                        if (a.Flag("help")) { stdout.WriteLine(TrainCommand.HelpText); return 0; }
                        return await TrainCommand.RunAsync(a, stdout, stderr);
                    }
                case "node":
                    {
                        var a = ParsedArgs.Parse("node", NodeCommand.Options, rest);
                        if (a.Flag("help")) { stdout.WriteLine(NodeCommand.HelpText); return 0; }
                        return await NodeCommand.RunAsync(a, stdout);
                    }
                case "cluster":
                    return await ClusterCommand.RunAsync(rest, stdout, stderr);
                case "bench":
                    {
                        var a = ParsedArgs.Parse("bench", BenchCommand.Options, rest);
                        if (a.Flag("help")) { stdout.WriteLine(BenchCommand.HelpText); return 0; }
                        return await BenchCommand.RunAsync(a, stdout);
                    }
                case "project":
                    {
                        var a = ParsedArgs.Parse("project", ProjectCommand.Options, rest);
                        if (a.Flag("help")) { stdout.WriteLine(ProjectCommand.HelpText); return 0; }
                        return ProjectCommand.Run(a, stdout);
                    }
                case "compare":
                    {
                        var a = CompareCommand.Parse(rest);
                        if (a.Flag("help")) { stdout.WriteLine(CompareCommand.HelpText); return 0; }
                        return await CompareCommand.RunAsync(a, stdout);
                    }
                case "devices":
                    {
                        var a = ParsedArgs.Parse("devices", DevicesCommand.Options, rest);
                        if (a.Flag("help")) { stdout.WriteLine(DevicesCommand.HelpText); return 0; }
                        return DevicesCommand.Run(a, stdout);
                    }
                case "quickstart":
                    {
                        var a = ParsedArgs.Parse("quickstart", QuickstartCommand.Options, rest);
                        if (a.Flag("help")) { stdout.WriteLine(QuickstartCommand.HelpText); return 0; }
                        return await QuickstartCommand.RunAsync(a, stdout, stderr);
                    }
                case "sweep":
                    {
                        var a = ParsedArgs.Parse("sweep", SweepCommand.Options, rest);
                        if (a.Flag("help")) { stdout.WriteLine(SweepCommand.HelpText); return 0; }
                        return await SweepCommand.RunAsync(a, stdout, stderr);
                    }
                default:
                    {
                        string near = Commands.OrderBy(c => ParsedArgs.Distance(c, command)).First();
                        stderr.WriteLine(command.StartsWith('-')
                            ? $"error: '{command}' is not a command; options follow the command: nodemesh <command> [options] (see 'nodemesh --help')."
                            : $"error: unknown command '{command}'; did you mean '{near}'? (see 'nodemesh --help')");
                        return 2;
                    }
            }
        }
        catch (UserInputException e)
        {
            stderr.WriteLine($"error: {UserErrors.Render(e)}");
            return 2;
        }
        catch (InvalidOperationException e) when (e.InnerException is UserInputException u)
        {
            stderr.WriteLine($"error: {UserErrors.Render(u)}");
            return 2;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("NODEMESH_DEBUG") != "1")
        {
            // Not the user's input: say what failed in one line (NODEMESH_DEBUG=1 shows the stack trace).
            stderr.WriteLine($"error: {command} failed unexpectedly: {e.GetType().Name}: {e.Message} (set NODEMESH_DEBUG=1 for details)");
            return 1;
        }
    }
}
