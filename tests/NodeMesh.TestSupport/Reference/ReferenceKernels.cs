namespace NodeMesh.TestSupport.Reference;

/// <summary>
/// Plain, loop-only kernels of the reference implementation (<see cref="ReferenceNet"/>).
/// Tensors are <c>float</c> in NCHW layout; <b>every sum is accumulated in <c>double</c></b> and
/// rounded to <c>float</c> once when stored, so results are (nearly) the correctly rounded values
/// and hardly depend on summation order. Every kernel overwrites its outputs (nothing accumulates
/// into caller memory). Written for obviousness over speed: plain loops, single-threaded; the only
/// concession is that convolution dot products and axpys over contiguous double vectors go through
/// <see cref="System.Numerics.Tensors.TensorPrimitives"/> (SIMD, also fast in Debug builds).
/// The convolutions and <see cref="ConvGeometry"/> are in ReferenceKernels.Conv.cs; dense layers,
/// pooling, activations and the loss are here.
/// </summary>
public static partial class ReferenceKernels
{
    // ------------------------------------------------------------------ dense

    /// <summary><c>y[b,o] = bias[o] + Σ_i w[o,i]·x[b,i]</c>; weight [out, in].</summary>
    public static void DenseForward(ReadOnlySpan<float> x, int batch, int inputs, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, int outputs, Span<float> y)
    {
        CheckDense(x.Length, batch, inputs, weight.Length, bias.Length, outputs, y.Length);
        for (int b = 0; b < batch; b++)
        for (int o = 0; o < outputs; o++)
        {
            double sum = bias[o];
            for (int i = 0; i < inputs; i++)
                sum += (double)weight[o * inputs + i] * x[b * inputs + i];
            y[b * outputs + o] = (float)sum;
        }
    }

    /// <summary>
    /// <c>dW[o,i] = Σ_b dy[b,o]·x[b,i]</c>, <c>dB[o] = Σ_b dy[b,o]</c>, <c>dx[b,i] = Σ_o dy[b,o]·w[o,i]</c>
    /// (empty <paramref name="dx"/> skips it).
    /// </summary>
    public static void DenseBackward(ReadOnlySpan<float> x, int batch, int inputs, ReadOnlySpan<float> weight,
        int outputs, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dWeight, Span<float> dBias)
    {
        CheckDense(x.Length, batch, inputs, weight.Length, dBias.Length, outputs, dy.Length);
        if (dWeight.Length != weight.Length) throw new ArgumentException($"dWeight has {dWeight.Length} elements, expected {weight.Length}.", nameof(dWeight));
        if (!dx.IsEmpty && dx.Length != x.Length) throw new ArgumentException($"dx has {dx.Length} elements, expected {x.Length} (or 0 to skip).", nameof(dx));
        for (int o = 0; o < outputs; o++)
        {
            double db = 0;
            for (int b = 0; b < batch; b++) db += dy[b * outputs + o];
            dBias[o] = (float)db;
            for (int i = 0; i < inputs; i++)
            {
                double dw = 0;
                for (int b = 0; b < batch; b++) dw += (double)dy[b * outputs + o] * x[b * inputs + i];
                dWeight[o * inputs + i] = (float)dw;
            }
        }
        if (dx.IsEmpty) return;
        for (int b = 0; b < batch; b++)
        for (int i = 0; i < inputs; i++)
        {
            double sum = 0;
            for (int o = 0; o < outputs; o++) sum += (double)dy[b * outputs + o] * weight[o * inputs + i];
            dx[b * inputs + i] = (float)sum;
        }
    }

