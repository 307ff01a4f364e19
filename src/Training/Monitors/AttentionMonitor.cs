using SeqLab.Data.Batches;
using SeqLab.Models;
using SeqLab.Models.Introspection;
using SeqLab.Runtime.Tensors;
using SeqLab.Training.Callbacks;
using SeqLab.Training.Logging;
using static TorchSharp.torch;

namespace SeqLab.Training.Monitors;

/// <summary>Mean entropy (nats) of one attention head's rows over the monitoring batch's valid queries, beside the entropy of uniform attention over the same keys.</summary>
public sealed record AttentionEntropy(int Step, int Layer, int Head, double Entropy, double UniformEntropy);

/// <summary>One attention weight (1-based query and key positions) of the monitoring batch's first sequence.</summary>
public sealed record AttentionWeight(int Step, int Layer, int Head, int Query, int Key, double Weight);

/// <summary>What <see cref="AttentionMonitor"/> recorded.</summary>
public sealed class AttentionRecords
{
    /// <summary>Attention entropy per layer and head, on each expensive-monitor step.</summary>
    public List<AttentionEntropy> Entropies { get; init; } = [];
    /// <summary>Attention weights of the monitoring batch's first sequence on the first and the latest expensive-monitor step.</summary>
    public List<AttentionWeight> Maps { get; init; } = [];
}

/// <summary>
/// Attention, on the fixed monitoring batch every <c>expensive_every</c> steps (eval mode, no gradients): the mean row
/// entropy per layer and head over valid queries beside the uniform-attention entropy, and the first sequence's full maps,
/// kept for the first and the latest monitored step. Writes <c>attention_entropy.csv</c> and <c>attention.csv</c>; models
/// that offer <see cref="IAttentionIntrospection"/> only.
/// </summary>
public sealed class AttentionMonitor : TrainingMonitor<AttentionRecords>
{
    /// <inheritdoc />
    public override string Name => "attention";

    /// <summary>Everything recorded so far.</summary>
    public AttentionRecords Records => State;

    /// <inheritdoc />
    public override void OnStepEnd(StepContext step)
    {
        if (step.IsExpensiveStep && step.Run.MonitoringBatch is { } batch) Record(step.Step, step.Run.Model, batch);
    }

    /// <summary>Records the attention of <paramref name="model"/> on <paramref name="batch"/> for <paramref name="step"/>; nothing for models without attention.</summary>
    public void Record(int step, ISequenceModel model, SequenceBatch batch)
    {
        if (model.Capability<IAttentionIntrospection>() is not { } encoder) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        bool wasTraining = model.Module.training;
        model.Module.eval();
        encoder.RecordAttention = true;
        try
        {
            model.Forward(batch.ForModel());
            long time = batch.Length;
            var device = batch.Inputs.device;
            using var valid = LengthMask.Valid(batch.Lengths, batch.Size, time, device).to(ScalarType.Float64); // [batch, time]
            // Keys a query may see: the valid ones, and with a causal mask only those not after it.
            var allowed = valid.unsqueeze(1).expand(batch.Size, time, time);
            if (encoder.Causal) allowed = allowed * ones(time, time, dtype: ScalarType.Float64, device: device).tril();
            var uniform = allowed.sum([2]).clamp_min(1).log(); // [batch, query]
            double queries = valid.sum().item<double>();
            double uniformEntropy = (uniform * valid).sum().item<double>() / queries;
            int firstLength = (int)(batch.Lengths?[0].item<long>() ?? time);
            int firstMonitored = State.Maps.Count > 0 ? State.Maps[0].Step : step;
            State.Maps.RemoveAll(w => w.Step != firstMonitored || w.Step == step); // keep the first monitored step's maps and this one
            for (int layer = 0; layer < encoder.LastAttention.Count; layer++)
            {
                var weights = encoder.LastAttention[layer].to(ScalarType.Float64); // [batch, heads, query, key]
                var entropy = -(weights * weights.clamp_min(1e-30).log()).sum([3]); // [batch, heads, query]
                var perHead = (entropy * valid.unsqueeze(1)).sum([0, 2]).div(queries).cpu().data<double>().ToArray();
                for (int head = 0; head < perHead.Length; head++)
                    State.Entropies.Add(new AttentionEntropy(step, layer + 1, head + 1, perHead[head], uniformEntropy));
                var first = weights[0].narrow(1, 0, firstLength).narrow(2, 0, firstLength).contiguous().cpu().data<double>().ToArray();
                int heads = (int)weights.shape[1];
                for (int head = 0; head < heads; head++)
                    for (int query = 0; query < firstLength; query++)
                        for (int key = 0; key < firstLength; key++)
                            State.Maps.Add(new AttentionWeight(step, layer + 1, head + 1, query + 1, key + 1, first[(head * firstLength + query) * firstLength + key]));
            }
        }
        finally
        {
            encoder.RecordAttention = false;
            if (wasTraining) model.Module.train();
        }
    }

    /// <inheritdoc />
    public override IEnumerable<ResultTable> Tables()
    {
        if (State.Entropies.Count == 0) yield break;
        var entropy = new Csv("step", "layer", "head", "entropy", "uniform_entropy");
        foreach (var e in State.Entropies) entropy.Row(e.Step, e.Layer, e.Head, e.Entropy, e.UniformEntropy);
        yield return new ResultTable("attention_entropy.csv", entropy);
        var maps = new Csv("step", "layer", "head", "query", "key", "weight");
        foreach (var w in State.Maps) maps.Row(w.Step, w.Layer, w.Head, w.Query, w.Key, w.Weight);
        yield return new ResultTable("attention.csv", maps);
    }
}

/// <summary>The attention monitor's records, read from a run's log (empty when it did not run).</summary>
public static class AttentionLog
{
    /// <summary>Attention entropy rows of <paramref name="log"/>.</summary>
    public static List<AttentionEntropy> AttentionEntropies(this TrainingLog log) => log.Monitor<AttentionMonitor>()?.Records.Entropies ?? [];

    /// <summary>Attention map rows of <paramref name="log"/>.</summary>
    public static List<AttentionWeight> AttentionMaps(this TrainingLog log) => log.Monitor<AttentionMonitor>()?.Records.Maps ?? [];
}
