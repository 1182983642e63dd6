using NodeMesh.Core.Model;

namespace NodeMesh.Core.Metrics;

/// <summary>How close the units of each map of a conv layer are to one shared kernel.</summary>
/// <param name="Layer">Layer name.</param>
/// <param name="ConsensusDistance">Ξ² = mean over units of ‖w_i − w̄‖², w̄ the mean of the unit's map (kernel and bias).</param>
/// <param name="SignalToNoise">Mean over maps and weights of |mean_i w| / std_i w across the map's units;
/// +∞ when every weight is exactly tied (std = 0 everywhere).</param>
public sealed record LayerConsensus(string Layer, double ConsensusDistance, double SignalToNoise);

/// <summary>Consensus metrics computed from every unit's weights.</summary>
public static class ConsensusReport
{
    /// <summary>Measures every conv layer; <paramref name="layers"/> holds each layer's unit vectors in global order.</summary>
    public static IReadOnlyList<LayerConsensus> Measure(NetworkPlan plan, float[][] layers)
    {
        var result = new List<LayerConsensus>();
        foreach (var l in plan.Layers)
        {
            if (l.Kind != LayerKind.Conv) continue;
            result.Add(Measure(l, layers[l.Index]));
        }
        return result;
    }

    public static LayerConsensus Measure(WeightedLayer l, ReadOnlySpan<float> vectors)
    {
        int stride = l.FanIn + 1, n = l.Positions;
        var mean = new double[stride];
        var sq = new double[stride];
        double xiSum = 0, snrSum = 0;
        long snrCount = 0;
        for (int m = 0; m < l.OutMaps; m++)
        {
            Array.Clear(mean); Array.Clear(sq);
            int baseUnit = m * n;
            for (int p = 0; p < n; p++)
            {
                var w = vectors.Slice((baseUnit + p) * stride, stride);
                for (int i = 0; i < stride; i++) mean[i] += w[i];
            }
            for (int i = 0; i < stride; i++) mean[i] /= n;
            for (int p = 0; p < n; p++)
            {
                var w = vectors.Slice((baseUnit + p) * stride, stride);
                for (int i = 0; i < stride; i++)
                {
                    double d = w[i] - mean[i];
                    sq[i] += d * d;
                }
            }
            for (int i = 0; i < stride; i++)
            {
                xiSum += sq[i];
                double std = Math.Sqrt(sq[i] / n);
                if (std > 0) { snrSum += Math.Abs(mean[i]) / std; snrCount++; }
            }
        }
        double xi = xiSum / l.UnitCount;
        double snr = snrCount == 0 ? double.PositiveInfinity : snrSum / snrCount;
        return new LayerConsensus(l.Name, xi, snr);
    }
}
