using System.Globalization;
using System.Text;
using System.Text.Json;

namespace NodeMesh.Core.Fabric;

/// <summary>One number field of a JSON model file (<see cref="NumberFields{T}"/>).</summary>
/// <param name="Name">The snake_case JSON name.</param>
/// <param name="Unit">What the number counts, for error messages ("pJ", "ns", "cycles").</param>
/// <param name="Positive">True when 0 is not allowed either.</param>
/// <param name="Get">Reads the field of a model.</param>
/// <param name="Set">A copy of a model with the field replaced.</param>
public sealed record NumberField<T>(string Name, string Unit, bool Positive, Func<T, double> Get, Func<T, double, T> Set);

/// <summary>
/// The JSON form shared by the fabric's model files (the energy model, the latency model): an
/// object of number fields, each optional (left out keeps its default), unknown or repeated fields
/// refused, negative values refused, with one-line errors that name the file, the field and what
/// is allowed.
/// </summary>
/// <param name="What">The model's name in errors ("energy model").</param>
/// <param name="Setting">The setting the errors are about (<see cref="SettingKeys"/>).</param>
/// <param name="Default">The model every file starts from.</param>
/// <param name="Fields">Every field, in file order.</param>
/// <param name="Negative">The end of the error for a negative value of a field ("an energy cannot be negative").</param>
public sealed record NumberFields<T>(string What, string Setting, T Default, IReadOnlyList<NumberField<T>> Fields, Func<NumberField<T>, string> Negative)
{
    /// <summary>The JSON field names, in file order.</summary>
    public IReadOnlyList<string> Names { get; } = Fields.Select(f => f.Name).ToArray();

    /// <summary>Reads a model from a JSON file; throws <see cref="UserInputException"/> about <see cref="Setting"/>, naming the file and any bad field.</summary>
    public T Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UserInputException($"'{path}': cannot read the {What} ({e.Message}); give a JSON file with fields {string.Join(", ", Names)}.", Setting);
        }
        try { return Parse(text, $"'{path}'"); }
        catch (UserInputException e) { throw e.ForSetting(Setting); }
    }

    /// <summary>Parses a model from JSON (comments and trailing commas allowed); <paramref name="source"/> names the input in errors.</summary>
    public T Parse(string json, string source)
    {
        JsonDocument doc = UserJson.Parse(json, source);
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new UserInputException($"{source}: expected a JSON object with fields {string.Join(", ", Names)}; got {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}.");
            var props = doc.RootElement.EnumerateObject().ToList();
            var unknown = props.Select(p => p.Name).Where(n => !Names.Contains(n)).Distinct().ToList();
            if (unknown.Count > 0)
                throw new UserInputException($"{source}: unknown field{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(n => $"'{n}'"))}; valid fields: {string.Join(", ", Names)}.");
            var duplicate = props.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null)
                throw new UserInputException($"{source}: field '{duplicate.Key}' is given more than once.");
            var model = Default;
            foreach (var p in props)
            {
                var field = Fields.First(f => f.Name == p.Name);
                if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetDouble(out double v) || !double.IsFinite(v))
                    throw new UserInputException($"{source}: field '{p.Name}' must be a number of {field.Unit}; got {p.Value.GetRawText()}.");
                string shown = v.ToString(CultureInfo.InvariantCulture);
                if (field.Positive && v <= 0)
                    throw new UserInputException($"{source}: field '{p.Name}' is {shown}; it must be greater than 0 {field.Unit}.");
                if (v < 0)
                    throw new UserInputException($"{source}: field '{p.Name}' is {shown}; {Negative(field)}.");
                model = field.Set(model, v);
            }
            return model;
        }
    }

    /// <summary><paramref name="model"/> as an indented JSON object with every field.</summary>
    public string ToJson(T model)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            foreach (var f in Fields) w.WriteNumber(f.Name, f.Get(model));
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
