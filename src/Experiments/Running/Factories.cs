using SeqLab.Data.Batches;
using SeqLab.Data.Dna;
using SeqLab.Data.Synthetic;
using SeqLab.Data.Text;
using SeqLab.Data.TimeSeries;
using SeqLab.Experiments.Config;
using SeqLab.Experiments.Results;
using SeqLab.Models;
using SeqLab.Models.Generation;
using SeqLab.Models.Heads;
using SeqLab.Models.Recurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Experiments.Running;

/// <summary>A data set as the runner sees it: what the model reads and predicts, training batches, fixed evaluation sets and the baseline to beat.</summary>
/// <param name="Input">What the model reads (features or token ids).</param>
/// <param name="Task">What it predicts.</param>
/// <param name="Outputs">Regression outputs or classes (language models: the vocabulary).</param>
/// <param name="SampleBatch">Draws the training batch of a 1-based step from the generator (random tasks ignore the step; truncated BPTT reads it).</param>
/// <param name="Validation">Fixed validation set.</param>
/// <param name="Test">Fixed test set.</param>
/// <param name="BaselineLoss">The trivial baseline's loss on the test set, in the task loss's units.</param>
/// <param name="BaselineName">What the baseline is.</param>
/// <param name="TestMetrics">Extra test metrics of a trained model (e.g. forecasts in price units beside the naive forecast), or null.</param>
public sealed record TaskData(InputOptions Input, TaskKind Task, int Outputs, Func<Generator, int, SequenceBatch> SampleBatch,
    SequenceBatch Validation, SequenceBatch Test, double BaselineLoss, string BaselineName,
    Func<ISequenceModel, Dictionary<string, double>>? TestMetrics = null) : IDisposable
{
    /// <summary>Forecasts or generated text of the trained model, for the report; null where the task has none.</summary>
    public Func<ISequenceModel, TaskShowcase>? Showcase { get; init; }

    /// <summary>Truncated BPTT: consecutive steps continue the same streams for this many steps, after which the state is reset; null for independent batches.</summary>
    public int? StatefulPeriod { get; init; }

    /// <inheritdoc />
    public void Dispose()
    {
        Validation.Dispose();
        Test.Dispose();
    }
}

/// <summary>Turns config names into data sets and models; the one place that knows both vocabularies.</summary>
public static class Factories
{
    /// <summary>Builds the data set of <paramref name="dataset"/>; <paramref name="seed"/> fixes the evaluation sets and splits.</summary>
    public static TaskData CreateTask(DatasetConfig dataset, ModelConfig model, int batchSize, long seed) => dataset.Type switch
    {
        "adding" => Adding(dataset, batchSize, seed),
        "copy_memory" => Copy(dataset, model, batchSize, seed),
        "temporal_order" => Order(dataset, batchSize, seed),
        "text" => Text(dataset, model, batchSize, seed),
        "forecast" => Forecast(dataset, batchSize),
        "dna" => Dna(dataset, model, batchSize, seed),
        _ => throw new ArgumentOutOfRangeException(nameof(dataset), dataset.Type, $"unknown data set; known: {string.Join(", ", Schema.DatasetTypes)}"),
    };

    /// <summary>A fixed evaluation set drawn from its own generator (see <see cref="EvaluationSeeds"/>).</summary>
    static SequenceBatch Fixed(Func<Generator, SequenceBatch> draw, ulong seed)
    {
        using var generator = new Generator(seed);
        return draw(generator);
    }

    static TaskData Adding(DatasetConfig d, int batchSize, long seed)
    {
        var problem = new AddingProblem(d.Length);
        Func<int, Generator, SequenceBatch> draw = d.MinLength is int min
            ? (n, g) => AddingProblem.SampleVariable(n, min, d.Length, g)
            : problem.Sample;
        return new TaskData(InputOptions.ForFeatures(AddingProblem.Features), TaskKind.SequenceRegression, 1, (g, _) => draw(batchSize, g),
            Fixed(g => draw(d.ValidationSize, g), EvaluationSeeds.Validation(seed)), Fixed(g => draw(d.TestSize, g), EvaluationSeeds.Test(seed)),
            AddingProblem.TrivialBaselineMse, "always predict 1 (MSE 1/6)");
    }

