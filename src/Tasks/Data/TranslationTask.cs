using SeqLab.Config;
using SeqLab.Data;
using SeqLab.Data.Text;
using SeqLab.Data.Translation;

namespace SeqLab.Tasks;

/// <summary><c>dataset: {type: translation}</c> — a TSV of <c>source&lt;TAB&gt;target</c> lines.</summary>
public sealed record TranslationConfig : SequencePairConfig
{
    /// <inheritdoc />
    public override string Type => "translation";
    /// <summary>The TSV file.</summary>
    [ConfigKey("the data file, relative to the experiments file", Required = true, IsPath = true)]
    public string Path { get; init; } = "";
    /// <summary>Validation share.</summary>
    [ConfigKey("share of the data for validation (text: by position; forecast: the middle of the timeline; dna, fasta: stratified; translation: by line with the seed, a repeated source in one split)", Minimum = 0, ExclusiveMinimum = true, Maximum = 0.5)]
    public double ValidationFraction { get; init; } = 0.1;
    /// <summary>Test share.</summary>
    [ConfigKey("share of the data for the final test (the end of the text or timeline; stratified for dna, fasta; seeded by line for translation)", Minimum = 0, ExclusiveMinimum = true, Maximum = 0.5)]
    public double TestFraction { get; init; } = 0.1;
    /// <summary>Source tokens.</summary>
    [ConfigKey("translation: source tokens — characters, words (punctuation apart) or GPT-2 subwords", Choices = ["char", "word", "subword"])]
    public string SourceTokenizer { get; init; } = "word";
    /// <summary>Target tokens.</summary>
    [ConfigKey("translation: target tokens — characters, words (punctuation apart) or GPT-2 subwords", Choices = ["char", "word", "subword"])]
    public string TargetTokenizer { get; init; } = "word";
    /// <summary>Longest source kept, in its tokens.</summary>
    [ConfigKey("translation: pairs whose source has more tokens are left out", Minimum = 1)]
    public int MaxSourceLength { get; init; } = 30;
    /// <summary>Longest target kept, in its tokens.</summary>
    [ConfigKey("translation: pairs whose target has more tokens (before the end token) are left out", Minimum = 1)]
    public int MaxTargetLength { get; init; } = 30;
    /// <summary>Fewest occurrences for a token to get an id.</summary>
    [ConfigKey("translation: a token needs this many occurrences in the training side to get an id (rarer ones read as <unk>)", Minimum = 1)]
    public int MinCount { get; init; } = 2;
    /// <summary>Most ids per side.</summary>
    [ConfigKey("translation: most ids per side, the 4 reserved ones included; null = no limit", Minimum = 5)]
    public int? MaxVocabulary { get; init; }
    /// <summary>One vocabulary for both sides.</summary>
    [ConfigKey("translation: one vocabulary built from both sides (for model.shared_embeddings)")]
    public bool SharedVocabulary { get; init; }
    /// <summary>Pairs read at most.</summary>
    [ConfigKey("translation: use only the first N pairs (after the length filter); null = all", Minimum = 10)]
    public int? MaxPairs { get; init; }
    /// <summary>Largest evaluation split.</summary>
    [ConfigKey("translation: validation and test splits are cut to a seeded sample of this many pairs (beam search over them takes time)", Minimum = 1)]
    public int MaxEvaluationPairs { get; init; } = 1000;
}

/// <summary>
/// Machine translation from any TSV of sentence pairs (e.g. <c>data/translation_debian_descriptions/en-fr.tsv</c>): the
/// pairs that fit the length limits, split by line with the seed (a repeated source stays in one split), a vocabulary per
/// side from the training pairs, BLEU and chrF of greedy and beam decoding beside exact match.
/// </summary>
public sealed class TranslationTask : SequencePairKind<TranslationConfig>
{
    /// <inheritdoc />
    public override string Summary => "source tokens (char, word or subword) | the target's tokens | cross-entropy per token; BLEU, chrF, exact match, token accuracy | unigram target tokens";

