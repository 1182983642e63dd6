using NodeMesh.Core.Devices;

namespace NodeMesh.Cli.Commands;

/// <summary><c>nodemesh devices</c>: lists the device presets with their parameters.</summary>
public static class DevicesCommand
{
    public const string Summary = "list the memristor device presets and their parameters";

    public static readonly OptionDef[] Options =
    [
        new("show", "PRESET|FILE", null, "print the full parameter set of one preset or JSON file (after validation)"),
        new("help", null, null, "show this help"),
    ];

    public static string HelpText => $"""
        nodemesh devices — {Summary}

        Usage: nodemesh devices [--show PRESET|FILE]

        Use a preset with 'nodemesh train --device NAME', or write a JSON file such as
          {"{"}"preset": "reram-sb", "dw_min": 0.001, "w_max_dtod": 0.1{"}"}
        and pass it with --device FILE; unknown or out-of-range fields are rejected.

        Options:
        {ParsedArgs.Help(Options)}
        """;

    public static int Run(ParsedArgs a, TextWriter stdout)
    {
        if (a.String("show") is { } show) stdout.WriteLine(DeviceConfig.Load(show).Format());
        else stdout.WriteLine(DeviceConfig.Describe());
        return 0;
    }
}
