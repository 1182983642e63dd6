using NodeMesh.Core.Model;

namespace NodeMesh.Core.Fabric;

/// <summary>
/// Work and data movement of one weighted layer on the conventional (von Neumann) baseline.
/// P = output values per sample (UnitCount), F = FanIn, W = shared parameters (one kernel and
/// bias per map for a conv layer; all weights and biases of a dense layer), I = input values per
/// sample (InChannels·InHeight·InWidth). Accesses are 32-bit words.
/// </summary>
/// <param name="Layer">Index of the weighted layer.</param>
/// <param name="Name">Its name.</param>
/// <param name="ForwardMacs">P·F FP32 MACs per sample.</param>
/// <param name="BackwardMacs">P·F (weight gradient) + P·F (input error, not in the first layer) MACs per sample.</param>
/// <param name="SramAccesses">
/// SRAM words per sample: forward 2·P·F (weight and activation operand of each MAC) + P (output
/// write); input error 2·P·F (weight and error operand) + I (input-error write), not in the first
/// layer; weight gradient 2·P·F (activation and error operand) + 2·W (read-modify-write of the
/// batch gradient accumulator, once per weight per sample).
/// </param>
/// <param name="SharedWeights">W, the layer's shared parameters.</param>
/// <param name="DramAccessesPerBatch">2·W per batch: the kernel is loaded from DRAM once and the updated kernel written back once.</param>
/// <param name="UpdateMacsPerBatch">W MACs per batch: the SGD step w ← w − lr·g.</param>
/// <param name="UpdateSramAccessesPerBatch">3·W SRAM words per batch: read w, read g, write w.</param>
public sealed record BaselineLayer(
    int Layer,
    string Name,
    long ForwardMacs,
    long BackwardMacs,
    long SramAccesses,
    long SharedWeights,
    long DramAccessesPerBatch,
    long UpdateMacsPerBatch,
    long UpdateSramAccessesPerBatch)
{
    /// <summary>MACs per sample including the batch's update amortised over <paramref name="batch"/> samples.</summary>
    public double MacsPerSample(int batch) => ForwardMacs + BackwardMacs + (double)UpdateMacsPerBatch / batch;

    /// <summary>SRAM words per sample including the amortised update.</summary>
    public double SramAccessesPerSample(int batch) => SramAccesses + (double)UpdateSramAccessesPerBatch / batch;

    /// <summary>DRAM words per sample (the per-batch kernel traffic amortised).</summary>
    public double DramAccessesPerSample(int batch) => (double)DramAccessesPerBatch / batch;
}

/// <summary>
/// The conventional baseline of a network for batches of <see cref="Batch"/> samples, per
/// sample: MACs, bytes moved to and from SRAM and DRAM (4 bytes per 32-bit access) and their
/// energy in pJ (MACs × FP32 MAC, SRAM accesses × SRAM access, DRAM accesses × DRAM access).
/// </summary>
public sealed record BaselineReport(int Batch, IReadOnlyList<BaselineLayer> Layers, EnergyModel Energy)
{
    /// <summary>FP32 MACs per sample (forward, backward and the amortised update).</summary>
    public double MacsPerSample => Layers.Sum(l => l.MacsPerSample(Batch));

    /// <summary>SRAM accesses (32-bit words) per sample.</summary>
    public double SramAccessesPerSample => Layers.Sum(l => l.SramAccessesPerSample(Batch));

    /// <summary>DRAM accesses (32-bit words) per sample.</summary>
    public double DramAccessesPerSample => Layers.Sum(l => l.DramAccessesPerSample(Batch));

    /// <summary>Bytes moved between SRAM and the processor per sample.</summary>
    public double SramBytesPerSample => SramAccessesPerSample * 4;

    /// <summary>Bytes moved between DRAM and the chip per sample.</summary>
    public double DramBytesPerSample => DramAccessesPerSample * 4;

    /// <summary>Arithmetic energy per sample, pJ.</summary>
    public double MacPjPerSample => MacsPerSample * Energy.Fp32MacPj;

    /// <summary>SRAM energy per sample, pJ.</summary>
    public double SramPjPerSample => SramAccessesPerSample * Energy.SramAccessPj;

    /// <summary>DRAM energy per sample, pJ.</summary>
    public double DramPjPerSample => DramAccessesPerSample * Energy.DramAccessPj;

    /// <summary>All energy per sample, pJ.</summary>
    public double TotalPjPerSample => MacPjPerSample + SramPjPerSample + DramPjPerSample;
}

/// <summary>
/// A von Neumann accelerator that keeps one shared kernel per map (and the dense weights) in
/// DRAM, brings it on chip into SRAM once per batch and streams every operand from SRAM to an FP32
/// MAC unit. Per sample it computes every output (forward), every input error (all layers but the
/// first) and every weight-gradient term (backward), each term one MAC that reads two operands
/// from SRAM; per batch it loads the kernel from DRAM, applies the SGD step and writes the kernel
/// back. Activations and errors stay in SRAM (an optimistic assumption in the baseline's favour:
/// a real batch of feature maps spills to DRAM); activation functions, pooling, the loss and a
/// residual block's add (one addition per output value, its operand already in SRAM) are not
/// counted, as the fabric counts no compute for them. See <see cref="BaselineLayer"/> for the per-layer formulas.
/// </summary>
public static class ConventionalBaseline
{
    /// <summary>The baseline of <paramref name="plan"/> for batches of <paramref name="batch"/> samples.</summary>
    public static BaselineReport Compute(NetworkPlan plan, int batch, EnergyModel? energy = null)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), "the batch must hold at least one sample");
        var layers = plan.Layers.Select(l =>
        {
            long p = l.UnitCount, f = l.FanIn, w = l.SharedParameters;
            long inputs = (long)l.InChannels * l.InHeight * l.InWidth;
            bool inputError = l.Source >= 0;
            long sram = (2 * p * f + p) + (inputError ? 2 * p * f + inputs : 0) + (2 * p * f + 2 * w);
            return new BaselineLayer(l.Index, l.Name, p * f, p * f * (inputError ? 2 : 1), sram, w, 2 * w, w, 3 * w);
        }).ToArray();
        return new BaselineReport(batch, layers, energy ?? EnergyModel.Default);
    }
}
