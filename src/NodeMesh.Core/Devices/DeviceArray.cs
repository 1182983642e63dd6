using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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
public sealed class DeviceArray : IPulsedWeightStore
{
    /// <summary>The parameters one device drew at construction (weight units; slopes per weight unit).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct DeviceParams
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

    private const double Two32 = 4294967296.0;

    private readonly DeviceModel _model;
    private readonly int _length;
    private readonly int _deviceCount;
    private readonly bool _oneSided;
    private readonly float _dwMin, _sigma, _writeNoise, _outNoise;
    private readonly bool _multNoise, _complexNoise;
    private readonly float _stdAdd, _stdSlope;
    private readonly float _expB, _expAUp, _expADown, _expGammaUp, _expGammaDown;
    private readonly int _desiredBl;
    private readonly bool _updateManagement, _meanMode;
    private readonly int _programCap;
    private readonly float _refreshUpper, _refreshLower;
    private readonly float _resetStd;
    private readonly double _t0;

    private readonly DeviceParams[] _p;
    private readonly float[] _w;          // persistent weight per device
    private readonly float[]? _app;       // apparent weight per device (write noise), null without write noise
    private readonly float[] _read;       // what Read() returns, per weight (aliases _w or _app for single devices)
    private readonly int[] _pulses;       // pulses per device
    private readonly float[]? _resetBias; // one-sided: reset value per device
    private readonly float[]? _decay;     // lifetime: per-mini-batch retention factor per device
    private readonly float[]? _nu;        // drift exponent per device
    private readonly float[]? _w0;        // drift: weight right after the last write
    private readonly double[]? _age;      // drift: seconds since the last write
    private readonly float[]? _carryUp, _carryDown; // mean mode: carried fractional pulses per weight and direction
    private readonly int _stuck;
    private float[] _pScale = [], _meanFactor = [], _scale = [], _ones = [], _transposed = [];
    private int[] _nd = [], _active = [];
    private bool[] _dPositive = [];
    private readonly float[] _normals = new float[64]; // buffered standard normals of the noise stream
    private int _normalIndex = 64;
    private DeviceRng _rng;
    private DeviceVectorRng _vrng;

    private long _reads, _updatePulses, _programPulses, _clipped, _refreshes;

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
        _model = config.Model;
        _length = length;
        _oneSided = config.OneSided;
        _deviceCount = _oneSided ? 2 * length : length;
        _dwMin = (float)config.DwMin;
        _sigma = (float)config.DwMinStd;
        _writeNoise = (float)config.WriteNoiseAbsolute;
        _outNoise = (float)config.OutNoise;
        _multNoise = config.MultNoise;
        _complexNoise = config.Model == DeviceModel.ExpStep && (config.DwMinStdAdd > 0 || config.DwMinStdSlope > 0);
        _stdAdd = (float)config.DwMinStdAdd;
        _stdSlope = (float)config.DwMinStdSlope;
        _expB = (float)config.ExpB;
        _expAUp = (float)config.ExpAUp;
        _expADown = (float)config.ExpADown;
        _expGammaUp = (float)config.EffectiveGammaUp;
        _expGammaDown = (float)config.EffectiveGammaDown;
        _desiredBl = config.DesiredBl;
        _updateManagement = config.UpdateManagement;
        _meanMode = config.Mode == PulseMode.Mean;
        _programCap = config.ProgramMaxPulses;
        _refreshUpper = (float)(config.RefreshUpperThres * config.WMax);
        _refreshLower = (float)(config.RefreshLowerThres * config.WMax);
        _resetStd = (float)config.ResetStd;
        _t0 = config.DriftT0;

        int n = _deviceCount;
        _p = new DeviceParams[n];
        _w = new float[n];
        _pulses = new int[n];
        ulong s = (ulong)seed;
        DrawDevices(config, new DeviceRng(DeviceRng.Derive(s, 1)));

        if (config.CorruptDevicesProb > 0)
        {
            var rng = new DeviceRng(DeviceRng.Derive(s, 2));
            for (int d = 0; d < n; d++)
            {
                if (!(rng.NextDouble() < config.CorruptDevicesProb)) continue;
                ref var p = ref _p[d];
                float v = (float)((2 * rng.NextDouble() - 1) * config.CorruptDevicesRange);
                v = Math.Clamp(v, p.BMin, p.BMax);
                p.BMin = p.BMax = v;
                p.Stuck = true;
                _stuck++;
            }
        }
        if (_oneSided)
        {
            var rng = new DeviceRng(DeviceRng.Derive(s, 3));
            _resetBias = new float[n];
            for (int d = 0; d < n; d++) _resetBias[d] = (float)(config.Reset + config.ResetDtod * rng.NextNormal());
        }
        if (config.Lifetime > 0)
        {
            var rng = new DeviceRng(DeviceRng.Derive(s, 4));
            _decay = new float[n];
            for (int d = 0; d < n; d++)
                _decay[d] = (float)(1.0 - 1.0 / Math.Max(1.0, config.Lifetime * (1 + config.LifetimeDtod * rng.NextNormal())));
        }
        if (config.DriftNu > 0)
        {
            var rng = new DeviceRng(DeviceRng.Derive(s, 5));
            _nu = new float[n];
            for (int d = 0; d < n; d++) _nu[d] = (float)Math.Max(0, config.DriftNu * (1 + config.DriftNuDtod * rng.NextNormal()));
            _w0 = new float[n];
            _age = new double[n];
        }
        _rng = new DeviceRng(DeviceRng.Derive(s, 6));
        _vrng = new DeviceVectorRng(DeviceRng.Derive(s, 7));

