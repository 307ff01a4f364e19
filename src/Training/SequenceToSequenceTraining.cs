using SeqLab.Data.Batches;
using SeqLab.Models;
using SeqLab.Models.SequenceToSequence;
using SeqLab.Training.Callbacks;
using SeqLab.Training.Criteria;
using SeqLab.Training.Logging;
using static TorchSharp.torch;

namespace SeqLab.Training;

/// <summary>Scores decoded targets against a set's references: exact match, BLEU, … (the task knows its tokens and texts).</summary>
/// <param name="hypotheses">Decoded tokens per sequence of <paramref name="set"/>, in order (the end token excluded).</param>
/// <param name="set">The sequences decoded (the first rows of the evaluation set).</param>
public delegate Dictionary<string, double> DecodedScorer(IReadOnlyList<long[]> hypotheses, SequenceBatch set);

/// <summary>
/// The evaluator of sequence-to-sequence tasks: the criterion's teacher-forced loss and metrics over the whole set (in
/// chunks), then greedy decoding of its first <see cref="DecodedSequences"/> sequences scored by <see cref="Scorer"/> —
/// what the model produces on its own, which teacher forcing hides.
/// </summary>
public sealed class DecodingEvaluator : Evaluator
{
    /// <summary>How decoding starts, stops and searches (greedy here: the beam is the test's).</summary>
    public required SearchOptions Search { get; init; }

    /// <summary>Scores the decoded sequences.</summary>
    public required DecodedScorer Scorer { get; init; }

    /// <summary>Sequences decoded per pass unless <see cref="Evaluator.ChunkSize"/> says otherwise.</summary>
    public const int DefaultChunk = 128;

    /// <summary>Sequences decoded at each evaluation (the first of the set); 0: none.</summary>
    public int DecodedSequences { get; init; } = 256;

    /// <inheritdoc />
    public override Evaluation Evaluate(ISequenceModel model, SequenceBatch set, ICriterion criterion, Device? device = null)
    {
        var forced = base.Evaluate(model, set, criterion, device);
        if (DecodedSequences == 0 || model.Capability<IEncoderDecoder>() is not { } decoder) return forced;
        using var part = set.Take(DecodedSequences);
        var hypotheses = Decode(decoder, part, Search with { BeamWidth = 1 }, ChunkSize ?? DefaultChunk, device);
        var metrics = new Dictionary<string, double>(forced.Metrics);
        foreach (var (name, value) in Scorer(hypotheses, part)) metrics[name] = value;
        return forced with { Metrics = metrics };
    }

    /// <summary>Decodes every sequence of <paramref name="set"/>, <paramref name="chunk"/> at a time: greedy for a beam width of 1, else beam search; the end token is dropped.</summary>
    public static IReadOnlyList<long[]> Decode(IEncoderDecoder model, SequenceBatch set, SearchOptions search, int chunk, Device? device = null) =>
        DecodeHypotheses(model, set, search, chunk, device).Select(h => h.Output).ToList();

    /// <summary>The hypotheses (with their log-probabilities) for every sequence of <paramref name="set"/>.</summary>
    public static IReadOnlyList<Hypothesis> DecodeHypotheses(IEncoderDecoder model, SequenceBatch set, SearchOptions search, int chunk, Device? device = null)
    {
        var results = new List<Hypothesis>();
        for (long start = 0; start < set.Size; start += chunk)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(chunk, set.Size - start);
            var source = set.Inputs.narrow(0, start, count).to(device ?? CPU);
            var lengths = set.Lengths?.narrow(0, start, count);
            results.AddRange(search.BeamWidth == 1 ? SequenceSearch.Greedy(model, source, lengths, search) : SequenceSearch.Beam(model, source, lengths, search));
        }
        return results;
    }
}

/// <summary>
/// Scheduled sampling (Bengio et al. 2015), as a training step that works for every encoder–decoder: a first pass without
/// gradients under teacher forcing gives the model's own predictions; each decoder input after the first is then replaced by
/// the prediction of the step before with probability p, and the second pass — the one that learns — reads the mixture.
/// p rises linearly from 0 at the first step to <paramref name="probability"/> at the last (Bengio et al.'s decay of ε, in
/// reverse), with coins from a generator of their own seeded by the run's seed and the step, so a seed fixes them and the
/// training batches stay those of teacher forcing. The two-pass form (Mihaylova &amp; Martins 2019)
/// keeps the fused decoder; a prediction made in the first pass sees the true prefix, not its own.
/// </summary>
public sealed class ScheduledSamplingStep(double probability) : TrainingStep
{
    /// <inheritdoc />
    public override Tensor Forward(ISequenceModel model, StepContext step, SeqLab.Models.RecurrentState? initialState, out SeqLab.Models.RecurrentState? finalState)
    {
        var batch = step.Batch;
        double p = probability * (step.Run.Training.Steps <= 1 ? 1 : (step.Step - 1) / (double)(step.Run.Training.Steps - 1));
        if (p <= 0 || batch.DecoderInputs is null || batch.DecoderInputs.shape[1] < 2) return base.Forward(model, step, initialState, out finalState);
        Tensor predicted;
        using (no_grad()) predicted = model.Forward(batch.ForModel()).argmax(-1); // [batch, target]
        var decoderInputs = batch.DecoderInputs;
        using var coinGenerator = new Generator(unchecked((ulong)(step.Run.Training.Seed * 1_000_003 + step.Step) ^ 0x5EED5A4D1E5UL));
        var coins = rand(decoderInputs.shape, generator: coinGenerator).to(decoderInputs.device).lt(p);
        coins[.., 0] = false; // the start token stays
        var shifted = cat([decoderInputs[.., ..1], predicted[.., ..^1]], 1);
        var mixed = where(coins, shifted, decoderInputs);
        var sampled = new StepContext(step.Run, step.Step, batch with { DecoderInputs = mixed }, step.LearningRate);
        if (step.InputGradientsRequested) sampled.RequestInputGradients();
        var outputs = base.Forward(model, sampled, initialState, out finalState);
        step.InputVectors = sampled.InputVectors;
        return outputs;
    }
}
