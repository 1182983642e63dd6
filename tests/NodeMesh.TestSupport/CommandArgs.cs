namespace NodeMesh.TestSupport;

/// <summary>Command lines for tests that start <c>nodemesh</c>.</summary>
public static class CommandArgs
{
    /// <summary>
    /// <paramref name="baseArgs"/> with the options that <paramref name="more"/> gives left out (with
    /// their values), then <paramref name="more"/>: nodemesh refuses an option given twice, so an
    /// override replaces it.
    /// </summary>
    public static string[] Override(string[] baseArgs, params string[] more)
    {
        var given = more.Where(m => m.StartsWith("--", StringComparison.Ordinal)).ToHashSet();
        var kept = new List<string>();
        for (int i = 0; i < baseArgs.Length; i++)
        {
            bool hasValue = i + 1 < baseArgs.Length && !baseArgs[i + 1].StartsWith("--", StringComparison.Ordinal);
            if (given.Contains(baseArgs[i])) { if (hasValue) i++; continue; }
            kept.Add(baseArgs[i]);
        }
        return [.. kept, .. more];
    }
}
