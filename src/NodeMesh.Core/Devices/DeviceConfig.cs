using System.Globalization;
using System.Text;
using NodeMesh.Core.Units;

namespace NodeMesh.Core.Devices;

/// <summary>The pulsed-device models of the reference (IBM aihwkit / rpucuda "update once" rules).</summary>
public enum DeviceModel
{
    /// <summary>Step independent of the weight: w ± dw (1 + σξ).</summary>
    ConstantStep,

    /// <summary>Step linear in the weight: up dw↑(1 − γ↑ w / w_max), down dw↓(1 + γ↓ w / |w_min|).</summary>
    LinearStep,

    /// <summary>Step vanishing at the device's own bounds: up dw↑(1 − w / b_max), down dw↓(1 − w / b_min).</summary>
    SoftBounds,

    /// <summary>Exponential (CMOS-like) step: y = max(1 − A e^(±γ z), 0), z = 2 a w / (b_max − b_min) + b.</summary>
    ExpStep,

    /// <summary>Power-law step: up dw↑((b_max − w)/range)^γ↑, down dw↓((w − b_min)/range)^γ↓.</summary>
    PowStep,
}

/// <summary>How an outer-product update becomes a pulse count.</summary>
public enum PulseMode
{
    /// <summary>Stochastic-compressed pulse trains (aihwkit's default): each coincidence is a pulse.</summary>
    Stochastic,

    /// <summary>
    /// Deterministic: each device receives the expected pulse count of the stochastic scheme, rounded
    /// with a carried remainder per device and direction (round-to-nearest of the running total).
    /// </summary>
    Mean,
}

/// <summary>
/// The parameters of a simulated memristor device population, with the reference's names
/// (aihwkit's <c>PulsedDevice</c> and its models; snake_case in JSON) and its defaults. Weights
/// are dimensionless ("weight units"); steps are in weight units per pulse; relative spreads
/// (<c>*_dtod</c>, <c>dw_min_std</c>) are fractions of their mean; times are in seconds except
/// <c>lifetime</c>, which is counted in mini-batches. Obtain one with <see cref="Load"/> or
/// <see cref="Preset"/>; build the weight store of a unit with <see cref="CreateStore"/>.
/// </summary>
public sealed partial record DeviceConfig
{
    /// <summary>Preset or file this configuration came from (for listings and run metadata).</summary>
    public string Name { get; init; } = "custom";

    /// <summary>True for <c>ideal</c>: the exact float32 store (plain SGD), not a device.</summary>
    public bool IsIdeal { get; init; }

    /// <summary><c>model</c>: the update-once rule.</summary>
    public DeviceModel Model { get; init; } = DeviceModel.ConstantStep;

    /// <summary><c>dw_min</c>: mean step of one pulse at w = 0 (weight units per pulse), &gt; 0.</summary>
    public double DwMin { get; init; } = 0.001;

    /// <summary><c>dw_min_dtod</c>: device-to-device spread of the step (relative to dw_min).</summary>
    public double DwMinDtod { get; init; } = 0.3;

    /// <summary><c>dw_min_std</c>: cycle-to-cycle spread of each pulse's step (relative to the step).</summary>
    public double DwMinStd { get; init; } = 0.3;

    /// <summary><c>up_down</c>: systematic up/down asymmetry (&gt; 0: up steps larger), in [−1, 1].</summary>
    public double UpDown { get; init; }

    /// <summary><c>up_down_dtod</c>: device-to-device spread of the asymmetry (relative to dw_min).</summary>
    public double UpDownDtod { get; init; } = 0.01;

    /// <summary><c>w_max</c>: mean upper bound (weight units), ≥ 0.</summary>
    public double WMax { get; init; } = 0.6;

    /// <summary><c>w_min</c>: mean lower bound (weight units), ≤ 0.</summary>
    public double WMin { get; init; } = -0.6;

    /// <summary><c>w_max_dtod</c>: device-to-device spread of the upper bound (relative to w_max).</summary>
    public double WMaxDtod { get; init; } = 0.3;

    /// <summary><c>w_min_dtod</c>: device-to-device spread of the lower bound (relative to |w_min|).</summary>
    public double WMinDtod { get; init; } = 0.3;

