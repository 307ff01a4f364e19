namespace SeqLab.Training.Metrics;

/// <summary>
/// chrF (Popović 2015) as sacrebleu 2.x computes it by default (chrF2): character n-grams of orders 1–6 of each segment
/// with its whitespace removed, β = 2, one reference per hypothesis, scores in 0–100. With <c>wordOrder = 2</c> it is chrF++
/// (Popović 2017), with sacrebleu's word splitting (whitespace, then one punctuation mark split off each word's end or start).
/// </summary>
/// <remarks>
/// Counts are taken per segment (clipped matches, hypothesis and reference n-grams per order; an order the reference is
/// too short for counts no hypothesis n-grams) and summed over the corpus. The score then follows sacrebleu's default
/// (not its <c>eps_smoothing</c>): precision and recall are averaged over the orders where both the hypotheses and the
/// references have n-grams, and the score is the F-β of those two averages. Characters are Unicode code points, as in
/// Python, and whitespace is what Python's <c>str.split()</c> splits on.
/// </remarks>
public static class ChrF
{
    const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"; // Python's string.punctuation, which chrF++ splits off words

    /// <summary>Corpus chrF of <paramref name="hypotheses"/> against one reference each, in 0–100.</summary>
    /// <param name="hypotheses">One string per segment.</param>
    /// <param name="references">The reference of each segment, in the same order.</param>
    /// <param name="charOrder">Longest character n-gram (6).</param>
    /// <param name="wordOrder">Longest word n-gram (0: chrF; 2: chrF++).</param>
    /// <param name="beta">How much more recall weighs than precision (2).</param>
    /// <exception cref="ArgumentException">The two lists differ in length, or an order is negative, or both are 0.</exception>
    public static double Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references,
        int charOrder = 6, int wordOrder = 0, double beta = 2)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(references);
        if (hypotheses.Count != references.Count)
            throw new ArgumentException($"{hypotheses.Count} hypotheses but {references.Count} references.", nameof(references));
        ArgumentOutOfRangeException.ThrowIfNegative(charOrder);
        ArgumentOutOfRangeException.ThrowIfNegative(wordOrder);
        if (charOrder + wordOrder == 0) throw new ArgumentException("chrF needs at least one n-gram order.", nameof(charOrder));

        var statistics = new OrderStatistics[charOrder + wordOrder];
        for (int i = 0; i < hypotheses.Count; i++)
        {
            var hypothesis = NGramsOf(hypotheses[i], charOrder, wordOrder);
            var reference = NGramsOf(references[i], charOrder, wordOrder);
            for (int order = 0; order < statistics.Length; order++)
                statistics[order] = statistics[order].Add(Match(hypothesis[order], reference[order]));
        }
        return FScore(statistics, beta);
    }

    /// <summary>chrF of one hypothesis against its reference (the corpus score of a one-segment corpus), in 0–100.</summary>
    /// <param name="hypothesis">The hypothesis.</param>
    /// <param name="reference">Its reference.</param>
    /// <param name="charOrder">Longest character n-gram (6).</param>
    /// <param name="wordOrder">Longest word n-gram (0: chrF; 2: chrF++).</param>
    /// <param name="beta">How much more recall weighs than precision (2).</param>
    public static double Sentence(string hypothesis, string reference, int charOrder = 6, int wordOrder = 0, double beta = 2) =>
        Corpus([hypothesis], [reference], charOrder, wordOrder, beta);

    readonly record struct OrderStatistics(long Hypothesis, long Reference, long Matches)
    {
        public OrderStatistics Add(OrderStatistics other) =>
            new(Hypothesis + other.Hypothesis, Reference + other.Reference, Matches + other.Matches);
    }

    static OrderStatistics Match(Dictionary<string, int> hypothesis, Dictionary<string, int> reference)
    {
        long hypothesisCount = 0, matches = 0;
        foreach (var (ngram, count) in hypothesis)
        {
            hypothesisCount += count;
            if (reference.TryGetValue(ngram, out int inReference)) matches += Math.Min(count, inReference);
        }
        // sacrebleu counts no hypothesis n-grams at an order the reference has none of, so that order drops out.
        return new(reference.Count > 0 ? hypothesisCount : 0, reference.Values.Sum(), matches);
    }

    // sacrebleu's CHRF._compute_f_score without eps smoothing, in its order of operations.
    static double FScore(OrderStatistics[] statistics, double beta)
    {
        double factor = beta * beta, precision = 0, recall = 0;
        int effectiveOrders = 0;
        foreach (var order in statistics)
        {
            if (order.Hypothesis == 0 || order.Reference == 0) continue;
            precision += (double)order.Matches / order.Hypothesis;
            recall += (double)order.Matches / order.Reference;
            effectiveOrders++;
        }
        if (effectiveOrders == 0) return 0.0;
        precision /= effectiveOrders;
        recall /= effectiveOrders;
        if (precision + recall == 0) return 0.0;
        double score = (1 + factor) * precision * recall;
        score /= factor * precision + recall;
        return 100 * score;
    }

    // One n-gram count per order: character orders 1..charOrder, then word orders 1..wordOrder.
    static List<Dictionary<string, int>> NGramsOf(string segment, int charOrder, int wordOrder)
    {
        var orders = new List<Dictionary<string, int>>(charOrder + wordOrder);
        string characters = string.Concat(segment.Where(c => !IsPythonWhitespace(c)));
        var starts = CodePointStarts(characters);
        for (int n = 1; n <= charOrder; n++)
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i + n < starts.Count; i++) Increment(counts, characters[starts[i]..starts[i + n]]);
            orders.Add(counts);
        }
        var words = SplitPunctuation(SplitWords(segment));
        for (int n = 1; n <= wordOrder; n++)
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i + n <= words.Count; i++) Increment(counts, string.Join(' ', words.Skip(i).Take(n)));
            orders.Add(counts);
        }
        return orders;
    }

    static void Increment(Dictionary<string, int> counts, string ngram) => counts[ngram] = counts.GetValueOrDefault(ngram) + 1;

    // UTF-16 offset of every code point, plus the string's length as an end marker: n-grams count code points like Python.
    static List<int> CodePointStarts(string text)
    {
        var starts = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length; i++)
            if (!(char.IsLowSurrogate(text[i]) && i > 0 && char.IsHighSurrogate(text[i - 1]))) starts.Add(i);
        starts.Add(text.Length);
        return starts;
    }

    // Python's str.isspace also counts the information separators U+001C–U+001F, which .NET does not.
    static bool IsPythonWhitespace(char c) => char.IsWhiteSpace(c) || c is >= '\u001c' and <= '\u001f';

    static List<string> SplitWords(string segment)
    {
        var words = new List<string>();
        int start = -1;
        for (int i = 0; i <= segment.Length; i++)
        {
            bool boundary = i == segment.Length || IsPythonWhitespace(segment[i]);
            if (boundary && start >= 0) { words.Add(segment[start..i]); start = -1; }
            else if (!boundary && start < 0) start = i;
        }
        return words;
    }

    // sacrebleu's CHRF._remove_punctuation: one mark off the end, else off the start ('(hi)' gives '(hi' and ')').
    static List<string> SplitPunctuation(List<string> words)
    {
        var tokens = new List<string>(words.Count);
        foreach (var word in words)
        {
            if (word.Length == 1) tokens.Add(word);
            else if (Punctuation.Contains(word[^1])) { tokens.Add(word[..^1]); tokens.Add(word[^1..]); }
            else if (Punctuation.Contains(word[0])) { tokens.Add(word[..1]); tokens.Add(word[1..]); }
            else tokens.Add(word);
        }
        return tokens;
    }
}