    private static void CheckDense(int xLen, int batch, int inputs, int wLen, int bLen, int outputs, int yLen)
    {
        if (batch < 0 || inputs < 1 || outputs < 1) throw new ArgumentException($"Invalid dense shape batch {batch}, {inputs} -> {outputs}.");
        if (xLen != batch * inputs) throw new ArgumentException($"x has {xLen} elements, expected {batch * inputs}.");
        if (wLen != outputs * inputs) throw new ArgumentException($"weight has {wLen} elements, expected {outputs * inputs}.");
        if (bLen != outputs) throw new ArgumentException($"bias has {bLen} elements, expected {outputs}.");
        if (yLen != batch * outputs) throw new ArgumentException($"y/dy has {yLen} elements, expected {batch * outputs}.");
    }

    // ------------------------------------------------------------------ pooling (window = stride = k, floor)

    /// <summary>
    /// Max pool of <paramref name="planes"/> maps of h×w to (h/k)×(w/k) (floor: trailing rows/columns are
    /// dropped). <paramref name="argmax"/> receives the flat index into <paramref name="x"/> of each
    /// maximum; ties go to the first element in row-major window order (as PyTorch).
    /// </summary>
    public static void MaxPoolForward(ReadOnlySpan<float> x, int planes, int h, int w, int k, Span<float> y, Span<int> argmax)
    {
        int ph = h / k, pw = w / k;
        CheckPool(x.Length, planes, h, w, k, y.Length);
        if (argmax.Length != y.Length) throw new ArgumentException($"argmax has {argmax.Length} elements, expected {y.Length}.", nameof(argmax));
        for (int pl = 0; pl < planes; pl++)
        for (int py = 0; py < ph; py++)
        for (int px = 0; px < pw; px++)
        {
            int best = (pl * h + py * k) * w + px * k;
            for (int dy = 0; dy < k; dy++)
            for (int dx = 0; dx < k; dx++)
            {
                int idx = (pl * h + py * k + dy) * w + px * k + dx;
                if (x[idx] > x[best]) best = idx;
            }
            int o = (pl * ph + py) * pw + px;
            y[o] = x[best];
            argmax[o] = best;
        }
    }

    /// <summary>Routes each pooled gradient to its maximum; every other input gets 0.</summary>
    public static void MaxPoolBackward(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx)
    {
        if (argmax.Length != dy.Length) throw new ArgumentException($"argmax has {argmax.Length} elements, expected {dy.Length}.", nameof(argmax));
        dx.Clear();
        for (int o = 0; o < dy.Length; o++) dx[argmax[o]] += dy[o]; // windows do not overlap
    }

    /// <summary>Average pool, window = stride = k, floor: <c>y = (Σ window) / k²</c>.</summary>
    public static void AvgPoolForward(ReadOnlySpan<float> x, int planes, int h, int w, int k, Span<float> y)
    {
        int ph = h / k, pw = w / k;
        CheckPool(x.Length, planes, h, w, k, y.Length);
        for (int pl = 0; pl < planes; pl++)
        for (int py = 0; py < ph; py++)
        for (int px = 0; px < pw; px++)
        {
            double sum = 0;
            for (int dy = 0; dy < k; dy++)
            for (int dx = 0; dx < k; dx++)
                sum += x[(pl * h + py * k + dy) * w + px * k + dx];
            y[(pl * ph + py) * pw + px] = (float)(sum / (k * k));
        }
    }

    /// <summary>Each input of a window gets <c>dy / k²</c>; inputs cut off by the floor get 0.</summary>
    public static void AvgPoolBackward(ReadOnlySpan<float> dy, int planes, int h, int w, int k, Span<float> dx)
    {
        int ph = h / k, pw = w / k;
        CheckPool(dx.Length, planes, h, w, k, dy.Length);
        dx.Clear();
        for (int pl = 0; pl < planes; pl++)
        for (int py = 0; py < ph; py++)
        for (int px = 0; px < pw; px++)
        {
            float share = (float)((double)dy[(pl * ph + py) * pw + px] / (k * k));
            for (int ddy = 0; ddy < k; ddy++)
            for (int ddx = 0; ddx < k; ddx++)
                dx[(pl * h + py * k + ddy) * w + px * k + ddx] = share;
        }
    }