    /// <summary><c>corrupt_devices_prob</c>: probability that a device is stuck, in [0, 1].</summary>
    public double CorruptDevicesProb { get; init; }

    /// <summary><c>corrupt_devices_range</c>: a stuck device is frozen at a uniform value in ±this (weight units).</summary>
    public double CorruptDevicesRange { get; init; } = 0.1;

    /// <summary>
    /// <c>write_noise_std</c>: reads see w + write_noise_std·dw_min·ξ, ξ redrawn after each pulse on
    /// the device (relative to dw_min). Not defined for ConstantStep.
    /// </summary>
    public double WriteNoiseStd { get; init; }

    /// <summary><c>mult_noise</c> (LinearStep, SoftBounds): cycle-to-cycle noise multiplies the step (else it is added, scaled by dw).</summary>
    public bool MultNoise { get; init; } = true;

    /// <summary><c>gamma_up</c>: LinearStep slope γ↑ (default 0) or ExpStep exponent (default 12.44625); null = the model's default.</summary>
    public double? GammaUp { get; init; }

    /// <summary><c>gamma_down</c>: LinearStep slope γ↓ (default 0) or ExpStep exponent (default 12.78785); null = the model's default.</summary>
    public double? GammaDown { get; init; }

    /// <summary><c>gamma_up_dtod</c>: LinearStep device-to-device spread of γ↑ (absolute).</summary>
    public double GammaUpDtod { get; init; } = 0.05;

    /// <summary><c>gamma_down_dtod</c>: LinearStep device-to-device spread of γ↓ (absolute).</summary>
    public double GammaDownDtod { get; init; } = 0.05;

    /// <summary><c>a</c>: ExpStep slope of z (dimensionless).</summary>
    public double ExpA { get; init; } = 0.244;

    /// <summary><c>b</c>: ExpStep offset of z (dimensionless).</summary>
    public double ExpB { get; init; } = 0.2425;

    /// <summary><c>A_up</c>: ExpStep prefactor of the up direction.</summary>
    public double ExpAUp { get; init; } = 0.00081;

    /// <summary><c>A_down</c>: ExpStep prefactor of the down direction.</summary>
    public double ExpADown { get; init; } = 0.36833;

    /// <summary>
    /// <c>dw_min_std_add</c> (ExpStep): with <c>dw_min_std_slope</c>, switches to the "complex" noise
    /// w += dw + dw_min_std (|dw| + dw_min_std_add + dw_min_std_slope |w|) ξ (weight units).
    /// </summary>
    public double DwMinStdAdd { get; init; }

    /// <summary><c>dw_min_std_slope</c> (ExpStep): weight-proportional part of the complex noise (per weight unit).</summary>
    public double DwMinStdSlope { get; init; }

    /// <summary><c>pow_gamma</c> (PowStep): exponent γ, ≥ 0.</summary>
    public double PowGamma { get; init; } = 1.0;

    /// <summary><c>pow_gamma_dtod</c> (PowStep): device-to-device spread of γ (relative).</summary>
    public double PowGammaDtod { get; init; } = 0.1;

    /// <summary>
    /// <c>pow_up_down</c> (PowStep): up/down bias β of γ, lowering one exponent as aihwkit's C++
    /// does: β &gt; 0 gives γ↑ = γ, γ↓ = γ(1 − β); β &lt; 0 gives γ↑ = γ(1 + β), γ↓ = γ.
    /// </summary>
    public double PowUpDown { get; init; }

    /// <summary><c>pow_up_down_dtod</c> (PowStep): device-to-device spread of β (absolute).</summary>
    public double PowUpDownDtod { get; init; }

    /// <summary><c>lifetime</c>: decay time constant in mini-batches (w ← w (1 − 1/lifetime) per mini-batch); 0 = none.</summary>
    public double Lifetime { get; init; }

    /// <summary><c>lifetime_dtod</c>: device-to-device spread of the lifetime (relative).</summary>
    public double LifetimeDtod { get; init; }

    /// <summary><c>reset</c>: mean value a RESET puts a device to (weight units); used by one-sided refresh.</summary>
    public double Reset { get; init; }

    /// <summary><c>reset_dtod</c>: device-to-device spread of the reset value (weight units).</summary>
    public double ResetDtod { get; init; }

