using SeqLab.Data.Batches;
using SeqLab.Config;
using SeqLab.Models;
using SeqLab.Reports;
using SeqLab.Training;
using SeqLab.Training.Criteria;
using SeqLab.Training.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Tasks;

/// <summary>
/// The <c>dataset:</c> section of one experiment: a record per kind of data, whose <see cref="ConfigKeyAttribute"/>
/// properties are that kind's keys.
/// </summary>
public abstract record DatasetConfig
{
    /// <summary>The kind's name, the value of <c>dataset.type</c>.</summary>
    public abstract string Type { get; }

    /// <summary>When a run counts as a success (for success rates over seeds); empty: the kind's default.</summary>
    [ConfigKey("when a run counts as a success, for success rates over seeds: '<quantity> <comparison> <number>' with test_loss, baseline_ratio (test loss ÷ baseline) or a test metric; empty: the kind's default (adding: test_loss < 0.01, copy_memory: baseline_ratio < 0.1, temporal_order: accuracy >= 0.99, others none)")]
    public string Success { get; init; } = "";
}

/// <summary>The keys every synthetic long-range probe shares.</summary>
public abstract record SyntheticConfig : DatasetConfig
{
    /// <summary>Sequence length T.</summary>
    [ConfigKey("sequence length T (copy_memory: the gap T between reading and recalling; reverse, sort: the longest source)", Minimum = 1, Maximum = 100_000)]
    public int Length { get; init; } = 50;
    /// <summary>Shortest length for variable-length probes; null = fixed length.</summary>
    [ConfigKey("draw each sequence's length from [min_length, length] (padded batches with lengths); null = fixed length", Minimum = 1)]
    public int? MinLength { get; init; }
    /// <summary>Fixed validation-set size.</summary>
    [ConfigKey("sequences in the fixed validation set", Minimum = 1)]
    public int ValidationSize { get; init; } = 1000;
    /// <summary>Fixed test-set size.</summary>
    [ConfigKey("sequences in the fixed test set", Minimum = 1)]
    public int TestSize { get; init; } = 2000;
}

/// <summary>The keys every kind read from files shares: how much of the data validates and tests.</summary>
public abstract record SplitConfig : DatasetConfig
{
    /// <summary>Validation share.</summary>
    [ConfigKey("share of the data for validation (text: by position; forecast: the middle of the timeline; dna, fasta: stratified; translation: by line with the seed, a repeated source in one split)", Minimum = 0, ExclusiveMinimum = true, Maximum = 0.5)]
    public double ValidationFraction { get; init; } = 0.1;
    /// <summary>Test share.</summary>
    [ConfigKey("share of the data for the final test (the end of the text or timeline; stratified for dna, fasta; seeded by line for translation)", Minimum = 0, ExclusiveMinimum = true, Maximum = 0.5)]
    public double TestFraction { get; init; } = 0.1;
}

/// <summary>A kind read from one data file.</summary>
public abstract record FileConfig : SplitConfig
{
    /// <summary>The data file, resolved against the experiments file's folder.</summary>
    [ConfigKey("the data file, relative to the experiments file", Required = true, IsPath = true)]
    public string Path { get; init; } = "";
}

/// <summary>A file of a data set that is written into the experiment folder after training (forecasts, samples, confusion matrix).</summary>
/// <param name="FileName">Name inside the experiment folder.</param>
/// <param name="Content">The text.</param>
public sealed record ResultFile(string FileName, string Content);

/// <summary>
/// A data set as the runner sees it: the problem's shape, training batches, fixed evaluation sets, the baseline to beat,
/// how it is scored (criterion, evaluator, extra test metrics) and the files the kind leaves beside the logs.
/// </summary>
/// <param name="Shape">What the model reads and predicts.</param>
/// <param name="SampleBatch">Draws the training batch of a 1-based step from the generator (random tasks ignore the step; truncated BPTT reads it).</param>
/// <param name="Validation">Fixed validation set.</param>
/// <param name="Test">Fixed test set.</param>
/// <param name="BaselineLoss">The trivial baseline's loss on the test set, in the task loss's units.</param>
/// <param name="BaselineName">What the baseline is.</param>
public sealed record TaskData(ProblemShape Shape, Func<Generator, int, SequenceBatch> SampleBatch,
    SequenceBatch Validation, SequenceBatch Test, double BaselineLoss, string BaselineName) : IDisposable
{
    /// <summary>What the task optimises and reports; null: the criterion the model's head calls for (single-sequence tasks).</summary>
    public ICriterion? Criterion { get; init; }

    /// <summary>How evaluation sets are scored; null: the trainer's evaluator.</summary>
    public Evaluator? Evaluator { get; init; }

    /// <summary>Extra test metrics of a trained model (e.g. forecasts in price units beside the naive forecast); null for none.</summary>
    public Func<ISequenceModel, Dictionary<string, double>>? TestMetrics { get; init; }

    /// <summary>Files the trained model leaves for the report (forecast.csv, samples.json, confusion.csv); null for none.</summary>
    public Func<ISequenceModel, TrainingOutcome, IEnumerable<ResultFile>>? Artefacts { get; init; }

    /// <summary>Sequence to sequence over tokens: the vocabularies of the source and the target (to encode a text of your own, or read a decoded one); null otherwise.</summary>
    public (SeqLab.Data.Text.TokenVocabulary Source, SeqLab.Data.Text.TokenVocabulary Target)? Vocabularies { get; init; }

    /// <summary>Truncated BPTT: consecutive steps continue the same streams for this many steps, after which the state is reset; null for independent batches.</summary>
    public int? StatefulPeriod { get; init; }

    /// <inheritdoc />
    public void Dispose()
    {
        Validation.Dispose();
        Test.Dispose();
    }
}

