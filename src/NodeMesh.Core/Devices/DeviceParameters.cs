using System.Runtime.InteropServices;

namespace NodeMesh.Core.Devices;

/// <summary>
/// The parameters one device drew at construction (see <see cref="DeviceParameterDraw"/>): its own
/// bounds, step sizes and model slopes. Weight units; slopes per weight unit. Kept small and
/// sequential because the per-pulse loop reads it once per burst.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DeviceParameters
{
    /// <summary>b_min and b_max: the device's own bounds (equal for a stuck device).</summary>
    public float BMin, BMax;

    /// <summary>dw_up and dw_down: magnitude of an up / down step at the reference point (weight units).</summary>
    public float DwUp, DwDown;

    /// <summary>
    /// Model slopes. LinearStep: γ↑/w_max and γ↓/|w_min|; SoftBounds: 1/b_max and 1/|b_min|;
    /// ExpStep: SUp = 2a/(b_max − b_min); PowStep: the exponents γ↑ and γ↓.
    /// </summary>
    public float SUp, SDown;

    /// <summary>Stuck (corrupt) device: never moves.</summary>
    public bool Stuck;
}

/// <summary>
/// Everything an array draws once per device at construction (<see cref="DeviceParameterDraw.Draw"/>).
/// The optional arrays are null when their feature is off.
/// </summary>
internal sealed class DrawnDevices(DeviceParameters[] parameters, int stuckCount, float[]? resetBias, float[]? retention, float[]? driftNu)
{
    /// <summary>Per device: bounds, steps, slopes and the stuck flag.</summary>
    public DeviceParameters[] Parameters { get; } = parameters;

    /// <summary>Devices frozen at a fixed value (corrupt_devices_prob).</summary>
    public int StuckCount { get; } = stuckCount;

    /// <summary>One-sided pairs: the value a RESET returns each device to (weight units).</summary>
    public float[]? ResetBias { get; } = resetBias;

    /// <summary>Lifetime: the fraction of (w − reset bias) each device keeps per mini-batch.</summary>
    public float[]? Retention { get; } = retention;

    /// <summary>Drift: each device's exponent ν of w = w0·(t/t0)^(−ν).</summary>
    public float[]? DriftNu { get; } = driftNu;
}
