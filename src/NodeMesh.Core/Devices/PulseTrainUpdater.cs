using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using NodeMesh.Core.Units;

namespace NodeMesh.Core.Devices;

/// <summary>
/// Training updates as pulses (aihwkit's stochastic-compressed pulse trains): each sample of a
/// batch is one rank-1 update W ← W − lr·d·x whose delta train (BL slots) and input trains meet
/// on the devices; every coincidence is a pulse (mode stochastic) or each device receives the
/// expected count with a carried remainder (mode mean). Also writes gradients without
/// outer-product structure as their expected pulse count (PulseTrainUpdater.Gradient.cs). Owns the per-batch scratch, the
/// eight-lane train generator and the mean-mode carries; pulses land on <see cref="DeviceCells"/>
/// and count as update pulses. Does not end the mini-batch (the facade does). After the first call
/// with a given batch size nothing here allocates.
/// </summary>
internal sealed partial class PulseTrainUpdater
{
    private const double Two32 = 4294967296.0;

    private readonly DeviceCells _cells;
    private readonly DeviceNoiseSource _noise;
    private readonly float _granularity; // weight change per pulse assumed when sizing pulse counts (DeviceConfig.WeightGranularity)
    private readonly int _desiredBl;
    private readonly bool _updateManagement, _meanMode;
    private readonly int _programCap;
    private readonly float[]? _carryUp, _carryDown; // mean mode: carried fractional pulses per weight and direction
    private DeviceVectorRng _vrng; // mutable struct: only ever called through this field

    /// <summary>
    /// Updates of <paramref name="cells"/> under <paramref name="config"/>'s train settings; the
    /// delta trains and gradient rounding draw from <paramref name="noise"/>, the input trains from
    /// <paramref name="trainRng"/>.
    /// </summary>
    public PulseTrainUpdater(DeviceConfig config, DeviceCells cells, DeviceNoiseSource noise, DeviceVectorRng trainRng)
    {
        _cells = cells;
        _noise = noise;
        _granularity = (float)config.WeightGranularity;
        _desiredBl = config.DesiredBl;
        _updateManagement = config.UpdateManagement;
        _meanMode = config.Mode == PulseMode.Mean;
        _programCap = config.ProgramMaxPulses;
        _vrng = trainRng;
        if (_meanMode)
        {
            // Start half-way: the carried total rounds to nearest rather than down.
            _carryUp = new float[cells.Length];
            _carryDown = new float[cells.Length];
            Array.Fill(_carryUp, 0.5f);
            Array.Fill(_carryDown, 0.5f);
        }
    }

    /// <summary>The pulse-train parameters of one sample (one rank-1 update).</summary>
    private struct SampleScale
    {
        public float PScale;     // p_j = |x_j|·PScale: firing probability of input j per slot
        public float MeanFactor; // mean mode: BL·p_d, the expected count is MeanFactor·min(p_j, 1)
        public int Nd;           // stochastic mode: slots in which the delta fired
        public bool DPositive;
    }

    /// <summary>One rank-1 update from a single sample <paramref name="x"/> (all Length inputs, bias input last).</summary>
    public void UpdateOne(ReadOnlySpan<float> x, float d, float lr)
    {
        Span<float> delta = [d];
        Update(x, new PatchGeometry(0, 1, _cells.Length, 0), implicitBias: false, delta, 1, lr);
    }

