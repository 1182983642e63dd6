using System.Globalization;
using NodeMesh.Core;

namespace NodeMesh.Cli;

/// <summary>
/// One option of a command: name, value placeholder (null for a flag), default and help; with
/// <see cref="Env"/>, an environment variable that sets it when the command line does not.
/// </summary>
public sealed record OptionDef(string Name, string? Value, string? Default, string Help, string? Env = null);

/// <summary>A small, strict parser: --name value, --name=value and flags; unknown options are errors with a suggestion.</summary>
public sealed class ParsedArgs
{
    private readonly Dictionary<string, string?> _values;
    private readonly IReadOnlyList<OptionDef> _defs;
    public string Command { get; }

    private ParsedArgs(string command, IReadOnlyList<OptionDef> defs, Dictionary<string, string?> values)
    {
        Command = command; _defs = defs; _values = values;
    }

    public static ParsedArgs Parse(string command, IReadOnlyList<OptionDef> defs, IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string?>();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal))
                throw new UserInputException($"'{a}' is not an option of 'nodemesh {command}'; options start with -- (see 'nodemesh {command} --help').");
            string name = a[2..];
            string? inline = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) { inline = name[(eq + 1)..]; name = name[..eq]; }
            var def = defs.FirstOrDefault(d => d.Name == name);
            if (def is null)
            {
                var near = defs.OrderBy(d => Distance(d.Name, name)).First();
                throw new UserInputException($"unknown option --{name} for 'nodemesh {command}'; did you mean --{near.Name}? (see 'nodemesh {command} --help')");
            }
            if (values.TryGetValue(name, out var earlier))
                throw new UserInputException(def.Value is null
                    ? $"--{name} is given twice; give it once."
                    : $"--{name} is given twice ('{earlier}', then '{inline ?? (i + 1 < args.Count ? args[i + 1] : "")}'); give it once.");
            if (def.Value is null)
            {
                if (inline is not null) throw new UserInputException($"--{name} is a flag and takes no value.");
                values[name] = "true";
                continue;
            }
            if (inline is null)
            {
                if (i + 1 >= args.Count || (args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2))
                    throw new UserInputException($"--{name} needs a value: --{name} {def.Value}.");
                inline = args[++i];
            }
            values[name] = inline;
        }
        return new ParsedArgs(command, defs, values);
    }

    /// <summary>True when the command line gives the option (or its environment variable is set).</summary>
    public bool Has(string name) => _values.ContainsKey(name) || EnvValue(name) is not null;

    /// <summary>The command-line options given (not from the environment) whose name <paramref name="keep"/> accepts, as arguments again.</summary>
    public IReadOnlyList<string> ToArgs(Func<string, bool> keep)
    {
        var args = new List<string>();
        foreach (var (name, value) in _values)
        {
            if (!keep(name)) continue;
            args.Add("--" + name);
            if (_defs.First(d => d.Name == name).Value is not null) args.Add(value ?? "");
        }
        return args;
    }

    /// <summary>True when the command line itself gives the option.</summary>
    public bool Given(string name) => _values.ContainsKey(name);

    private string? EnvValue(string name) =>
        _defs.FirstOrDefault(d => d.Name == name)?.Env is { } env && Environment.GetEnvironmentVariable(env) is { Length: > 0 } v ? v : null;

    public bool Flag(string name) => _values.ContainsKey(name);

    public string? String(string name) => _values.TryGetValue(name, out var v) ? v : EnvValue(name) ?? _defs.First(d => d.Name == name).Default;

    /// <summary>The option as a 64-bit whole number.</summary>
    public long Long(string name)
    {
        string s = String(name) ?? "0";
        return long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v)
            ? v : throw new UserInputException($"--{name} '{s}' is not a whole number{EnvNote(name)}.");
    }

    private string EnvNote(string name) =>
        !_values.ContainsKey(name) && EnvValue(name) is not null ? $" (from {_defs.First(d => d.Name == name).Env})" : "";

    public int Int(string name)
    {
        string s = String(name) ?? "0";
        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v : throw new UserInputException($"--{name} '{s}' is not a whole number{EnvNote(name)}.");
    }

    public float Float(string name)
    {
        string s = String(name) ?? "0";
        return float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) && float.IsFinite(v)
            ? v : throw new UserInputException($"--{name} '{s}' is not a number.");
    }

    public T Choice<T>(string name, params (string Word, T Value)[] choices)
    {
        string s = (String(name) ?? "").ToLowerInvariant();
        foreach (var (w, v) in choices) if (w == s) return v;
        throw new UserInputException($"--{name} '{s}' is not one of: {string.Join(", ", choices.Select(c => c.Word))}.");
    }

    /// <summary>Edit distance, for "did you mean" suggestions.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }

    /// <summary>Formats the option table of a command's help.</summary>
    public static string Help(IReadOnlyList<OptionDef> defs)
    {
        var lines = defs.Select(d => ($"  --{d.Name}{(d.Value is null ? "" : " " + d.Value)}",
            d.Help + (d.Default is null ? "" : $" [default: {d.Default}]") + (d.Env is null ? "" : $" [env: {d.Env}]"))).ToList();
        int w = lines.Max(l => l.Item1.Length) + 2;
        return string.Join('\n', lines.Select(l => l.Item1.PadRight(w) + l.Item2));
    }
}
