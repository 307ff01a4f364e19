using SeqLab.Data.Batches;
using SeqLab.Models;
using SeqLab.Models.Heads;
using SeqLab.Models.Recurrent;
using SeqLab.Models.Transformer;
using static TorchSharp.torch;

namespace SeqLab.Experiments.Training;

/// <summary>‖∂L/∂h_t‖ (mean over the monitoring batch's valid sequences) for one layer (1-based, as in <see cref="LayerDepth"/>) and direction at one time step (1-based).</summary>
public sealed record HiddenGradient(int Step, int Layer, bool Reverse, int TimeStep, double Norm);

/// <summary>Mean activation of one gate of one layer (1-based) at one time step, over valid sequences and units.</summary>
public sealed record GateActivation(int Step, int Layer, bool Reverse, string Gate, int TimeStep, double Mean);

/// <summary>Share of a gate's activations (valid steps, all units) below 0.1 and above 0.9 (Karpathy et al. 2015).</summary>
public sealed record GateSaturation(int Step, int Layer, bool Reverse, string Gate, double BelowTenth, double AboveNineTenths);

/// <summary>Mean entropy (nats) of one attention head's rows over the monitoring batch's valid queries, beside the entropy of uniform attention over the same keys.</summary>
public sealed record AttentionEntropy(int Step, int Layer, int Head, double Entropy, double UniformEntropy);

/// <summary>One attention weight (1-based query and key positions) of the monitoring batch's first sequence.</summary>
public sealed record AttentionWeight(int Step, int Layer, int Head, int Query, int Key, double Weight);

/// <summary>
/// The expensive monitors, run on a small fixed monitoring batch every few hundred steps: the unrolled twin of a recurrent
/// model (same weights) gives ‖∂L/∂h_t‖ per layer including the recurrent path — which the fused kernels hide — and the
/// gate activations and saturation of LSTMs and GRUs; for Transformers, the attention weights and their entropy.
/// Padded steps are left out.
/// </summary>
public static class HiddenStateMonitor
{
    /// <summary>Records into <paramref name="log"/> for <paramref name="step"/>; does nothing for models that are neither recurrent nor Transformers.</summary>
    public static void Record(TrainingLog log, int step, ISequenceModel model, SequenceBatch batch)
    {
        if (model is SequenceModel { Encoder: TransformerEncoder transformer, Options.Encoder: TransformerOptions options })
        {
            RecordAttention(log, step, model, transformer, options.Causal, batch);
            return;
        }
        if (model is not SequenceModel { Options.Encoder: RecurrentOptions } recurrent) return;
        using var scope = NewDisposeScope();
        using var gradients_on = enable_grad(); // grad mode is per thread; this monitor needs it whatever the caller set
        using var twin = TorchRandom.Preserving(recurrent.ToUnrolled);
        twin.eval();
        var encoder = (UnrolledRecurrentEncoder)twin.Encoder;
        var trace = encoder.Trace(twin.Embed(batch.Inputs), batch.Lengths, null, recordGates: true);
        var loss = SequenceLoss.Compute(twin.Task, twin.Head(trace.Output), batch.Targets, batch.Lengths);
        if (!loss.requires_grad) return; // autograd.grad would abort the process rather than throw
        var hidden = trace.Directions.SelectMany(d => d.Hidden).ToList();
        var gradients = autograd.grad([loss], hidden, allow_unused: true);
        using var valid = SequenceBatch.ValidMask(batch.Lengths, batch.Size, batch.Length);
        var weights = valid.to(ScalarType.Float64); // [batch, time]
        var counts = weights.sum([0]).clamp_min(1);  // valid sequences per time step (sum(0) would bind to sum(ScalarType))

        int time = (int)batch.Length, index = 0;
        foreach (var direction in trace.Directions)
        {
            // allow_unused gives empty tensors for states the loss never reads: their gradient is zero.
            var norms = stack(Enumerable.Range(0, time).Select(t => gradients[index + t] is Tensor g && !g.IsInvalid ? g.norm(1, p: 2) : zeros(batch.Size)).ToList(), 1)
                .to(ScalarType.Float64); // [batch, time]
            var perStep = ((norms * weights).sum([0]) / counts).to(ScalarType.Float64).data<double>().ToArray();
            for (int t = 0; t < time; t++)
                log.HiddenGradients.Add(new HiddenGradient(step, direction.Layer + 1, direction.Reverse, t + 1, perStep[t]));
            index += time;

            foreach (var (gate, series) in direction.Gates)
            {
                var values = stack(series.ToList(), 1).detach().to(ScalarType.Float64); // [batch, time, units]
                var mask = weights.unsqueeze(2).expand_as(values);
                double total = mask.sum().item<double>();
                var means = ((values * mask).sum([0, 2]) / (counts * values.shape[2])).to(ScalarType.Float64).data<double>().ToArray();
                for (int t = 0; t < time; t++)
                    log.GateActivations.Add(new GateActivation(step, direction.Layer + 1, direction.Reverse, gate, t + 1, means[t]));
                log.GateSaturations.Add(new GateSaturation(step, direction.Layer + 1, direction.Reverse, gate,
                    (values.lt(0.1).to(ScalarType.Float64) * mask).sum().item<double>() / total,
                    (values.gt(0.9).to(ScalarType.Float64) * mask).sum().item<double>() / total));
            }
        }
    }

