using System.Collections.Concurrent;
using System.Text;

namespace NodeMesh.Cluster.Transport;

/// <summary>
/// Turns a NodeMesh manifest, as UTF-8 bytes inside a frame, into its counter key
/// (<c>nodemesh:&lt;manifest&gt;</c>) without allocating once the manifest has been seen: the bytes
/// are decoded into a stack buffer and looked up through the dictionary's span lookup.
/// The number of distinct keys is capped so that a misbehaving peer cannot grow it without bound.
/// </summary>
internal sealed class ManifestKeyCache
{
    /// <summary>Most distinct manifests given their own key; NodeMesh has a few dozen.</summary>
    public const int MaxKeys = 512;

    /// <summary>Key of the manifests seen after <see cref="MaxKeys"/> distinct ones.</summary>
    public const string OverflowKey = WireKeys.NodeMeshPrefix + "(other)";

    // Longest manifest decoded on the stack; NodeMesh manifests are two characters.
    private const int StackLimit = 128;

    private readonly ConcurrentDictionary<string, string> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    public ManifestKeyCache() => _bySpan = _keys.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The key of a manifest; the same string instance every time for the same bytes.</summary>
    public string KeyFor(ReadOnlySpan<byte> manifest)
    {
        // A UTF-8 decode never yields more chars than bytes; invalid sequences become U+FFFD.
        Span<char> chars = manifest.Length <= StackLimit ? stackalloc char[manifest.Length] : new char[manifest.Length];
        int length = Encoding.UTF8.GetChars(manifest, chars);
        var name = chars[..length];
        if (_bySpan.TryGetValue(name, out var key)) return key;
        return Add(new string(name));
    }

    private string Add(string manifest)
    {
        // Count locks the dictionary, which is fine here: this runs once per distinct manifest.
        if (_keys.Count >= MaxKeys) return OverflowKey;
        return _keys.GetOrAdd(manifest, static m => WireKeys.NodeMeshPrefix + m);
    }
}
