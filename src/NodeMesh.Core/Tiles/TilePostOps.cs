using System.Numerics.Tensors;
using NodeMesh.Core.Model;

namespace NodeMesh.Core.Tiles;

/// <summary>
/// The activations and pools that follow a weighted layer, applied by a tile to its own region
/// ([h][w][M][B], sample innermost). Keeps what the backward pass needs (the input of every op,
/// and argmax positions of max pools). Not thread-safe: one per tile, owned by that tile.
/// </summary>
public sealed class TilePostOps
{
    private readonly IReadOnlyList<LayerSpec> _ops;
    private readonly int _maps;
    private readonly int _h0, _w0;
    private readonly float[][] _inputs;      // input of op k (copy), for backward
    private readonly float[][] _grads;       // gradient w.r.t. the input of op k, reused across steps
    private readonly int[]?[] _argmax;       // per max-pool op: index into its input of each output element
    private readonly (int H, int W)[] _shapes; // input shape of op k; _shapes[n] = output shape
    private int _batch = -1;

    public TilePostOps(IReadOnlyList<LayerSpec> ops, int height, int width, int maps)
    {
        _ops = ops; _maps = maps; _h0 = height; _w0 = width;
        _inputs = new float[ops.Count][];
        _grads = new float[ops.Count][];
        _argmax = new int[ops.Count][];
        _shapes = new (int, int)[ops.Count + 1];
        int h = height, w = width;
        for (int k = 0; k < ops.Count; k++)
        {
            _shapes[k] = (h, w);
            if (ops[k] is PoolSpec p) (h, w) = p.Output(h, w);
        }
        _shapes[ops.Count] = (h, w);
    }

    public int OutputHeight => _shapes[^1].H;
    public int OutputWidth => _shapes[^1].W;

    /// <summary>Output floats for a batch.</summary>
    public int OutputLength(int batch) => OutputHeight * OutputWidth * _maps * batch;

    private void Ensure(int batch)
    {
        if (batch == _batch) return;
        for (int k = 0; k < _ops.Count; k++)
        {
            var (h, w) = _shapes[k];
            _inputs[k] = new float[h * w * _maps * batch];
            _grads[k] = new float[h * w * _maps * batch];
            if (_ops[k] is PoolSpec { Kind: PoolKind.Max })
            {
                var (oh, ow) = _shapes[k + 1];
                _argmax[k] = new int[oh * ow * _maps * batch];
            }
        }
        _batch = batch;
    }

    /// <summary>Applies the ops to <paramref name="pre"/> (pre-activations) and writes the result to <paramref name="output"/>.</summary>
    public void Forward(ReadOnlySpan<float> pre, int batch, Span<float> output)
    {
        Ensure(batch);
        if (_ops.Count == 0) { pre.CopyTo(output); return; }
        ReadOnlySpan<float> cur = pre;
        for (int k = 0; k < _ops.Count; k++)
        {
            if (k == 0) cur.CopyTo(_inputs[0]);
            var input = _inputs[k];
            Span<float> dst = k == _ops.Count - 1 ? output : _inputs[k + 1];
            var (h, w) = _shapes[k];
            switch (_ops[k])
            {
                case ActivationSpec { Kind: ActivationKind.Relu }:
                    TensorPrimitives.Max(input, 0f, dst[..input.Length]);
                    break;
                case ActivationSpec { Kind: ActivationKind.Tanh }:
                    TensorPrimitives.Tanh(input, dst[..input.Length]);
                    break;
                case PoolSpec pool:
                    Pool(pool, input, h, w, batch, dst, _argmax[k]);
                    break;
            }
            cur = dst;
        }
    }

    private void Pool(PoolSpec pool, float[] input, int h, int w, int batch, Span<float> dst, int[]? argmax)
    {
        var (kh, kw) = pool.Window(h, w);
        var (oh, ow) = pool.Output(h, w);
        int s = pool.Stride, m = _maps;
        float inv = 1f / (kh * kw);
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                for (int c = 0; c < m; c++)
                {
                    int oRow = ((oy * ow + ox) * m + c) * batch;
                    for (int b = 0; b < batch; b++)
                    {
                        if (pool.Kind == PoolKind.Max)
                        {
                            // Strict '>' keeps the first maximum in row-major window order (PyTorch's tie rule).
                            float best = float.NegativeInfinity; int bestIdx = 0;
                            for (int dy = 0; dy < kh; dy++)
                                for (int dx = 0; dx < kw; dx++)
                                {
                                    int idx = ((((oy * s + dy) * w) + ox * s + dx) * m + c) * batch + b;
                                    if (input[idx] > best) { best = input[idx]; bestIdx = idx; }
                                }
                            dst[oRow + b] = best;
                            argmax![oRow + b] = bestIdx;
                        }
                        else
                        {
                            float sum = 0f;
                            for (int dy = 0; dy < kh; dy++)
                                for (int dx = 0; dx < kw; dx++)
                                    sum += input[((((oy * s + dy) * w) + ox * s + dx) * m + c) * batch + b];
                            dst[oRow + b] = sum * inv;
                        }
                    }
                }
    }

    /// <summary>
    /// Back-propagates <paramref name="gradOut"/> (gradient w.r.t. the output) through the ops of
    /// the last <see cref="Forward"/> and writes the gradient w.r.t. the pre-activations into
    /// <paramref name="delta"/> (same layout as the forward input).
    /// </summary>
    public void Backward(ReadOnlySpan<float> gradOut, int batch, Span<float> delta)
    {
        if (batch != _batch && _ops.Count > 0) throw new InvalidOperationException("backward batch differs from the forward batch");
        if (_ops.Count == 0) { gradOut.CopyTo(delta); return; }
        ReadOnlySpan<float> g = gradOut;
        for (int k = _ops.Count - 1; k >= 0; k--)
        {
            var input = _inputs[k];
            var (h, w) = _shapes[k];
            float[] gin = _grads[k];
            Array.Clear(gin);
            switch (_ops[k])
            {
                case ActivationSpec { Kind: ActivationKind.Relu }:
                    for (int i = 0; i < gin.Length; i++) gin[i] = input[i] > 0f ? g[i] : 0f;
                    break;
                case ActivationSpec { Kind: ActivationKind.Tanh }:
                    for (int i = 0; i < gin.Length; i++) { float t = MathF.Tanh(input[i]); gin[i] = g[i] * (1f - t * t); }
                    break;
                case PoolSpec { Kind: PoolKind.Max }:
                    {
                        var am = _argmax[k]!;
                        for (int i = 0; i < g.Length; i++) gin[am[i]] += g[i];
                        break;
                    }
                case PoolSpec pool:
                    {
                        var (kh, kw) = pool.Window(h, w);
                        var (oh, ow) = pool.Output(h, w);
                        int s = pool.Stride, m = _maps;
                        float inv = 1f / (kh * kw);
                        for (int oy = 0; oy < oh; oy++)
                            for (int ox = 0; ox < ow; ox++)
                                for (int c = 0; c < m; c++)
                                    for (int b = 0; b < batch; b++)
                                    {
                                        float v = g[((oy * ow + ox) * m + c) * batch + b] * inv;
                                        for (int dy = 0; dy < kh; dy++)
                                            for (int dx = 0; dx < kw; dx++)
                                                gin[((((oy * s + dy) * w) + ox * s + dx) * m + c) * batch + b] += v;
                                    }
                        break;
                    }
            }
            g = gin;
        }
        g.CopyTo(delta);
    }
}
