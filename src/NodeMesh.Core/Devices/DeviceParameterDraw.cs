namespace NodeMesh.Core.Devices;

/// <summary>
/// Device-to-device variation: draws every device's parameters once from the array's seed. Each
/// quantity has its own random stream derived from the seed (<see cref="DeviceRng.Derive"/>), so
/// switching one feature on (corruption, one-sided reset, lifetime, drift) never changes the draws
/// of another, and the same seed and configuration always give the same devices.
/// </summary>
internal static class DeviceParameterDraw
{
    /// <summary>Stream of bounds, steps and model slopes.</summary>
    public const ulong ParameterStream = 1;

    /// <summary>Stream of the corrupt (stuck) devices and their frozen values.</summary>
    public const ulong CorruptionStream = 2;

    /// <summary>Stream of the one-sided reset values.</summary>
    public const ulong ResetStream = 3;

    /// <summary>Stream of the lifetime retention factors.</summary>
    public const ulong LifetimeStream = 4;

    /// <summary>Stream of the drift exponents.</summary>
    public const ulong DriftStream = 5;

    /// <summary>
    /// A per-unit seed: mixes the run seed, the layer index and the unit's global index, so that
    /// every unit draws different devices and a rerun with the same seed draws the same ones.
    /// </summary>
    public static long UnitSeed(long runSeed, int layer, int unit) =>
        (long)DeviceRng.Derive(DeviceRng.Derive((ulong)runSeed, (ulong)(uint)layer + 1), (ulong)(uint)unit + 1);

    /// <summary>
    /// Draws <paramref name="deviceCount"/> devices of <paramref name="config"/> from
    /// <paramref name="seed"/>: parameters, then (when configured) corruption, reset values,
    /// lifetime retention and drift exponents, each from its own stream.
    /// </summary>
    public static DrawnDevices Draw(DeviceConfig config, int deviceCount, long seed)
    {
        ulong s = (ulong)seed;
        var p = new DeviceParameters[deviceCount];
        DrawParameters(config, p, new DeviceRng(DeviceRng.Derive(s, ParameterStream)));
        int stuck = config.CorruptDevicesProb > 0 ? Corrupt(config, p, new DeviceRng(DeviceRng.Derive(s, CorruptionStream))) : 0;
        float[]? resetBias = config.OneSided ? ResetValues(config, deviceCount, new DeviceRng(DeviceRng.Derive(s, ResetStream))) : null;
        float[]? retention = config.Lifetime > 0 ? Retention(config, deviceCount, new DeviceRng(DeviceRng.Derive(s, LifetimeStream))) : null;
        float[]? nu = config.DriftNu > 0 ? DriftExponents(config, deviceCount, new DeviceRng(DeviceRng.Derive(s, DriftStream))) : null;
        return new DrawnDevices(p, stuck, resetBias, retention, nu);
    }

