using NodeMesh.Core.Units;

namespace NodeMesh.Core.Devices;

/// <summary>
/// The simulated memristor array of one unit: <see cref="Length"/> = FanIn + 1 weights (the last is
/// the bias), each held by one device (two for a one-sided pair, w = g⁺ − g⁻). Every device has its
/// own bounds, step sizes and model parameters, drawn once from the constructor's seed; every pulse
/// has its own cycle-to-cycle noise; weights are always clipped to the device's own bounds; reads
/// see the write noise of the last pulse. Updates are pulses: <see cref="ApplyBatchUpdate(ReadOnlySpan{float}, PatchGeometry, ReadOnlySpan{float}, int, float)"/>
/// (the stochastic-compressed pulse trains of aihwkit, one rank-1 update per sample),
/// <see cref="ApplyGradient"/> (a gradient without outer-product structure, written as its expected
/// pulse count) and <see cref="ProgramTo"/> (closed-loop program-and-verify, not assignment). Only
/// the owning unit may call it (not thread-safe). Units: weights in weight units, time in seconds.
/// </summary>
/// <remarks>
/// A facade: it checks arguments and composes the concept classes, which share one
/// <see cref="DeviceCells"/> (the device state and counters) and one <see cref="DeviceNoiseSource"/>
/// (the array's random stream). <see cref="DeviceParameterDraw"/> draws the devices,
/// <see cref="PulseTrainUpdater"/> writes training updates, <see cref="ProgramAndVerify"/> programs
/// targets, <see cref="DeviceDrift"/> applies lifetime decay and drift, <see cref="PairRefresh"/>
/// refreshes one-sided pairs and <see cref="ReadNoise"/> adds output noise.
/// <see cref="DeviceArrayState"/> writes and reads the checkpoint state.
/// </remarks>
public sealed class DeviceArray : IPulsedWeightStore
{
    // Streams 1–5 of the seed are the parameter draws (DeviceParameterDraw).
    private const ulong NoiseStream = 6, TrainStream = 7;

    private readonly long _seed;
    private readonly DeviceCells _cells;
    private readonly DeviceNoiseSource _noise;
    private readonly PulseTrainUpdater _updater;
    private readonly ProgramAndVerify _program;
    private readonly DeviceDrift _drift;
    private readonly PairRefresh? _refresh;
    private readonly ReadNoise _readNoise;
    private float[] _inputScales = [];

