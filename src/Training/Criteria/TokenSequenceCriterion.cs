using SeqLab.Data.Batches;
using SeqLab.Runtime.Tensors;
using SeqLab.Training.Logging;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SeqLab.Training.Criteria;

/// <summary>
/// Sequence to sequence over tokens: cross-entropy (nats per target token) over the valid steps of each target — its own
/// length, the end token included — with optional label smoothing ε (Szegedy et al. 2016). Metrics under teacher forcing:
/// <c>token_accuracy</c> (the share of target tokens whose most likely prediction is right), <c>perplexity</c> and
/// <c>sequence_accuracy_forced</c> (targets whose every token is predicted right, each step seeing the true prefix).
/// Decoded metrics — exact match, BLEU — come from the task's evaluator.
/// </summary>
/// <param name="labelSmoothing">ε: the training loss spreads ε of each target's mass over the vocabulary; evaluations report the unsmoothed cross-entropy.</param>
public sealed class TokenSequenceCriterion(double labelSmoothing = 0) : ICriterion
{
    /// <inheritdoc />
    public string Name => "token_cross_entropy";

    /// <inheritdoc />
    public Tensor Loss(Tensor outputs, SequenceBatch batch) => CrossEntropy(outputs, batch, labelSmoothing, reduction: nn.Reduction.Mean);

    static Tensor CrossEntropy(Tensor outputs, SequenceBatch batch, double smoothing, nn.Reduction reduction)
    {
        if (batch.Layout != TargetLayout.Sequence) throw new ArgumentException($"a token-sequence criterion needs a source → target batch, got {batch.Layout}");
        var lengths = LengthMask.Needed(batch.TargetLengths, outputs.shape[1]);
        if (lengths is null)
            return F.cross_entropy(outputs.reshape(-1, outputs.shape[2]), batch.Targets.reshape(-1), reduction: reduction, label_smoothing: smoothing);
        using var valid = LengthMask.Valid(lengths, outputs.shape[0], outputs.shape[1], outputs.device);
        return F.cross_entropy(outputs[valid], batch.Targets[valid], reduction: reduction, label_smoothing: smoothing);
    }

    /// <inheritdoc />
    public IMetricAccumulator Accumulate() => new Sums();

    sealed class Sums : IMetricAccumulator
    {
        double crossEntropy, correct, tokens, sequences, sequencesRight;

        public void Add(Tensor outputs, SequenceBatch part)
        {
            using var scope = NewDisposeScope();
            crossEntropy += CrossEntropy(outputs, part, 0, nn.Reduction.Sum).to(ScalarType.Float64).item<double>();
            var valid = part.TargetMask();
            var right = outputs.argmax(-1).eq(part.Targets).logical_and(valid);
            correct += right.sum().item<long>();
            tokens += valid.sum().item<long>();
            sequences += part.Size;
            // A target is right when every valid step is: wrong steps are those valid and not right.
            sequencesRight += valid.logical_and(right.logical_not()).any(1).logical_not().sum().item<long>();
        }

        public Evaluation Result()
        {
            double loss = crossEntropy / Math.Max(1, tokens);
            return new Evaluation(loss, new Dictionary<string, double>
            {
                ["token_accuracy"] = correct / Math.Max(1, tokens), ["perplexity"] = Math.Exp(loss), ["sequence_accuracy_forced"] = sequencesRight / Math.Max(1, sequences),
            });
        }
    }
}
