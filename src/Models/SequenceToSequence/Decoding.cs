using static TorchSharp.torch;

namespace SeqLab.Models.SequenceToSequence;

/// <summary>A model that maps a source to a sequence of target tokens and can be run one target token at a time (for greedy and beam search).</summary>
public interface IEncoderDecoder
{
    /// <summary>Number of target token ids.</summary>
    int TargetVocabulary { get; }

    /// <summary>Encodes <paramref name="source"/> (one row per sequence) and returns a decoder positioned before the first target token; call in eval mode under <c>no_grad</c>.</summary>
    IIncrementalDecoder StartDecoding(Tensor source, Tensor? sourceLengths);
}

/// <summary>
/// A decoder in the middle of decoding: a row per hypothesis, each with its own state. The tensors it keeps live in the
/// dispose scope that was open when decoding started: call <see cref="Step"/> and <see cref="Select"/> inside a scope of
/// their own nested in that one (their state moves out to it; what they replace is disposed at once).
/// </summary>
public interface IIncrementalDecoder
{
    /// <summary>Rows (hypotheses) being decoded.</summary>
    long Rows { get; }

    /// <summary>Feeds one token per row (int64 [rows]) and returns the log-probabilities of the next token, [rows, vocabulary].</summary>
    Tensor Step(Tensor previous);

    /// <summary>Keeps the rows <paramref name="rows"/> (int64 indices; repeats allowed), in that order — beam search reorders and copies hypotheses.</summary>
    void Select(Tensor rows);

    /// <summary>The attention over source positions of the last step, [rows, source] (mean over heads and layers where there are several); null for models without attention.</summary>
    Tensor? LastAttention { get; }
}

/// <summary>A decoded target: its tokens (the end token included when it was reached) and their total log-probability under the model.</summary>
/// <param name="Tokens">Token ids after the start token.</param>
/// <param name="LogProbability">Σ log p(y_t | y_&lt;t, x) over <paramref name="Tokens"/>.</param>
public sealed record Hypothesis(long[] Tokens, double LogProbability)
{
    /// <summary>Whether the hypothesis ended with the end token (rather than at the length limit).</summary>
    public bool Finished { get; init; }

    /// <summary>The output proper: <see cref="Tokens"/> without the end token.</summary>
    public long[] Output => Finished ? Tokens[..^1] : Tokens;
}

/// <summary>How to search for the most likely target.</summary>
/// <param name="Start">The start token fed first.</param>
/// <param name="End">The token that ends a hypothesis.</param>
/// <param name="MaxLength">Longest target, in tokens after the start token (the end token included).</param>
/// <param name="BeamWidth">Hypotheses kept per source (1: greedy decoding with the beam's bookkeeping).</param>
/// <param name="LengthPenalty">α of Wu et al. (2016)'s length normalisation: hypotheses are ranked by log p / ((5 + |y|)/6)^α; 0 ranks by log p alone.</param>
/// <param name="KeepGreedy">The greedy hypothesis competes with the beam's, so the answer never has a lower (normalised) score than greedy decoding's — beam search alone does not guarantee that.</param>
public sealed record SearchOptions(long Start, long End, int MaxLength, int BeamWidth = 4, double LengthPenalty = 0, bool KeepGreedy = true)
{
    /// <summary>The score a hypothesis is ranked by.</summary>
    public double Score(Hypothesis hypothesis) => hypothesis.LogProbability / Penalty(hypothesis.Tokens.Length);

    /// <summary>Wu et al.'s length penalty ((5 + length)/6)^α (1 without normalisation).</summary>
    public double Penalty(int length) => LengthPenalty == 0 ? 1 : Math.Pow((5.0 + length) / 6.0, LengthPenalty);
}

/// <summary>Greedy and beam search over an <see cref="IEncoderDecoder"/>, in eval mode without gradients, every step in its own dispose scope.</summary>
public static class SequenceSearch
{
    /// <summary>The most likely next token at every step, for all sources at once (a row each); stops at the end token or <see cref="SearchOptions.MaxLength"/>.</summary>
    public static IReadOnlyList<Hypothesis> Greedy(IEncoderDecoder model, Tensor source, Tensor? sourceLengths, SearchOptions options) =>
        Run(model, () =>
        {
            var decoder = model.StartDecoding(source, sourceLengths);
            int rows = (int)decoder.Rows;
            var tokens = Enumerable.Range(0, rows).Select(_ => new List<long>()).ToArray();
            var scores = new double[rows];
            var finished = new bool[rows];
            var previous = full(rows, options.Start, ScalarType.Int64, source.device);
            for (int step = 0; step < options.MaxLength && finished.Contains(false); step++)
            {
                using var scope = NewDisposeScope();
                var logProbabilities = decoder.Step(previous);
                var (best, index) = logProbabilities.max(1);
                var bestTokens = index.cpu().data<long>().ToArray();
                var bestScores = best.to(ScalarType.Float64).cpu().data<double>().ToArray();
                for (int row = 0; row < rows; row++)
                {
                    if (finished[row]) continue;
                    tokens[row].Add(bestTokens[row]);
                    scores[row] += bestScores[row];
                    finished[row] = bestTokens[row] == options.End;
                }
                // Finished rows keep decoding (their tokens are ignored): one batched step for all.
                previous = index.MoveToOuterDisposeScope();
            }
            return tokens.Select((t, row) => new Hypothesis([.. t], scores[row]) { Finished = finished[row] }).ToList();
        });

