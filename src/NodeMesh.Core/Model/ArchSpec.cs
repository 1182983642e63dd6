using System.Globalization;
using System.Text.RegularExpressions;

namespace NodeMesh.Core.Model;

/// <summary>Elementwise activation applied after a weighted layer.</summary>
public enum ActivationKind { Relu, Tanh }

/// <summary>Pooling applied after a convolution (non-overlapping, window = stride).</summary>
public enum PoolKind { Max, Avg }

/// <summary>One token of an architecture's layer list (<see cref="ArchSpec"/>).</summary>
public abstract record LayerSpec(string Token);

/// <summary><c>convKxKxC</c>: K×K kernel, C output maps, stride 1, same padding (K odd).</summary>
public sealed record ConvSpec(string Token, int Kernel, int Maps) : LayerSpec(Token);

/// <summary><c>denseN</c>: fully connected layer with N output neurons.</summary>
public sealed record DenseSpec(string Token, int Outputs) : LayerSpec(Token);

/// <summary><c>relu</c> or <c>tanh</c>.</summary>
public sealed record ActivationSpec(string Token, ActivationKind Kind) : LayerSpec(Token);

/// <summary><c>maxpoolK</c> or <c>avgpoolK</c>: K×K window, stride K, floor of odd sizes.</summary>
public sealed record PoolSpec(string Token, PoolKind Kind, int Size) : LayerSpec(Token);

/// <summary>
/// A parsed network architecture: a comma-separated list of layer tokens such as
/// <c>conv5x5x16,relu,maxpool2,conv5x5x32,relu,maxpool2,dense10</c>.
/// </summary>
public sealed partial class ArchSpec
{
    /// <summary>The reference network of the design brief.</summary>
    public const string Default = "conv5x5x16,relu,maxpool2,conv5x5x32,relu,maxpool2,dense10";

    private const string Grammar =
        "valid tokens: convKxKxC (odd K, e.g. conv5x5x16), denseN (e.g. dense10), relu, tanh, maxpoolK, avgpoolK (e.g. maxpool2)";

    public IReadOnlyList<LayerSpec> Layers { get; }
    public string Text { get; }

    private ArchSpec(string text, IReadOnlyList<LayerSpec> layers)
    {
        Text = text;
        Layers = layers;
    }

    public override string ToString() => Text;

    /// <summary>Parses a layer list; throws <see cref="UserInputException"/> naming the bad token.</summary>
    public static ArchSpec Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new UserInputException($"is empty; give a comma-separated layer list such as '{Default}' ({Grammar}).", SettingKeys.Arch);
        var tokens = text.Split(',', StringSplitOptions.TrimEntries);
        var layers = new List<LayerSpec>(tokens.Length);
        for (int i = 0; i < tokens.Length; i++)
        {
            string t = tokens[i].ToLowerInvariant();
            if (t.Length == 0)
                throw new UserInputException($"'{text}': token {i + 1} is empty (two commas in a row?); {Grammar}.", SettingKeys.Arch);
            layers.Add(ParseToken(t, i + 1, text));
        }
        return new ArchSpec(string.Join(',', layers.Select(l => l.Token)), layers);
    }

    private static LayerSpec ParseToken(string t, int position, string text)
    {
        string where = $"'{text}': token {position} '{t}'";
        Match m;
        if ((m = ConvRegex().Match(t)).Success)
        {
            int kh = ParseInt(m.Groups[1].Value, where), kw = ParseInt(m.Groups[2].Value, where), c = ParseInt(m.Groups[3].Value, where);
            if (kh != kw) throw new UserInputException($"{where}: kernels must be square (KxK); got {kh}x{kw}.", SettingKeys.Arch);
            if (kh % 2 == 0) throw new UserInputException($"{where}: kernel size must be odd for same padding; got {kh}.", SettingKeys.Arch);
            if (kh < 1 || kh > 15) throw new UserInputException($"{where}: kernel size must be 1..15; got {kh}.", SettingKeys.Arch);
            if (c < 1 || c > 1024) throw new UserInputException($"{where}: map count must be 1..1024; got {c}.", SettingKeys.Arch);
            return new ConvSpec(t, kh, c);
        }
        if ((m = DenseRegex().Match(t)).Success)
        {
            int n = ParseInt(m.Groups[1].Value, where);
            if (n < 1 || n > 65536) throw new UserInputException($"{where}: dense width must be 1..65536; got {n}.", SettingKeys.Arch);
            return new DenseSpec(t, n);
        }
        if (t == "relu") return new ActivationSpec(t, ActivationKind.Relu);
        if (t == "tanh") return new ActivationSpec(t, ActivationKind.Tanh);
        if ((m = PoolRegex().Match(t)).Success)
        {
            int k = ParseInt(m.Groups[2].Value, where);
            if (k < 2 || k > 8) throw new UserInputException($"{where}: pool size must be 2..8; got {k}.", SettingKeys.Arch);
            return new PoolSpec(t, m.Groups[1].Value == "max" ? PoolKind.Max : PoolKind.Avg, k);
        }
        throw new UserInputException($"{where} is not a layer; {Grammar}.", SettingKeys.Arch);
    }

    private static int ParseInt(string s, string where) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v)
            ? v
            : throw new UserInputException($"{where}: number '{s}' is too large.", SettingKeys.Arch);

    [GeneratedRegex(@"^conv(\d+)x(\d+)x(\d+)$")]
    private static partial Regex ConvRegex();

    [GeneratedRegex(@"^dense(\d+)$")]
    private static partial Regex DenseRegex();

    [GeneratedRegex(@"^(max|avg)pool(\d+)$")]
    private static partial Regex PoolRegex();
}