    static List<SentencePair> Pairs(TranslationConfig d)
    {
        var source = TokenVocabulary.Build(d.SourceTokenizer, []);
        var target = TokenVocabulary.Build(d.TargetTokenizer, []);
        var kept = ParallelCorpus.FilterByLength(ParallelCorpus.Load(d.Path), s => source.Split(s).Count, t => target.Split(t).Count, d.MaxSourceLength, d.MaxTargetLength);
        return (d.MaxPairs is int most ? kept.Take(most) : kept).ToList();
    }

    /// <inheritdoc />
    protected override IEnumerable<DataProblem> CheckData(TranslationConfig d)
    {
        List<SentencePair> pairs;
        try
        {
            pairs = Pairs(d);
        }
        catch (Exception e) when (e is DataFormatException or IOException)
        {
            return [new DataProblem("path", e.Message)];
        }
        // Every split needs pairs: the smallest is validation or test.
        int smallest = (int)(pairs.Count * Math.Min(d.ValidationFraction, d.TestFraction));
        return smallest < 1
            ? [new DataProblem("max_source_length", $"{d.Path}: {pairs.Count} pairs fit max_source_length {d.MaxSourceLength} and max_target_length {d.MaxTargetLength}; too few to split")]
            : [];
    }

    /// <inheritdoc />
    protected override PairData Load(TranslationConfig d, long seed)
    {
        var (train, validation, test) = ParallelCorpus.Split(Pairs(d), d.ValidationFraction, d.TestFraction, seed);
        PairSplit Split(IEnumerable<SentencePair> pairs) => new(pairs.Select(p => p.Source).ToList(), pairs.Select(p => p.Target).ToList());
        var trainSplit = Split(train);
        TokenVocabulary sourceVocabulary, targetVocabulary;
        if (d.SharedVocabulary)
            sourceVocabulary = targetVocabulary = TokenVocabulary.Build(d.SourceTokenizer, trainSplit.Sources.Concat(trainSplit.Targets), d.MinCount, d.MaxVocabulary);
        else
        {
            sourceVocabulary = TokenVocabulary.Build(d.SourceTokenizer, trainSplit.Sources, d.MinCount, d.MaxVocabulary);
            targetVocabulary = TokenVocabulary.Build(d.TargetTokenizer, trainSplit.Targets, d.MinCount, d.MaxVocabulary);
        }
        return new PairData(trainSplit, Split(Sample(validation, d.MaxEvaluationPairs, seed)), Split(Sample(test, d.MaxEvaluationPairs, seed)), sourceVocabulary, targetVocabulary) { TextMetrics = true };
    }

    /// <summary>At most <paramref name="count"/> pairs drawn with the seed — a split keeps the file's order, and a file sorted by package name would otherwise give its first packages only.</summary>
    static IReadOnlyList<SentencePair> Sample(IReadOnlyList<SentencePair> pairs, int count, long seed)
    {
        if (pairs.Count <= count) return pairs;
        var shuffled = pairs.ToArray();
        new Random(unchecked((int)seed * 7_919 + 17)).Shuffle(shuffled);
        return shuffled.Take(count).ToList();
    }

    /// <inheritdoc />
    protected override (int Source, int Target) LongestPair(TranslationConfig config) => (config.MaxSourceLength, config.MaxTargetLength);

    /// <inheritdoc />
    protected override IEnumerable<string> CheckModel(TranslationConfig config, IModelKind model, ModelConfig modelConfig)
    {
        foreach (var problem in base.CheckModel(config, model, modelConfig)) yield return problem;
        if (modelConfig is SequenceToSequenceModelConfig { SharedEmbeddings: true } && !config.SharedVocabulary)
            yield return "model.shared_embeddings needs one vocabulary for both sides: set dataset.shared_vocabulary: true";
        if (config.SharedVocabulary && config.SourceTokenizer != config.TargetTokenizer)
            yield return $"dataset.shared_vocabulary needs the same tokens on both sides (source_tokenizer {config.SourceTokenizer}, target_tokenizer {config.TargetTokenizer})";
    }
}