    static TaskData Copy(DatasetConfig d, ModelConfig m, int batchSize, long seed)
    {
        var task = new CopyMemory(d.Length);
        int min = d.MinLength ?? d.Length;
        SequenceBatch Draw(int n, Generator g) => task.Sample(n, min, d.Length, g);
        double baseline = min == d.Length ? task.MemorylessBaseline : double.NaN;
        return new TaskData(InputOptions.ForTokens(task.VocabularySize, m.EmbeddingSize), TaskKind.StepClassification, task.Classes, (g, _) => Draw(batchSize, g),
            Fixed(g => Draw(d.ValidationSize, g), EvaluationSeeds.Validation(seed)), Fixed(g => Draw(d.TestSize, g), EvaluationSeeds.Test(seed)),
            baseline, $"memoryless: blanks, then a uniform guess (10 ln 8/(T+20) nats)");
    }

    static TaskData Order(DatasetConfig d, int batchSize, long seed)
    {
        var task = new TemporalOrder(d.Length);
        int min = d.MinLength ?? d.Length;
        SequenceBatch Draw(int n, Generator g) => task.Sample(n, min, d.Length, g);
        return new TaskData(InputOptions.ForFeatures(TemporalOrder.Features), TaskKind.SequenceClassification, TemporalOrder.Classes, (g, _) => Draw(batchSize, g),
            Fixed(g => Draw(d.ValidationSize, g), EvaluationSeeds.Validation(seed)), Fixed(g => Draw(d.TestSize, g), EvaluationSeeds.Test(seed)),
            Math.Log(TemporalOrder.Classes), "chance: uniform over the 4 orders (ln 4 nats)");
    }

    static TaskData Text(DatasetConfig d, ModelConfig m, int batchSize, long seed)
    {
        string text = TextCorpus.Load(d.Path!);
        ITextTokenizer tokenizer = d.Tokenizer switch
        {
            "word" => new WordTokenizer(text),
            "subword" => new SubwordTokenizer(text),
            _ => new CharacterTokenizer(text),
        };
        var ids = tokenizer.Encode(text);
        // Train | validation | test by position; the test tail gets its own windows so no window crosses a boundary.
        int testStart = (int)(ids.Length * (1 - d.TestFraction));
        var data = new LanguageModelData(ids[..testStart], d.Context, d.Context, d.ValidationFraction / (1 - d.TestFraction));
        var test = new LanguageModelData(ids[testStart..], d.Context, d.Context, 0.5);
        // At most 256 evaluation windows, spread evenly over the split, keep evaluation cheap on long texts.
        static List<int> Spread(IReadOnlyList<int> starts) => starts.Where((_, i) => i % Math.Max(1, starts.Count / 256) == 0).Take(256).ToList();
        var testWindows = test.Windows(Spread([.. test.TrainStarts, .. test.ValidationStarts]));
        // Honest baseline: the unigram distribution of the training tokens, scored on the test windows.
        var counts = new double[tokenizer.VocabularySize];
        foreach (int id in ids[..data.Split]) counts[id]++;
        double total = counts.Sum();
        double unigram = -testWindows.Targets.data<long>().ToArray().Average(t => Math.Log(Math.Max(counts[t], 0.5) / total));
        return new TaskData(InputOptions.ForTokens(tokenizer.VocabularySize, m.EmbeddingSize), TaskKind.LanguageModel, tokenizer.VocabularySize,
            d.Bptt ? (_, step) => data.SequentialBatch(batchSize, step - 1) : (g, _) => data.SampleTraining(batchSize, g),
            data.Windows(Spread(data.ValidationStarts)), testWindows, unigram, $"unigram {tokenizer.Name} frequencies (nats per token)")
        {
            StatefulPeriod = d.Bptt ? data.SequentialWindows(batchSize) : null,
            Showcase = model => Generate(model, tokenizer, ids[testStart..], d.Context, seed),
        };
    }

