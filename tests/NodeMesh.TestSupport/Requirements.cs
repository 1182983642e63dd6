using Xunit;

namespace NodeMesh.TestSupport;

/// <summary>
/// Tests that need something a fresh machine with only the .NET SDK lacks (the full Debian
/// dataset, Docker, packet capture) call <see cref="Require"/>: without it they are reported
/// skipped with the reason, unless the environment variable that makes them required is "1"
/// (CI sets them), in which case the missing part fails the test.
/// </summary>
public static class Requirements
{
    /// <summary>Set by CI: the full Fashion-MNIST must be installed.</summary>
    public const string FullData = "NODEMESH_REQUIRE_FULL_DATA";

    /// <summary>Set by CI: Docker must be reachable.</summary>
    public const string Docker = "NODEMESH_REQUIRE_DOCKER";

    /// <summary>Set by CI: tshark must capture loopback traffic.</summary>
    public const string Capture = "NODEMESH_REQUIRE_CAPTURE";

    /// <summary>Skips (or, when <paramref name="requiredBy"/> is "1", fails) unless <paramref name="available"/>.</summary>
    public static void Require(bool available, string requiredBy, string reason)
    {
        if (available) return;
        if (Environment.GetEnvironmentVariable(requiredBy) == "1")
            Assert.Fail($"{reason} ({requiredBy}=1 makes this test required)");
        Skip.If(true, $"{reason}; set {requiredBy}=1 to require it");
    }

    /// <summary>The Debian package dataset-fashion-mnist, where <c>--data full</c> reads it.</summary>
    public static void RequireFullData() =>
        Require(Directory.Exists("/usr/share/datasets/fashion-mnist"), FullData,
            "the full Fashion-MNIST is not installed (sudo apt-get install dataset-fashion-mnist)");
}
