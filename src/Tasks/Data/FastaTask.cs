using SeqLab.Data;
using SeqLab.Data.Batches;
using SeqLab.Data.Dna;
using SeqLab.Config;
using SeqLab.Models;
using static TorchSharp.torch;

namespace SeqLab.Tasks;

/// <summary>
/// <c>dataset: {type: fasta}</c> — classification from FASTA files, one file per class (the layout of most public promoter
/// and enhancer sets): <c>files: {promoter: Ecoli_prom.fa, non_promoter: Ecoli_non_prom.fa}</c>.
/// </summary>
public sealed record FastaConfig : SplitConfig
{
    /// <inheritdoc />
    public override string Type => "fasta";
    /// <summary>Class label → FASTA file (resolved against the experiments file's folder).</summary>
    [ConfigKey("one FASTA file per class: a mapping of label to file, relative to the experiments file", Required = true, IsPath = true)]
    public IReadOnlyDictionary<string, string> Files { get; init; } = new Dictionary<string, string>();
    /// <summary>one_hot or kmer.</summary>
    [ConfigKey("how nucleotides enter the model: one-hot (ambiguity codes spread over their bases) or k-mer tokens", Choices = ["one_hot", "kmer"])]
    public string Encoding { get; init; } = "one_hot";
    /// <summary>k-mer size.</summary>
    [ConfigKey("k-mer size for encoding: kmer", Minimum = 1, Maximum = 8)]
    public int K { get; init; } = 3;
    /// <summary>Reverse-complement augmentation of training batches.</summary>
    [ConfigKey("training batches: read each sequence from the other strand (its reverse complement) with probability 1/2")]
    public bool ReverseComplement { get; init; }
    /// <summary>Longest sequence kept; null keeps all.</summary>
    [ConfigKey("truncate longer sequences to their first max_length nucleotides; null = keep them whole (batches are padded and masked)", Minimum = 1)]
    public int? MaxLength { get; init; }

    /// <inheritdoc />
    public bool Equals(FastaConfig? other) =>
        other is not null && base.Equals(other) && Encoding == other.Encoding && K == other.K && ReverseComplement == other.ReverseComplement
        && MaxLength == other.MaxLength && Files.Count == other.Files.Count && Files.All(f => other.Files.TryGetValue(f.Key, out var path) && path == f.Value);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Encoding, K, ReverseComplement, MaxLength, Files.Count);
}

/// <summary>
/// DNA classification from FASTA files, one per class: wrapped lines, IUPAC codes and lower case read as in
/// <see cref="DnaReaders.ReadFasta"/>; a stratified split; variable lengths padded and masked; one-hot or k-mer input;
/// optional reverse-complement augmentation; accuracy beside the class priors.
/// </summary>
public sealed class FastaTask : SequenceDataKind<FastaConfig>
{
    /// <inheritdoc />
    public override string Summary => "one-hot nucleotides or k-mer tokens, padded | the class (one per file) | cross-entropy, accuracy, macro-F1 | class priors of the training split";
    /// <inheritdoc />
    protected override bool ReadsTokens(FastaConfig config) => config.Encoding == "kmer";

    /// <inheritdoc />
    public override TaskKind Task => TaskKind.SequenceClassification;

    static List<DnaRecord> Read(FastaConfig d) =>
        d.Files.OrderBy(f => f.Key, StringComparer.Ordinal).SelectMany(f => DnaReaders.ReadFasta(f.Value, _ => f.Key)).ToList();

    /// <inheritdoc />
    protected override IEnumerable<DataProblem> CheckData(FastaConfig d)
    {
        var problems = new List<DataProblem>();
        if (d.Files.Count < 2) problems.Add(new DataProblem("files", $"classification needs at least two classes, one FASTA file each; found {d.Files.Count}"));
        foreach (var (label, path) in d.Files)
        {
            try
            {
                DnaReaders.ReadFasta(path, _ => label);
            }
            catch (Exception e) when (e is DataFormatException or IOException)
            {
                problems.Add(new DataProblem("files", $"{label}: {e.Message}"));
            }
        }
        return problems;
    }

    /// <inheritdoc />
    protected override TaskData Build(FastaConfig d, int batchSize, long seed)
    {
        var records = Read(d);
        if (d.MaxLength is int longest)
            records = records.Select(r => r.Sequence.Length > longest ? r with { Sequence = r.Sequence[..longest] } : r).ToList();
        var classes = d.Files.Keys.Order(StringComparer.Ordinal).ToList();
        var (train, validation, test) = Stratified.Split(records, r => r.Label, 1 - d.ValidationFraction - d.TestFraction, d.ValidationFraction, (int)seed);
        bool kmers = d.Encoding == "kmer";
        SequenceBatch Encode(IReadOnlyList<string> sequences, IEnumerable<string> labels)
        {
            var targets = tensor(labels.Select(label => (long)classes.IndexOf(label)).ToArray());
            return kmers
                ? Collate.Tokens(sequences.Select(s => DnaEncoding.KmerTokens(s, d.K)).ToList(), targets)
                : Collate.Features(sequences.Select(s => DnaEncoding.OneHot(s)).ToList(), 4, targets);
        }
        SequenceBatch EncodeRecords(IReadOnlyList<DnaRecord> part) => Encode(part.Select(r => r.Sequence).ToList(), part.Select(r => r.Label));
        SequenceBatch Sample(Generator generator)
        {
            var picked = randint(0, train.Count, [batchSize], dtype: ScalarType.Int64, generator: generator).data<long>().Select(i => train[(int)i]).ToList();
            if (!d.ReverseComplement) return EncodeRecords(picked);
            // The other strand reads the same site: augment with reverse complements, drawn from the data generator.
            var flips = rand([batchSize], generator: generator).data<float>().ToArray();
            return Encode(picked.Select((r, i) => flips[i] < 0.5f ? Iupac.ReverseComplement(r.Sequence) : r.Sequence).ToList(), picked.Select(r => r.Label));
        }
        var (baseline, baselineName) = ClassPriors(train, test, classes, r => r.Label);
        var input = kmers ? DataInput.ForTokens(DnaEncoding.KmerVocabularySize(d.K)) : DataInput.ForFeatures(4);
        return new TaskData(Shape(input, classes.Count), (g, _) => Sample(g), EncodeRecords(validation), EncodeRecords(test), baseline, baselineName)
        {
            Artefacts = (_, outcome) => Confusion(outcome),
        };
    }
}
