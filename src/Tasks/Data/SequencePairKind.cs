using System.Globalization;
using System.Text.Json;
using SeqLab.Config;
using SeqLab.Data.Batches;
using SeqLab.Data.Text;
using SeqLab.Models;
using SeqLab.Models.SequenceToSequence;
using SeqLab.Reports;
using SeqLab.Training;
using SeqLab.Training.Criteria;
using SeqLab.Training.Logging;
using SeqLab.Training.Metrics;
using static TorchSharp.torch;

namespace SeqLab.Tasks;

/// <summary>The keys every sequence-to-sequence kind shares: the criterion's smoothing and how targets are decoded.</summary>
public abstract record SequencePairConfig : DatasetConfig
{
    /// <summary>Hypotheses kept by the test's beam search.</summary>
    [ConfigKey("sequence to sequence: hypotheses the test's beam search keeps (1 = greedy decoding)", Minimum = 1, Maximum = 64)]
    public int BeamWidth { get; init; } = 4;
    /// <summary>Length normalisation α.</summary>
    [ConfigKey("sequence to sequence: length normalisation α of the beam (Wu et al. 2016: log p / ((5 + |y|)/6)^α); 0 ranks by log p alone", Minimum = 0, Maximum = 5)]
    public double LengthPenalty { get; init; } = 0.6;
    /// <summary>Sequences greedily decoded at each validation.</summary>
    [ConfigKey("sequence to sequence: validation sequences decoded greedily at each evaluation, for exact match (and BLEU) while training; 0 = none", Minimum = 0)]
    public int DecodeValidation { get; init; } = 256;
    /// <summary>Label smoothing ε of the training loss.</summary>
    [ConfigKey("sequence to sequence: label smoothing ε of the training loss (Szegedy et al. 2016); evaluations report the unsmoothed cross-entropy", Minimum = 0, Maximum = 0.5)]
    public double LabelSmoothing { get; init; }
}

/// <summary>The sentences of one split, as text and as token ids.</summary>
/// <param name="Sources">Source texts.</param>
/// <param name="Targets">Target texts.</param>
public sealed record PairSplit(IReadOnlyList<string> Sources, IReadOnlyList<string> Targets)
{
    /// <summary>Number of pairs.</summary>
    public int Count => Sources.Count;
}

/// <summary>What a sequence-to-sequence kind gives the shared pipeline: its splits and the vocabularies of both sides.</summary>
/// <param name="Train">Training pairs (null when training batches are drawn afresh every step, see <paramref name="Draw"/>).</param>
/// <param name="Validation">Fixed validation pairs.</param>
/// <param name="Test">Fixed test pairs.</param>
/// <param name="Source">The source side's tokens.</param>
/// <param name="Target">The target side's tokens.</param>
/// <param name="Draw">Draws <c>n</c> fresh training pairs from the generator (synthetic kinds); null: batches of <paramref name="Train"/>, bucketed by source length.</param>
public sealed record PairData(PairSplit? Train, PairSplit Validation, PairSplit Test, TokenVocabulary Source, TokenVocabulary Target,
    Func<int, Generator, PairSplit>? Draw = null)
{
    /// <summary>Whether BLEU and chrF mean something for these targets (natural-language text).</summary>
    public bool TextMetrics { get; init; }
}

