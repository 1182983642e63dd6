using System.Runtime.InteropServices;
using NodeMesh.Cluster;
using NodeMesh.Core;

namespace NodeMesh.Cli.Commands;

/// <summary><c>nodemesh node</c>: a worker member of a cluster run.</summary>
public static class NodeCommand
{
    public static readonly OptionDef[] Options =
    [
        new("host", "ADDR", "127.0.0.1", "address to bind (0.0.0.0 = every interface, e.g. in a container)", "NODEMESH_HOST"),
        new("port", "N", "0", "TCP port (0 = any free port; give one when other members use this worker as a seed)", "NODEMESH_PORT"),
        new("public-host", "NAME", null, "host name other members use to reach this worker (e.g. the compose service name); default: --host", "NODEMESH_PUBLIC_HOST"),
        new("seeds", "LIST", null, "comma-separated seed addresses akka.tcp://nodemesh@HOST:PORT (the driver's, or a first worker's); none = this worker is the first member", "NODEMESH_SEEDS"),
        new("max-frame-size", "BYTES", "16777216", "Akka.Remote maximum frame size; every member must allow the run's largest message", "NODEMESH_MAX_FRAME_SIZE"),
        new("heartbeat-pause", "S", "10", "seconds without a heartbeat before a member is declared lost (raise it for regions of hundreds of thousands of unit actors, whose build can stall a member for longer)", "NODEMESH_HEARTBEAT_PAUSE"),
        .. ClusterArgs.TlsOptions,
        new("exit-with-pid", "PID", null, "exit when process PID exits (nodemesh cluster sets it, so no worker outlives it)"),
        new("help", null, null, "show this help"),
    ];

    public const string Summary = "start a worker member that holds tiles of a cluster run (until the run ends)";

    public static string HelpText => $"""
        nodemesh node — {Summary}

        A worker joins the Akka.Cluster through its seeds, waits for a driver ('nodemesh train
        --workers N') to send it its share of the tiles, trains them, and exits when the run ends.
        Exit codes: 0 the run ended, 1 the run failed, 3 the driver was lost, 4 the --exit-with-pid
        process exited, 130 stopped (Ctrl-C / SIGTERM).

        Usage: nodemesh node [options]

        Options:
        {ParsedArgs.Help(Options)}

        Examples:
          nodemesh node --port 4053                                  # first member: others use it as their seed
          nodemesh node --seeds akka.tcp://nodemesh@127.0.0.1:4053   # joins through the first member
          nodemesh train --workers 2 --seeds akka.tcp://nodemesh@127.0.0.1:4053 --strategy allreduce
        """;

    public static async Task<int> RunAsync(ParsedArgs a, TextWriter stdout)
    {
        var options = ClusterArgs.MemberFrom(a);
        int? parent = null;
        if (a.String("exit-with-pid") is not null)
        {
            int pid = a.Int("exit-with-pid");
            if (pid <= 0) throw new UserInputException($"--exit-with-pid {pid}: give the id of a running process.");
            parent = pid;
        }
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        return await WorkerNode.RunAsync(options, stdout, parent, stop.Token);
    }
}
