using SeqLab.Data.Batches;
using SeqLab.Models;
using SeqLab.Models.Introspection;
using SeqLab.Runtime.Tensors;
using SeqLab.Training.Callbacks;
using SeqLab.Training.Logging;
using static TorchSharp.torch;

namespace SeqLab.Training.Monitors;

/// <summary>Mean entropy (nats) of one decoder layer's and head's attention over source positions, over the monitoring batch's valid target steps, beside uniform attention's over the same valid source positions.</summary>
public sealed record CrossAttentionEntropy(int Step, int Layer, int Head, double Entropy, double UniformEntropy);

/// <summary>One cross-attention weight of the monitoring batch's first pair: target step t (1-based) attending to source position j (1-based).</summary>
public sealed record CrossAttentionWeight(int Step, int Layer, int Head, int TargetStep, int SourcePosition, double Weight);

/// <summary>What <see cref="CrossAttentionMonitor"/> recorded.</summary>
public sealed class CrossAttentionRecords
{
    /// <summary>Entropy per decoder layer and head, on each expensive-monitor step.</summary>
    public List<CrossAttentionEntropy> Entropies { get; init; } = [];
    /// <summary>The first pair's maps on the first and the latest expensive-monitor step.</summary>
    public List<CrossAttentionWeight> Maps { get; init; } = [];
}

/// <summary>
/// Where an encoder–decoder's decoder looks in the source, on the fixed monitoring batch every <c>expensive_every</c> steps
/// (eval mode, teacher forcing, no gradients): per decoder layer and head the mean entropy of the attention over source
/// positions — falling below the uniform entropy as the model learns to align — and the first pair's maps (target step ×
/// source position). Writes <c>cross_attention_entropy.csv</c> and <c>cross_attention.csv</c>; models that offer
/// <see cref="ICrossAttentionIntrospection"/> only (an encoder–decoder without attention has none to record, and says so).
/// </summary>
public sealed class CrossAttentionMonitor : TrainingMonitor<CrossAttentionRecords>
{
    /// <inheritdoc />
    public override string Name => "cross_attention";

    /// <summary>Everything recorded so far.</summary>
    public CrossAttentionRecords Records => State;

    /// <inheritdoc />
    public override void OnStepEnd(StepContext step)
    {
        if (step.IsExpensiveStep && step.Run.MonitoringBatch is { Layout: TargetLayout.Sequence } batch && !Record(step.Step, step.Run.Model, batch))
            step.Run.Log.Note("cross-attention: the model records no attention from target steps to source positions (an encoder–decoder without attention, or another shape)");
    }

    /// <summary>Records the cross-attention of <paramref name="model"/> on <paramref name="batch"/> (a source → target batch); false when the model has none.</summary>
    public bool Record(int step, ISequenceModel model, SequenceBatch batch)
    {
        if (model.Capability<ICrossAttentionIntrospection>() is not { } attention) return false;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        bool wasTraining = model.Module.training;
        model.Module.eval();
        attention.RecordAttention = true;
        try
        {
            model.Forward(batch.ForModel());
            if (attention.LastCrossAttention.Count == 0) return false;
            var device = batch.Inputs.device;
            var sourceValid = LengthMask.Valid(batch.Lengths, batch.Size, batch.Length, device).to(ScalarType.Float64);      // [batch, source]
            var targetValid = batch.TargetMask().to(device).to(ScalarType.Float64);                                            // [batch, target]
            double queries = targetValid.sum().item<double>();
            double uniform = (sourceValid.sum([1]).clamp_min(1).log() * targetValid.sum([1])).sum().item<double>() / queries;
            int sourceLength = (int)(batch.Lengths?[0].item<long>() ?? batch.Length), targetLength = (int)(batch.TargetLengths?[0].item<long>() ?? batch.TargetLength);
            int firstMonitored = State.Maps.Count > 0 ? State.Maps[0].Step : step;
            State.Maps.RemoveAll(w => w.Step != firstMonitored || w.Step == step); // keep the first monitored step's maps and this one
            for (int layer = 0; layer < attention.LastCrossAttention.Count; layer++)
            {
                var weights = attention.LastCrossAttention[layer].to(ScalarType.Float64); // [batch, heads, target, source]
                var entropy = -(weights * weights.clamp_min(1e-30).log()).sum([3]);     // [batch, heads, target]
                var perHead = (entropy * targetValid.unsqueeze(1)).sum([0, 2]).div(queries).cpu().data<double>().ToArray();
                for (int head = 0; head < perHead.Length; head++)
                    State.Entropies.Add(new CrossAttentionEntropy(step, layer + 1, head + 1, perHead[head], uniform));
                var first = weights[0].narrow(1, 0, targetLength).narrow(2, 0, sourceLength).contiguous().cpu().data<double>().ToArray();
                for (int head = 0; head < perHead.Length; head++)
                    for (int t = 0; t < targetLength; t++)
                        for (int j = 0; j < sourceLength; j++)
                            State.Maps.Add(new CrossAttentionWeight(step, layer + 1, head + 1, t + 1, j + 1, first[(head * targetLength + t) * sourceLength + j]));
            }
            return true;
        }
        finally
        {
            attention.RecordAttention = false;
            if (wasTraining) model.Module.train();
        }
    }

    /// <inheritdoc />
    public override IEnumerable<ResultTable> Tables()
    {
        if (State.Entropies.Count == 0) yield break;
        var entropy = new Csv("step", "layer", "head", "entropy", "uniform_entropy");
        foreach (var e in State.Entropies) entropy.Row(e.Step, e.Layer, e.Head, e.Entropy, e.UniformEntropy);
        yield return new ResultTable("cross_attention_entropy.csv", entropy);
        var maps = new Csv("step", "layer", "head", "target_step", "source_position", "weight");
        foreach (var w in State.Maps) maps.Row(w.Step, w.Layer, w.Head, w.TargetStep, w.SourcePosition, w.Weight);
        yield return new ResultTable("cross_attention.csv", maps);
    }

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> HeadlineLabels => new Dictionary<string, string> { ["cross_attention_entropy_ratio"] = "cross-attention entropy ÷ uniform" };

    /// <inheritdoc />
    public override IEnumerable<(string Key, double? Value)> Headlines()
    {
        if (State.Entropies.Count == 0) return [];
        var series = State.Entropies.GroupBy(e => e.Step).Select(g => (g.Key, g.Average(e => e.Entropy) / Math.Max(1e-12, g.First().UniformEntropy))).ToList();
        return FirstAndLast("cross_attention_entropy_ratio", series, Finite);
    }
}

/// <summary>The cross-attention monitor's records, read from a run's log (empty when it did not run).</summary>
public static class CrossAttentionLog
{
    /// <summary>Entropy rows of <paramref name="log"/>.</summary>
    public static List<CrossAttentionEntropy> CrossAttentionEntropies(this TrainingLog log) => log.Monitor<CrossAttentionMonitor>()?.Records.Entropies ?? [];

    /// <summary>Map rows of <paramref name="log"/>.</summary>
    public static List<CrossAttentionWeight> CrossAttentionMaps(this TrainingLog log) => log.Monitor<CrossAttentionMonitor>()?.Records.Maps ?? [];
}
