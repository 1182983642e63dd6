using System.Globalization;
using System.Text.RegularExpressions;

namespace NodeMesh.Core.Model;

/// <summary>Elementwise activation applied after a weighted layer.</summary>
public enum ActivationKind { Relu, Tanh }

/// <summary>Pooling applied after a convolution.</summary>
public enum PoolKind { Max, Avg }

/// <summary>One token of an architecture's layer list (<see cref="ArchSpec"/>).</summary>
public abstract record LayerSpec(string Token);

/// <summary>
/// <c>convKxKxC[sS][pP|psame|pvalid]</c>: K×K kernel, C output maps, stride S (default 1) and
/// zero padding P on every side (default and <c>psame</c>: ⌊K/2⌋, which needs an odd K and keeps the
/// size at stride 1; <c>pvalid</c>: 0). Output side ⌊(H + 2P − K)/S⌋ + 1, as PyTorch's Conv2d.
/// </summary>
public sealed record ConvSpec(string Token, int Kernel, int Maps) : LayerSpec(Token)
{
    /// <summary>Step between neighbouring output positions, in input positions (1..K).</summary>
    public int Stride { get; init; } = 1;

    /// <summary>Zero rows/columns added on each side of the input (0..K−1).</summary>
    public int Padding { get; init; } = Kernel / 2;
}

/// <summary><c>denseN</c>: fully connected layer with N output neurons.</summary>
public sealed record DenseSpec(string Token, int Outputs) : LayerSpec(Token);

/// <summary><c>relu</c> or <c>tanh</c>.</summary>
public sealed record ActivationSpec(string Token, ActivationKind Kind) : LayerSpec(Token);

/// <summary>
/// <c>maxpoolK[sS]</c> or <c>avgpoolK[sS]</c>: K×K window moved by S (default S = K, no overlap;
/// S &lt; K overlaps, as AlexNet's <c>maxpool3s2</c>), no padding, output side ⌊(H − K)/S⌋ + 1 (the
/// floor drops the rows no window reaches). <c>gap</c>: global average pooling, one window over the
/// whole map (<see cref="Global"/>, <see cref="Size"/> 0), output 1×1.
/// </summary>
public sealed record PoolSpec(string Token, PoolKind Kind, int Size) : LayerSpec(Token)
{
    /// <summary>Step between neighbouring windows (1..<see cref="Size"/>; 1 for <c>gap</c>).</summary>
    public int Stride { get; init; } = Math.Max(Size, 1);

    /// <summary>True for <c>gap</c>: the window is the whole input map.</summary>
    public bool Global { get; init; }

    /// <summary>True when windows share rows (window larger than the step, or global).</summary>
    public bool Overlaps => Global || Size > Stride;

    /// <summary>Window rows × columns on an <paramref name="height"/>×<paramref name="width"/> input.</summary>
    public (int Height, int Width) Window(int height, int width) => Global ? (height, width) : (Size, Size);

    /// <summary>Output rows × columns on an <paramref name="height"/>×<paramref name="width"/> input (0 when no window fits).</summary>
    public (int Height, int Width) Output(int height, int width)
    {
        var (kh, kw) = Window(height, width);
        return (height >= kh ? (height - kh) / Stride + 1 : 0, width >= kw ? (width - kw) / Stride + 1 : 0);
    }
}

/// <summary>
/// <c>res(</c>: opens a residual block. The block's input (the output, after its activation and
/// pools, of the weighted layer before it) is added to the pre-activation of the block's last conv.
/// </summary>
public sealed record ResidualBeginSpec() : LayerSpec("res(");

/// <summary>
/// <c>)</c> or <c>;convKxKxC[sS][pP])</c>: closes a residual block. Without a shortcut the block's
/// input is added as it is (identity shortcut: its maps and size must equal the last conv's); with
/// one, the shortcut conv (e.g. ResNet's <c>conv1x1x128s2pvalid</c>) reads the block's input and its
/// output is added instead (a projection shortcut).
/// </summary>
public sealed record ResidualEndSpec(string Token, ConvSpec? Shortcut) : LayerSpec(Token);