/// <summary>
/// A kind of data whose problem is a source sequence to a target token sequence (<see cref="SequenceToSequenceShape"/>).
/// The kind supplies its pairs and vocabularies; this class does the rest, the same for every such kind: batches for
/// teacher forcing (bucketed by source length), the token criterion, greedy decoding at each validation, beam search on
/// the test set, the baseline, and the result files — <c>translations.json</c> (samples), <c>length_buckets.csv</c>
/// (scores against source length) and <c>attention_alignments.csv</c> (where the decoder looked, token by token).
/// </summary>
public abstract class SequencePairKind<TConfig> : DataKind<TConfig> where TConfig : SequencePairConfig, new()
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The pairs and vocabularies; <paramref name="seed"/> fixes splits and fixed sets.</summary>
    protected abstract PairData Load(TConfig config, long seed);

    /// <summary>The longest source and target this config can give, in tokens (the target without its end token), before the data is read.</summary>
    protected abstract (int Source, int Target) LongestPair(TConfig config);

    /// <inheritdoc />
    protected override IEnumerable<string> CheckModel(TConfig config, IModelKind model, ModelConfig modelConfig)
    {
        // A Transformer's positions end at max_length: decoding may run ten tokens past the longest target.
        var (source, target) = LongestPair(config);
        int needed = Math.Max(source, target + 11);
        if (modelConfig is TransformerSeq2SeqConfig { MaxLength: var limit } && limit < needed)
            yield return $"model.max_length ({limit}) is shorter than this data needs ({needed}: sources of up to {source} tokens, targets of up to {target} and the end token, decoded up to 10 tokens longer)";
    }

    /// <inheritdoc />
    protected override ProblemShape Describe(TConfig config) => new SequenceToSequenceShape(DataInput.ForTokens(TokenVocabulary.Reserved.Count + 1), TokenVocabulary.Reserved.Count + 1);

    static SequenceBatch Collate(PairSplit split, TokenVocabulary source, TokenVocabulary target) =>
        SeqLab.Data.Batches.Collate.Pairs(split.Sources.Select(source.Encode).ToList(), split.Targets.Select(target.Encode).ToList(), TokenVocabulary.Start, TokenVocabulary.End, TokenVocabulary.Padding);

    /// <inheritdoc />
    protected override TaskData Build(TConfig config, int batchSize, long seed)
    {
        var data = Load(config, seed);
        var validation = Collate(data.Validation, data.Source, data.Target);
        var test = Collate(data.Test, data.Source, data.Target);
        Func<Generator, int, SequenceBatch> sample;
        if (data.Draw is { } draw) sample = (g, _) => Collate(draw(batchSize, g), data.Source, data.Target);
        else
        {
            var train = data.Train!;
            var encodedSources = train.Sources.Select(data.Source.Encode).ToList();
            var encodedTargets = train.Targets.Select(data.Target.Encode).ToList();
            var batches = new StepBatches(encodedSources.Select(s => s.Length).ToList(), batchSize, poolBatches: 50, seed: unchecked((int)seed));
            sample = (_, step) =>
            {
                var rows = batches.ForStep(step);
                return SeqLab.Data.Batches.Collate.Pairs(rows.Select(i => encodedSources[i]).ToList(), rows.Select(i => encodedTargets[i]).ToList(), TokenVocabulary.Start, TokenVocabulary.End, TokenVocabulary.Padding);
            };
        }
        int longestTarget = (data.Train?.Targets ?? []).Concat(data.Validation.Targets).Concat(data.Test.Targets).Max(t => data.Target.Encode(t).Length);
        var search = new SearchOptions(TokenVocabulary.Start, TokenVocabulary.End, MaxLength: longestTarget + 10, config.BeamWidth, config.LengthPenalty);
        var scoring = new Scoring(data, search);
        var (baseline, baselineName) = UnigramBaseline(data);
        return new TaskData(new SequenceToSequenceShape(DataInput.ForTokens(data.Source.Size), data.Target.Size), sample, validation, test, baseline, baselineName)
        {
            Criterion = new TokenSequenceCriterion(config.LabelSmoothing),
            Evaluator = new DecodingEvaluator { Search = search, Scorer = (hypotheses, _) => scoring.ScoreValidation(hypotheses), DecodedSequences = config.DecodeValidation, ChunkSize = DecodingEvaluator.DefaultChunk },
            TestMetrics = model => scoring.TestMetrics(model, test),
            Vocabularies = (data.Source, data.Target),
            Artefacts = (model, _) => scoring.Files(model, test),
        };
    }

    /// <summary>The honest baseline: the cross-entropy on the test targets (end tokens included) of the training targets' token frequencies.</summary>
    static (double Loss, string Name) UnigramBaseline(PairData data)
    {
        var counts = new double[data.Target.Size];
        var trainTargets = data.Train?.Targets ?? data.Validation.Targets;
        foreach (var target in trainTargets)
        {
            foreach (long id in data.Target.Encode(target)) counts[id]++;
            counts[TokenVocabulary.End]++;
        }
        double total = counts.Sum();
        var scored = data.Test.Targets.SelectMany(t => data.Target.Encode(t).Append(TokenVocabulary.End));
        double loss = -scored.Average(id => Math.Log(Math.Max(counts[id], 0.5) / total));
        return (loss, $"unigram frequencies of the {(data.Train is null ? "validation" : "training")} targets' {data.Target.Unit} tokens (nats per token)");
    }

    /// <summary>Decoding and scoring for one experiment: the test set decoded once (greedy and beam) for the metrics and the files.</summary>
    sealed class Scoring(PairData data, SearchOptions search)
    {
        // The last model decoded: the metrics and the files of one trained model share one decoding of the test set.
        (ISequenceModel Model, IReadOnlyList<Hypothesis> Greedy, IReadOnlyList<Hypothesis> Beam)? decoded;

        static IEncoderDecoder Decoder(ISequenceModel model) =>
            model.Capability<IEncoderDecoder>() ?? throw new ArgumentException($"{model.Description}: a sequence-to-sequence task needs an encoder–decoder");

        /// <summary>
        /// Scores decoded tokens against the references of <paramref name="rows"/> of <paramref name="split"/>: exact match
        /// on tokens — a reference holding <c>&lt;unk&gt;</c> can never be matched, since no output reproduces the word it
        /// stands for — and, for text, BLEU and chrF of the decoded text against the reference text as written.
        /// </summary>
        public Dictionary<string, double> Score(IReadOnlyList<long[]> hypotheses, PairSplit split, IReadOnlyList<int> rows, string suffix)
        {
            var references = rows.Select(row => data.Target.Encode(split.Targets[row])).ToList();
            int exact = hypotheses.Zip(references).Count(p => p.First.SequenceEqual(p.Second) && !p.Second.Contains(TokenVocabulary.Unknown));
            var metrics = new Dictionary<string, double> { [$"exact_match{suffix}"] = exact / (double)Math.Max(1, hypotheses.Count) };
            if (data.TextMetrics)
            {
                var hypothesisTexts = hypotheses.Select(data.Target.Decode).ToList();
                var referenceTexts = rows.Select(row => split.Targets[row]).ToList();
                metrics[$"bleu{suffix}"] = Bleu.Corpus(hypothesisTexts.Select(Words).ToList(), referenceTexts.Select(Words).ToList()).Score;
                metrics[$"chrf{suffix}"] = ChrF.Corpus(hypothesisTexts, referenceTexts);
            }
            return metrics;
        }

        /// <summary>Validation while training: the first rows of the validation split, as the evaluator decoded them.</summary>
        public Dictionary<string, double> ScoreValidation(IReadOnlyList<long[]> hypotheses) =>
            Score(hypotheses, data.Validation, Enumerable.Range(0, hypotheses.Count).ToList(), "_greedy");

        /// <summary>
        /// BLEU's tokens: words and single punctuation marks (<see cref="WordTokenizer.Split"/>), case kept; a decoded
        /// <c>&lt;unk&gt;</c> is one token that matches nothing a reference holds.
        /// </summary>
        static IReadOnlyList<string> Words(string text) => WordTokenizer.Split(text.Replace("<unk>", "\u0001", StringComparison.Ordinal)).Where(w => w != "\n").ToList();

        (IReadOnlyList<Hypothesis> Greedy, IReadOnlyList<Hypothesis> Beam) Decoded(ISequenceModel model, SequenceBatch test)
        {
            if (decoded is { } done && ReferenceEquals(done.Model, model)) return (done.Greedy, done.Beam);
            var decoder = Decoder(model);
            var device = model.Module.parameters().First().device;
            var greedy = DecodingEvaluator.DecodeHypotheses(decoder, test, search with { BeamWidth = 1 }, DecodingEvaluator.DefaultChunk, device);
            var beam = search.BeamWidth == 1 ? greedy : DecodingEvaluator.DecodeHypotheses(decoder, test, search, DecodingEvaluator.DefaultChunk, device);
            decoded = (model, greedy, beam);
            return (greedy, beam);
        }

        public Dictionary<string, double> TestMetrics(ISequenceModel model, SequenceBatch test)
        {
            var (greedy, beam) = Decoded(model, test);
            var rows = Enumerable.Range(0, data.Test.Count).ToList();
            var metrics = Score(beam.Select(h => h.Output).ToList(), data.Test, rows, "");
            foreach (var (name, value) in Score(greedy.Select(h => h.Output).ToList(), data.Test, rows, "_greedy")) metrics[name] = value;
            metrics["beam_log_probability"] = beam.Average(h => h.LogProbability);
            metrics["greedy_log_probability"] = greedy.Average(h => h.LogProbability);
            return metrics;
        }

        public IEnumerable<ResultFile> Files(ISequenceModel model, SequenceBatch test)
        {
            var (greedy, beam) = Decoded(model, test);
            var samples = Enumerable.Range(0, Math.Min(20, data.Test.Count)).Select(i => new TranslationSample(data.Test.Sources[i], data.Test.Targets[i],
                data.Target.Decode(greedy[i].Tokens), data.Target.Decode(beam[i].Tokens), greedy[i].LogProbability, beam[i].LogProbability)).ToList();
            yield return new ResultFile("translations.json", JsonSerializer.Serialize(samples, Json));
            yield return LengthBuckets(greedy, beam);
            yield return Alignments(Decoder(model), test, model.Module.parameters().First().device);
        }

        /// <summary>Scores against source length, in buckets of five source tokens: the figure of Bahdanau et al. (2015, Fig. 2).</summary>
        ResultFile LengthBuckets(IReadOnlyList<Hypothesis> greedy, IReadOnlyList<Hypothesis> beam)
        {
            var lengths = data.Test.Sources.Select(s => data.Source.Encode(s).Length).ToArray();
            var table = new Csv("min_source_length", "max_source_length", "sentences", "search", "exact_match", "bleu", "chrf");
            foreach (var bucket in Enumerable.Range(0, data.Test.Count).GroupBy(i => (lengths[i] - 1) / 5).OrderBy(g => g.Key))
            {
                var rows = bucket.ToList();
                foreach (var (name, hypotheses) in new[] { ("greedy", greedy), ("beam", beam) })
                {
                    var scores = Score(rows.Select(i => hypotheses[i].Output).ToList(), data.Test, rows, "");
                    table.Row(bucket.Key * 5 + 1, bucket.Key * 5 + 5, rows.Count, name, scores["exact_match"],
                        scores.TryGetValue("bleu", out double bleu) ? bleu : null, scores.TryGetValue("chrf", out double chrf) ? chrf : null);
                }
            }
            return new ResultFile("length_buckets.csv", table.ToString());
        }

        /// <summary>The cross-attention of greedy decoding for the first test pairs, token by token (mean over heads and layers).</summary>
        ResultFile Alignments(IEncoderDecoder model, SequenceBatch test, Device device)
        {
            var table = new Csv("sentence", "target_step", "target_token", "source_position", "source_token", "weight");
            int sentences = (int)Math.Min(4, test.Size);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var module = ((ISequenceModel)model).Module;
            bool wasTraining = module.training;
            module.eval();
            try
            {
                for (int sentence = 0; sentence < sentences; sentence++)
                {
                    using var sentenceScope = NewDisposeScope(); // the decoder's state lives here; each step's temporaries in the step's own scope
                    var source = data.Source.Encode(data.Test.Sources[sentence]);
                    var decoder = model.StartDecoding(tensor(source).unsqueeze(0).to(device), null);
                    long token = TokenVocabulary.Start;
                    for (int step = 1; step <= search.MaxLength; step++)
                    {
                        using var stepScope = NewDisposeScope();
                        token = decoder.Step(full(1, token, ScalarType.Int64, device)).argmax(-1).item<long>();
                        if (decoder.LastAttention is not Tensor weights) break;
                        var row = weights[0].to(ScalarType.Float64).cpu().data<double>().ToArray();
                        for (int j = 0; j < source.Length; j++)
                            table.Row(sentence + 1, step, data.Target.Label(token), j + 1, data.Source.Label(source[j]), row[j]);
                        if (token == TokenVocabulary.End) break;
                    }
                }
            }
            finally
            {
                if (wasTraining) module.train();
            }
            return new ResultFile("attention_alignments.csv", table.ToString());
        }
    }
}

