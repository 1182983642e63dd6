using System.Runtime.CompilerServices;
using NodeMesh.Core.Units;

namespace NodeMesh.Core.Devices;

/// <summary>
/// Walks one sample's inputs in device order through the runs of a patch, then the bias input 1
/// (when implicit), then zeros (padding of the last chunk of eight). Device order across run
/// boundaries keeps the pulse-train random stream independent of the patch geometry. A mutable
/// struct: keep it in a local.
/// </summary>
internal struct PatchCursor(PatchGeometry g, int batch, int sample, bool implicitBias)
{
    /// <summary>The run the cursor is in (= RunCount once the patch rows are exhausted).</summary>
    public int Run;

    /// <summary>The position within the current run.</summary>
    public int Offset;

    /// <summary>The buffer index of the next input (row·batch + sample).</summary>
    public nint Index = (nint)g.FirstRow * batch + sample;

    private bool _biasPending = implicitBias;

    /// <summary>Inputs of the sample: the patch rows, plus one for an implicit bias.</summary>
    public readonly int Total = g.Rows + (implicitBias ? 1 : 0);

    /// <summary>Advances <paramref name="n"/> inputs within the current run (which must hold them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Skip(int n)
    {
        Offset += n;
        Index += (nint)n * batch;
        if (Offset == g.RunLength) NextRun();
    }

    private void NextRun()
    {
        Run++;
        Offset = 0;
        Index = (nint)(g.FirstRow + Run * g.RunStride) * batch + sample;
    }

    /// <summary>The next input from buffer <paramref name="x"/>: a patch value, then the bias 1, then 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Next(ref float x)
    {
        if (Run < g.RunCount)
        {
            float v = Unsafe.Add(ref x, Index);
            Skip(1);
            return v;
        }
        if (_biasPending)
        {
            _biasPending = false;
            return 1f;
        }
        return 0f;
    }
}
