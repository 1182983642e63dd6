using System.Text;
using System.Text.RegularExpressions;
using NodeMesh.Core.Training;
using NodeMesh.TestSupport;

namespace NodeMesh.Core.Tests;

/// <summary>
/// Core's user errors name settings by neutral key (<see cref="UserInputException.Setting"/>) and
/// never by a command-line flag: the CLI owns its flag names.
/// </summary>
public sealed partial class UserInputExceptionTests
{
    public static TheoryData<TrainOptions, string, string> BadTrainOptions => new()
    {
        { new TrainOptions(Epochs: 0), SettingKeys.Epochs, "0: train at least 1 epoch." },
        { new TrainOptions(Batch: 4097), SettingKeys.Batch, "4097: the batch size must be 1..4096." },
        { new TrainOptions(LearningRate: -1f), SettingKeys.LearningRate, "-1: the learning rate must be a positive number." },
        { new TrainOptions(LearningRate: float.PositiveInfinity), SettingKeys.LearningRate, "Infinity: the learning rate must be a positive number." },
        { new TrainOptions(TrainLimit: -2), SettingKeys.TrainLimit, "-2: give a positive number of samples, or 0 for all." },
        { new TrainOptions(TestLimit: -3), SettingKeys.TestLimit, "-3: give a positive number of samples, or 0 for all." },
        { new TrainOptions(EvalBatch: 0), SettingKeys.EvalBatch, "0: must be 1..4096." },
        { new TrainOptions(Strategy: new(Every: 0)), SettingKeys.Every, "0: the period must be a whole number of steps >= 1." },
    };

    [Theory]
    [MemberData(nameof(BadTrainOptions))]
    public void Bad_train_options_name_the_setting_and_start_the_message_with_the_value(TrainOptions options, string setting, string message)
    {
        var e = Assert.Throws<UserInputException>(() => options.Validate());
        Assert.Equal(setting, e.Setting);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void An_error_without_a_setting_can_be_attributed_to_one_keeping_its_message()
    {
        var plain = new UserInputException("x.json: unknown field 'a'.");
        Assert.Null(plain.Setting);
        var attributed = plain.ForSetting(SettingKeys.Energy);
        Assert.Equal(SettingKeys.Energy, attributed.Setting);
        Assert.Equal(plain.Message, attributed.Message);
        Assert.Same(plain, attributed.InnerException);
    }

    [Fact]
    public void An_error_that_names_a_setting_keeps_it()
    {
        var e = new UserInputException("0: train at least 1 epoch.", SettingKeys.Epochs);
        Assert.Same(e, e.ForSetting(SettingKeys.Device));
    }

    [Fact]
    public void Setting_keys_are_lower_case_words_joined_by_hyphens_and_distinct()
    {
        var keys = typeof(SettingKeys).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, k => Assert.Matches("^[a-z]+(-[a-z]+)*$", k));
        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
    }

    /// <summary>A flag: "--" then a letter, not glued to a word or to more dashes before it.</summary>
    [GeneratedRegex(@"(?<![\w-])--[A-Za-z]")]
    private static partial Regex FlagPattern();

