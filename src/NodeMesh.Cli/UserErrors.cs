using NodeMesh.Core;

namespace NodeMesh.Cli;

/// <summary>
/// How the CLI shows a <see cref="UserInputException"/>: one line, naming the flag of the setting
/// the error is about. Core names settings by neutral keys (<see cref="SettingKeys"/>) and never by
/// flag; this class holds the one table that turns a key into the CLI's flag.
/// </summary>
public static class UserErrors
{
    /// <summary>
    /// Setting key → flag name without the leading "--". Every key of <see cref="SettingKeys"/> is
    /// listed (a test checks it), so the table is also the list of Core settings the CLI exposes.
    /// </summary>
    public static IReadOnlyDictionary<string, string> FlagOfSetting { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [SettingKeys.Arch] = "arch",
        [SettingKeys.Data] = "data",
        [SettingKeys.Epochs] = "epochs",
        [SettingKeys.Batch] = "batch",
        [SettingKeys.LearningRate] = "lr",
        [SettingKeys.TrainLimit] = "train-limit",
        [SettingKeys.TestLimit] = "test-limit",
        [SettingKeys.EvalBatch] = "eval-batch",
        [SettingKeys.Tile] = "tile",
        [SettingKeys.Every] = "every",
        [SettingKeys.Topology] = "topology",
        [SettingKeys.Fanout] = "fanout",
        [SettingKeys.Mix] = "mix",
        [SettingKeys.GossipDrop] = "gossip-drop",
        [SettingKeys.StepParity] = "step-parity",
        [SettingKeys.MapLayout] = "map-layout",
        [SettingKeys.LayerHops] = "layer-hops",
        [SettingKeys.FabricCast] = "fabric-cast",
        [SettingKeys.Energy] = "energy",
        [SettingKeys.Latency] = "latency",
        [SettingKeys.Device] = "device",
        [SettingKeys.Input] = "input",
        // Settings of the CLI's own (checkpoints are read by the CLI, so Core has no key for them).
        [Init] = "init",
    };

    /// <summary>The setting key of <c>--init</c>'s checkpoint file, for errors raised while reading it.</summary>
    public const string Init = "init";

    /// <summary>The flag (with "--") of <paramref name="setting"/>; a key missing from the table is shown as it is.</summary>
    public static string Flag(string setting) => "--" + FlagOfSetting.GetValueOrDefault(setting, setting);

    /// <summary>The text after <c>error: </c>: <c>--flag message</c> for an error about a setting, else the message.</summary>
    public static string Render(UserInputException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Setting is { } setting ? $"{Flag(setting)} {error.Message}" : error.Message;
    }
}