/// <summary>The names <c>dataset.languages</c> of <c>dates</c> may take.</summary>
public sealed class DateLanguageNames : IConfigChoices
{
    /// <inheritdoc />
    public IReadOnlyList<string> Names => ["all", .. SeqLab.Data.Synthetic.DatePairs.Languages];
}

/// <summary>The names <c>dataset.formats</c> of <c>dates</c> may take.</summary>
public sealed class DateFormatNames : IConfigChoices
{
    /// <inheritdoc />
    public IReadOnlyList<string> Names => ["all", .. SeqLab.Data.Synthetic.DatePairs.AllFormats.Select(f => f.Name)];
}

/// <summary><c>dataset: {type: dates}</c> — human-readable dates to ISO 8601.</summary>
public sealed record DatesConfig : SequencePairConfig
{
    /// <inheritdoc />
    public override string Type => "dates";
    /// <summary>Training pairs.</summary>
    [ConfigKey("dates: training pairs generated from the seed", Minimum = 1)]
    public int TrainSize { get; init; } = 20_000;
    /// <summary>Fixed validation-set size.</summary>
    [ConfigKey("sequences in the fixed validation set", Minimum = 1)]
    public int ValidationSize { get; init; } = 1000;
    /// <summary>Fixed test-set size.</summary>
    [ConfigKey("sequences in the fixed test set", Minimum = 1)]
    public int TestSize { get; init; } = 2000;
    /// <summary>Languages the dates are written in.</summary>
    [ConfigKey("dates: the languages dates are written in (all, or a list)", IsNameList = true, ChoicesFrom = typeof(DateLanguageNames))]
    public string Languages { get; init; } = "all";
    /// <summary>Formats the dates are written in.</summary>
    [ConfigKey("dates: the formats dates are written in (all, or a list of format names; docs/experiments.md lists them)", IsNameList = true, ChoicesFrom = typeof(DateFormatNames))]
    public string Formats { get; init; } = "all";
}

