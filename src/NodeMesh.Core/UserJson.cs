using System.Text.Json;

namespace NodeMesh.Core;

/// <summary>Parses JSON files written by users (comments and trailing commas allowed).</summary>
public static class UserJson
{
    /// <summary>Parses <paramref name="json"/>; a syntax error becomes a <see cref="UserInputException"/> naming <paramref name="source"/>.</summary>
    public static JsonDocument Parse(string json, string source)
    {
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new UserInputException($"{source}: not valid JSON ({e.Message}).");
        }
    }
}
