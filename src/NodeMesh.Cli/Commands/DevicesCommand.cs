using NodeMesh.Core;
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
        if (a.String("show") is { } show)
        {
            DeviceConfig device;
            // Load's errors are about the device setting, which this command takes as --show.
            try { device = DeviceConfig.Load(show); }
            catch (UserInputException e) when (e.Setting == SettingKeys.Device) { throw new UserInputException($"--show {e.Message}", null, e); }
            stdout.WriteLine(device.Format());
            return 0;
        }
        stdout.WriteLine("Device presets (--device NAME, or --device FILE.json with {\"preset\": NAME, <parameter>: <value>, ...}).");
        stdout.WriteLine(DeviceConfig.Describe());
        return 0;
    }
}
