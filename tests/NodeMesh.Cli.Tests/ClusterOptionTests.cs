namespace NodeMesh.Cli.Tests;

/// <summary>Cluster options on the command line and in the environment: mistakes are one clear error line, before anything starts.</summary>
public class ClusterOptionTests
{
    [Theory]
    [InlineData("--seeds", "akka.tcp://nodemesh@127.0.0.1:4053")]
    [InlineData("--placement", "stripe")]
    [InlineData("--port", "4053")]
    public async Task Cluster_options_without_workers_ask_for_workers(string option, string value)
    {
        var r = await Cli.TrainAsync(option, value);
        Cli.AssertUserError(r, singleLine: true, option, "apply to cluster runs", "--workers N");
    }

    [Theory]
    [InlineData("127.0.0.1:4053", "not an Akka address")]
    [InlineData("tcp://127.0.0.1:4053", "the protocol must be akka.tcp")]
    [InlineData("akka.udp://nodemesh@127.0.0.1:4053", "the protocol must be akka.tcp")]
    [InlineData("akka.tcp://other@127.0.0.1:4053", "ActorSystem 'nodemesh'")]
    [InlineData("akka.tcp://nodemesh@127.0.0.1", "needs a host and a port")]
    public async Task A_bad_seed_says_what_is_wrong_and_shows_the_form(string seed, string fragment)
    {
        var r = await Cli.TrainAsync("--workers", "2", "--seeds", seed);
        Cli.AssertUserError(r, singleLine: true, $"--seeds '{seed}'", fragment);
    }

    [Theory]
    [InlineData("train", "--workers", "-1", "--workers -1")]
    [InlineData("train", "--workers", "2", "--max-frame-size", "1000", "--max-frame-size 1000")]
    [InlineData("train", "--workers", "2", "--join-timeout", "0", "--join-timeout 0")]
    [InlineData("train", "--workers", "2", "--placement", "diagonal", "--placement 'diagonal'")]
    [InlineData("node", "--port", "70000", "--port 70000")]
    [InlineData("node", "--heartbeat-pause", "1", "--heartbeat-pause 1: give 3 .. 600 seconds")]
    [InlineData("train", "--workers", "2", "--heartbeat-pause", "900", "--heartbeat-pause 900")]
    [InlineData("cluster", "--workers", "0", "--workers '0'")]
    [InlineData("cluster", "--workers", "2", "--seeds", "akka.tcp://nodemesh@h:1", "--seeds")]
    public async Task Out_of_range_cluster_settings_are_refused(params string[] argsAndFragment)
    {
        var args = argsAndFragment[..^1];
        var r = await Cli.RunAsync(args[0] == "node" || args[0] == "cluster" ? args : [args[0], .. Cli.Tiny, .. args[1..]]);
        Cli.AssertUserError(r, singleLine: true, argsAndFragment[^1]);
    }

    [Fact]
    public void The_heartbeat_pause_reaches_both_failure_detectors_of_a_member()
    {
        var given = NodeMesh.Cli.Commands.ClusterArgs.MemberFrom(ParsedArgs.Parse("node", NodeMesh.Cli.Commands.NodeCommand.Options, ["--heartbeat-pause", "45"]));
        var hocon = NodeMesh.Cluster.ClusterHosting.Hocon(given, "worker");
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(hocon, @"acceptable-heartbeat-pause = 45s").Count); // remote watch and cluster
        var byDefault = NodeMesh.Cli.Commands.ClusterArgs.MemberFrom(ParsedArgs.Parse("node", NodeMesh.Cli.Commands.NodeCommand.Options, []));
        Assert.Equal(TimeSpan.FromSeconds(10), byDefault.AcceptableHeartbeatPause);
    }

    [Fact]
    public async Task Environment_variables_set_cluster_options_and_are_named_in_errors()
    {
        Environment.SetEnvironmentVariable("NODEMESH_MAX_FRAME_SIZE", "lots");
        try
        {
            var r = await Cli.RunAsync("node");
            Cli.AssertUserError(r, singleLine: true, "--max-frame-size 'lots' is not a whole number (from NODEMESH_MAX_FRAME_SIZE)");
        }
        finally { Environment.SetEnvironmentVariable("NODEMESH_MAX_FRAME_SIZE", null); }
    }

    [Theory]
    [InlineData("node", "NODEMESH_SEEDS", "--exit-with-pid")]
    [InlineData("train", "NODEMESH_WORKERS", "--placement")]
    [InlineData("cluster", "--workers N", "nodemesh cluster --workers 2 train")]
    public async Task Help_lists_the_cluster_options_and_their_environment_variables(string command, string a, string b)
    {
        var r = await Cli.RunAsync(command, "--help");
        Assert.Equal(0, r.Code);
        Assert.Contains(a, r.Out);
        Assert.Contains(b, r.Out);
    }
}