    /// <summary><c>reset_std</c>: cycle-to-cycle spread of each reset (weight units).</summary>
    public double ResetStd { get; init; } = 0.01;

    /// <summary>
    /// <c>one_sided</c>: each weight is a pair of devices w = g⁺ − g⁻ that only receive up pulses
    /// (aihwkit OneSidedUnitCell, used for PCM); pairs near saturation are refreshed after each mini-batch.
    /// </summary>
    public bool OneSided { get; init; }

    /// <summary><c>refresh_upper_thres</c>: a pair is refreshed when its larger device exceeds this fraction of w_max …</summary>
    public double RefreshUpperThres { get; init; } = 0.75;

    /// <summary><c>refresh_lower_thres</c>: … and its smaller one exceeds this fraction of w_max.</summary>
    public double RefreshLowerThres { get; init; } = 0.25;

    /// <summary><c>drift_nu</c>: conductance drift exponent ν (w ← w0 (t/t0)^(−ν) after a write), 0 = no drift.</summary>
    public double DriftNu { get; init; }

    /// <summary><c>drift_nu_dtod</c>: device-to-device spread of ν (relative).</summary>
    public double DriftNuDtod { get; init; }

    /// <summary><c>drift_t0</c>: drift reference time t0 (seconds after a write), &gt; 0.</summary>
    public double DriftT0 { get; init; } = 20.0;

    /// <summary><c>out_noise</c>: Gaussian noise on each output (pre-activation), in units of the input scale.</summary>
    public double OutNoise { get; init; } = 0.06;

    /// <summary><c>desired_bl</c>: maximal pulse-train length BL of one outer-product update (slots).</summary>
    public int DesiredBl { get; init; } = 31;

    /// <summary><c>update_management</c>: balance the x and d pulse probabilities by sqrt(x_max/d_max).</summary>
    public bool UpdateManagement { get; init; } = true;

    /// <summary><c>mode</c>: stochastic pulse trains or the deterministic mean-count mode.</summary>
    public PulseMode Mode { get; init; } = PulseMode.Stochastic;

    /// <summary><c>program_max_pulses</c>: cap on the pulses one device receives in one program-to-target or one gradient write.</summary>
    public int ProgramMaxPulses { get; init; } = 10000;

    /// <summary>γ↑ as used by the model (ExpStep default 12.44625, otherwise 0).</summary>
    public double EffectiveGammaUp => GammaUp ?? (Model == DeviceModel.ExpStep ? 12.44625 : 0.0);

    /// <summary>γ↓ as used by the model (ExpStep default 12.78785, otherwise 0).</summary>
    public double EffectiveGammaDown => GammaDown ?? (Model == DeviceModel.ExpStep ? 12.78785 : 0.0);

    /// <summary>Write noise as a standard deviation in weight units (write_noise_std · dw_min).</summary>
    public double WriteNoiseAbsolute => WriteNoiseStd * DwMin;

    /// <summary>
    /// The weight change (weight units) one pulse is taken to make when an update is turned into
    /// pulse counts — aihwkit's weight granularity, which sizes its pulse trains: dw_min for
    /// ConstantStep, LinearStep and SoftBounds; for ExpStep the mean down step at w = 0 (z = b),
    /// dw_min·(1 − max(up_down, 0))·max(1 − A_down·e^(−γ↓·b), 0), or dw_min when that is 0 or
    /// overflows; for PowStep the step at mid-range, dw_min·0.5^pow_gamma. For these two dw_min
    /// is not the step of a pulse near w = 0, and sizing the trains by it would miss the requested
    /// change by that ratio (2^γ for PowStep).
    /// </summary>
    public double WeightGranularity
    {
        get
        {
            switch (Model)
            {
                case DeviceModel.ExpStep:
                    double down = DwMin * (1 - Math.Max(UpDown, 0)) * Math.Max(1 - ExpADown * Math.Exp(-EffectiveGammaDown * ExpB), 0);
                    return down > 0 && double.IsFinite(down) ? down : DwMin;
                case DeviceModel.PowStep:
                    return DwMin * Math.Pow(0.5, PowGamma);
                default:
                    return DwMin;
            }
        }
    }

    /// <summary>Approximate number of distinguishable states: (w_max − w_min) / dw_min.</summary>
    public double States => (WMax - WMin) / DwMin;

