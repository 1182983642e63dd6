using NodeMesh.Cli.Commands;
using NodeMesh.Core;

namespace NodeMesh.Cli.Tests;

/// <summary>The one table from Core's neutral setting keys to the CLI's flags, and how an error line is made from it.</summary>
public sealed class UserErrorsTableTests
{
    private static IEnumerable<string> CoreSettingKeys() =>
        typeof(SettingKeys).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!);

    private static IEnumerable<OptionDef> EveryOption() =>
        TrainCommand.Options.Concat(BenchCommand.Options).Concat(SweepCommand.Options).Concat(NodeCommand.Options)
            .Concat(CompareCommand.Options).Concat(DevicesCommand.Options);

    [Fact]
    public void Every_core_setting_key_has_a_flag()
    {
        var missing = CoreSettingKeys().Where(k => !UserErrors.FlagOfSetting.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0, $"add these SettingKeys to UserErrors.FlagOfSetting: {string.Join(", ", missing)}");
    }

    [Fact]
    public void Every_flag_of_the_table_is_an_option_of_a_command()
    {
        var options = EveryOption().Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = UserErrors.FlagOfSetting.Where(kv => !options.Contains(kv.Value)).Select(kv => $"{kv.Key} -> --{kv.Value}").ToList();
        Assert.True(unknown.Count == 0, $"flags that no command takes: {string.Join(", ", unknown)}");
    }

    [Theory]
    [InlineData(SettingKeys.LearningRate, "-1: the learning rate must be a positive number.", "--lr -1: the learning rate must be a positive number.")]
    [InlineData(SettingKeys.Arch, "is empty; give a layer list", "--arch is empty; give a layer list")]
    [InlineData(SettingKeys.LayerHops, "-1: must be 0 or more.", "--layer-hops -1: must be 0 or more.")]
    [InlineData(null, "x.json: unknown field 'a'.", "x.json: unknown field 'a'.")]
    public void An_error_about_a_setting_is_shown_after_its_flag(string? setting, string message, string shown) =>
        Assert.Equal(shown, UserErrors.Render(new UserInputException(message, setting)));

    [Fact]
    public void A_key_missing_from_the_table_is_shown_as_it_is() =>
        Assert.Equal("--some-new-setting 3: too big.", UserErrors.Render(new UserInputException("3: too big.", "some-new-setting")));
}