    [Fact]
    public void No_string_literal_in_Core_names_a_command_line_flag()
    {
        string core = Path.Combine(Repository.Root(), "src", "NodeMesh.Core");
        var files = Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(d => d is "obj" or "bin"))
            .ToList();
        Assert.True(files.Count > 50, $"expected Core's sources under {core}, found {files.Count} files");
        var offenders = new List<string>();
        foreach (var file in files)
            foreach (var (line, text) in StringLiterals(File.ReadAllText(file)))
                if (FlagPattern().IsMatch(text))
                    offenders.Add($"{Path.GetRelativePath(core, file)}:{line}: \"{text}\"");
        Assert.True(offenders.Count == 0,
            "Core must not know the CLI's flag names: throw new UserInputException(message, SettingKeys.X) and let the CLI " +
            "(UserErrors) name the flag. Literals naming a flag:\n" + string.Join('\n', offenders));
    }

    [Theory]
    [InlineData("""throw new UserInputException("--epochs 0");""", true)]
    [InlineData("""throw new UserInputException($"{x}: or omit --data");""", true)]
    [InlineData("""var s = @"use --tile";""", true)]
    [InlineData("""var s = $"{(a ? "x" : "y")} then --mix";""", true)]
    [InlineData("var s = $@\"{a}\n    --every\";", true)]
    [InlineData("""var s = $"{(a ? "--fanout" : "y")}";""", true)]
    [InlineData("""var s = "a"; // see --arch""", false)]
    [InlineData("""/// <summary>The <c>--data</c> value.</summary>""", false)]
    [InlineData("""/* --data */ int i = 3; i--; --i; var s = "a--b -- c";""", false)]
    [InlineData("""char c = '"'; var s = "\"quoted\" text";""", false)]
    [InlineData("""var s = "{{--x}}";""", true)]
    public void The_literal_scanner_finds_flags_in_strings_only(string source, bool flagged) =>
        Assert.Equal(flagged, StringLiterals(source).Any(l => FlagPattern().IsMatch(l.Text)));

    /// <summary>
    /// The contents of the string literals of C# <paramref name="source"/> (regular, verbatim,
    /// interpolated, raw), each with the line it starts on; comments, char literals and the code in
    /// interpolation holes are skipped, strings nested in holes are returned on their own.
    /// </summary>
    private static List<(int Line, string Text)> StringLiterals(string source)
    {
        var found = new List<(int, string)>();
        int i = 0, line = 1;
        Scan(source, ref i, ref line, found, holeDepth: 0);
        return found;
    }

    /// <summary>Scans code until the end, or (inside an interpolation hole) until its closing brace.</summary>
    private static void Scan(string s, ref int i, ref int line, List<(int, string)> found, int holeDepth)
    {
        int braces = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (c == '\n') { line++; i++; }
            else if (c == '/' && At(s, i + 1) == '/') { while (i < s.Length && s[i] != '\n') i++; }
            else if (c == '/' && At(s, i + 1) == '*')
            {
                i += 2;
                while (i < s.Length && !(s[i] == '*' && At(s, i + 1) == '/')) { if (s[i] == '\n') line++; i++; }
                i += 2;
            }
            else if (c == '\'')
            {
                i++;
                while (i < s.Length && s[i] != '\'') i += s[i] == '\\' ? 2 : 1;
                i++;
            }
            else if (c is '"' or '$' or '@' && StringStart(s, i) is { } start)
            {
                i = start.Quote;
                ReadString(s, ref i, ref line, found, start.Dollars, start.Verbatim);
            }
            else if (holeDepth > 0 && c == '{') { braces++; i++; }
            else if (holeDepth > 0 && c == '}')
            {
                if (braces == 0) { i++; return; }
                braces--; i++;
            }
            else i++;
        }
    }

    private static char At(string s, int i) => i < s.Length ? s[i] : '\0';

    /// <summary>A string literal's prefix at <paramref name="i"/>: its <c>$</c> count, <c>@</c>, and where its first quote is.</summary>
    private static (int Dollars, bool Verbatim, int Quote)? StringStart(string s, int i)
    {
        if (s[i] != '"' && i > 0 && (char.IsLetterOrDigit(s[i - 1]) || s[i - 1] == '_')) return null; // not a prefix but part of a name
        int j = i, dollars = 0;
        bool verbatim = false;
        while (j < s.Length && (s[j] == '$' || s[j] == '@'))
        {
            if (s[j] == '$') dollars++; else verbatim = true;
            j++;
        }
        return At(s, j) == '"' ? (dollars, verbatim, j) : null;
    }

    /// <summary>Reads one literal whose opening quote is at <paramref name="i"/>; leaves <paramref name="i"/> after it.</summary>
    private static void ReadString(string s, ref int i, ref int line, List<(int, string)> found, int dollars, bool verbatim)
    {
        int quotes = 0;
        while (At(s, i + quotes) == '"') quotes++;
        bool raw = quotes >= 3 && !verbatim; // @""" is a verbatim string that starts with a quote
        if (!raw) quotes = 1;
        int startLine = line;
        i += quotes;
        var text = new StringBuilder();
        while (i < s.Length)
        {
            char c = s[i];
            if (c == '\n') line++;
            if (raw && c == '"' && string.CompareOrdinal(s, i, new string('"', quotes), 0, quotes) == 0) { i += quotes; break; }
            if (!raw && c == '"')
            {
                if (verbatim && At(s, i + 1) == '"') { text.Append('"'); i += 2; continue; }
                i++;
                break;
            }
            if (!raw && !verbatim && c == '\\') { text.Append(c).Append(At(s, i + 1)); i += 2; continue; }
            if (dollars > 0 && c == '{')
            {
                int run = 0;
                while (At(s, i + run) == '{') run++;
                if (!raw)
                {
                    // "{{" is a literal brace; an odd one left over opens a hole.
                    text.Append('{', run / 2);
                    i += run - run % 2;
                    if (run % 2 == 0) continue;
                    i++;
                }
                else if (run < dollars) { text.Append('{', run); i += run; continue; }
                else { text.Append('{', run - dollars); i += run; }
                // An interpolation hole: code up to its closing brace (strings inside are literals of their own).
                text.Append(' ');
                Scan(s, ref i, ref line, found, holeDepth: 1);
                continue;
            }
            if (dollars > 0 && !raw && c == '}' && At(s, i + 1) == '}') { text.Append('}'); i += 2; continue; }
            text.Append(c);
            i++;
        }
        found.Add((startLine, text.ToString()));
    }
}