/// <summary>Something wrong with the data an experiment names, found before training: which key it concerns and what is wrong.</summary>
/// <param name="Key">The <c>dataset</c> key whose place in the experiments file the error points at.</param>
/// <param name="Message">What is wrong, naming the data file (and its line) and what was expected.</param>
public sealed record DataProblem(string Key, string Message);

/// <summary>A kind of data: its name, its typed config, the checks it can make without training, and how it builds a <see cref="TaskData"/>.</summary>
public interface IDataKind
{
    /// <summary>The value of <c>dataset.type</c>.</summary>
    string Name { get; }
    /// <summary>One line for the docs: what the model reads and predicts, and the baseline.</summary>
    string Summary { get; }
    /// <summary>The config record type; its <see cref="ConfigKeyAttribute"/> properties are the kind's keys.</summary>
    Type ConfigType { get; }
    /// <summary>A config with every default.</summary>
    DatasetConfig CreateConfig();
    /// <summary>The problem's shape with this config, before the data is read (sizes may be placeholders): models check against it.</summary>
    ProblemShape Describe(DatasetConfig config);
    /// <summary>Combinations with the model that cannot work (messages in YAML terms).</summary>
    IEnumerable<string> CheckModel(DatasetConfig config, IModelKind model, ModelConfig modelConfig);
    /// <summary>What can be checked of the data without training: files, headers, columns, records, labels, window sizes.</summary>
    IEnumerable<DataProblem> CheckData(DatasetConfig config);
    /// <summary>Builds the data; <paramref name="seed"/> fixes the evaluation sets and splits.</summary>
    TaskData Build(DatasetConfig config, int batchSize, long seed);

    /// <summary>When a run of this kind counts as a success unless <c>dataset.success</c> says otherwise; empty for none.</summary>
    string DefaultSuccess { get; }
}

/// <summary>A kind of data with its config record <typeparamref name="TConfig"/>.</summary>
public abstract class DataKind<TConfig> : IDataKind where TConfig : DatasetConfig, new()
{
    /// <inheritdoc />
    public string Name => new TConfig().Type;
    /// <inheritdoc />
    public abstract string Summary { get; }
    /// <inheritdoc />
    public Type ConfigType => typeof(TConfig);
    /// <inheritdoc />
    public DatasetConfig CreateConfig() => new TConfig();
    /// <inheritdoc />
    public ProblemShape Describe(DatasetConfig config) => Describe((TConfig)config);
    /// <summary>See <see cref="IDataKind.Describe"/>.</summary>
    protected abstract ProblemShape Describe(TConfig config);
    /// <inheritdoc />
    public IEnumerable<string> CheckModel(DatasetConfig config, IModelKind model, ModelConfig modelConfig) => CheckModel((TConfig)config, model, modelConfig);
    /// <inheritdoc />
    public IEnumerable<DataProblem> CheckData(DatasetConfig config)
    {
        if (config.Success.Length > 0)
        {
            string? problem = null;
            try { SuccessCriterion.Parse(config.Success); }
            catch (FormatException e) { problem = e.Message; }
            if (problem is not null) return [new DataProblem("success", problem)];
        }
        return CheckData((TConfig)config);
    }

    /// <inheritdoc />
    public virtual string DefaultSuccess => "";
    /// <inheritdoc />
    public TaskData Build(DatasetConfig config, int batchSize, long seed) => Build((TConfig)config, batchSize, seed);

    /// <summary>See <see cref="IDataKind.CheckModel"/>; none by default.</summary>
    protected virtual IEnumerable<string> CheckModel(TConfig config, IModelKind model, ModelConfig modelConfig) => [];
    /// <summary>See <see cref="IDataKind.CheckData"/>; none by default (synthetic data).</summary>
    protected virtual IEnumerable<DataProblem> CheckData(TConfig config) => [];
    /// <summary>See <see cref="IDataKind.Build"/>.</summary>
    protected abstract TaskData Build(TConfig config, int batchSize, long seed);

