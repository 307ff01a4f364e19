using SeqLab.Data.Batches;
using SeqLab.Runtime.Tensors;
using SeqLab.Training.Logging;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SeqLab.Training.Criteria;

/// <summary>
/// A criterion whose metrics need the whole set at once (F1, confusion): the chunks' outputs are kept and joined, then
/// scored exactly as one pass over the set would be.
/// </summary>
public abstract class WholeSetCriterion : ICriterion
{
    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public abstract Tensor Loss(Tensor outputs, SequenceBatch batch);

    /// <summary>The metrics of the whole set, given its loss.</summary>
    protected abstract Dictionary<string, double> Metrics(Tensor outputs, SequenceBatch set, double loss);

    /// <summary>Classification: counts[actual][predicted]; null otherwise.</summary>
    protected virtual long[][]? Confusion(Tensor outputs, SequenceBatch set) => null;

    /// <inheritdoc />
    public IMetricAccumulator Accumulate() => new Joined(this);

    /// <summary>Per-step tasks: outputs and targets at valid steps only (the mask is skipped when nothing is padded).</summary>
    protected static (Tensor Outputs, Tensor Targets) ValidSteps(Tensor outputs, Tensor targets, Tensor? lengths)
    {
        if (lengths is null) return (outputs, targets);
        var valid = LengthMask.Valid(lengths, outputs.shape[0], outputs.shape[1], outputs.device);
        return (outputs[valid], targets[valid]);
    }

    sealed class Joined(WholeSetCriterion criterion) : IMetricAccumulator
    {
        readonly List<(Tensor Outputs, SequenceBatch Part)> chunks = [];

        public void Add(Tensor outputs, SequenceBatch part) => chunks.Add((outputs, part));

        public Evaluation Result()
        {
            var (outputs, set) = chunks.Count == 1 ? chunks[0] : (cat(chunks.Select(c => c.Outputs).ToList(), 0), Join(chunks.Select(c => c.Part).ToList()));
            double loss = criterion.Loss(outputs, set).item<float>();
            return new Evaluation(loss, criterion.Metrics(outputs, set, loss)) { Confusion = criterion.Confusion(outputs, set) };
        }

        static SequenceBatch Join(List<SequenceBatch> parts)
        {
            static Tensor? Cat(IEnumerable<Tensor?> tensors) => tensors.ToList() is var list && list.All(t => t is not null) ? cat(list!, 0) : null;
            return parts[0] with
            {
                Inputs = cat(parts.Select(p => p.Inputs).ToList(), 0), Targets = cat(parts.Select(p => p.Targets).ToList(), 0),
                Lengths = Cat(parts.Select(p => p.Lengths)), TargetLengths = Cat(parts.Select(p => p.TargetLengths)), DecoderInputs = Cat(parts.Select(p => p.DecoderInputs)),
            };
        }
    }
}

/// <summary>Regression, one vector per sequence or per step: MSE; metrics <c>mse</c>, <c>rmse</c>, <c>mae</c> (per-step: over valid steps).</summary>
public sealed class RegressionCriterion(bool perStep) : WholeSetCriterion
{
    /// <inheritdoc />
    public override string Name => "mse";

    /// <inheritdoc />
    public override Tensor Loss(Tensor outputs, SequenceBatch batch)
    {
        if (!perStep) return F.mse_loss(outputs, batch.Targets);
        // A batch that pads nothing needs no mask: selecting every step would only copy the outputs and their gradient.
        var lengths = LengthMask.Needed(batch.Lengths, outputs.shape[1]);
        if (lengths is null) return F.mse_loss(outputs, batch.Targets);
        using var valid = LengthMask.Valid(lengths, outputs.shape[0], outputs.shape[1], outputs.device);
        return F.mse_loss(outputs[valid], batch.Targets[valid]);
    }

