using SeqLab.Config;
using SeqLab.Data.Batches;
using SeqLab.Data.Text;
using static TorchSharp.torch;

namespace SeqLab.Tasks;

/// <summary>The keys of the synthetic transduction probes (<c>reverse</c>, <c>sort</c>): random strings of letters, fresh every step.</summary>
public abstract record TransductionConfig : SequencePairConfig
{
    /// <summary>Longest source.</summary>
    [ConfigKey("sequence length T (copy_memory: the gap T between reading and recalling; reverse, sort: the longest source)", Minimum = 1, Maximum = 100_000)]
    public int Length { get; init; } = 50;
    /// <summary>Shortest source; null = fixed length.</summary>
    [ConfigKey("draw each sequence's length from [min_length, length] (padded batches with lengths); null = fixed length", Minimum = 1)]
    public int? MinLength { get; init; }
    /// <summary>Fixed validation-set size.</summary>
    [ConfigKey("sequences in the fixed validation set", Minimum = 1)]
    public int ValidationSize { get; init; } = 1000;
    /// <summary>Fixed test-set size.</summary>
    [ConfigKey("sequences in the fixed test set", Minimum = 1)]
    public int TestSize { get; init; } = 2000;
    /// <summary>Alphabet size.</summary>
    [ConfigKey("reverse, sort: distinct symbols (the letters a, b, …)", Minimum = 2, Maximum = 26)]
    public int Symbols { get; init; } = 10;
}

/// <summary>A synthetic transduction: a target computed from a random source of letters; every training batch is drawn afresh from the data generator.</summary>
public abstract class TransductionTask<TConfig> : SequencePairKind<TConfig> where TConfig : TransductionConfig, new()
{
    /// <summary>The target of <paramref name="source"/>.</summary>
    protected abstract string Transduce(string source);

    /// <inheritdoc />
    public override string DefaultSuccess => "exact_match >= 0.99";

    /// <inheritdoc />
    protected override (int Source, int Target) LongestPair(TConfig config) => (config.Length, config.Length);

    /// <inheritdoc />
    protected override IEnumerable<DataProblem> CheckData(TConfig config) =>
        config.MinLength > config.Length ? [new DataProblem("min_length", $"min_length ({config.MinLength}) is longer than length ({config.Length})")] : [];

    /// <inheritdoc />
    protected override PairData Load(TConfig d, long seed)
    {
        string alphabet = new(Enumerable.Range(0, d.Symbols).Select(i => (char)('a' + i)).ToArray());
        int shortest = d.MinLength ?? d.Length;
        PairSplit Draw(int count, Generator generator)
        {
            var lengths = randint(shortest, d.Length + 1, [count], dtype: ScalarType.Int64, generator: generator).data<long>().ToArray();
            var symbols = randint(0, d.Symbols, [count, d.Length], dtype: ScalarType.Int64, generator: generator).data<long>().ToArray();
            var sources = Enumerable.Range(0, count).Select(i => new string(Enumerable.Range(0, (int)lengths[i]).Select(t => alphabet[(int)symbols[i * d.Length + t]]).ToArray())).ToList();
            return new PairSplit(sources, sources.Select(Transduce).ToList());
        }
        PairSplit Fixed(int count, ulong from)
        {
            using var generator = new Generator(from);
            return Draw(count, generator);
        }
        var vocabulary = TokenVocabulary.Build("char", [alphabet]);
        return new PairData(null, Fixed(d.ValidationSize, EvaluationSeeds.Validation(seed)), Fixed(d.TestSize, EvaluationSeeds.Test(seed)), vocabulary, vocabulary, Draw);
    }
}

/// <summary><c>dataset: {type: reverse}</c>.</summary>
public sealed record ReverseConfig : TransductionConfig
{
    /// <inheritdoc />
    public override string Type => "reverse";
}

/// <summary>The reversed source: the first target symbol depends on the last source symbol — an attention model's alignment is the anti-diagonal.</summary>
public sealed class ReverseTask : TransductionTask<ReverseConfig>
{
    /// <inheritdoc />
    public override string Summary => "letters | the letters reversed | cross-entropy per token; exact match, token accuracy | unigram target letters";

    /// <inheritdoc />
    protected override string Transduce(string source) => new(source.Reverse().ToArray());
}

/// <summary><c>dataset: {type: sort}</c>.</summary>
public sealed record SortConfig : TransductionConfig
{
    /// <inheritdoc />
    public override string Type => "sort";
}

/// <summary>The source's letters sorted: where to look depends on content, not position — attention spreads over equal letters.</summary>
public sealed class SortTask : TransductionTask<SortConfig>
{
    /// <inheritdoc />
    public override string Summary => "letters | the letters sorted | cross-entropy per token; exact match, token accuracy | unigram target letters";

    /// <inheritdoc />
    protected override string Transduce(string source) => new(source.Order().ToArray());
}