    private static void CheckPool(int xLen, int planes, int h, int w, int k, int yLen)
    {
        if (planes < 0 || k < 1 || h < k || w < k) throw new ArgumentException($"Invalid pool: {planes} planes of {h}x{w}, window {k}.");
        if (xLen != planes * h * w) throw new ArgumentException($"pool input has {xLen} elements, expected {planes * h * w}.");
        if (yLen != planes * (h / k) * (w / k)) throw new ArgumentException($"pool output has {yLen} elements, expected {planes * (h / k) * (w / k)}.");
    }

    // ------------------------------------------------------------------ activations

    /// <summary><c>y = max(x, 0)</c>.</summary>
    public static void ReluForward(ReadOnlySpan<float> x, Span<float> y)
    {
        SameLength(x.Length, y.Length);
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : 0f;
    }

    /// <summary><c>dx = dy</c> where the ReLU input was &gt; 0, else 0 (PyTorch's convention at 0).</summary>
    public static void ReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        SameLength(x.Length, dy.Length); SameLength(x.Length, dx.Length);
        for (int i = 0; i < x.Length; i++) dx[i] = x[i] > 0 ? dy[i] : 0f;
    }

    /// <summary><c>y = tanh(x)</c>, computed in double.</summary>
    public static void TanhForward(ReadOnlySpan<float> x, Span<float> y)
    {
        SameLength(x.Length, y.Length);
        for (int i = 0; i < x.Length; i++) y[i] = (float)Math.Tanh(x[i]);
    }

    /// <summary><c>dx = dy·(1 − y²)</c> from the tanh <em>output</em> y.</summary>
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        SameLength(y.Length, dy.Length); SameLength(y.Length, dx.Length);
        for (int i = 0; i < y.Length; i++) dx[i] = (float)(dy[i] * (1.0 - (double)y[i] * y[i]));
    }

    private static void SameLength(int a, int b)
    {
        if (a != b) throw new ArgumentException($"length mismatch: {a} vs {b}.");
    }

    // ------------------------------------------------------------------ loss

    /// <summary>
    /// Softmax cross-entropy averaged over the batch (PyTorch <c>CrossEntropyLoss(reduction='mean')</c>).
    /// Writes <c>dLogits = (softmax − onehot) / batch</c> and returns the mean loss, both from a
    /// max-shifted log-sum-exp in double.
    /// </summary>
    public static double SoftmaxCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<byte> labels, int batch, int classes, Span<float> dLogits)
    {
        if (batch < 1 || classes < 1) throw new ArgumentException($"Invalid loss shape batch {batch}, classes {classes}.");
        if (logits.Length != batch * classes) throw new ArgumentException($"logits has {logits.Length} elements, expected {batch * classes}.", nameof(logits));
        if (labels.Length != batch) throw new ArgumentException($"labels has {labels.Length} elements, expected {batch}.", nameof(labels));
        if (dLogits.Length != logits.Length) throw new ArgumentException($"dLogits has {dLogits.Length} elements, expected {logits.Length}.", nameof(dLogits));
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            var z = logits.Slice(b * classes, classes);
            int label = labels[b];
            if (label >= classes) throw new ArgumentException($"label {label} of sample {b} is not a class (0..{classes - 1}).", nameof(labels));
            double max = double.NegativeInfinity;
            for (int c = 0; c < classes; c++) max = Math.Max(max, z[c]);
            double sumExp = 0;
            for (int c = 0; c < classes; c++) sumExp += Math.Exp(z[c] - max);
            double logSumExp = max + Math.Log(sumExp);
            total += logSumExp - z[label];
            for (int c = 0; c < classes; c++)
            {
                double softmax = Math.Exp(z[c] - logSumExp);
                dLogits[b * classes + c] = (float)((softmax - (c == label ? 1.0 : 0.0)) / batch);
            }
        }
        return total / batch;
    }

    private static void Store(double[] source, Span<float> target)
    {
        for (int i = 0; i < source.Length; i++) target[i] = (float)source[i];
    }
}
