namespace SeqLab.Training.Metrics;

/// <summary>How <see cref="Bleu"/> treats an n-gram order with no match (Chen &amp; Cherry 2014, as sacrebleu names them).</summary>
public enum BleuSmoothing
{
    /// <summary>No smoothing: a single order without a match makes the score 0 (Papineni et al. 2002).</summary>
    None,

    /// <summary>sacrebleu's <c>exp</c> (mteval-v13a's NIST smoothing): the k-th order without a match gets precision 1 / (2^k · total).</summary>
    Exp,

    /// <summary>sacrebleu's <c>floor</c>: an order without a match gets precision 0.1 / total.</summary>
    Floor,
}

/// <summary>A BLEU score with the statistics it was computed from, in sacrebleu's units.</summary>
/// <param name="Score">BLEU in 0–100.</param>
/// <param name="Precisions">Modified n-gram precision per order (1-grams first), in 0–100, smoothed where smoothing applied.</param>
/// <param name="BrevityPenalty">1 when the hypotheses are longer than the references, else exp(1 − r/c); 0 when c = 0.</param>
/// <param name="LengthRatio">c / r, hypothesis length over reference length (0 when r = 0).</param>
/// <param name="HypothesisLength">c: total hypothesis tokens.</param>
/// <param name="ReferenceLength">r: total reference tokens.</param>
/// <param name="Matches">Clipped n-gram matches per order.</param>
/// <param name="Totals">Hypothesis n-grams per order.</param>
public sealed record BleuScore(double Score, IReadOnlyList<double> Precisions, double BrevityPenalty, double LengthRatio,
    long HypothesisLength, long ReferenceLength, IReadOnlyList<long> Matches, IReadOnlyList<long> Totals);

/// <summary>
/// BLEU (Papineni et al. 2002) computed the way sacrebleu 2.x does on pre-tokenised text (its <c>tokenize='none'</c>):
/// tokens are the caller's strings, compared ordinally; one reference per hypothesis.
/// </summary>
/// <remarks>
/// Each hypothesis n-gram count is clipped by its count in the reference; matches, totals and lengths are summed over the
/// corpus before the precisions are taken (so corpus BLEU is not the mean of sentence BLEU). The score is
/// BP · exp(mean of log precisions). Unlike sacrebleu's <c>corpus_bleu</c>, whose default is <c>exp</c> smoothing,
/// <see cref="Corpus"/> defaults to no smoothing, the original definition; the two agree whenever every order has a match.
/// </remarks>
public static class Bleu
{
    const double FloorValue = 0.1; // sacrebleu's default for 'floor'

