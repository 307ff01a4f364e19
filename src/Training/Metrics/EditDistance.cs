namespace SeqLab.Training.Metrics;

/// <summary>How a hypothesis lines up with its reference under a minimum-edit alignment.</summary>
/// <param name="Hits">Reference items the hypothesis has in place.</param>
/// <param name="Substitutions">Reference items replaced by another hypothesis item.</param>
/// <param name="Deletions">Reference items the hypothesis lacks.</param>
/// <param name="Insertions">Hypothesis items with no reference item.</param>
public readonly record struct EditCounts(int Hits, int Substitutions, int Deletions, int Insertions)
{
    /// <summary>Substitutions + deletions + insertions: the Levenshtein distance.</summary>
    public int Edits => Substitutions + Deletions + Insertions;
}

/// <summary>
/// Levenshtein distance over any sequences, and the error rates of speech recognition built on it: WER over word lists,
/// CER over character lists (tokenisation, case and punctuation are the caller's).
/// </summary>
public static class EditDistance
{
    /// <summary>The fewest substitutions, deletions and insertions that turn <paramref name="a"/> into <paramref name="b"/>
    /// (items compared with <see cref="EqualityComparer{T}.Default"/>); O(|a|·|b|) time, O(min(|a|, |b|)) memory.</summary>
    /// <param name="a">One sequence.</param>
    /// <param name="b">The other; the distance is symmetric.</param>
    public static int Levenshtein<T>(IReadOnlyList<T> a, IReadOnlyList<T> b) => Align(a, b).Edits;

    /// <summary>
    /// The hits, substitutions, deletions and insertions of a minimum-edit alignment of <paramref name="hypothesis"/> to
    /// <paramref name="reference"/>. Where several alignments share the minimum, the one preferring a substitution to a
    /// deletion to an insertion at each step back from the end is counted (so "a b" against "b c" is two substitutions).
    /// O(min(|hypothesis|, |reference|)) memory.
    /// </summary>
    /// <param name="hypothesis">The recognised or generated sequence.</param>
    /// <param name="reference">The sequence it should have been.</param>
    public static EditCounts Align<T>(IReadOnlyList<T> hypothesis, IReadOnlyList<T> reference)
    {
        ArgumentNullException.ThrowIfNull(hypothesis);
        ArgumentNullException.ThrowIfNull(reference);
        // Keep one row over the shorter sequence; which one it is only decides whether a step is a deletion or an insertion.
        bool rowIsHypothesis = hypothesis.Count <= reference.Count;
        var (rowItems, columnItems) = rowIsHypothesis ? (hypothesis, reference) : (reference, hypothesis);
        var comparer = EqualityComparer<T>.Default;

        var row = new EditCounts[rowItems.Count + 1];
        for (int j = 1; j <= rowItems.Count; j++) row[j] = Extra(row[j - 1], rowIsHypothesis);
        for (int i = 1; i <= columnItems.Count; i++)
        {
            var diagonal = row[0];
            row[0] = Extra(row[0], !rowIsHypothesis);
            for (int j = 1; j <= rowItems.Count; j++)
            {
                var above = row[j];
                var step = comparer.Equals(columnItems[i - 1], rowItems[j - 1])
                    ? diagonal with { Hits = diagonal.Hits + 1 }
                    : diagonal with { Substitutions = diagonal.Substitutions + 1 };
                var skipColumnItem = Extra(above, !rowIsHypothesis);
                var skipRowItem = Extra(row[j - 1], rowIsHypothesis);
                var (deletion, insertion) = rowIsHypothesis ? (skipColumnItem, skipRowItem) : (skipRowItem, skipColumnItem);
                row[j] = Best(Best(step, deletion), insertion);
                diagonal = above;
            }
        }
        return row[rowItems.Count];
    }

    /// <summary>
    /// Corpus error rate: Σ edits / Σ reference lengths over all segments (not the mean of per-segment rates), e.g. WER
    /// with word lists or CER with character lists. It can exceed 1 when the hypotheses insert much.
    /// </summary>
    /// <param name="hypotheses">One sequence per segment.</param>
    /// <param name="references">The reference of each segment, in the same order.</param>
    /// <exception cref="ArgumentException">The lists differ in length, or the references are all empty (the rate is undefined).</exception>
    public static double ErrorRate<T>(IReadOnlyList<IReadOnlyList<T>> hypotheses, IReadOnlyList<IReadOnlyList<T>> references)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(references);
        if (hypotheses.Count != references.Count)
            throw new ArgumentException($"{hypotheses.Count} hypotheses but {references.Count} references.", nameof(references));
        long edits = 0, referenceLength = 0;
        for (int i = 0; i < hypotheses.Count; i++)
        {
            edits += Levenshtein(hypotheses[i], references[i]);
            referenceLength += references[i].Count;
        }
        if (referenceLength == 0) throw new ArgumentException("The references are all empty: the error rate is undefined.", nameof(references));
        return (double)edits / referenceLength;
    }

    // One more unmatched item: an insertion when it is the hypothesis's, a deletion when it is the reference's.
    static EditCounts Extra(EditCounts counts, bool ofHypothesis) => ofHypothesis
        ? counts with { Insertions = counts.Insertions + 1 }
        : counts with { Deletions = counts.Deletions + 1 };

    // Fewer edits wins; on a tie the first argument, so the order of the calls sets the preference.
    static EditCounts Best(EditCounts first, EditCounts second) => second.Edits < first.Edits ? second : first;
}