    /// <summary>
    /// Beam search: every step extends each of a source's <see cref="SearchOptions.BeamWidth"/> hypotheses by every token,
    /// keeps its best extensions, and sets aside those that reach the end token; the best finished hypothesis by
    /// <see cref="SearchOptions.Score"/> wins (an unfinished one only when none finished). All sources are searched at once:
    /// their live hypotheses are the decoder's rows, and each source chooses among its own.
    /// </summary>
    public static IReadOnlyList<Hypothesis> Beam(IEncoderDecoder model, Tensor source, Tensor? sourceLengths, SearchOptions options)
    {
        if (options.BeamWidth < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BeamWidth, "the beam width must be at least 1");
        var greedy = options.KeepGreedy ? Greedy(model, source, sourceLengths, options) : null;
        var best = Run(model, () => BeamAll(model, source, sourceLengths, options));
        if (greedy is null) return best;
        // The greedy hypothesis competes too (beam search alone does not guarantee a score at least as good): finished before unfinished, then by score.
        return best.Select((b, i) => Better(greedy[i], b, options) ? greedy[i] : b).ToList();
    }

    /// <summary>Whether <paramref name="candidate"/> beats <paramref name="incumbent"/>: a finished hypothesis beats an unfinished one; otherwise the higher score wins.</summary>
    static bool Better(Hypothesis candidate, Hypothesis incumbent, SearchOptions options) =>
        candidate.Finished != incumbent.Finished ? candidate.Finished : options.Score(candidate) > options.Score(incumbent);

    static List<Hypothesis> BeamAll(IEncoderDecoder model, Tensor source, Tensor? sourceLengths, SearchOptions options)
    {
        int width = options.BeamWidth, sources = (int)source.shape[0];
        var decoder = model.StartDecoding(source, sourceLengths);
        // beams[i]: source i's live hypotheses, in the order of their rows in the decoder (source by source).
        var beams = Enumerable.Range(0, sources).Select(_ => new List<Hypothesis> { new([], 0) }).ToArray();
        var finished = Enumerable.Range(0, sources).Select(_ => new List<Hypothesis>()).ToArray();
        var done = new bool[sources];
        var previous = full(sources, options.Start, ScalarType.Int64, source.device);
        for (int step = 0; step < options.MaxLength && !done.All(d => d); step++)
        {
            using var scope = NewDisposeScope();
            var logProbabilities = decoder.Step(previous).to(ScalarType.Float64).cpu(); // [rows, vocabulary]
            int vocabulary = (int)logProbabilities.shape[1], row = 0;
            var parents = new List<long>();
            var tokens = new List<long>();
            for (int i = 0; i < sources; i++)
            {
                if (done[i]) continue;
                var live = beams[i];
                var totals = logProbabilities.narrow(0, row, live.Count) + tensor(live.Select(b => b.LogProbability).ToArray(), ScalarType.Float64).unsqueeze(1);
                // 2 × width candidates leave width alive ones even if width of them end here.
                int candidates = (int)Math.Min(2L * width, totals.numel());
                var (values, indices) = totals.flatten().topk(candidates);
                var scores = values.data<double>().ToArray();
                var picks = indices.data<long>().ToArray();
                var next = new List<Hypothesis>();
                for (int c = 0; c < candidates && next.Count < width; c++)
                {
                    int parent = (int)(picks[c] / vocabulary);
                    long token = picks[c] % vocabulary;
                    var extended = new Hypothesis([.. live[parent].Tokens, token], scores[c]);
                    if (token == options.End) finished[i].Add(extended with { Finished = true });
                    else
                    {
                        next.Add(extended);
                        parents.Add(row + parent);
                        tokens.Add(token);
                    }
                }
                row += live.Count;
                // Settled once no live hypothesis can still beat the best finished one: log p only falls as a hypothesis grows, and
                // the length normalisation can at most divide it by the penalty of the longest hypothesis allowed.
                double bestLive = next.Count == 0 ? double.NegativeInfinity : next.Max(b => b.LogProbability) / options.Penalty(options.MaxLength);
                bool settled = finished[i].Count >= width && next.Count > 0 && finished[i].Max(options.Score) >= bestLive;
                if (settled)
                {
                    // The source is decided: its live hypotheses leave the decoder.
                    parents.RemoveRange(parents.Count - next.Count, next.Count);
                    tokens.RemoveRange(tokens.Count - next.Count, next.Count);
                }
                done[i] = settled || next.Count == 0;
                beams[i] = next;
            }
            if (parents.Count == 0) break;
            decoder.Select(tensor(parents.ToArray()).to(source.device));
            previous = tensor(tokens.ToArray()).to(source.device).MoveToOuterDisposeScope();
        }
        return Enumerable.Range(0, sources).Select(i => (finished[i].Count > 0 ? finished[i] : beams[i]).MaxBy(options.Score)!).ToList();
    }

    static T Run<T>(IEncoderDecoder model, Func<T> search)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var module = (model as ISequenceModel)?.Module; // the model's own object: eval mode for the search, its mode restored after
        bool wasTraining = module?.training ?? false;
        module?.eval();
        try
        {
            return search();
        }
        finally
        {
            if (wasTraining) module!.train();
        }
    }
}