    /// <summary>
    /// Attention weights on the monitoring batch (eval mode, no gradients): the mean row entropy per layer and head over valid
    /// queries, and the first sequence's full maps, kept for the first and the latest monitored step.
    /// </summary>
    static void RecordAttention(TrainingLog log, int step, ISequenceModel model, TransformerEncoder encoder, bool causal, SequenceBatch batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        bool wasTraining = model.Module.training;
        model.Module.eval();
        encoder.RecordAttention = true;
        try
        {
            model.Forward(batch.Inputs, batch.Lengths);
            long time = batch.Length;
            using var valid = SequenceBatch.ValidMask(batch.Lengths, batch.Size, time).to(ScalarType.Float64); // [batch, time]
            // Keys a query may see: the valid ones, and with a causal mask only those not after it.
            var allowed = valid.unsqueeze(1).expand(batch.Size, time, time);
            if (causal) allowed = allowed * ones(time, time, dtype: ScalarType.Float64).tril();
            var uniform = allowed.sum([2]).clamp_min(1).log(); // [batch, query]
            double queries = valid.sum().item<double>();
            double uniformEntropy = (uniform * valid).sum().item<double>() / queries;
            int firstLength = (int)(batch.Lengths?[0].item<long>() ?? time);
            int firstMonitored = log.AttentionMaps.Count > 0 ? log.AttentionMaps[0].Step : step;
            log.AttentionMaps.RemoveAll(w => w.Step != firstMonitored || w.Step == step); // keep the first monitored step's maps and this one
            for (int layer = 0; layer < encoder.LastAttention.Count; layer++)
            {
                var weights = encoder.LastAttention[layer].to(ScalarType.Float64); // [batch, heads, query, key]
                var entropy = -(weights * weights.clamp_min(1e-30).log()).sum([3]); // [batch, heads, query]
                var perHead = (entropy * valid.unsqueeze(1)).sum([0, 2]).div(queries).data<double>().ToArray();
                for (int head = 0; head < perHead.Length; head++)
                    log.AttentionEntropies.Add(new AttentionEntropy(step, layer + 1, head + 1, perHead[head], uniformEntropy));
                var first = weights[0].narrow(1, 0, firstLength).narrow(2, 0, firstLength).contiguous().data<double>().ToArray();
                int heads = (int)weights.shape[1];
                for (int head = 0; head < heads; head++)
                    for (int query = 0; query < firstLength; query++)
                        for (int key = 0; key < firstLength; key++)
                            log.AttentionMaps.Add(new AttentionWeight(step, layer + 1, head + 1, query + 1, key + 1, first[(head * firstLength + query) * firstLength + key]));
            }
        }
        finally
        {
            encoder.RecordAttention = false;
            if (wasTraining) model.Module.train();
        }
    }
}