/// <summary>
/// Dates as people write them — "Wednesday, 3 November 2021", "3/11/21"… in eight languages and 36 formats — to ISO 8601
/// <c>2021-11-03</c>, character by character: the classic task where attention's alignment can be seen (day to day, month
/// name to month digits). Training, validation and test pairs are generated from their own seeds; no test source occurs in
/// training.
/// </summary>
public sealed class DatesTask : SequencePairKind<DatesConfig>
{
    /// <inheritdoc />
    public override string Summary => "characters of a date as written (8 languages, 36 formats) | its ISO 8601 characters | cross-entropy per token; exact match, token accuracy | unigram target characters";

    /// <inheritdoc />
    public override string DefaultSuccess => "exact_match >= 0.99";

    static IReadOnlyList<string>? Listed(string names) => names == "all" ? null : names.Split(',');

    /// <inheritdoc />
    protected override (int Source, int Target) LongestPair(DatesConfig config) =>
        // Over 400 days every weekday meets every month name, so the longest rendering of each format is among them.
        (SeqLab.Data.Synthetic.DatePairs.AllFormats.Max(f => Enumerable.Range(0, 400).Max(day => f.Render(new DateOnly(2021, 1, 1).AddDays(day)).Length)), "yyyy-MM-dd".Length);

    /// <inheritdoc />
    protected override PairData Load(DatesConfig d, long seed)
    {
        var dates = new SeqLab.Data.Synthetic.DatePairs(Listed(d.Languages), Listed(d.Formats));
        static int Seed(ulong derived) => unchecked((int)(derived ^ (derived >> 32)));
        var train = dates.Sample(d.TrainSize, unchecked((int)seed));
        var seen = train.Select(p => p.Source).ToHashSet(StringComparer.Ordinal);
        // Held out: a validation or test source never occurs in training (drawn until enough unseen ones are found).
        List<SeqLab.Data.Synthetic.DatePair> Unseen(int count, int from)
        {
            var random = new Random(from);
            var kept = new List<SeqLab.Data.Synthetic.DatePair>();
            for (int fruitless = 0; kept.Count < count; )
            {
                int before = kept.Count;
                foreach (var pair in dates.Sample(count - kept.Count, random))
                    if (seen.Add(pair.Source)) kept.Add(pair);
                // Few formats and a large training set can leave too few unseen dates: say so rather than search forever.
                fruitless = kept.Count == before ? fruitless + 1 : 0;
                if (fruitless == 50)
                    throw new ArgumentException($"dates: only {kept.Count} of {count} held-out dates could be found that training does not already hold; use fewer training pairs or more formats and languages");
            }
            return kept;
        }
        var validation = Unseen(d.ValidationSize, Seed(EvaluationSeeds.Validation(seed)));
        var test = Unseen(d.TestSize, Seed(EvaluationSeeds.Test(seed)));
        PairSplit Split(IEnumerable<SeqLab.Data.Synthetic.DatePair> pairs) => new(pairs.Select(p => p.Source).ToList(), pairs.Select(p => p.Target).ToList());
        var trainSplit = Split(train);
        return new PairData(trainSplit, Split(validation), Split(test),
            TokenVocabulary.Build("char", trainSplit.Sources), TokenVocabulary.Build("char", trainSplit.Targets));
    }
}
