using SeqLab.Data;
using SeqLab.Data.Batches;
using SeqLab.Data.Dna;
using SeqLab.Config;
using SeqLab.Models;
using static TorchSharp.torch;

namespace SeqLab.Tasks;

/// <summary><c>dataset: {type: dna}</c> — DNA classification from the UCI <c>class, name, sequence</c> layout.</summary>
public sealed record DnaConfig : FileConfig
{
    /// <inheritdoc />
    public override string Type => "dna";
    /// <summary>one_hot or kmer.</summary>
    [ConfigKey("how nucleotides enter the model: one-hot (ambiguity codes spread over their bases) or k-mer tokens", Choices = ["one_hot", "kmer"])]
    public string Encoding { get; init; } = "one_hot";
    /// <summary>k-mer size.</summary>
    [ConfigKey("k-mer size for encoding: kmer", Minimum = 1, Maximum = 8)]
    public int K { get; init; } = 3;
}

/// <summary>DNA sequence classification from the UCI molecular-biology layout (splice junctions, promoters), beside the class priors.</summary>
public sealed class DnaTask : SequenceDataKind<DnaConfig>
{
    /// <inheritdoc />
    public override string Summary => "one-hot nucleotides or k-mer tokens | the class | cross-entropy, accuracy, macro-F1 | class priors of the training split";
    /// <inheritdoc />
    protected override bool ReadsTokens(DnaConfig config) => config.Encoding == "kmer";

    /// <inheritdoc />
    public override TaskKind Task => TaskKind.SequenceClassification;

    static bool IsFasta(string path) => path.EndsWith(".fa", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".fasta", StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    protected override IEnumerable<DataProblem> CheckData(DnaConfig d)
    {
        if (IsFasta(d.Path))
            return [new DataProblem("path", $"{d.Path} is a FASTA file; the 'dna' type reads the UCI 'class, name, sequence' layout — use dataset type 'fasta' with files: {{label: file, …}}")];
        try
        {
            var records = DnaReaders.ReadUci(d.Path);
            int classes = records.Select(r => r.Label).Distinct().Count();
            return classes < 2 ? [new DataProblem("path", $"{d.Path}: every record has the class '{records[0].Label}'; classification needs at least two")] : [];
        }
        catch (Exception e) when (e is DataFormatException or IOException)
        {
            return [new DataProblem("path", e.Message)];
        }
    }

    /// <inheritdoc />
    protected override TaskData Build(DnaConfig d, int batchSize, long seed)
    {
        var records = DnaReaders.ReadUci(d.Path);
        var classes = records.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).ToList();
        var (train, validation, test) = Stratified.Split(records, r => r.Label, 1 - d.ValidationFraction - d.TestFraction, d.ValidationFraction, (int)seed);
        bool kmers = d.Encoding == "kmer";
        SequenceBatch Encode(IReadOnlyList<DnaRecord> part)
        {
            if (!kmers) return DnaEncoding.OneHotBatch(part, classes);
            var tokens = part.Select(r => DnaEncoding.KmerTokens(r.Sequence, d.K)).ToList();
            var labels = part.Select(r => (long)classes.IndexOf(r.Label)).ToArray();
            return Collate.Tokens(tokens, tensor(labels));
        }
        var (baseline, baselineName) = ClassPriors(train, test, classes, r => r.Label);
        var input = kmers ? DataInput.ForTokens(DnaEncoding.KmerVocabularySize(d.K)) : DataInput.ForFeatures(4);
        return new TaskData(Shape(input, classes.Count),
            (g, _) => Encode(randint(0, train.Count, [batchSize], dtype: ScalarType.Int64, generator: g).data<long>().Select(i => train[(int)i]).ToList()),
            Encode(validation), Encode(test), baseline, baselineName)
        {
            Artefacts = (_, outcome) => Confusion(outcome),
        };
    }
}
