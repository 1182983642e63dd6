namespace NodeMesh.Core.Devices;

/// <summary>
/// aihwkit's one-sided refresh (refresh_every = 1 mini-batch): up-only pairs drift towards
/// saturation as both devices climb, so at the end of each mini-batch every pair is read (counted)
/// and, with g_hi the larger and g_lo the smaller device, refreshed when g_hi &gt;
/// refresh_upper_thres·w_max and g_lo &gt; refresh_lower_thres·w_max: both devices are reset and
/// the pair's previous value is programmed back (closed loop, <see cref="ProgramAndVerify"/>).
/// Only for one-sided arrays.
/// </summary>
internal sealed class PairRefresh
{
    private readonly DeviceCells _cells;
    private readonly ProgramAndVerify _program;
    private readonly float _refreshUpper, _refreshLower; // thresholds in weight units

    /// <summary>Refresh of <paramref name="cells"/>' pairs, re-programmed through <paramref name="program"/>.</summary>
    public PairRefresh(DeviceConfig config, DeviceCells cells, ProgramAndVerify program)
    {
        _cells = cells;
        _program = program;
        _refreshUpper = (float)(config.RefreshUpperThres * config.WMax);
        _refreshLower = (float)(config.RefreshLowerThres * config.WMax);
    }

    /// <summary>Checks every pair and refreshes those past both thresholds (counted in Refreshes).</summary>
    public void Run()
    {
        var c = _cells;
        c.Reads += c.DeviceCount;
        float[] g = c.ApparentWeights ?? c.Weights;
        for (int j = 0; j < c.Length; j++)
        {
            float wp = g[2 * j], wm = g[2 * j + 1];
            // Cheap pre-check: a refresh needs both devices above the lower threshold.
            if (wp <= _refreshLower || wm <= _refreshLower) continue;
            bool refresh = wp > wm ? wp > _refreshUpper : wm > _refreshUpper;
            if (!refresh) continue;
            c.Refreshes++;
            c.Reset(2 * j);
            c.Reset(2 * j + 1);
            _program.ProgramPair(j, wp - wm);
        }
    }
}