    /// <summary>
    /// A materialised sample-major batch [batch][Length]: transposed into sample-innermost rows
    /// (reused scratch), then the same update as a patch without implicit bias.
    /// </summary>
    public void UpdateSamples(ReadOnlySpan<float> samples, ReadOnlySpan<float> d, int batch, float lr)
    {
        int length = _cells.Length;
        var transposed = BatchScratch.Transposed(batch * length);
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < length; j++)
                transposed[j * batch + b] = samples[b * length + j];
        Update(transposed.AsSpan(0, batch * length), new PatchGeometry(0, 1, length, 0), implicitBias: false, d, batch, lr);
    }

    /// <summary>
    /// k = lr·x_max·|d|/g with g the model's weight granularity (aihwkit's; dw_min for most
    /// models), BL = min(ceil k, desired_bl), A = B = sqrt(lr/(g·BL)); with
    /// update management A·|d| = sqrt(k/BL) and B = sqrt(k/BL)/x_max while k ≤ BL. When k exceeds
    /// BL, update management first scales d by BL/k as aihwkit does: B = 1/x_max and the delta
    /// fires in every slot, so input j gets BL·|x_j|/x_max pulses — proportional to |x_j| instead
    /// of all large inputs saturating at BL. Draws the delta's train. Returns false when no pulse
    /// can result.
    /// </summary>
    private bool PrepareSample(float xMax, float dv, float lr, out SampleScale s)
    {
        s = default;
        double ad = Math.Abs(dv);
        double k = (double)lr * xMax * ad / _granularity;
        if (!(k > 0) || double.IsInfinity(k)) return false;
        int bl = k >= _desiredBl ? _desiredBl : Math.Max(1, (int)Math.Ceiling(k));
        double pd, pScale;
        if (_updateManagement)
        {
            if (k > bl)
            {
                // Saturated: d scaled by BL/k so that p_j = |x_j|/x_max ≤ 1 (the delta's
                // probability, k/BL, is above 1 and clipped below).
                pd = 1;
                pScale = 1.0 / xMax;
            }
            else
            {
                double q = Math.Sqrt(k / bl);
                pd = q;
                pScale = q / xMax;
            }
        }
        else
        {
            double a = Math.Sqrt(lr / ((double)_granularity * bl));
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
            for (int i = 0; i < bl; i++) if (_noise.NextUInt32() < thr) nd++;
        }
        s.Nd = nd;
        return nd > 0;
    }

    /// <summary>A probability as a threshold on 32 uniform bits (saturating just below 2^32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Threshold(double p) => (uint)Math.Min(p * Two32, Two32 - 1);

    /// <summary>
    /// The batch as sequential rank-1 updates. First every sample's delta train is drawn (BL slots,
    /// n_d firings). Then each device's coincidences with each active sample — Binomial(n_d, p_j),
    /// since the input trains of different columns are independent — are drawn eight at a time and
    /// applied in sample order: sample by sample when few samples are active, device by device
    /// (all samples of one device) when many are. Devices do not interact and all coincidences of
    /// one sample on one device share a sign, so both orders equal applying sample after sample.
    /// </summary>
    /// <remarks>
    /// <paramref name="inputScales"/>, when not empty, holds each sample's abs-max input scale as
    /// <see cref="PatchInputScales.AbsMax"/> would compute it for these arguments (the forward pass
    /// takes it on the way, <see cref="UnitKernels.Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, PatchGeometry, int, Span{float}, Span{float})"/>);
    /// empty, it is computed here.
    /// </remarks>
    public void Update(ReadOnlySpan<float> x, PatchGeometry g, bool implicitBias, ReadOnlySpan<float> d, int batch, float lr, ReadOnlySpan<float> inputScales = default)
    {
        if (batch == 0) return;
        float sign = 1f;
        if (lr < 0) { lr = -lr; sign = -1f; }
        if (!d[..batch].ContainsAnyExcept(0f)) return; // no delta, no pulse
        int padded = (batch + 7) & ~7;
        var s = BatchScratch.For(padded);
        ReadOnlySpan<float> xMax;
        if (inputScales.IsEmpty)
        {
            PatchInputScales.AbsMax(x, g, batch, implicitBias, s.Scale);
            xMax = s.Scale.AsSpan(0, batch);
        }
        else xMax = inputScales[..batch];
        int active = 0, maxNd = 0;
        for (int b = 0; b < padded; b++)
        {
            if (b < batch && PrepareSample(xMax[b], sign * d[b], lr, out var one))
            {
                s.PScale[b] = one.PScale;
                s.MeanFactor[b] = one.MeanFactor;
                s.Nd[b] = one.Nd;
                s.DPositive[b] = one.DPositive;
                s.Active[active++] = b;
                if (one.Nd > maxNd) maxNd = one.Nd;
            }
            else
            {
                s.PScale[b] = 0f;
                s.MeanFactor[b] = 0f;
                s.Nd[b] = 0;
            }
        }
        if (active == 0) return;
        if (!_meanMode) _cells.PrefetchUpdateState();
        if (!_meanMode && 2 * active > batch)
        {
            // Many active samples: device by device over all samples, eight Bernoulli trials per draw.
            int j = 0;
            for (int r = 0; r < g.RunCount; r++)
            {
                int row = g.FirstRow + r * g.RunStride;
                for (int t = 0; t < g.RunLength; t++, j++, row++)
                    UpdateDeviceVector(s, j, x.Slice(row * batch, batch), maxNd);
            }
            if (implicitBias) UpdateDeviceVector(s, j, s.Ones.AsSpan(0, batch), maxNd);
        }
        else
        {
            // Few active samples (or mean mode): sample by sample, visiting only the active ones.
            foreach (int b in s.Active.AsSpan(0, active)) UpdateSample(s, b, x, g, batch, implicitBias);
        }
    }

    /// <summary>The pulses of active sample <paramref name="b"/> on every device (eight devices per draw; mean mode: expected counts).</summary>
    private void UpdateSample(BatchScratch s, int b, ReadOnlySpan<float> x, PatchGeometry g, int batch, bool implicitBias)
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
                    if (xj != 0f) Coincide(s, j, xj, b);
                }
            }
            if (implicitBias) Coincide(s, j, 1f, b);
            return;
        }

        // Eight inputs per draw, in device order across run boundaries (so that the random stream
        // does not depend on the patch geometry): gather x_j of this sample, p_j = |x_j|·B.
        var pScale = Vector256.Create(s.PScale[b]);
        int nd = s.Nd[b];
        bool dPositive = s.DPositive[b];
        var it = new PatchCursor(g, batch, b, implicitBias);
        ref float xr0 = ref xr;
        for (int first = 0; first < it.Total; first += 8)
        {
            Vector256<float> xv;
            if (it.Run < g.RunCount && it.Offset + 8 <= g.RunLength)
            {
                // The whole chunk lies in one run: eight strided loads.
                nint i = it.Index, st = batch;
                xv = Vector256.Create(
                    Unsafe.Add(ref xr0, i), Unsafe.Add(ref xr0, i + st), Unsafe.Add(ref xr0, i + 2 * st), Unsafe.Add(ref xr0, i + 3 * st),
                    Unsafe.Add(ref xr0, i + 4 * st), Unsafe.Add(ref xr0, i + 5 * st), Unsafe.Add(ref xr0, i + 6 * st), Unsafe.Add(ref xr0, i + 7 * st));
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
    private void Coincide(BatchScratch s, int j, float xj, int b)
    {
        float p = MathF.Abs(xj) * s.PScale[b];
        bool up = xj > 0 != s.DPositive[b];
        float expected = s.MeanFactor[b] * MathF.Min(p, 1f);
        ref float carry = ref (up ? _carryUp! : _carryDown!)[j];
        float total = carry + expected;
        int n = (int)total;
        carry = total - n;
        if (n > 0) Flush(j, n, up);
    }

    /// <summary>Device <paramref name="j"/>'s pulses from all samples, eight Bernoulli trials per draw.</summary>
    private void UpdateDeviceVector(BatchScratch s, int j, ReadOnlySpan<float> xRow, int maxNd)
    {
        int batch = xRow.Length;
        int runN = 0;
        bool runUp = false;
        Span<float> tail = stackalloc float[8];
        Span<int> counts = stackalloc int[8];
        ref float pr = ref MemoryMarshal.GetArrayDataReference(s.PScale);
        ref int ndr = ref MemoryMarshal.GetArrayDataReference(s.Nd);
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
                bool up = xRow[b] > 0 != s.DPositive[b];
                if (runN > 0 && up != runUp) { Flush(j, runN, runUp); runN = 0; }
                runUp = up;
                runN += n;
            }
        }
        if (runN > 0) Flush(j, runN, runUp);
    }

    /// <summary><paramref name="n"/> update pulses on weight <paramref name="j"/>, counted with their clipping.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Flush(int j, int n, bool up)
    {
        _cells.UpdatePulses += n;
        _cells.Clipped += _cells.PulseWeight(j, n, up);
    }

    /// <summary>
    /// The per-batch scratch of one update call (per-sample train parameters, the active samples,
    /// input scales, a row of ones, a transposed batch): written before it is read in every call and
    /// never kept, so one per thread serves every array updated on that thread. Per array it cost
    /// eight arrays of memory and, in a sweep over thousands of units, eight cold cache misses per update.
    /// </summary>
    private sealed class BatchScratch
    {
        [ThreadStatic] private static BatchScratch? t_current;
        [ThreadStatic] private static float[]? t_transposed;

        public float[] PScale = [], MeanFactor = [], Scale = [], Ones = [];
        public int[] Nd = [], Active = [];
        public bool[] DPositive = [];

        /// <summary>This thread's scratch, grown to at least <paramref name="padded"/> samples.</summary>
        public static BatchScratch For(int padded)
        {
            var s = t_current ??= new BatchScratch();
            if (s.PScale.Length < padded)
            {
                s.PScale = new float[padded];
                s.MeanFactor = new float[padded];
                s.Nd = new int[padded];
                s.Active = new int[padded];
                s.DPositive = new bool[padded];
                s.Scale = new float[padded];
                s.Ones = new float[padded];
                Array.Fill(s.Ones, 1f);
            }
            return s;
        }

        /// <summary>This thread's buffer for a transposed batch, at least <paramref name="length"/> floats.</summary>
        public static float[] Transposed(int length)
        {
            var t = t_transposed;
            if (t is null || t.Length < length) t_transposed = t = new float[length];
            return t;
        }
    }
}