        // Initial state: 0 (one-sided: the reset state), stuck devices at their frozen value.
        for (int d = 0; d < n; d++)
        {
            ref var p = ref _p[d];
            float w = _oneSided ? _resetBias![d] + _resetStd * Normal() : 0f;
            _w[d] = Math.Clamp(w, p.BMin, p.BMax);
        }
        if (_w0 is not null) Array.Copy(_w, _w0, n);
        if (config.WriteNoiseStd > 0) _app = (float[])_w.Clone();
        if (_oneSided)
        {
            _read = new float[length];
            for (int j = 0; j < length; j++) _read[j] = Apparent(2 * j) - Apparent(2 * j + 1);
        }
        else _read = _app ?? _w;
        if (_meanMode)
        {
            _carryUp = new float[length];
            _carryDown = new float[length];
            Array.Fill(_carryUp, 0.5f);
            Array.Fill(_carryDown, 0.5f);
        }
    }

    private void DrawDevices(DeviceConfig c, DeviceRng rng)
    {
        double upBias = Math.Min(c.UpDown, 0), downBias = -Math.Max(c.UpDown, 0);
        for (int d = 0; d < _p.Length; d++)
        {
            ref var p = ref _p[d];
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
                    double beta = c.PowUpDown + c.PowUpDownDtod * rng.NextNormal();
                    double g = c.PowGammaDtod * rng.NextNormal();
                    p.SUp = (float)Math.Max(0, c.PowGamma * (1 + beta + g));
                    p.SDown = (float)Math.Max(0, c.PowGamma * (1 - beta + g));
                    break;
            }
        }
    }

    /// <summary>The configuration the devices were drawn from.</summary>
    public DeviceConfig Config { get; }

    /// <inheritdoc />
    public int Length => _length;

    /// <summary>Physical devices: <see cref="Length"/>, or 2·Length for one-sided pairs.</summary>
    public int DeviceCount => _deviceCount;

    /// <summary>Devices frozen at a fixed value.</summary>
    public int StuckCount => _stuck;

    /// <summary>
    /// A per-unit seed: mixes the run seed, the layer index and the unit's global index, so that
    /// every unit draws different devices and a rerun with the same seed draws the same ones.
    /// </summary>
    public static long UnitSeed(long runSeed, int layer, int unit) =>
        (long)DeviceRng.Derive(DeviceRng.Derive((ulong)runSeed, (ulong)(uint)layer + 1), (ulong)(uint)unit + 1);

    /// <summary>The weights as the forward pass sees them (persistent weight + write noise); counts one read per device.</summary>
    public ReadOnlySpan<float> Read()
    {
        _reads += _deviceCount;
        return _read;
    }

    /// <summary>The weights as <see cref="Read"/> returns them, without counting a read (metrics, snapshots in tests).</summary>
    public ReadOnlySpan<float> PeekWeights() => _read;

    /// <summary>The persistent (hidden) weights, without write noise, per weight (one-sided: g⁺ − g⁻).</summary>
    public float[] PersistentWeights()
    {
        var result = new float[_length];
        for (int j = 0; j < _length; j++) result[j] = _oneSided ? _w[2 * j] - _w[2 * j + 1] : _w[j];
        return result;
    }

    /// <inheritdoc />
    public DeviceCounters Counters
    {
        get
        {
            long max = 0;
            foreach (int c in _pulses) if (c > max) max = c;
            return new DeviceCounters(_length, _deviceCount, _updatePulses, _programPulses, max, _reads, _clipped, _stuck, _refreshes);
        }
    }

    /// <inheritdoc />
    public void ResetCounters()
    {
        Array.Clear(_pulses);
        _reads = _updatePulses = _programPulses = _clipped = _refreshes = 0;
    }

    // ---------------------------------------------------------------- pulses

    /// <summary>The next standard normal of the array's noise stream (drawn 64 at a time).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Normal()
    {
        int i = _normalIndex;
        if (i >= _normals.Length)
        {
            _rng.FillNormals(_normals);
            i = 0;
        }
        _normalIndex = i + 1;
        return _normals[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Apparent(int d) => _app is null ? _w[d] : _app[d];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Threshold(double p) => (uint)Math.Min(p * Two32, Two32 - 1);

    /// <summary>The signed weight change of one pulse on a device at weight <paramref name="w"/> (before clipping).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Step(float w, ref DeviceParams p, bool up)
    {
        float dw;
        switch (_model)
        {
            case DeviceModel.ConstantStep:
                dw = up ? p.DwUp : -p.DwDown;
                return _sigma == 0f ? dw : dw * (1f + _sigma * Normal());
            case DeviceModel.LinearStep:
            case DeviceModel.SoftBounds:
                dw = up ? p.DwUp * (1f - p.SUp * w) : -p.DwDown * (1f + p.SDown * w);
                if (_sigma == 0f) return dw;
                if (_multNoise) return dw * (1f + _sigma * Normal());
                return dw + (up ? p.DwUp : -p.DwDown) * _sigma * Normal();
            case DeviceModel.ExpStep:
                float z = p.SUp * w + _expB;
                dw = up
                    ? MathF.Max(1f - _expAUp * MathF.Exp(_expGammaUp * z), 0f) * p.DwUp
                    : -MathF.Max(1f - _expADown * MathF.Exp(-_expGammaDown * z), 0f) * p.DwDown;
                if (_sigma == 0f) return dw;
                if (_complexNoise) return dw + _sigma * (MathF.Abs(dw) + _stdAdd + _stdSlope * MathF.Abs(w)) * Normal();
                return dw * (1f + _sigma * Normal());
            default: // PowStep
                float range = p.BMax - p.BMin;
                if (!(range > 0f)) return 0f;
                dw = up
                    ? p.DwUp * MathF.Pow((p.BMax - w) / range, p.SUp)
                    : -p.DwDown * MathF.Pow((w - p.BMin) / range, p.SDown);
                return _sigma == 0f ? dw : dw * (1f + _sigma * Normal());
        }
    }

    /// <summary>
    /// Applies <paramref name="n"/> pulses in one direction to device <paramref name="d"/>, clipping
    /// after each to the device's bounds, then redraws its write noise and restarts its drift clock.
    /// Returns how many pulses were clipped. Counts the pulses on the device (not in a category).
    /// </summary>
    private int Burst(int d, int n, bool up)
    {
        _pulses[d] += n;
        ref var p = ref _p[d];
        if (p.Stuck) return 0;
        float w = _w[d];
        int clipped = 0;
        for (int i = 0; i < n; i++)
        {
            w += Step(w, ref p, up);
            if (w > p.BMax) { w = p.BMax; clipped++; }
            else if (w < p.BMin) { w = p.BMin; clipped++; }
        }
        _w[d] = w;
        if (_app is not null) _app[d] = w + _writeNoise * Normal();
        if (_w0 is not null) { _w0[d] = w; _age![d] = 0; }
        return clipped;
    }

    /// <summary>
    /// <paramref name="n"/> pulses that move weight <paramref name="j"/> up or down: one device, or
    /// for a one-sided pair up pulses on g⁺ (weight up) or g⁻ (weight down). Returns the clipped count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int PulseWeight(int j, int n, bool up)
    {
        if (!_oneSided) return Burst(j, n, up);
        int c = Burst(up ? 2 * j : 2 * j + 1, n, true);
        _read[j] = Apparent(2 * j) - Apparent(2 * j + 1);
        return c;
    }

    private void ResetDevice(int d)
    {
        _pulses[d]++;
        _programPulses++;
        ref var p = ref _p[d];
        if (p.Stuck) return;
        float w = Math.Clamp(_resetBias![d] + _resetStd * Normal(), p.BMin, p.BMax);
        _w[d] = w;
        if (_app is not null) _app[d] = w + _writeNoise * Normal();
        if (_w0 is not null) { _w0[d] = w; _age![d] = 0; }
    }

    // ---------------------------------------------------------------- pulsed outer-product update

    /// <summary>The pulse-train parameters of one sample (one rank-1 update).</summary>
    private struct SampleScale
    {
        public float PScale;     // p_j = |x_j|·PScale: firing probability of input j per slot
        public float MeanFactor; // mean mode: BL·p_d, the expected count is MeanFactor·min(p_j, 1)
        public int Nd;           // stochastic mode: slots in which the delta fired
        public bool DPositive;
    }

    /// <summary>
    /// k = lr·x_max·|d|/dw_min, BL = min(ceil k, desired_bl), A = B = sqrt(lr/(dw_min·BL)), with
    /// update management A·|d| = sqrt(k/BL) and B = sqrt(k/BL)/x_max. Draws the delta's train.
    /// Returns false when no pulse can result.
    /// </summary>
    private bool PrepareSample(float xMax, float dv, float lr, out SampleScale s)
    {
        s = default;
        double ad = Math.Abs(dv);
        double k = (double)lr * xMax * ad / _dwMin;
        if (!(k > 0) || double.IsInfinity(k)) return false;
        int bl = k >= _desiredBl ? _desiredBl : Math.Max(1, (int)Math.Ceiling(k));
        double pd, pScale;
        if (_updateManagement)
        {
            double q = Math.Sqrt(k / bl);
            pd = q;
            pScale = q / xMax;
        }
        else
        {
            double a = Math.Sqrt(lr / ((double)_dwMin * bl));
            pd = ad * a;
            pScale = a;
        }
        if (pd > 1) pd = 1;
        s.PScale = (float)pScale;
        s.DPositive = dv > 0;
        if (_meanMode)
        {
            s.MeanFactor = (float)(bl * pd);
            return true;
        }
        int nd = bl;
        if (pd < 1)
        {
            uint thr = Threshold(pd);
            nd = 0;
            for (int i = 0; i < bl; i++) if (_rng.NextUInt32() < thr) nd++;
        }
        s.Nd = nd;
        return nd > 0;
    }

    /// <summary>
    /// One rank-1 pulsed update W ← W − lr·d·x for a single sample: <paramref name="x"/> holds all
    /// <see cref="Length"/> inputs including the bias input (normally 1) last. Does not end the
    /// mini-batch: call <see cref="EndMiniBatch"/> after the last sample.
    /// </summary>
    public void ApplyOuterProductUpdate(ReadOnlySpan<float> x, float d, float lr)
    {
        if (x.Length != _length) throw new ArgumentException($"input holds {x.Length} values, the array {_length}", nameof(x));
        Span<float> delta = [d];
        UpdateBatch(x, new PatchGeometry(0, 1, _length, 0), implicitBias: false, delta, 1, lr);
    }

    /// <summary>
    /// W ← W − lr·Σ_b d[b]·x_b for a materialised batch: <paramref name="samples"/> is sample-major,
    /// [batch][Length], each row ending with the bias input; applied as <paramref name="batch"/>
    /// sequential rank-1 pulse-train updates, then <see cref="EndMiniBatch"/>.
    /// </summary>
    public void ApplyBatchUpdate(ReadOnlySpan<float> samples, ReadOnlySpan<float> d, int batch, float lr)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (samples.Length < (long)batch * _length) throw new ArgumentException("samples shorter than batch × Length", nameof(samples));
        if (d.Length < batch) throw new ArgumentException("delta shorter than batch", nameof(d));
        if (_transposed.Length < batch * _length) _transposed = new float[batch * _length];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < _length; j++)
                _transposed[j * batch + b] = samples[b * _length + j];
        UpdateBatch(_transposed.AsSpan(0, batch * _length), new PatchGeometry(0, 1, _length, 0), implicitBias: false, d, batch, lr);
        EndMiniBatch();
    }

    /// <summary>
    /// W ← W − lr·Σ_b d[b]·x_b straight from the unit's patch: <paramref name="x"/> is the
    /// sample-innermost input buffer (row r holds the <paramref name="batch"/> samples of input row
    /// r), <paramref name="g"/> the unit's receptive field in it (as for <see cref="UnitKernels.Forward"/>),
    /// the bias input is 1, <paramref name="d"/>[b] the unit's delta (carrying the batch's 1/B).
    /// Each sample is one rank-1 pulse-train update (k, BL, probabilities from that sample's x_max
    /// and |d|) and every device receives its pulses in sample order, exactly as if the samples were
    /// applied one after the other; then <see cref="EndMiniBatch"/>. No allocation after the first
    /// call with a given batch size.
    /// </summary>
    public void ApplyBatchUpdate(ReadOnlySpan<float> x, PatchGeometry g, ReadOnlySpan<float> d, int batch, float lr)
    {
        CheckPatch(x, g, batch);
        if (d.Length < batch) throw new ArgumentException("delta shorter than batch", nameof(d));
        UpdateBatch(x, g, implicitBias: true, d, batch, lr);
        EndMiniBatch();
    }

    /// <summary>
    /// The batch as sequential rank-1 updates. First every sample's delta train is drawn (BL slots,
    /// n_d firings). Then each device's coincidences with each active sample — Binomial(n_d, p_j),
    /// since the input trains of different columns are independent — are drawn eight at a time and
    /// applied in sample order: sample by sample when few samples are active, device by device
    /// (all samples of one device) when many are. Devices do not interact and all coincidences of
    /// one sample on one device share a sign, so both orders equal applying sample after sample.
    /// </summary>
    private void UpdateBatch(ReadOnlySpan<float> x, PatchGeometry g, bool implicitBias, ReadOnlySpan<float> d, int batch, float lr)
    {
        if (batch == 0) return;
        float sign = 1f;
        if (lr < 0) { lr = -lr; sign = -1f; }
        if (!d[..batch].ContainsAnyExcept(0f)) return; // no delta, no pulse
        int padded = (batch + 7) & ~7;
        EnsureScratch(padded);
        Span<float> xMax = InputScales(x, g, batch, implicitBias);
        int active = 0, maxNd = 0;
        for (int b = 0; b < padded; b++)
        {
            if (b < batch && PrepareSample(xMax[b], sign * d[b], lr, out var s))
            {
                _pScale[b] = s.PScale;
                _meanFactor[b] = s.MeanFactor;
                _nd[b] = s.Nd;
                _dPositive[b] = s.DPositive;
                _active[active++] = b;
                if (s.Nd > maxNd) maxNd = s.Nd;
            }
            else
            {
                _pScale[b] = 0f;
                _meanFactor[b] = 0f;
                _nd[b] = 0;
            }
        }
        if (active == 0) return;
        if (!_meanMode && 2 * active > batch)
        {
            // Many active samples: device by device over all samples, eight Bernoulli trials per draw.
            int j = 0;
            for (int r = 0; r < g.RunCount; r++)
            {
                int row = g.FirstRow + r * g.RunStride;
                for (int t = 0; t < g.RunLength; t++, j++, row++)
                    UpdateDeviceVector(j, x.Slice(row * batch, batch), maxNd);
            }
            if (implicitBias) UpdateDeviceVector(j, _ones.AsSpan(0, batch), maxNd);
        }
        else
        {
            // Few active samples (or mean mode): sample by sample, visiting only the active ones.
            foreach (int b in _active.AsSpan(0, active)) UpdateSample(b, x, g, batch, implicitBias);
        }
    }

    /// <summary>The pulses of active sample <paramref name="b"/> on every device (eight devices per draw; mean mode: expected counts).</summary>
    private void UpdateSample(int b, ReadOnlySpan<float> x, PatchGeometry g, int batch, bool implicitBias)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        int j = 0;
        if (_meanMode)
        {
            for (int r = 0; r < g.RunCount; r++)
            {
                nint idx = (nint)(g.FirstRow + r * g.RunStride) * batch + b;
                for (int t = 0; t < g.RunLength; t++, j++, idx += batch)
                {
                    float xj = Unsafe.Add(ref xr, idx);
                    if (xj != 0f) Coincide(j, xj, b);
                }
            }
            if (implicitBias) Coincide(j, 1f, b);
            return;
        }

        // Eight inputs per draw, in device order across run boundaries (so that the random stream
        // does not depend on the patch geometry): gather x_j of this sample, p_j = |x_j|·B.
        var pScale = Vector256.Create(_pScale[b]);
        int nd = _nd[b];
        bool dPositive = _dPositive[b];
        var it = new PatchCursor(g, batch, b, implicitBias);
        ref float xr0 = ref xr;
        for (int first = 0; first < it.Total; first += 8)
        {
            Vector256<float> xv;
            if (it.Run < g.RunCount && it.Offset + 8 <= g.RunLength)
            {
                // The whole chunk lies in one run: eight strided loads.
                nint i = it.Index, s = batch;
                xv = Vector256.Create(
                    Unsafe.Add(ref xr0, i), Unsafe.Add(ref xr0, i + s), Unsafe.Add(ref xr0, i + 2 * s), Unsafe.Add(ref xr0, i + 3 * s),
                    Unsafe.Add(ref xr0, i + 4 * s), Unsafe.Add(ref xr0, i + 5 * s), Unsafe.Add(ref xr0, i + 6 * s), Unsafe.Add(ref xr0, i + 7 * s));
                it.Skip(8);
            }
            else
            {
                xv = Vector256.Create(
                    it.Next(ref xr0), it.Next(ref xr0), it.Next(ref xr0), it.Next(ref xr0),
                    it.Next(ref xr0), it.Next(ref xr0), it.Next(ref xr0), it.Next(ref xr0));
            }
            Chunk(first, xv, pScale, nd, dPositive);
        }
    }

    /// <summary>
    /// Walks one sample's inputs in device order through the runs of a patch, then the bias input 1
    /// (when implicit), then zeros (padding of the last chunk of eight).
    /// </summary>
    private struct PatchCursor(PatchGeometry g, int batch, int sample, bool implicitBias)
    {
        public int Run;
        public int Offset;
        public nint Index = (nint)g.FirstRow * batch + sample;
        private bool _biasPending = implicitBias;
        public readonly int Total = g.Rows + (implicitBias ? 1 : 0);

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

    /// <summary>
    /// Devices <paramref name="first"/>…+7 with inputs <paramref name="xv"/> meet one sample's delta
    /// train (<paramref name="nd"/> firing slots): Binomial(n_d, p_j) coincidences each, drawn eight
    /// at a time, applied as pulses — DOWN when sign(x_j)·sign(d) &gt; 0, UP otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Chunk(int first, Vector256<float> xv, Vector256<float> pScale, int nd, bool dPositive)
    {
        var p = Vector256.Abs(xv) * pScale;
        if (nd == 1)
        {
            uint fired = Vector256.ExtractMostSignificantBits(Vector256.LessThan(_vrng.NextFloat(), p));
            while (fired != 0)
            {
                int lane = BitOperations.TrailingZeroCount(fired);
                fired &= fired - 1;
                Flush(first + lane, 1, xv.GetElement(lane) > 0 != dPositive);
            }
            return;
        }
        var count = Vector256<int>.Zero;
        for (int slot = 0; slot < nd; slot++) count -= Vector256.LessThan(_vrng.NextFloat(), p).AsInt32();
        uint any = Vector256.ExtractMostSignificantBits(Vector256.GreaterThan(count, Vector256<int>.Zero));
        while (any != 0)
        {
            int lane = BitOperations.TrailingZeroCount(any);
            any &= any - 1;
            Flush(first + lane, count.GetElement(lane), xv.GetElement(lane) > 0 != dPositive);
        }
    }

    /// <summary>
    /// Mean mode: input j (value <paramref name="xj"/>) of sample <paramref name="b"/> gets the
    /// expected coincidence count BL·p_d·min(p_j, 1), rounded with the remainder carried per device
    /// and direction; DOWN when sign(x_j)·sign(d) &gt; 0, UP otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Coincide(int j, float xj, int b)
    {
        float p = MathF.Abs(xj) * _pScale[b];
        bool up = xj > 0 != _dPositive[b];
        float expected = _meanFactor[b] * MathF.Min(p, 1f);
        ref float carry = ref (up ? _carryUp! : _carryDown!)[j];
        float total = carry + expected;
        int n = (int)total;
        carry = total - n;
        if (n > 0) Flush(j, n, up);
    }

    /// <summary>Device <paramref name="j"/>'s pulses from all samples, eight Bernoulli trials per draw.</summary>
    private void UpdateDeviceVector(int j, ReadOnlySpan<float> xRow, int maxNd)
    {
        int batch = xRow.Length;
        int runN = 0;
        bool runUp = false;
        Span<float> tail = stackalloc float[8];
        Span<int> counts = stackalloc int[8];
        ref float pr = ref MemoryMarshal.GetArrayDataReference(_pScale);
        ref int ndr = ref MemoryMarshal.GetArrayDataReference(_nd);
        for (int b0 = 0; b0 < batch; b0 += 8)
        {
            Vector256<float> xv;
            if (b0 + 8 <= batch) xv = Vector256.Create(xRow.Slice(b0, 8));
            else
            {
                tail.Clear();
                xRow[b0..].CopyTo(tail);
                xv = Vector256.Create<float>(tail);
            }
            var p = Vector256.Abs(xv) * Vector256.LoadUnsafe(ref pr, (nuint)b0);
            Vector256<int> count;
            if (maxNd == 1)
            {
                count = -Vector256.LessThan(_vrng.NextFloat(), p).AsInt32();
            }
            else
            {
                count = Vector256<int>.Zero;
                var nd = Vector256.LoadUnsafe(ref ndr, (nuint)b0);
                for (int slot = 1; slot <= maxNd; slot++)
                {
                    var ps = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(nd, Vector256.Create(slot)).AsSingle(), p, Vector256<float>.Zero);
                    count -= Vector256.LessThan(_vrng.NextFloat(), ps).AsInt32();
                }
            }
            if (count == Vector256<int>.Zero) continue;
            count.CopyTo(counts);
            for (int lane = 0; lane < 8; lane++)
            {
                int n = counts[lane];
                if (n == 0) continue;
                int b = b0 + lane;
                bool up = xRow[b] > 0 != _dPositive[b];
                if (runN > 0 && up != runUp) { Flush(j, runN, runUp); runN = 0; }
                runUp = up;
                runN += n;
            }
        }
        if (runN > 0) Flush(j, runN, runUp);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Flush(int j, int n, bool up)
    {
        _updatePulses += n;
        _clipped += PulseWeight(j, n, up);
    }

    private void EnsureScratch(int padded)
    {
        if (_pScale.Length >= padded) return;
        _pScale = new float[padded];
        _meanFactor = new float[padded];
        _nd = new int[padded];
        _active = new int[padded];
        _dPositive = new bool[padded];
        _scale = new float[padded];
        _ones = new float[padded];
        Array.Fill(_ones, 1f);
    }

    private void CheckPatch(ReadOnlySpan<float> x, PatchGeometry g, int batch)
    {
        if (g.Rows != _length - 1) throw new ArgumentException($"patch has {g.Rows} rows, the array {_length - 1} weights + bias", nameof(g));
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        long lastRow = (long)(g.FirstRow + (g.RunCount - 1) * g.RunStride + g.RunLength) * batch;
        if (g.FirstRow < 0 || lastRow > x.Length) throw new ArgumentException("patch lies outside the input buffer", nameof(x));
    }

    /// <summary>
    /// Per sample, the abs-max of the sample's input vector: max_j |x_jb| over the rows of
    /// <paramref name="g"/>, and the bias input 1 when <paramref name="implicitBias"/>.
    /// </summary>
    private Span<float> InputScales(ReadOnlySpan<float> x, PatchGeometry g, int batch, bool implicitBias)
    {
        EnsureScratch((batch + 7) & ~7);
        Span<float> m = _scale.AsSpan(0, batch);
        float init = implicitBias ? 1f : 0f;
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float xr = ref MemoryMarshal.GetReference(x);
        int lanes = Vector<float>.Count, wide = 4 * lanes, b0 = 0;
        // Blocks of four vectors of samples kept in registers across all rows, then single vectors, then scalars.
        for (; b0 + wide <= batch; b0 += wide)
        {
            var a0 = new Vector<float>(init); var a1 = a0; var a2 = a0; var a3 = a0;
            for (int r = 0; r < g.RunCount; r++)
            {
                int row = g.FirstRow + r * g.RunStride;
                for (int t = 0; t < g.RunLength; t++, row++)
                {
                    ref float xs = ref Unsafe.Add(ref xr, (nint)row * batch + b0);
                    a0 = Vector.Max(a0, Vector.Abs(Vector.LoadUnsafe(ref xs)));
                    a1 = Vector.Max(a1, Vector.Abs(Vector.LoadUnsafe(ref xs, (nuint)lanes)));
                    a2 = Vector.Max(a2, Vector.Abs(Vector.LoadUnsafe(ref xs, (nuint)(2 * lanes))));
                    a3 = Vector.Max(a3, Vector.Abs(Vector.LoadUnsafe(ref xs, (nuint)(3 * lanes))));
                }
            }
            a0.StoreUnsafe(ref mr, (nuint)b0);
            a1.StoreUnsafe(ref mr, (nuint)(b0 + lanes));
            a2.StoreUnsafe(ref mr, (nuint)(b0 + 2 * lanes));
            a3.StoreUnsafe(ref mr, (nuint)(b0 + 3 * lanes));
        }
        for (; b0 + lanes <= batch; b0 += lanes)
        {
            var a0 = new Vector<float>(init);
            for (int r = 0; r < g.RunCount; r++)
            {
                int row = g.FirstRow + r * g.RunStride;
                for (int t = 0; t < g.RunLength; t++, row++)
                    a0 = Vector.Max(a0, Vector.Abs(Vector.LoadUnsafe(ref Unsafe.Add(ref xr, (nint)row * batch + b0))));
            }
            a0.StoreUnsafe(ref mr, (nuint)b0);
        }
        for (; b0 < batch; b0++)
        {
            float a0 = init;
            for (int r = 0; r < g.RunCount; r++)
            {
                int row = g.FirstRow + r * g.RunStride;
                for (int t = 0; t < g.RunLength; t++, row++)
                    a0 = MathF.Max(a0, MathF.Abs(Unsafe.Add(ref xr, (nint)row * batch + b0)));
            }
            Unsafe.Add(ref mr, b0) = a0;
        }
        return m;
    }

    /// <summary>
    /// Ends a mini-batch: applies the per-mini-batch decay (lifetime) and, for one-sided pairs, the
    /// refresh check (aihwkit refresh_every = 1 mini-batch). The batch update methods call it.
    /// </summary>
    public void EndMiniBatch()
    {
        if (_decay is not null) Decay();
        if (_oneSided) RefreshPairs();
    }

    // ---------------------------------------------------------------- gradient write and programming

    /// <summary>
    /// Writes w ← w − lr·g by pulses, for a gradient without outer-product structure (e.g. the sum
    /// of a map's gradients under tied weights): weight j receives |lr·g_j|/dw_min pulses (UP when
    /// lr·g_j &lt; 0), rounded stochastically (mode stochastic: floor + Bernoulli of the fraction)
    /// or with the carried remainder (mode mean), at most <c>program_max_pulses</c>. The result is
    /// SGD only on average and up to each device's own step, nonlinearity and bounds. Ends the mini-batch.
    /// </summary>
    public void ApplyGradient(ReadOnlySpan<float> gradient, float lr)
    {
        if (gradient.Length < _length) throw new ArgumentException("gradient shorter than the array", nameof(gradient));
        for (int j = 0; j < _length; j++)
        {
            double e = (double)lr * gradient[j] / _dwMin;
            double a = Math.Abs(e);
            if (!(a > 0)) continue;
            bool up = e < 0;
            int n;
            if (a >= _programCap) n = _programCap;
            else if (_meanMode)
            {
                ref float carry = ref (up ? _carryUp! : _carryDown!)[j];
                double total = carry + a;
                n = (int)total;
                carry = (float)(total - n);
            }
            else
            {
                n = (int)a;
                if (_rng.NextDouble() < a - n) n++;
            }
            if (n > 0)
            {
                _updatePulses += n;
                _clipped += PulseWeight(j, n, up);
            }
        }
        EndMiniBatch();
    }

    /// <summary>
    /// Program-to-target by pulses (not assignment): for each weight, closed-loop program-and-verify
    /// — read (counted); while |target − read| &gt; dw_min/2, give a burst of pulses towards the target
    /// and read again. Bursts start at one pulse and adapt to the step the device showed: half the
    /// remaining error over the observed step per pulse, at most doubling from burst to burst, one
    /// pulse again after an overshoot — so nonlinear devices do not overshoot and long moves need
    /// few verify reads. The loop stops when within dw_min/2,
    /// when a pulse is clipped (the device is saturated; a stuck device stops after one burst), after
    /// the error has changed sign 3 times (dithering with steps larger than the tolerance), or after
    /// min(4·ceil(|Δ|/dw_min), program_max_pulses) pulses for the initial error Δ. One-sided pairs pulse g⁺ up to raise the weight and g⁻ up to lower it;
    /// a pair that saturates is reset and programmed once more. Reads see write noise, so the
    /// verify loop does too. Pulses are counted as program pulses.
    /// </summary>
    public void ProgramTo(ReadOnlySpan<float> target)
    {
        if (target.Length != _length) throw new ArgumentException($"target holds {target.Length} values, the array {_length}", nameof(target));
        for (int j = 0; j < _length; j++)
        {
            if (_oneSided) ProgramPair(j, target[j]);
            else ProgramDevice(j, target[j]);
        }
    }

    private int Budget(float error) => (int)Math.Max(1, Math.Min(4.0 * Math.Ceiling(Math.Abs(error) / _dwMin), _programCap));

    /// <summary>
    /// Length of the next burst: half the remaining error divided by the step per pulse observed in
    /// the last burst, at least 1 and at most twice the last burst (1 after an overshoot or when
    /// the last burst showed no progress, e.g. under read noise: then it doubles).
    /// </summary>
    private int NextBurst(float error, float previousError, int previousBurst, bool flipped)
    {
        if (flipped) return 1;
        float moved = (previousError - error) * MathF.Sign(previousError);
        if (!(moved > 0)) return 2 * previousBurst;
        double perPulse = moved / previousBurst;
        double n = 0.5 * Math.Abs(error) / perPulse;
        return (int)Math.Clamp(n, 1, 2.0 * previousBurst);
    }

    private void ProgramDevice(int d, float target)
    {
        float tol = 0.5f * _dwMin;
        _reads++;
        float e = target - Apparent(d);
        if (!(MathF.Abs(e) > tol)) return;
        int budget = Budget(e), used = 0, flips = 0, burst = 1;
        while (used < budget)
        {
            bool up = e > 0;
            int n = Math.Min(burst, budget - used);
            used += n;
            _programPulses += n;
            if (Burst(d, n, up) > 0 || _p[d].Stuck) break;
            _reads++;
            float next = target - Apparent(d);
            if (MathF.Abs(next) <= tol) break;
            bool flipped = next > 0 != up;
            if (flipped && ++flips >= 3) break;
            burst = NextBurst(next, e, n, flipped);
            e = next;
        }
    }

    private void ProgramPair(int j, float target)
    {
        int plus = 2 * j, minus = 2 * j + 1;
        float tol = 0.5f * _dwMin;
        for (int attempt = 0; attempt < 2; attempt++)
        {
            _reads += 2;
            float e = target - (Apparent(plus) - Apparent(minus));
            if (!(MathF.Abs(e) > tol)) break;
            int budget = Budget(e), used = 0, flips = 0, burst = 1;
            bool saturated = false;
            while (used < budget)
            {
                bool up = e > 0;
                int d = up ? plus : minus;
                int n = Math.Min(burst, budget - used);
                used += n;
                _programPulses += n;
                if (Burst(d, n, true) > 0 || _p[d].Stuck) { saturated = true; break; }
                _reads += 2;
                float next = target - (Apparent(plus) - Apparent(minus));
                if (MathF.Abs(next) <= tol) break;
                bool flipped = next > 0 != up;
                if (flipped && ++flips >= 3) break;
                burst = NextBurst(next, e, n, flipped);
                e = next;
            }
            if (!saturated || attempt == 1 || _p[plus].Stuck || _p[minus].Stuck) break;
            ResetDevice(plus);
            ResetDevice(minus);
        }
        _read[j] = Apparent(plus) - Apparent(minus);
    }

    /// <summary>
    /// aihwkit's one-sided refresh criterion on each pair (read, counted): with g_hi the larger and
    /// g_lo the smaller device, refresh when g_hi &gt; refresh_upper_thres·w_max and g_lo &gt;
    /// refresh_lower_thres·w_max; a refresh resets both devices and programs the pair's previous
    /// value back (closed loop, <see cref="ProgramTo"/>'s rules).
    /// </summary>
    private void RefreshPairs()
    {
        _reads += _deviceCount;
        float[] g = _app ?? _w;
        for (int j = 0; j < _length; j++)
        {
            float wp = g[2 * j], wm = g[2 * j + 1];
            // Cheap pre-check: a refresh needs both devices above the lower threshold.
            if (wp <= _refreshLower || wm <= _refreshLower) continue;
            bool refresh = wp > wm ? wp > _refreshUpper : wm > _refreshUpper;
            if (!refresh) continue;
            _refreshes++;
            ResetDevice(2 * j);
            ResetDevice(2 * j + 1);
            ProgramPair(j, wp - wm);
        }
    }

    private void Decay()
    {
        for (int d = 0; d < _deviceCount; d++)
        {
            if (_p[d].Stuck) continue;
            float bias = _resetBias?[d] ?? 0f;
            float f = _decay![d];
            float w = (_w[d] - bias) * f + bias;
            float delta = w - _w[d];
            _w[d] = w;
            if (_app is not null) _app[d] += delta;
            if (_w0 is not null) _w0[d] = (_w0[d] - bias) * f + bias;
        }
        if (_oneSided) RefreshReads();
    }

    private void RefreshReads()
    {
        for (int j = 0; j < _length; j++) _read[j] = Apparent(2 * j) - Apparent(2 * j + 1);
    }

    // ---------------------------------------------------------------- drift and output noise

    /// <summary>
    /// Advances simulated time by <paramref name="seconds"/>. With drift (drift_nu &gt; 0) every
    /// device relaxes as w = w0·(t/t0)^(−ν) once t, the time since its last write (pulse or reset),
    /// exceeds t0 (drift_t0); w0 is its weight right after that write and a pulse restarts the clock.
    /// Costs one power per device per call: call it at the granularity you need.
    /// </summary>
    public void AdvanceTime(double seconds)
    {
        if (_age is null || !(seconds > 0)) return;
        for (int d = 0; d < _deviceCount; d++)
        {
            if (_p[d].Stuck) continue;
            double age = _age[d] += seconds;
            if (age <= _t0) continue;
            float w = _w0![d] * MathF.Exp(-_nu![d] * MathF.Log((float)(age / _t0)));
            w = Math.Clamp(w, _p[d].BMin, _p[d].BMax);
            float delta = w - _w[d];
            _w[d] = w;
            if (_app is not null) _app[d] += delta;
        }
        if (_oneSided) RefreshReads();
    }

    /// <summary>One output-noise draw out_noise·ξ in normalised units from <paramref name="rng"/> (see <see cref="DeviceConfig.OutputNoise"/>).</summary>
    public float OutputNoise(Random rng) => Config.OutputNoise(rng);

    /// <summary>Adds out_noise·<paramref name="inputScale"/>·ξ to every element of <paramref name="y"/> (array's own random source).</summary>
    public void AddOutputNoise(Span<float> y, float inputScale = 1f)
    {
        if (_outNoise == 0f) return;
        float s = _outNoise * inputScale;
        for (int i = 0; i < y.Length; i++) y[i] += s * Normal();
    }

    /// <summary>
    /// Adds the analog read noise to a unit's pre-activations: y[b] += out_noise·α_b·ξ with
    /// α_b = max(1, max_j |x_jb|), the abs-max input scale of sample b (aihwkit's noise management
    /// normalises inputs by it and scales the output back, so the noise scales with it).
    /// </summary>
    public void AddOutputNoise(Span<float> y, ReadOnlySpan<float> x, PatchGeometry g, int batch)
    {
        if (_outNoise == 0f) return;
        CheckPatch(x, g, batch);
        if (y.Length < batch) throw new ArgumentException("output shorter than batch", nameof(y));
        Span<float> alpha = InputScales(x, g, batch, implicitBias: true);
        for (int b = 0; b < batch; b++) y[b] += _outNoise * alpha[b] * Normal();
    }

    // ---------------------------------------------------------------- test hooks

    /// <summary>The drawn parameters of device <paramref name="d"/>.</summary>
    internal DeviceParams ParamsOf(int d) => _p[d];

    /// <summary>The persistent weight of device <paramref name="d"/>.</summary>
    internal float DeviceWeight(int d) => _w[d];

    /// <summary>The apparent (read) weight of device <paramref name="d"/>.</summary>
    internal float DeviceApparent(int d) => Apparent(d);

    /// <summary>Pulses device <paramref name="d"/> has received.</summary>
    internal int DevicePulses(int d) => _pulses[d];

    /// <summary>Sets device <paramref name="d"/>'s persistent and apparent weight (tests only; clipped to its bounds).</summary>
    internal void SetDeviceWeight(int d, float w)
    {
        w = Math.Clamp(w, _p[d].BMin, _p[d].BMax);
        _w[d] = w;
        if (_app is not null) _app[d] = w;
        if (_w0 is not null) { _w0[d] = w; _age![d] = 0; }
        if (_oneSided) _read[d / 2] = Apparent(d & ~1) - Apparent(d | 1);
    }

    /// <summary>One pulse on device <paramref name="d"/> (tests only); returns its new persistent weight.</summary>
    internal float PulseDevice(int d, bool up)
    {
        _clipped += Burst(d, 1, up);
        _updatePulses++;
        if (_oneSided) _read[d / 2] = Apparent(d & ~1) - Apparent(d | 1);
        return _w[d];
    }
}
