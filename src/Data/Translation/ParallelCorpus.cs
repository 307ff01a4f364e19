using SeqLab.Data.Text;

namespace SeqLab.Data.Translation;

/// <summary>One source sentence and its translation, with the 1-based line of the file it was read from.</summary>
public sealed record SentencePair(string Source, string Target, int Line);

/// <summary>
/// Parallel corpora for sequence-to-sequence learning: <c>source&lt;TAB&gt;target</c> lines, a reproducible
/// train/validation/test split, and a length filter. Plain strings only; tokenizing and batching are the caller's.
/// </summary>
public static class ParallelCorpus
{
    /// <summary>
    /// Reads <paramref name="path"/>: strict UTF-8 (BOM dropped, CRLF read as LF; invalid bytes and an empty file are
    /// errors naming the line, as in <see cref="TextCorpus.Load"/>), one <c>source&lt;TAB&gt;target</c> pair a line, both
    /// sides trimmed. Lines holding only whitespace are skipped. A line without a tab, with more than one tab, or with an
    /// empty side is a <see cref="DataFormatException"/> naming the file, the line and (for an empty side) the field
    /// <c>source</c> or <c>target</c>; the first such line is reported.
    /// </summary>
    public static IReadOnlyList<SentencePair> Load(string path)
    {
        var pairs = new List<SentencePair>();
        int number = 0;
        foreach (var line in TextCorpus.Load(path).Split('\n'))
        {
            number++;
            if (line.Trim().Length == 0) continue;
            int tab = line.IndexOf('\t');
            if (tab < 0) throw new DataFormatException(path, number, null, "expected 'source<TAB>target', found no tab");
            if (line.IndexOf('\t', tab + 1) >= 0)
                throw new DataFormatException(path, number, null, $"expected 'source<TAB>target', found {line.Count(c => c == '\t') + 1} tab-separated fields");
            string source = line[..tab].Trim(), target = line[(tab + 1)..].Trim();
            if (source.Length == 0) throw new DataFormatException(path, number, "source", "empty source sentence");
            if (target.Length == 0) throw new DataFormatException(path, number, "target", "empty target sentence");
            pairs.Add(new SentencePair(source, target, number));
        }
        return pairs;
    }

    /// <summary>
    /// Splits <paramref name="pairs"/> into train, validation and test, reproducibly for a <paramref name="seed"/> on
    /// every machine. Pairs with exactly the same source sentence (ordinal comparison, after the trimming of
    /// <see cref="Load"/>) form one group and always land in the same split, so no test or validation source appears
    /// verbatim in training, and identical pairs never straddle splits. The groups are shuffled by Fisher–Yates with
    /// <see cref="System.Random"/> seeded with <paramref name="seed"/> (its seeded algorithm is fixed across platforms
    /// and .NET versions; a seed outside the <see cref="int"/> range is folded to one inside it, and seeds s and −s give the
    /// same split because <see cref="System.Random"/> uses |s|); then, in shuffled order, groups go to validation until it
    /// holds round(n · <paramref name="validationFraction"/>) pairs, then to test until it holds
    /// round(n · <paramref name="testFraction"/>), and the rest to training. With unique sources the sizes are exactly
    /// those; with duplicates a split can exceed its size by less than the largest group. Each split keeps the input order.
    /// </summary>
    public static (IReadOnlyList<SentencePair> Train, IReadOnlyList<SentencePair> Validation, IReadOnlyList<SentencePair> Test) Split(
        IReadOnlyList<SentencePair> pairs, double validationFraction, double testFraction, long seed)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (!(validationFraction >= 0 && validationFraction < 1)) throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must be in [0, 1)");
        if (!(testFraction >= 0 && testFraction < 1)) throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "must be in [0, 1)");
        if (validationFraction + testFraction >= 1) throw new ArgumentException($"validation ({validationFraction}) and test ({testFraction}) fractions must leave some training data: their sum must be below 1");

        var groups = new List<List<int>>();
        var groupOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < pairs.Count; i++)
        {
            if (!groupOf.TryGetValue(pairs[i].Source, out int group))
            {
                group = groups.Count;
                groupOf.Add(pairs[i].Source, group);
                groups.Add([]);
            }
            groups[group].Add(i);
        }

        var random = new Random(seed is >= int.MinValue and <= int.MaxValue ? (int)seed : unchecked((int)(seed ^ (seed >> 32))));
        var order = Enumerable.Range(0, groups.Count).ToArray();
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        int validationSize = (int)Math.Round(pairs.Count * validationFraction, MidpointRounding.AwayFromZero);
        int testSize = (int)Math.Round(pairs.Count * testFraction, MidpointRounding.AwayFromZero);
        var split = new byte[pairs.Count]; // 0 train, 1 validation, 2 test
        int validationCount = 0, testCount = 0;
        foreach (int group in order)
        {
            byte into;
            if (validationCount < validationSize) { into = 1; validationCount += groups[group].Count; }
            else if (testCount < testSize) { into = 2; testCount += groups[group].Count; }
            else break;
            foreach (int i in groups[group]) split[i] = into;
        }

        var train = new List<SentencePair>();
        var validation = new List<SentencePair>(validationCount);
        var test = new List<SentencePair>(testCount);
        for (int i = 0; i < pairs.Count; i++) (split[i] switch { 1 => validation, 2 => test, _ => train }).Add(pairs[i]);
        return (train, validation, test);
    }

    /// <summary>
    /// The pairs whose source is <paramref name="minLength"/>…<paramref name="maxSource"/> tokens long and whose target is
    /// <paramref name="minLength"/>…<paramref name="maxTarget"/> tokens long (bounds included), in their order. Lengths are
    /// counted by the caller's tokenizer: <paramref name="sourceLength"/> and <paramref name="targetLength"/>.
    /// </summary>
    public static IReadOnlyList<SentencePair> FilterByLength(IReadOnlyList<SentencePair> pairs, Func<string, int> sourceLength, Func<string, int> targetLength,
        int maxSource, int maxTarget, int minLength = 1)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(sourceLength);
        ArgumentNullException.ThrowIfNull(targetLength);
        if (minLength < 0) throw new ArgumentOutOfRangeException(nameof(minLength), minLength, "must be at least 0");
        if (maxSource < minLength) throw new ArgumentOutOfRangeException(nameof(maxSource), maxSource, $"must be at least minLength ({minLength})");
        if (maxTarget < minLength) throw new ArgumentOutOfRangeException(nameof(maxTarget), maxTarget, $"must be at least minLength ({minLength})");
        var kept = new List<SentencePair>();
        foreach (var pair in pairs)
        {
            int source = sourceLength(pair.Source);
            if (source < minLength || source > maxSource) continue;
            int target = targetLength(pair.Target);
            if (target < minLength || target > maxTarget) continue;
            kept.Add(pair);
        }
        return kept;
    }
}
