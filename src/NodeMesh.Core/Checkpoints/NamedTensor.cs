using System.Runtime.InteropServices;

namespace NodeMesh.Core.Checkpoints;

/// <summary>
/// A named float32 tensor of a checkpoint: <paramref name="Data"/> holds the elements in row-major order
/// and its length must equal the product of <paramref name="Shape"/> (1 for a scalar, <c>Shape = []</c>).
/// The arrays are not copied. Equality compares the arrays by reference (use <see cref="ContentEquals"/>
/// to compare values).
/// </summary>
public sealed record NamedTensor(string Name, int[] Shape, float[] Data)
{
    public string Name { get; } = CheckName(Name);

    public int[] Shape { get; } = CheckShape(Name, Shape);

    public float[] Data { get; } = CheckData(Name, Shape, Data);

    /// <summary>Number of elements (the product of the shape).</summary>
    public int Count => Data.Length;

    /// <summary>True when the names, shapes and element bit patterns are equal.</summary>
    public bool ContentEquals(NamedTensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Name == other.Name
            && Shape.AsSpan().SequenceEqual(other.Shape)
            && MemoryMarshal.AsBytes(Data.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(other.Data.AsSpan()));
    }

    /// <summary>Product of the dimensions; -1 when a dimension is negative or the product exceeds the largest array length.</summary>
    internal static long ElementCount(ReadOnlySpan<long> shape)
    {
        foreach (long d in shape)
        {
            if (d < 0)
            {
                return -1;
            }
            if (d == 0)
            {
                return 0;
            }
        }
        long count = 1;
        foreach (long d in shape)
        {
            if (d > Array.MaxLength || count * d > Array.MaxLength)
            {
                return -1;
            }
            count *= d;
        }
        return count;
    }

    private static string CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == SafeTensorsFile.MetadataKey)
        {
            throw new ArgumentException($"tensor name {SafeTensorsFile.MetadataKey} is reserved for metadata", nameof(name));
        }
        return name;
    }

    private static int[] CheckShape(string name, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        foreach (int d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape)}] has a negative dimension", nameof(shape));
            }
        }
        return shape;
    }

    private static float[] CheckData(string name, int[] shape, float[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        long expected = ElementCount(Array.ConvertAll(shape, d => (long)d));
        if (expected != data.Length)
        {
            throw new ArgumentException(
                $"tensor '{name}': shape [{string.Join(", ", shape)}] holds " +
                (expected < 0 ? "more elements than an array can" : $"{expected} elements") + $" but Data has {data.Length}",
                nameof(data));
        }
        return data;
    }
}
