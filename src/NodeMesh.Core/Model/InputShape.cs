using System.Globalization;

namespace NodeMesh.Core.Model;

/// <summary>
/// The input size of a net, written <c>HxWxC</c> (height × width × channels, e.g. <c>32x32x3</c>,
/// <c>224x224x3</c>): what <see cref="NetworkPlan.Build"/> resolves an architecture against.
/// </summary>
/// <param name="Height">Rows of the input image, 1..<see cref="MaxSide"/>.</param>
/// <param name="Width">Columns of the input image, 1..<see cref="MaxSide"/>.</param>
/// <param name="Channels">Planes of the input image, 1..<see cref="MaxChannels"/>.</param>
public sealed record InputShape(int Height, int Width, int Channels)
{
    /// <summary>Largest height or width accepted (4096: well beyond ImageNet's 224 and 299).</summary>
    public const int MaxSide = 4096;

    /// <summary>Largest channel count accepted (64).</summary>
    public const int MaxChannels = 64;

    /// <summary>Fashion-MNIST's 28×28 grayscale images.</summary>
    public static InputShape FashionMnist { get; } = new(28, 28, 1);

    /// <summary>Values per input image: H·W·C.</summary>
    public long Values => (long)Height * Width * Channels;

    /// <summary>The canonical text, HxWxC.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Height}x{Width}x{Channels}");

    /// <summary>Parses <c>HxWxC</c>; throws <see cref="UserInputException"/> about <see cref="SettingKeys.Input"/> saying what is wrong.</summary>
    public static InputShape Parse(string? text)
    {
        const string Form = "give HxWxC, e.g. 32x32x3 or 224x224x3 (height, width, channels)";
        if (string.IsNullOrWhiteSpace(text)) throw new UserInputException($"is empty; {Form}.", SettingKeys.Input);
        var parts = text.Trim().ToLowerInvariant().Split('x');
        if (parts.Length != 3) throw new UserInputException($"'{text}' is not HxWxC; {Form}.", SettingKeys.Input);
        var v = new int[3];
        for (int i = 0; i < 3; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out v[i]))
                throw new UserInputException($"'{text}': '{parts[i]}' is not a whole number; {Form}.", SettingKeys.Input);
        if (v[0] < 1 || v[0] > MaxSide || v[1] < 1 || v[1] > MaxSide)
            throw new UserInputException($"'{text}': height and width must be 1..{MaxSide}.", SettingKeys.Input);
        if (v[2] < 1 || v[2] > MaxChannels)
            throw new UserInputException($"'{text}': channels must be 1..{MaxChannels}.", SettingKeys.Input);
        return new InputShape(v[0], v[1], v[2]);
    }
}
