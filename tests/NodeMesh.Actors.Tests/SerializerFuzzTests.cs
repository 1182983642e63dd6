using System.Runtime.Serialization;
using Akka.TestKit.Xunit2;
using NodeMesh.Actors.Messages;
using NodeMesh.Actors.Serialization;

namespace NodeMesh.Actors.Tests;

/// <summary>
/// Hostile bytes on the wire: for every manifest, random, truncated, bit-flipped and
/// length-inflated inputs (seeded, bounded budget) must give either a message or a
/// <see cref="SerializationException"/> — which Akka drops and logs — and never another
/// exception, a hang, or an allocation out of proportion to the input.
/// </summary>
public sealed class SerializerFuzzTests() : TestKit(NodeMeshConfig.Local())
{
    private const int InputsPerManifest = 600;

    /// <summary>Hand-made inputs aimed at each check the serializer makes (manifest, hex); each must be refused.</summary>
    public static TheoryData<string, string> Regressions => new()
    {
        { "fs", "1a0a08ffffffff0f10ffffffff0f18ffffffff0f28ffffffff0f" },   // negative grid dimensions
        { "fs", "1a0f0880808001108080800118040808" },                       // dimensions far beyond the data
        { "ap", "3203010203" },                                             // 3 bytes: not float32 values
        { "sp", "3005" },                                                   // sync kind out of range
        { "br", "0a0788010592010178" },                                     // run spec with bad enums
        { "cp", "0a0201021200" },                                           // positions and routes differ in number
    };

    private NodeMeshSerializer Serializer => (NodeMeshSerializer)Sys.Serialization.FindSerializerFor(new Prepare());

    private static void Check(NodeMeshSerializer s, byte[] input, string manifest)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            s.FromBinary(input, manifest);
        }
        catch (SerializationException)
        {
            // the only acceptable failure
        }
        catch (Exception e)
        {
            Assert.Fail($"manifest '{manifest}', input {Convert.ToHexString(input)}: {e.GetType().Name}: {e.Message}");
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 256 * 1024 + 64L * input.Length, $"manifest '{manifest}': {allocated} bytes allocated for a {input.Length}-byte input {Convert.ToHexString(input)}");
    }

    [Theory]
    [MemberData(nameof(Regressions))]
    public void Inputs_aimed_at_each_check_are_refused_with_a_serialization_error(string manifest, string hex)
    {
        Check(Serializer, Convert.FromHexString(hex), manifest);
        Assert.Throws<SerializationException>(() => Serializer.FromBinary(Convert.FromHexString(hex), manifest));
    }

    [Fact]
    public void Random_truncated_flipped_and_inflated_bytes_for_every_manifest_raise_only_serialization_errors()
    {
        var s = Serializer;
        var rng = new Random(20261201);
        using var other = new SerializerTests();
        var samples = other.SamplesForFuzzing();
        foreach (var manifest in s.Manifests.Values.OrderBy(m => m, StringComparer.Ordinal))
        {
            var valid = samples.Where(m => s.Manifest(m) == manifest).Select(s.ToBinary).ToList();
            for (int i = 0; i < InputsPerManifest; i++)
            {
                byte[] input;
                var seed = valid.Count > 0 ? valid[rng.Next(valid.Count)] : [];
                switch (i % 4)
                {
                    case 0: // random bytes
                        input = new byte[rng.Next(0, 64)];
                        rng.NextBytes(input);
                        break;
                    case 1: // a valid message cut short
                        input = seed.Length == 0 ? [] : seed[..rng.Next(seed.Length)];
                        break;
                    case 2: // a valid message with flipped bits
                        input = (byte[])seed.Clone();
                        for (int f = 0; f < 1 + rng.Next(4) && input.Length > 0; f++) input[rng.Next(input.Length)] ^= (byte)(1 << rng.Next(8));
                        break;
                    default: // a valid message with a byte set to 0xFF (inflates varints and length prefixes)
                        input = (byte[])seed.Clone();
                        if (input.Length > 0) input[rng.Next(input.Length)] = 0xFF;
                        break;
                }
                Check(s, input, manifest);
            }
        }
    }

    [Fact]
    public void A_length_prefix_far_beyond_the_input_allocates_nothing_like_it()
    {
        // Field 6 (data) of ActivationsProduced claiming 2 GiB, followed by 3 bytes.
        var input = new byte[] { 0x32, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 1, 2, 3 };
        Check(Serializer, input, "ap");
        Assert.Throws<SerializationException>(() => Serializer.FromBinary(input, "ap"));
    }
}
