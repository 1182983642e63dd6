namespace NodeMesh.Core.Training;

/// <summary>Softmax cross-entropy over logits laid out [classes][B] (sample innermost).</summary>
public static class SoftmaxCrossEntropy
{
    /// <summary>
    /// Returns the summed loss over the batch, writes (softmax − onehot)/B into <paramref name="delta"/>
    /// (the gradient of the batch-mean loss) and counts correct arg-max predictions.
    /// </summary>
    public static double Evaluate(ReadOnlySpan<float> logits, ReadOnlySpan<byte> labels, int classes, int batch, Span<float> delta, out int correct)
    {
        double total = 0;
        correct = 0;
        float invB = 1f / batch;
        Span<double> p = stackalloc double[classes];
        for (int b = 0; b < batch; b++)
        {
            double max = double.NegativeInfinity; int arg = 0;
            for (int c = 0; c < classes; c++)
            {
                double z = logits[c * batch + b];
                if (z > max) { max = z; arg = c; }
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) { p[c] = Math.Exp(logits[c * batch + b] - max); sum += p[c]; }
            int y = labels[b];
            total += -(logits[y * batch + b] - max - Math.Log(sum));
            if (arg == y) correct++;
            if (!delta.IsEmpty)
                for (int c = 0; c < classes; c++)
                    delta[c * batch + b] = (float)(p[c] / sum - (c == y ? 1.0 : 0.0)) * invB;
        }
        return total;
    }
}
