namespace NodeMesh.Core;

/// <summary>
/// An error caused by what the user asked for (a bad option, file or spec). The message says
/// what is wrong and how to fix it; a front end shows it without a stack trace (the CLI prints
/// one <c>error:</c> line and exits with code 2).
/// </summary>
/// <remarks>
/// Core does not know how a front end spells its settings (the CLI's flags, say), so no message
/// names one. An error about one setting names it by its neutral key in <see cref="Setting"/> (one
/// of <see cref="SettingKeys"/>), and its message is written to follow that setting's name: it
/// starts with the offending value or with what is wrong ("0: train at least 1 epoch.",
/// "is empty; give …"), so that "&lt;the front end's name of the setting&gt; &lt;message&gt;" reads as
/// one sentence (the CLI prints "error: --epochs 0: train at least 1 epoch.").
/// </remarks>
/// <param name="message">What is wrong and how to fix it, without any front end's name of the setting.</param>
/// <param name="setting">The <see cref="SettingKeys"/> key of the setting at fault, or null when the error is not about one setting.</param>
/// <param name="innerException">The error this one explains, if any.</param>
public sealed class UserInputException(string message, string? setting = null, Exception? innerException = null)
    : Exception(message, innerException)
{
    /// <summary>
    /// The neutral key (<see cref="SettingKeys"/>) of the setting this error is about, or null.
    /// When set, <see cref="Exception.Message"/> is meant to be shown after the setting's name.
    /// </summary>
    public string? Setting { get; } = setting;

    /// <summary>
    /// This error, attributed to <paramref name="setting"/> when it names no setting yet: for a
    /// caller that knows which setting the value it passed on came from (a file named by a setting,
    /// say). An error that already names a setting is returned unchanged.
    /// </summary>
    public UserInputException ForSetting(string setting)
    {
        ArgumentException.ThrowIfNullOrEmpty(setting);
        return Setting is null ? new UserInputException(Message, setting, this) : this;
    }
}