    /// <inheritdoc />
    protected override Dictionary<string, double> Metrics(Tensor outputs, SequenceBatch set, double loss)
    {
        using var scope = NewDisposeScope();
        var (predicted, actual) = perStep ? ValidSteps(outputs, set.Targets, set.Lengths) : (outputs, set.Targets);
        var error = predicted.flatten() - actual.flatten();
        double mse = error.pow(2).mean().item<float>();
        return new() { ["mse"] = mse, ["rmse"] = Math.Sqrt(mse), ["mae"] = error.abs().mean().item<float>() };
    }
}

/// <summary>Classification, one class per sequence or per step: cross-entropy (nats); metrics <c>accuracy</c> and <c>macro_f1</c>, and the confusion matrix.</summary>
public sealed class ClassificationCriterion(bool perStep) : WholeSetCriterion
{
    /// <inheritdoc />
    public override string Name => "cross_entropy";

    /// <inheritdoc />
    public override Tensor Loss(Tensor outputs, SequenceBatch batch) =>
        perStep ? StepCrossEntropy(outputs, batch) : F.cross_entropy(outputs, batch.Targets);

    /// <summary>Cross-entropy over the valid steps of [batch, time, classes] logits.</summary>
    internal static Tensor StepCrossEntropy(Tensor outputs, SequenceBatch batch)
    {
        var lengths = LengthMask.Needed(batch.Lengths, outputs.shape[1]);
        if (lengths is null) return F.cross_entropy(outputs.reshape(-1, outputs.shape[2]), batch.Targets.reshape(-1));
        using var valid = LengthMask.Valid(lengths, outputs.shape[0], outputs.shape[1], outputs.device);
        return F.cross_entropy(outputs[valid], batch.Targets[valid]);
    }

    (Tensor Predicted, Tensor Actual) Labels(Tensor outputs, SequenceBatch set)
    {
        var (logits, labels) = perStep ? ValidSteps(outputs, set.Targets, set.Lengths) : (outputs, set.Targets);
        return (logits.reshape(-1, logits.shape[^1]).argmax(-1), labels.flatten());
    }

    /// <inheritdoc />
    protected override Dictionary<string, double> Metrics(Tensor outputs, SequenceBatch set, double loss)
    {
        using var scope = NewDisposeScope();
        var (predicted, actual) = Labels(outputs, set);
        return new()
        {
            ["accuracy"] = predicted.eq(actual).to(ScalarType.Float64).mean().item<double>(),
            ["macro_f1"] = TaskMetrics.MacroF1(predicted.data<long>().ToArray(), actual.data<long>().ToArray(), (int)outputs.shape[^1]),
        };
    }

    /// <inheritdoc />
    protected override long[][]? Confusion(Tensor outputs, SequenceBatch set)
    {
        using var scope = NewDisposeScope();
        var (predictedLabels, actualLabels) = Labels(outputs, set);
        var (predicted, actual) = (predictedLabels.data<long>().ToArray(), actualLabels.data<long>().ToArray());
        int classes = (int)outputs.shape[^1];
        var counts = Enumerable.Range(0, classes).Select(_ => new long[classes]).ToArray();
        for (int i = 0; i < actual.Length; i++) counts[actual[i]][predicted[i]]++;
        return counts;
    }
}

/// <summary>Next-token prediction: cross-entropy (nats per token) over valid steps; metrics <c>perplexity</c> and <c>bits_per_token</c>.</summary>
public sealed class LanguageModelCriterion : WholeSetCriterion
{
    /// <inheritdoc />
    public override string Name => "cross_entropy";

    /// <inheritdoc />
    public override Tensor Loss(Tensor outputs, SequenceBatch batch) => ClassificationCriterion.StepCrossEntropy(outputs, batch);

    /// <inheritdoc />
    protected override Dictionary<string, double> Metrics(Tensor outputs, SequenceBatch set, double loss) =>
        new() { ["perplexity"] = Math.Exp(loss), ["bits_per_token"] = loss / Math.Log(2) };
}