    /// <summary>
    /// The weight store of one unit: an <see cref="IdealWeightStore"/> for <c>ideal</c>, otherwise a
    /// <see cref="DeviceArray"/> of <paramref name="length"/> weights whose devices are drawn from
    /// <paramref name="seed"/> (see <see cref="DeviceArray.UnitSeed"/>).
    /// </summary>
    public IWeightStore CreateStore(int length, long seed) =>
        IsIdeal ? new IdealWeightStore(length) : new DeviceArray(this, length, seed);

    /// <summary>
    /// One output-noise draw in normalised units: out_noise·ξ with ξ ~ N(0, 1) from
    /// <paramref name="rng"/> (0 for <c>ideal</c>). Scale by the input scale of the sample and add it
    /// to the pre-activation (see <see cref="DeviceArray.AddOutputNoise(Span{float}, ReadOnlySpan{float}, PatchGeometry, int)"/>).
    /// </summary>
    public float OutputNoise(Random rng)
    {
        if (IsIdeal || OutNoise == 0) return 0f;
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return (float)(OutNoise * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }

    /// <summary>This configuration as a block of "name value" lines (the parameters its model uses).</summary>
    public string Format()
    {
        var sb = new StringBuilder();
        if (IsIdeal)
        {
            sb.AppendLine("    exact float32 weights, update w <- w - lr*g (plain SGD); no device parameters");
            return sb.ToString();
        }
        foreach (var p in Specs)
        {
            if (!p.Relevant(this)) continue;
            sb.Append("    ").Append(p.Name.PadRight(24)).Append(p.Format(this).PadRight(12)).Append(' ');
            sb.Append(p.Help).AppendLine();
        }
        sb.Append("    ").Append("(granularity)".PadRight(24))
          .Append(Num(WeightGranularity).PadRight(12)).Append(' ')
          .AppendLine("weight change per pulse used to size pulse counts");
        sb.Append("    ").Append("(states)".PadRight(24))
          .Append(States.ToString("0", CultureInfo.InvariantCulture).PadRight(12)).Append(' ')
          .AppendLine("(w_max - w_min) / dw_min");
        return sb.ToString();
    }

    /// <summary>Checks every parameter's range and the cross-parameter rules; throws <see cref="UserInputException"/> naming the field.</summary>
    public DeviceConfig Validate()
    {
        try { CheckRanges(); }
        catch (UserInputException e) { throw new UserInputException($"device '{Name}': {e.Message}"); }
        return this;
    }

    private void CheckRanges()
    {
        if (IsIdeal) return;
        foreach (var p in Specs)
            if (!p.InRange(this))
                throw new UserInputException($"{p.Name} = {p.Format(this)} is out of range; allowed: {p.Range}.");
        if (!(WMax > WMin))
            throw new UserInputException($"w_max = {Num(WMax)} and w_min = {Num(WMin)} leave no range; allowed: w_min <= 0 <= w_max with w_max > w_min.");
        if (Model == DeviceModel.ConstantStep && WriteNoiseStd != 0)
            throw new UserInputException($"write_noise_std = {Num(WriteNoiseStd)} is out of range for model ConstantStep; allowed: 0 (the reference defines write noise for all models but ConstantStep).");
        if (Model == DeviceModel.LinearStep && (EffectiveGammaUp < 0 || EffectiveGammaDown < 0))
            throw new UserInputException($"{(EffectiveGammaUp < 0 ? "gamma_up" : "gamma_down")} = {Num(Math.Min(EffectiveGammaUp, EffectiveGammaDown))} is out of range for LinearStep; allowed: >= 0 (the step decreases towards the bound).");
        if (RefreshLowerThres > RefreshUpperThres)
            throw new UserInputException($"refresh_lower_thres = {Num(RefreshLowerThres)} is out of range; allowed: [0, refresh_upper_thres = {Num(RefreshUpperThres)}].");
    }

    internal static string Num(double v) =>
        v == 0 || (Math.Abs(v) >= 1e-4 && Math.Abs(v) < 1e7)
            ? v.ToString("0.#######", CultureInfo.InvariantCulture)
            : v.ToString("G6", CultureInfo.InvariantCulture);
}