    /// <summary>Corpus BLEU of <paramref name="hypotheses"/> against one reference each.</summary>
    /// <param name="hypotheses">One token list per segment.</param>
    /// <param name="references">The reference token list of each segment, in the same order.</param>
    /// <param name="maxOrder">The longest n-gram counted (4 for BLEU-4).</param>
    /// <param name="smoothing">What an order without any match contributes (default: nothing, so the score is 0).</param>
    /// <exception cref="ArgumentException">The two lists differ in length, or <paramref name="maxOrder"/> is below 1.</exception>
    public static BleuScore Corpus(IReadOnlyList<IReadOnlyList<string>> hypotheses, IReadOnlyList<IReadOnlyList<string>> references,
        int maxOrder = 4, BleuSmoothing smoothing = BleuSmoothing.None)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(references);
        if (hypotheses.Count != references.Count)
            throw new ArgumentException($"{hypotheses.Count} hypotheses but {references.Count} references.", nameof(references));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOrder, 1);

        var matches = new long[maxOrder];
        var totals = new long[maxOrder];
        long hypothesisLength = 0, referenceLength = 0;
        for (int i = 0; i < hypotheses.Count; i++)
        {
            AddSegment(hypotheses[i], references[i], matches, totals);
            hypothesisLength += hypotheses[i].Count;
            referenceLength += references[i].Count;
        }
        return FromStatistics(matches, totals, hypothesisLength, referenceLength, smoothing, effectiveOrder: false);
    }

    /// <summary>
    /// Sentence BLEU as sacrebleu's <c>sentence_bleu</c>: <see cref="BleuSmoothing.Exp"/> smoothing and effective order
    /// (orders longer than the hypothesis are left out of the mean), so short sentences still score above 0.
    /// </summary>
    /// <param name="hypothesis">The hypothesis tokens.</param>
    /// <param name="reference">The reference tokens.</param>
    /// <param name="maxOrder">The longest n-gram counted.</param>
    public static BleuScore Sentence(IReadOnlyList<string> hypothesis, IReadOnlyList<string> reference, int maxOrder = 4)
    {
        ArgumentNullException.ThrowIfNull(hypothesis);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOrder, 1);
        var matches = new long[maxOrder];
        var totals = new long[maxOrder];
        AddSegment(hypothesis, reference, matches, totals);
        return FromStatistics(matches, totals, hypothesis.Count, reference.Count, BleuSmoothing.Exp, effectiveOrder: true);
    }

    static void AddSegment(IReadOnlyList<string> hypothesis, IReadOnlyList<string> reference, long[] matches, long[] totals)
    {
        for (int n = 1; n <= matches.Length; n++)
        {
            var referenceCounts = Count(reference, n);
            foreach (var (ngram, count) in Count(hypothesis, n))
            {
                totals[n - 1] += count;
                if (referenceCounts.TryGetValue(ngram, out int inReference)) matches[n - 1] += Math.Min(count, inReference);
            }
        }
    }

    // sacrebleu's BLEU.compute_bleu, step for step (less add-k), so scores agree to rounding.
    static BleuScore FromStatistics(long[] matches, long[] totals, long hypothesisLength, long referenceLength,
        BleuSmoothing smoothing, bool effectiveOrder)
    {
        int maxOrder = matches.Length;
        double brevityPenalty = hypothesisLength >= referenceLength ? 1.0
            : hypothesisLength > 0 ? Math.Exp(1 - (double)referenceLength / hypothesisLength) : 0.0;
        double lengthRatio = referenceLength > 0 ? (double)hypothesisLength / referenceLength : 0.0;
        var precisions = new double[maxOrder];
        BleuScore Result(double score) =>
            new(score, precisions, brevityPenalty, lengthRatio, hypothesisLength, referenceLength, matches, totals);

        if (matches.All(m => m == 0)) return Result(0.0); // no match at all: 0 whatever the smoothing

        double expSmoothing = 1.0;
        int orders = maxOrder;
        for (int n = 1; n <= maxOrder; n++)
        {
            if (totals[n - 1] == 0) break; // hypotheses shorter than n: this order and longer stay at precision 0
            if (effectiveOrder) orders = n;
            if (matches[n - 1] > 0)
                precisions[n - 1] = 100.0 * matches[n - 1] / totals[n - 1];
            else if (smoothing == BleuSmoothing.Exp)
            {
                expSmoothing *= 2;
                precisions[n - 1] = 100.0 / (expSmoothing * totals[n - 1]);
            }
            else if (smoothing == BleuSmoothing.Floor)
                precisions[n - 1] = 100.0 * FloorValue / totals[n - 1];
        }

        // sacrebleu takes log 0 as −9999999999, which makes the geometric mean underflow to exactly 0.
        if (precisions.Take(orders).Any(p => p == 0)) return Result(0.0);
        double meanLog = precisions.Take(orders).Sum(p => Math.Log(p)) / orders;
        return Result(brevityPenalty * Math.Exp(meanLog));
    }

    static Dictionary<NGram, int> Count(IReadOnlyList<string> tokens, int n)
    {
        var counts = new Dictionary<NGram, int>();
        for (int start = 0; start + n <= tokens.Count; start++)
        {
            var ngram = new NGram(tokens, start, n);
            counts[ngram] = counts.GetValueOrDefault(ngram) + 1;
        }
        return counts;
    }

    // `length` tokens of a list from `start`, equal when ordinally equal token by token: nothing is joined, so no separator can clash.
    readonly struct NGram(IReadOnlyList<string> tokens, int start, int length) : IEquatable<NGram>
    {
        readonly IReadOnlyList<string> _tokens = tokens;
        readonly int _start = start, _length = length;

        public bool Equals(NGram other)
        {
            if (_length != other._length) return false;
            for (int i = 0; i < _length; i++)
                if (!string.Equals(_tokens[_start + i], other._tokens[other._start + i], StringComparison.Ordinal)) return false;
            return true;
        }

        public override bool Equals(object? obj) => obj is NGram other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            for (int i = 0; i < _length; i++) hash.Add(_tokens[_start + i], StringComparer.Ordinal);
            return hash.ToHashCode();
        }
    }
}