    /// <summary>
    /// Builds the array of <paramref name="length"/> weights (FanIn + 1) and draws every device's
    /// parameters from <paramref name="seed"/> (same seed and config → same devices and the same
    /// pulse noise sequence). Devices start at w = 0 (one-sided pairs: both at their reset value);
    /// program the unit's initial weights with <see cref="ProgramTo"/>.
    /// </summary>
    public DeviceArray(DeviceConfig config, int length, long seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.IsIdeal) throw new ArgumentException("'ideal' is not a device: use IdealWeightStore (DeviceConfig.CreateStore)", nameof(config));
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        config.Validate();
        Config = config;
        _seed = seed;
        var drawn = DeviceParameterDraw.Draw(config, config.OneSided ? 2 * length : length, seed);
        var noise = _noise = new DeviceNoiseSource(DeviceRng.Derive((ulong)seed, NoiseStream));
        _cells = new DeviceCells(config, length, drawn, noise);
        _updater = new PulseTrainUpdater(config, _cells, noise, new DeviceVectorRng(DeviceRng.Derive((ulong)seed, TrainStream)));
        _program = new ProgramAndVerify(config, _cells);
        _drift = new DeviceDrift(config, _cells, drawn);
        _refresh = config.OneSided ? new PairRefresh(config, _cells, _program) : null;
        _readNoise = new ReadNoise(config, noise);
    }

    /// <summary>The configuration the devices were drawn from.</summary>
    public DeviceConfig Config { get; }

    /// <inheritdoc />
    public int Length => _cells.Length;

    /// <summary>Physical devices: <see cref="Length"/>, or 2·Length for one-sided pairs.</summary>
    public int DeviceCount => _cells.DeviceCount;

    /// <summary>Devices frozen at a fixed value.</summary>
    public int StuckCount => _cells.StuckCount;

    /// <summary>
    /// A per-unit seed: mixes the run seed, the layer index and the unit's global index, so that
    /// every unit draws different devices and a rerun with the same seed draws the same ones.
    /// </summary>
    public static long UnitSeed(long runSeed, int layer, int unit) => DeviceParameterDraw.UnitSeed(runSeed, layer, unit);

    /// <summary>The weights as the forward pass sees them (persistent weight + write noise); counts one read per device.</summary>
    public ReadOnlySpan<float> Read()
    {
        _cells.Reads += _cells.DeviceCount;
        return _cells.ReadVector;
    }

    /// <summary>The weights as <see cref="Read"/> returns them, without counting a read (metrics, snapshots in tests).</summary>
    public ReadOnlySpan<float> PeekWeights() => _cells.ReadVector;

    /// <summary>The persistent (hidden) weights, without write noise, per weight (one-sided: g⁺ − g⁻).</summary>
    public float[] PersistentWeights()
    {
        float[] w = _cells.Weights;
        var result = new float[Length];
        for (int j = 0; j < result.Length; j++) result[j] = _cells.OneSided ? w[2 * j] - w[2 * j + 1] : w[j];
        return result;
    }

    /// <inheritdoc />
    public DeviceCounters Counters => _cells.Counters();

    /// <inheritdoc />
    public void ResetCounters() => _cells.ResetCounters();

    // ---------------------------------------------------------------- pulsed outer-product update

    /// <summary>
    /// One rank-1 pulsed update W ← W − lr·d·x for a single sample: <paramref name="x"/> holds all
    /// <see cref="Length"/> inputs including the bias input (normally 1) last. Does not end the
    /// mini-batch: call <see cref="EndMiniBatch"/> after the last sample.
    /// </summary>
    public void ApplyOuterProductUpdate(ReadOnlySpan<float> x, float d, float lr)
    {
        if (x.Length != Length) throw new ArgumentException($"input holds {x.Length} values, the array {Length}", nameof(x));
        _updater.UpdateOne(x, d, lr);
    }

    /// <summary>
    /// W ← W − lr·Σ_b d[b]·x_b for a materialised batch: <paramref name="samples"/> is sample-major,
    /// [batch][Length], each row ending with the bias input; applied as <paramref name="batch"/>
    /// sequential rank-1 pulse-train updates, then <see cref="EndMiniBatch"/>.
    /// </summary>
    public void ApplyBatchUpdate(ReadOnlySpan<float> samples, ReadOnlySpan<float> d, int batch, float lr)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (samples.Length < (long)batch * Length) throw new ArgumentException("samples shorter than batch × Length", nameof(samples));
        if (d.Length < batch) throw new ArgumentException("delta shorter than batch", nameof(d));
        _updater.UpdateSamples(samples, d, batch, lr);
        EndMiniBatch();
    }

    /// <summary>
    /// W ← W − lr·Σ_b d[b]·x_b straight from the unit's patch: <paramref name="x"/> is the
    /// sample-innermost input buffer (row r holds the <paramref name="batch"/> samples of input row
    /// r), <paramref name="g"/> the unit's receptive field in it (as for <see cref="UnitKernels.Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, PatchGeometry, int, Span{float})"/>),
    /// the bias input is 1, <paramref name="d"/>[b] the unit's delta (carrying the batch's 1/B).
    /// Each sample is one rank-1 pulse-train update (k, BL, probabilities from that sample's x_max
    /// and |d|) and every device receives its pulses in sample order, exactly as if the samples were
    /// applied one after the other; then <see cref="EndMiniBatch"/>. No allocation after the first
    /// call with a given batch size.
    /// </summary>
    public void ApplyBatchUpdate(ReadOnlySpan<float> x, PatchGeometry g, ReadOnlySpan<float> d, int batch, float lr) =>
        PatchUpdate(x, g, d, batch, lr, default);

    /// <summary>
    /// As <see cref="ApplyBatchUpdate(ReadOnlySpan{float}, PatchGeometry, ReadOnlySpan{float}, int, float)"/>,
    /// with each sample's input scale max(1, max_j |x_jb|) given in <paramref name="inputScales"/>
    /// instead of computed here (the forward pass over the same patch took it, see <see cref="InputScales"/>).
    /// </summary>
    public void ApplyBatchUpdate(ReadOnlySpan<float> x, PatchGeometry g, ReadOnlySpan<float> d, int batch, float lr, ReadOnlySpan<float> inputScales)
    {
        if (inputScales.Length < batch) throw new ArgumentException("input scales shorter than batch", nameof(inputScales));
        PatchUpdate(x, g, d, batch, lr, inputScales[..Math.Max(batch, 0)]);
    }

    /// <summary>The patch update with the scales given, or computed by the updater when <paramref name="inputScales"/> is empty.</summary>
    private void PatchUpdate(ReadOnlySpan<float> x, PatchGeometry g, ReadOnlySpan<float> d, int batch, float lr, ReadOnlySpan<float> inputScales)
    {
        CheckPatch(x, g, batch);
        if (d.Length < batch) throw new ArgumentException("delta shorter than batch", nameof(d));
        _updater.Update(x, g, implicitBias: true, d, batch, lr, inputScales);
        EndMiniBatch();
    }

    /// <summary>
    /// The array's buffer for the input scales of its unit's last forward pass (at least
    /// <paramref name="batch"/> floats; the same buffer on every call with a batch no larger): the unit
    /// fills it in its forward pass and hands it to <see cref="AddOutputNoise(Span{float}, ReadOnlySpan{float})"/>
    /// and, in training, to the step's update. Nothing in the array reads it otherwise.
    /// </summary>
    public Span<float> InputScales(int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (_inputScales.Length < batch) _inputScales = new float[(batch + 7) & ~7];
        return _inputScales.AsSpan(0, batch);
    }

    /// <summary>
    /// Ends a mini-batch: applies the per-mini-batch decay (lifetime) and, for one-sided pairs, the
    /// refresh check (aihwkit refresh_every = 1 mini-batch). The batch update methods call it.
    /// </summary>
    public void EndMiniBatch()
    {
        if (_drift.Decays) _drift.Decay();
        _refresh?.Run();
    }

    // ---------------------------------------------------------------- gradient write and programming

    /// <summary>
    /// Writes w ← w − lr·g by pulses, for a gradient without outer-product structure (e.g. the sum
    /// of a map's gradients under tied weights): weight j receives |lr·g_j|/granularity pulses
    /// (<see cref="DeviceConfig.WeightGranularity"/>; UP when lr·g_j &lt; 0), rounded stochastically (mode stochastic: floor + Bernoulli of the fraction)
    /// or with the carried remainder (mode mean), at most <c>program_max_pulses</c>. The result is
    /// SGD only on average and up to each device's own step, nonlinearity and bounds. Ends the mini-batch.
    /// </summary>
    public void ApplyGradient(ReadOnlySpan<float> gradient, float lr)
    {
        if (gradient.Length < Length) throw new ArgumentException("gradient shorter than the array", nameof(gradient));
        _updater.WriteGradient(gradient, lr);
        EndMiniBatch();
    }

    /// <summary>
    /// Program-to-target by pulses (not assignment): closed-loop program-and-verify of each weight
    /// until within dw_min/2 (rules in <see cref="ProgramAndVerify"/>): adaptive bursts, stop at
    /// saturation, after 3 sign changes or at min(4·ceil(|Δ|/dw_min), program_max_pulses) pulses;
    /// one-sided pairs pulse g⁺ or g⁻ up and are reset and programmed once more when they
    /// saturate. Reads see write noise, so the verify loop does too. Pulses are counted as program pulses.
    /// </summary>
    public void ProgramTo(ReadOnlySpan<float> target)
    {
        if (target.Length != Length) throw new ArgumentException($"target holds {target.Length} values, the array {Length}", nameof(target));
        _program.ProgramTo(target);
    }

    // ---------------------------------------------------------------- drift and output noise

    /// <summary>
    /// Advances simulated time by <paramref name="seconds"/>. With drift (drift_nu &gt; 0) every
    /// device relaxes as w = w0·(t/t0)^(−ν) once t, the time since its last write (pulse or reset),
    /// exceeds t0 (drift_t0); w0 is its weight right after that write and a pulse restarts the clock.
    /// Costs one power per device per call: call it at the granularity you need.
    /// </summary>
    public void AdvanceTime(double seconds) => _drift.AdvanceTime(seconds);

    /// <summary>One output-noise draw out_noise·ξ in normalised units from <paramref name="rng"/> (see <see cref="DeviceConfig.OutputNoise"/>).</summary>
    public float OutputNoise(Random rng) => Config.OutputNoise(rng);

    /// <summary>Adds out_noise·<paramref name="inputScale"/>·ξ to every element of <paramref name="y"/> (array's own random source).</summary>
    public void AddOutputNoise(Span<float> y, float inputScale = 1f) => _readNoise.Add(y, inputScale);

    /// <summary>
    /// Adds the analog read noise to a unit's pre-activations: y[b] += out_noise·α_b·ξ with
    /// α_b = max(1, max_j |x_jb|), the abs-max input scale of sample b (aihwkit's noise management
    /// normalises inputs by it and scales the output back, so the noise scales with it).
    /// </summary>
    public void AddOutputNoise(Span<float> y, ReadOnlySpan<float> x, PatchGeometry g, int batch)
    {
        if (!_readNoise.Enabled) return; // no noise: no checks either (unchanged contract)
        CheckPatch(x, g, batch);
        if (y.Length < batch) throw new ArgumentException("output shorter than batch", nameof(y));
        _readNoise.Add(y, x, g, batch);
    }

    /// <summary>
    /// As <see cref="AddOutputNoise(Span{float}, ReadOnlySpan{float}, PatchGeometry, int)"/> with the
    /// input scales α_b given (one per sample; the forward pass took them, see <see cref="InputScales"/>).
    /// </summary>
    public void AddOutputNoise(Span<float> y, ReadOnlySpan<float> inputScales)
    {
        if (!_readNoise.Enabled) return;
        if (y.Length < inputScales.Length) throw new ArgumentException("output shorter than the input scales", nameof(y));
        _readNoise.Add(y, inputScales);
    }

    private void CheckPatch(ReadOnlySpan<float> x, PatchGeometry g, int batch)
    {
        if (g.Rows != Length - 1) throw new ArgumentException($"patch has {g.Rows} rows, the array {Length - 1} weights + bias", nameof(g));
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        long lastRow = (long)(g.FirstRow + (g.RunCount - 1) * g.RunStride + g.RunLength) * batch;
        if (g.FirstRow < 0 || lastRow > x.Length) throw new ArgumentException("patch lies outside the input buffer", nameof(x));
    }

    // ---------------------------------------------------------------- checkpoint state

    /// <summary>
    /// Writes the array's complete mutable state: device weights (persistent, apparent, pairs'
    /// read values), pulse counts, drift clocks, both random streams (with the noise stream's
    /// buffered block and position), mean-mode carries and counters. The devices' drawn
    /// parameters are not written: a reader built with the same configuration, length and seed
    /// recomputes them, and the header's seed and configuration hash make it check that it was.
    /// Payload layout in <see cref="DeviceArrayState"/>.
    /// </summary>
    public void WriteState(BinaryWriter writer)
    {
        var state = State();
        WeightStoreState.Write(writer, state.Header, state.Write);
    }

    /// <inheritdoc />
    public void ReadState(BinaryReader reader)
    {
        var state = State();
        using var payload = WeightStoreState.ReadPayload(reader, state.Header);
        state.Commit(state.Read(payload));
    }

    private DeviceArrayState State() => new(Config, _seed, _cells, _noise, _updater);

    // ---------------------------------------------------------------- test hooks

    /// <summary>Position of the next normal in the noise stream's block (64 = used up).</summary>
    internal int NoiseBlockPosition
    {
        get
        {
            Span<ulong> words = stackalloc ulong[4];
            Span<float> normals = stackalloc float[DeviceNoiseSource.BufferLength];
            _noise.GetState(words, normals, out int position);
            return position;
        }
    }

    /// <summary>The drawn parameters of device <paramref name="d"/>.</summary>
    internal DeviceParameters ParamsOf(int d) => _cells.Params[d];

    /// <summary>The persistent weight of device <paramref name="d"/>.</summary>
    internal float DeviceWeight(int d) => _cells.Weights[d];

    /// <summary>The apparent (read) weight of device <paramref name="d"/>.</summary>
    internal float DeviceApparent(int d) => _cells.Apparent(d);

    /// <summary>Pulses device <paramref name="d"/> has received.</summary>
    internal int DevicePulses(int d) => _cells.Pulses[d];

    /// <summary>Sets device <paramref name="d"/>'s persistent and apparent weight (tests only; clipped to its bounds).</summary>
    internal void SetDeviceWeight(int d, float w) => _cells.SetWeight(d, w);

    /// <summary>One pulse on device <paramref name="d"/> (tests only); returns its new persistent weight.</summary>
    internal float PulseDevice(int d, bool up)
    {
        _cells.Clipped += _cells.Burst(d, 1, up);
        _cells.UpdatePulses++;
        if (_cells.OneSided) _cells.ReadVector[d / 2] = _cells.Apparent(d & ~1) - _cells.Apparent(d | 1);
        return _cells.Weights[d];
    }
}