    /// <summary>Three continuations of prompts from the test text (temperature 0.8, seeded), so the report shows what the model learned.</summary>
    static TaskShowcase Generate(ISequenceModel model, ITextTokenizer tokenizer, int[] testIds, int context, long seed)
    {
        if (model is not SequenceModel language) return TaskShowcase.None;
        const double temperature = 0.8;
        int promptLength = Math.Clamp(context / 2, 1, 64), count = Math.Min(200, 4 * Math.Max(context, 16));
        using var generator = new Generator(EvaluationSeeds.Samples(seed));
        var samples = new List<GeneratedSample>();
        for (int i = 0; i < 3 && testIds.Length > promptLength; i++)
        {
            int start = (int)((long)(testIds.Length - promptLength) * i / 3);
            var prompt = testIds.Skip(start).Take(promptLength).Select(id => (long)id).ToList();
            var continuation = TokenSampler.Generate(language, prompt, count, temperature, null, generator);
            samples.Add(new GeneratedSample(tokenizer.Decode(prompt.Select(id => (int)id)), tokenizer.Decode(continuation.Select(id => (int)id)), temperature));
        }
        return new TaskShowcase([], samples);
    }

    static TaskData Forecast(DatasetConfig d, int batchSize)
    {
        var columns = d.FeatureColumns.Split(',');
        var table = TimeSeriesTable.Load(d.Path!, new TimeSeriesOptions(d.DateColumn, columns.Append(d.TargetColumn).Distinct().ToList(), Enum.Parse<MissingValuePolicy>(d.Missing.Replace("_", ""), true)));
        var windows = ForecastWindows.Build(new ForecastOptions(d.TargetColumn, columns, Transform(d.Target), Transform(d.FeatureTransform), d.Window, d.Horizon,
            1 - d.ValidationFraction - d.TestFraction, d.ValidationFraction), table);
        var train = windows.Train;
        var test = windows.Test.ToBatch();
        // The naive forecast (no change) in the model's scaled target units, scored like the model.
        var naiveLevels = windows.Baseline(windows.Test, Baselines.Naive);
        var naiveScaled = Scaled(windows, windows.Test, naiveLevels);
        double naiveLoss = naiveScaled.Zip(windows.Test.Targets).Average(p => Math.Pow(p.First - p.Second, 2));
        // The model's test forecasts back-transformed to levels: scored for the metrics, drawn for the report.
        double[] PredictedLevels(ISequenceModel model)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            model.Module.eval();
            var predictions = model.Forward(test.Inputs).flatten().data<float>().ToArray();
            model.Module.train();
            return windows.ToLevels(windows.Test, predictions);
        }
        Dictionary<string, double> LevelMetrics(ISequenceModel model)
        {
            var score = windows.Score(windows.Test, PredictedLevels(model));
            var naive = windows.Score(windows.Test, naiveLevels);
            var drift = windows.Score(windows.Test, windows.Baseline(windows.Test, Baselines.Drift));
            return new()
            {
                ["level_rmse"] = score.Rmse, ["level_mae"] = score.Mae, ["mase"] = score.Mase, ["smape"] = score.Smape,
                ["directional_accuracy"] = score.DirectionalAccuracy, ["directional_low"] = score.DirectionalLow, ["directional_high"] = score.DirectionalHigh,
                ["naive_level_rmse"] = naive.Rmse, ["naive_mase"] = naive.Mase, ["drift_level_rmse"] = drift.Rmse, ["drift_mase"] = drift.Mase,
            };
        }
        return new TaskData(InputOptions.ForFeatures(columns.Length), TaskKind.SequenceRegression, 1,
            (g, _) => train.ToBatch(randint(0, train.Count, [batchSize], dtype: ScalarType.Int64, generator: g).data<long>().Select(i => (int)i).ToArray()),
            windows.Validation.ToBatch(), test, naiveLoss, "naive (random walk) forecast, in scaled target units", LevelMetrics)
        {
            Showcase = model => ForecastShowcase(windows, PredictedLevels(model), naiveLevels, d.TargetColumn),
        };
    }

    /// <summary>The test forecasts in levels beside the actual values and the naive forecast.</summary>
    static TaskShowcase ForecastShowcase(ForecastWindows windows, double[] levels, double[] naiveLevels, string seriesName)
    {
        var split = windows.Test;
        var points = new List<ForecastPoint>(split.Count);
        for (int i = 0; i < split.Count; i++)
        {
            var table = windows.Tables[split.SeriesIds[i]];
            int target = split.TargetIndices[i];
            string series = windows.Tables.Count > 1 ? $"{seriesName} #{split.SeriesIds[i] + 1}" : seriesName;
            points.Add(new ForecastPoint(series, table.Dates[target].ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                table[windows.Options.TargetColumn][target], levels[i], naiveLevels[i]));
        }
        return new TaskShowcase(points, []);
    }

    static float[] Scaled(ForecastWindows windows, ForecastSplit split, double[] levels)
    {
        var result = new float[split.Count];
        for (int i = 0; i < split.Count; i++)
        {
            int id = split.SeriesIds[i];
            double last = windows.Tables[id][windows.Options.TargetColumn][split.Origins[i]];
            double value = windows.Options.Target switch
            {
                SeriesTransform.Level => levels[i],
                SeriesTransform.Return => levels[i] / last - 1,
                _ => Math.Log(levels[i] / last),
            };
            result[i] = (float)windows.TargetScalers[id].Transform(value);
        }
        return result;
    }

    static SeriesTransform Transform(string name) => name switch
    {
        "level" => SeriesTransform.Level,
        "return" => SeriesTransform.Return,
        _ => SeriesTransform.LogReturn,
    };

    static TaskData Dna(DatasetConfig d, ModelConfig m, int batchSize, long seed)
    {
        var records = d.Path!.EndsWith(".fa", StringComparison.OrdinalIgnoreCase) || d.Path.EndsWith(".fasta", StringComparison.OrdinalIgnoreCase)
            ? throw new ArgumentException("FASTA data sets need labels: load them with DnaReaders.ReadFasta in code; the YAML 'dna' type reads the UCI 'class, name, sequence' layout")
            : DnaReaders.ReadUci(d.Path);
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
        var priors = classes.Select(c => train.Count(r => r.Label == c) / (double)train.Count).ToArray();
        double entropy = -test.Average(r => Math.Log(priors[classes.IndexOf(r.Label)]));
        var input = kmers ? InputOptions.ForTokens(DnaEncoding.KmerVocabularySize(d.K), m.EmbeddingSize) : InputOptions.ForFeatures(4);
        return new TaskData(input, TaskKind.SequenceClassification, classes.Count,
            (g, _) => Encode(randint(0, train.Count, [batchSize], dtype: ScalarType.Int64, generator: g).data<long>().Select(i => train[(int)i]).ToList()),
            Encode(validation), Encode(test), entropy, $"class priors of the training split ({string.Join(", ", classes.Select((c, i) => $"{c} {priors[i]:P0}"))})");
    }

    /// <summary>Builds the model named in <paramref name="model"/> for <paramref name="task"/>.</summary>
    public static SequenceModel CreateModel(ModelConfig model, TaskData task)
    {
        EncoderOptions encoder = model.Type == "transformer"
            ? new TransformerOptions(model.ModelSize, model.Heads, model.Layers, model.FeedForwardSize ?? 0, model.Dropout,
                model.Positional == "learned" ? PositionalEncoding.Learned : PositionalEncoding.Sinusoidal, model.MaxLength,
                Causal: model.Causal || task.Task == TaskKind.LanguageModel, PreNorm: model.PreNorm)
            : new RecurrentOptions(RecurrentKindOf(model.Type), model.HiddenSize, model.Layers, model.Bidirectional, model.Dropout, model.LayerNorm,
                Enum.Parse<RecurrentInitialisation>(model.Initialisation, ignoreCase: true), model.ForgetGateBias, model.SpectralRadius, model.Unrolled);
        var head = new HeadOptions(task.Task, task.Task == TaskKind.LanguageModel ? 0 : task.Outputs, model.TieWeights);
        return new SequenceModel(new SequenceModelOptions(task.Input, encoder, head));
    }

    /// <summary>The recurrent cell for a model name.</summary>
    public static RecurrentKind RecurrentKindOf(string type) => type switch
    {
        "rnn" => RecurrentKind.RnnTanh,
        "rnn_relu" => RecurrentKind.RnnRelu,
        "lstm" => RecurrentKind.Lstm,
        "gru" => RecurrentKind.Gru,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, $"unknown recurrent model; known: {string.Join(", ", Schema.ModelTypes)}"),
    };
}