    /// <summary>
    /// Bounds b = w·(1 + dtod·ξ) clamped to their side of 0; steps |bias + gain ± r|·dw_min with
    /// gain = 1 + dw_min_dtod·ξ and asymmetry r = up_down_dtod·ξ; then the model's slopes (PowStep:
    /// |γ·(bias + 1 + pow_gamma_dtod·ξ ± pow_up_down_dtod·ξ)| with the biases of pow_up_down taken
    /// like those of up_down). The draw order per device is part of the reproducible behaviour.
    /// </summary>
    internal static void DrawParameters(DeviceConfig c, Span<DeviceParameters> devices, DeviceRng rng)
    {
        double upBias = Math.Min(c.UpDown, 0), downBias = -Math.Max(c.UpDown, 0);
        double powUpBias = Math.Min(c.PowUpDown, 0), powDownBias = -Math.Max(c.PowUpDown, 0);
        for (int d = 0; d < devices.Length; d++)
        {
            ref var p = ref devices[d];
            double bMax = Math.Max(0, c.WMax * (1 + c.WMaxDtod * rng.NextNormal()));
            double bMin = Math.Min(0, c.WMin * (1 + c.WMinDtod * rng.NextNormal()));
            double gain = 1 + c.DwMinDtod * rng.NextNormal();
            double r = c.UpDownDtod * rng.NextNormal();
            p.BMax = (float)bMax;
            p.BMin = (float)bMin;
            p.DwUp = (float)(Math.Abs(upBias + gain + r) * c.DwMin);
            p.DwDown = (float)(Math.Abs(downBias + gain - r) * c.DwMin);
            switch (c.Model)
            {
                case DeviceModel.LinearStep:
                    double gu = Math.Abs(c.EffectiveGammaUp + c.GammaUpDtod * rng.NextNormal());
                    double gd = Math.Abs(c.EffectiveGammaDown + c.GammaDownDtod * rng.NextNormal());
                    p.SUp = c.WMax > 0 ? (float)(gu / c.WMax) : 0f;
                    p.SDown = c.WMin < 0 ? (float)(gd / -c.WMin) : 0f;
                    break;
                case DeviceModel.SoftBounds:
                    p.SUp = bMax > 0 ? (float)(1 / bMax) : 0f;
                    p.SDown = bMin < 0 ? (float)(1 / -bMin) : 0f;
                    break;
                case DeviceModel.ExpStep:
                    p.SUp = bMax - bMin > 0 ? (float)(2 * c.ExpA / (bMax - bMin)) : 0f;
                    break;
                case DeviceModel.PowStep:
                    // As aihwkit's C++ (PowStepRPUDevice::populate), not its Python docstring: the
                    // mean bias pow_up_down lowers one exponent only (β > 0: γ↓; β < 0: γ↑), like
                    // up_down does for the steps; the spread acts with opposite signs on the two.
                    double rPow = c.PowUpDownDtod * rng.NextNormal();
                    double g = 1 + c.PowGammaDtod * rng.NextNormal();
                    p.SUp = (float)Math.Abs(c.PowGamma * (powUpBias + g + rPow));
                    p.SDown = (float)Math.Abs(c.PowGamma * (powDownBias + g - rPow));
                    break;
            }
        }
    }

    /// <summary>
    /// Each device is stuck with probability corrupt_devices_prob, frozen at a uniform value in
    /// ±corrupt_devices_range clamped to its own bounds (which collapse onto it). Returns the count.
    /// </summary>
    internal static int Corrupt(DeviceConfig config, Span<DeviceParameters> devices, DeviceRng rng)
    {
        int stuck = 0;
        for (int d = 0; d < devices.Length; d++)
        {
            if (!(rng.NextDouble() < config.CorruptDevicesProb)) continue;
            ref var p = ref devices[d];
            float v = (float)((2 * rng.NextDouble() - 1) * config.CorruptDevicesRange);
            v = Math.Clamp(v, p.BMin, p.BMax);
            p.BMin = p.BMax = v;
            p.Stuck = true;
            stuck++;
        }
        return stuck;
    }

    /// <summary>One-sided pairs: each device's reset value, reset + reset_dtod·ξ (weight units).</summary>
    internal static float[] ResetValues(DeviceConfig config, int deviceCount, DeviceRng rng)
    {
        var resetBias = new float[deviceCount];
        for (int d = 0; d < deviceCount; d++) resetBias[d] = (float)(config.Reset + config.ResetDtod * rng.NextNormal());
        return resetBias;
    }

    /// <summary>
    /// Lifetime (in mini-batches) L·(1 + lifetime_dtod·ξ), at least 1, as the per-mini-batch
    /// retention factor 1 − 1/L of each device.
    /// </summary>
    internal static float[] Retention(DeviceConfig config, int deviceCount, DeviceRng rng)
    {
        var retention = new float[deviceCount];
        for (int d = 0; d < deviceCount; d++)
            retention[d] = (float)(1.0 - 1.0 / Math.Max(1.0, config.Lifetime * (1 + config.LifetimeDtod * rng.NextNormal())));
        return retention;
    }

    /// <summary>Drift exponents ν·(1 + drift_nu_dtod·ξ), never negative (a device does not drift up).</summary>
    internal static float[] DriftExponents(DeviceConfig config, int deviceCount, DeviceRng rng)
    {
        var nu = new float[deviceCount];
        for (int d = 0; d < deviceCount; d++) nu[d] = (float)Math.Max(0, config.DriftNu * (1 + config.DriftNuDtod * rng.NextNormal()));
        return nu;
    }
}