    /// <summary>A fixed evaluation set drawn from its own generator (see <see cref="EvaluationSeeds"/>).</summary>
    protected static SequenceBatch Fixed(Func<Generator, SequenceBatch> draw, ulong seed)
    {
        using var generator = new Generator(seed);
        return draw(generator);
    }

    /// <summary>A synthetic probe's fixed validation and test sets, drawn by <paramref name="draw"/> from their own seeds.</summary>
    protected static (SequenceBatch Validation, SequenceBatch Test) EvaluationSets(SyntheticConfig config, Func<int, Generator, SequenceBatch> draw, long seed) =>
        (Fixed(g => draw(config.ValidationSize, g), EvaluationSeeds.Validation(seed)), Fixed(g => draw(config.TestSize, g), EvaluationSeeds.Test(seed)));
}

/// <summary>A kind of data whose problem is one sequence in, one head out (<see cref="SingleSequenceShape"/>).</summary>
public abstract class SequenceDataKind<TConfig> : DataKind<TConfig> where TConfig : DatasetConfig, new()
{
    /// <summary>What the model predicts (decides the criterion, and which model options make sense).</summary>
    public abstract TaskKind Task { get; }

    /// <summary>Whether the model reads token ids (rather than feature vectors) with this config.</summary>
    protected virtual bool ReadsTokens(TConfig config) => false;

    /// <inheritdoc />
    protected override ProblemShape Describe(TConfig config) =>
        new SingleSequenceShape(ReadsTokens(config) ? DataInput.ForTokens(2) : DataInput.ForFeatures(1), Task, 2);

    /// <summary>The shape of the data as built: <paramref name="input"/> read, <paramref name="outputs"/> predicted.</summary>
    protected SingleSequenceShape Shape(DataInput input, int outputs) => new(input, Task, outputs);

    /// <summary>The honest baseline of a classification: the cross-entropy on the test split of predicting the training split's class priors.</summary>
    protected static (double Loss, string Name) ClassPriors<T>(IReadOnlyList<T> train, IReadOnlyList<T> test, IReadOnlyList<string> classes, Func<T, string> label)
    {
        var priors = classes.Select(c => train.Count(r => label(r) == c) / (double)train.Count).ToArray();
        double entropy = -test.Average(r => Math.Log(priors[IndexOf(classes, label(r))]));
        return (entropy, $"class priors of the training split ({string.Join(", ", classes.Select((c, i) => $"{c} {priors[i]:P0}"))})");
    }

    static int IndexOf(IReadOnlyList<string> classes, string label)
    {
        for (int i = 0; i < classes.Count; i++) if (classes[i] == label) return i;
        return -1;
    }

    /// <summary>The test confusion matrix as <c>confusion.csv</c> (<c>actual, predicted, count</c>), for classification kinds.</summary>
    protected static IEnumerable<ResultFile> Confusion(TrainingOutcome outcome)
    {
        if (outcome.Log.Evaluations.LastOrDefault(e => e.Split == "test")?.Result.Confusion is not long[][] confusion) yield break;
        var table = new Csv("actual", "predicted", "count");
        for (int a = 0; a < confusion.Length; a++)
            for (int p = 0; p < confusion[a].Length; p++) table.Row(a, p, confusion[a][p]);
        yield return new ResultFile("confusion.csv", table.ToString());
    }
}

/// <summary>
/// The kinds of data the runner knows (<c>dataset.type</c>). A built-in kind is one class and one line here; a kind of your
/// own is one class and one <see cref="Register"/> call.
/// </summary>
public static class DataKinds
{
    static readonly KindRegistry<IDataKind> Registry = new("dataset.type", kind => kind.Name,
    [
        new AddingTask(),
        new CopyMemoryTask(),
        new TemporalOrderTask(),
        new TextTask(),
        new ForecastTask(),
        new DnaTask(),
        new FastaTask(),
        new TranslationTask(),
        new DatesTask(),
        new ReverseTask(),
        new SortTask(),
    ]);

    /// <summary>Every kind, built-in ones first, then in registration order.</summary>
    public static IReadOnlyList<IDataKind> All => Registry.All;

    /// <summary>The kind named <paramref name="name"/>, or null.</summary>
    public static IDataKind? Find(string name) => Registry.Find(name);

    /// <summary>Counts registrations and removals (the config schema reads the kinds again when it changes).</summary>
    public static int Version => Registry.Version;

    /// <summary>Adds a kind of data: from then on <c>dataset.type</c> may name it, with its config record's keys. Disposing the result removes it again.</summary>
    public static IDisposable Register(IDataKind kind) => Registry.Register(kind);
}
