using System.Runtime.CompilerServices;
using NodeMesh.Core.Tiles;

namespace NodeMesh.Tests;

/// <summary>
/// Turns on the piece pool's ownership checks in every test assembly, and in every process a test
/// starts: an array given back twice throws, and one read after it was given back reads NaN. The
/// pool is process-wide, so without this one test's misuse corrupts another test's arrays, far from
/// its cause and only when the two happen to run at the same time.
/// </summary>
internal static class PoolChecking
{
#pragma warning disable CA2255 // a test assembly's own set-up, before any test runs
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Enable()
    {
        PieceBuffers.Checking = true;
        Environment.SetEnvironmentVariable(PieceBuffers.CheckingVariable, "1");
    }
}