/// <summary>
/// A parsed network architecture: a comma-separated list of layer tokens such as
/// <c>conv5x5x16,relu,maxpool2,conv5x5x32,relu,maxpool2,dense10</c>.
/// </summary>
public sealed partial class ArchSpec
{
    /// <summary>The reference network of the design brief.</summary>
    public const string Default = "conv5x5x16,relu,maxpool2,conv5x5x32,relu,maxpool2,dense10";

    private const string Grammar =
        "valid tokens: convKxKxC[sS][pP|psame|pvalid] (e.g. conv5x5x16, conv11x11x64s4p2, conv4x4x8pvalid), denseN (e.g. dense10), relu, tanh, maxpoolK[sS], avgpoolK[sS] (e.g. maxpool2, maxpool3s2), gap, and residual blocks res(conv3x3x16,relu,conv3x3x16) or, with a projection shortcut, res(conv3x3x32s2,relu,conv3x3x32;conv1x1x32s2pvalid)";

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
        // Residual markers become tokens of their own: "res(conv3x3x8" → "res(", "conv3x3x8";
        // "conv3x3x8;conv1x1x8)" → "conv3x3x8", ";conv1x1x8)"; "conv3x3x8)" → "conv3x3x8", ")".
        string normal = text.ToLowerInvariant().Replace("res(", "res(,").Replace(";", ",;");
        normal = ClosingRegex().Replace(normal, m => m.Groups[1].Value.Length > 0 && !m.Groups[1].Value.StartsWith(';') ? m.Groups[1].Value + ",)" : m.Value);
        var tokens = normal.Split(',', StringSplitOptions.TrimEntries);
        var layers = new List<LayerSpec>(tokens.Length);
        bool open = false;
        for (int i = 0; i < tokens.Length; i++)
        {
            string t = tokens[i];
            if (t.Length == 0)
                throw new UserInputException($"'{text}': token {i + 1} is empty (two commas in a row, or an empty res()?); {Grammar}.", SettingKeys.Arch);
            var spec = ParseToken(t, i + 1, text);
            if (spec is ResidualBeginSpec)
            {
                if (open) throw new UserInputException($"'{text}': token {i + 1}: residual blocks cannot nest; close the block with ')' before opening another.", SettingKeys.Arch);
                open = true;
            }
            else if (spec is ResidualEndSpec)
            {
                if (!open) throw new UserInputException($"'{text}': token {i + 1} '{t}' closes a residual block that was never opened with 'res('.", SettingKeys.Arch);
                open = false;
            }
            layers.Add(spec);
        }
        if (open) throw new UserInputException($"'{text}': a residual block opened with 'res(' is never closed; end it with ')' after its last conv.", SettingKeys.Arch);
        return new ArchSpec(Canonical(layers), layers);
    }

    /// <summary>Tokens joined by commas, with no comma after <c>res(</c> or before a block's end.</summary>
    private static string Canonical(IReadOnlyList<LayerSpec> layers)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < layers.Count; i++)
        {
            if (i > 0 && layers[i - 1] is not ResidualBeginSpec && layers[i] is not ResidualEndSpec) sb.Append(',');
            sb.Append(layers[i].Token);
        }
        return sb.ToString();
    }

    private static LayerSpec ParseToken(string t, int position, string text)
    {
        string where = $"'{text}': token {position} '{t}'";
        Match m;
        if ((m = ConvRegex().Match(t)).Success)
        {
            int kh = ParseInt(m.Groups[1].Value, where), kw = ParseInt(m.Groups[2].Value, where), c = ParseInt(m.Groups[3].Value, where);
            if (kh != kw) throw new UserInputException($"{where}: kernels must be square (KxK); got {kh}x{kw}.", SettingKeys.Arch);
            if (kh < 1 || kh > 15) throw new UserInputException($"{where}: kernel size must be 1..15; got {kh}.", SettingKeys.Arch);
            if (c < 1 || c > 1024) throw new UserInputException($"{where}: map count must be 1..1024; got {c}.", SettingKeys.Arch);
            int stride = m.Groups[4].Success ? ParseInt(m.Groups[4].Value, where) : 1;
            // At most the kernel, so that no input is skipped; a 1x1 conv may also take stride 2 (ResNet's shortcuts).
            int maxStride = Math.Max(kh, 2);
            if (stride < 1 || stride > maxStride)
                throw new UserInputException($"{where}: stride must be 1..{maxStride} (at most the kernel, or 2 for a 1x1 conv, as in ResNet's shortcuts); got {stride}.", SettingKeys.Arch);
            string padText = m.Groups[5].Success ? m.Groups[5].Value : "same";
            int pad;
            if (padText == "same")
            {
                if (kh % 2 == 0) throw new UserInputException($"{where}: kernel size must be odd for same padding; got {kh} (give the padding, e.g. p{kh / 2} or pvalid).", SettingKeys.Arch);
                pad = kh / 2;
            }
            else if (padText == "valid") pad = 0;
            else
            {
                pad = ParseInt(padText, where);
                if (pad > kh - 1) throw new UserInputException($"{where}: padding must be 0..{kh - 1} (less than the kernel); got {pad}.", SettingKeys.Arch);
            }
            return new ConvSpec(t, kh, c) { Stride = stride, Padding = pad };
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
            int stride = m.Groups[3].Success ? ParseInt(m.Groups[3].Value, where) : k;
            if (stride < 1 || stride > k)
                throw new UserInputException($"{where}: pool stride must be 1..{k} (at most the window); got {stride}.", SettingKeys.Arch);
            return new PoolSpec(t, m.Groups[1].Value == "max" ? PoolKind.Max : PoolKind.Avg, k) { Stride = stride };
        }
        if (t == "gap") return new PoolSpec(t, PoolKind.Avg, 0) { Stride = 1, Global = true };
        if (t == "res(") return new ResidualBeginSpec();
        if (t == ")") return new ResidualEndSpec(t, null);
        if (t.StartsWith(';'))
        {
            string inner = t.EndsWith(')') ? t[1..^1] : t[1..];
            if (!t.EndsWith(')') || inner.Length == 0)
                throw new UserInputException($"{where}: a shortcut is written ';convKxKxC[sS][pP])' at the very end of its block, e.g. res(conv3x3x32s2,relu,conv3x3x32;conv1x1x32s2pvalid).", SettingKeys.Arch);
            if (ParseToken(inner, position, text) is not ConvSpec shortcut)
                throw new UserInputException($"{where}: the shortcut of a residual block must be a conv (e.g. conv1x1x32s2pvalid); got '{inner}'.", SettingKeys.Arch);
            return new ResidualEndSpec(t, shortcut);
        }
        throw new UserInputException($"{where} is not a layer; {Grammar}.", SettingKeys.Arch);
    }

    private static int ParseInt(string s, string where) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v)
            ? v
            : throw new UserInputException($"{where}: number '{s}' is too large.", SettingKeys.Arch);

    [GeneratedRegex(@"^conv(\d+)x(\d+)x(\d+)(?:s(\d+))?(?:p(\d+|same|valid))?$")]
    private static partial Regex ConvRegex();

    // A token's closing parenthesis: "x)" or ";conv…)" (the latter stays whole, it is the shortcut).
    [GeneratedRegex(@"([^,()]*)\)")]
    private static partial Regex ClosingRegex();

    [GeneratedRegex(@"^dense(\d+)$")]
    private static partial Regex DenseRegex();

    [GeneratedRegex(@"^(max|avg)pool(\d+)(?:s(\d+))?$")]
    private static partial Regex PoolRegex();
}
