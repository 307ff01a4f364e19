using SeqLab.Data.Batches;
using static TorchSharp.torch;

namespace SeqLab.Data.Dna;

/// <summary>Turns DNA into model inputs: one-hot vectors or k-mer token ids.</summary>
public static class DnaEncoding
{
    const string Channels = "ACGT";

    /// <summary>
    /// One-hot codes [length, 4] (channels A, C, G, T). An ambiguity code spreads its unit mass over the bases it stands
    /// for (N → 0.25 each, R → 0.5 A + 0.5 G); with <paramref name="ambiguousAsZero"/> it is all zeros instead.
    /// </summary>
    public static float[] OneHot(string sequence, bool ambiguousAsZero = false)
    {
        var codes = new float[sequence.Length * 4];
        for (int i = 0; i < sequence.Length; i++)
        {
            string bases = Iupac.Bases.TryGetValue(sequence[i], out var b) ? b : throw new ArgumentException($"'{sequence[i]}' at {i + 1} is not an IUPAC code");
            if (ambiguousAsZero && bases.Length > 1) continue;
            foreach (char bse in bases) codes[i * 4 + Channels.IndexOf(bse)] = 1f / bases.Length;
        }
        return codes;
    }

    /// <summary>
    /// Overlapping k-mer ids (stride 1): each k-mer of A/C/G/T gets id 1 + its base-4 number; a k-mer with an ambiguity code gets 0.
    /// Vocabulary size is 4^k + 1.
    /// </summary>
    public static long[] KmerTokens(string sequence, int k)
    {
        if (k < 1 || k > 12) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be between 1 and 12");
        if (sequence.Length < k) throw new ArgumentException($"a sequence of {sequence.Length} nt has no {k}-mers");
        var tokens = new long[sequence.Length - k + 1];
        for (int start = 0; start < tokens.Length; start++)
        {
            long id = 0;
            for (int j = 0; j < k && id >= 0; j++)
            {
                int digit = Channels.IndexOf(sequence[start + j]);
                id = digit < 0 ? -1 : id * 4 + digit;
            }
            tokens[start] = id < 0 ? 0 : id + 1;
        }
        return tokens;
    }

    /// <summary>Vocabulary size of <see cref="KmerTokens"/>.</summary>
    public static int KmerVocabularySize(int k) => (int)Math.Pow(4, k) + 1;

    /// <summary>
    /// One-hot batch of equally long records: inputs [n, length, 4], targets int64 class indices [n] in the order of
    /// <paramref name="classes"/>.
    /// </summary>
    public static SequenceBatch OneHotBatch(IReadOnlyList<DnaRecord> records, IReadOnlyList<string> classes, bool ambiguousAsZero = false)
    {
        int length = records[0].Sequence.Length;
        var inputs = new float[records.Count * length * 4];
        var targets = new long[records.Count];
        for (int i = 0; i < records.Count; i++)
        {
            if (records[i].Sequence.Length != length)
                throw new ArgumentException($"{records[i].Source}:{records[i].Line}: sequence '{records[i].Id}' has {records[i].Sequence.Length} nt, the batch has {length}; pad or truncate first");
            OneHot(records[i].Sequence, ambiguousAsZero).CopyTo(inputs, i * length * 4);
            targets[i] = ClassIndex(classes, records[i]);
        }
        return SequenceBatch.PerSequence(tensor(inputs, [records.Count, length, 4]), tensor(targets));
    }

    static int ClassIndex(IReadOnlyList<string> classes, DnaRecord record)
    {
        for (int c = 0; c < classes.Count; c++) if (classes[c] == record.Label) return c;
        throw new ArgumentException($"{record.Source}:{record.Line}: label '{record.Label}' is not among the classes {string.Join(", ", classes)}");
    }
}

/// <summary>Stratified splits and class balance of labelled records.</summary>
public static class Stratified
{
    /// <summary>
    /// Splits <paramref name="items"/> so that every class keeps its share in each part: per class, a seeded shuffle, then the
    /// first <paramref name="trainFraction"/> to train, the next <paramref name="validationFraction"/> to validation, the rest to test.
    /// </summary>
    public static (List<T> Train, List<T> Validation, List<T> Test) Split<T>(IReadOnlyList<T> items, Func<T, string> label, double trainFraction, double validationFraction, int seed)
    {
        var random = new Random(seed);
        var train = new List<T>(); var validation = new List<T>(); var test = new List<T>();
        foreach (var group in items.GroupBy(label).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var members = group.ToArray();
            random.Shuffle(members);
            int trainCount = (int)Math.Round(members.Length * trainFraction);
            int validationCount = (int)Math.Round(members.Length * validationFraction);
            train.AddRange(members.Take(trainCount));
            validation.AddRange(members.Skip(trainCount).Take(validationCount));
            test.AddRange(members.Skip(trainCount + validationCount));
        }
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(train));
        return (train, validation, test);
    }

    /// <summary>Count per class, most frequent first (for the log: "EI 767, IE 768, N 1655").</summary>
    public static IReadOnlyList<(string Label, int Count)> Balance<T>(IEnumerable<T> items, Func<T, string> label) =>
        items.GroupBy(label).Select(g => (g.Key, g.Count())).OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
}
