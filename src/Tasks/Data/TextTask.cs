using SeqLab.Reports;
using System.Text.Json;
using SeqLab.Data;
using SeqLab.Data.Batches;
using SeqLab.Data.Text;
using SeqLab.Config;
using SeqLab.Models;
using SeqLab.Models.Generation;
using TorchSharp;

namespace SeqLab.Tasks;

/// <summary><c>dataset: {type: text}</c> — language modelling's keys.</summary>
public sealed record TextConfig : FileConfig
{
    /// <inheritdoc />
    public override string Type => "text";
    /// <summary>char, word or subword.</summary>
    [ConfigKey("text units: characters, words, or GPT-2 BPE subwords compacted to the corpus", Choices = ["char", "word", "subword"])]
    public string Tokenizer { get; init; } = "char";
    /// <summary>Tokens per language-modelling window.</summary>
    [ConfigKey("tokens per language-modelling window", Minimum = 1)]
    public int Context { get; init; } = 64;
    /// <summary>Truncated BPTT.</summary>
    [ConfigKey("truncated BPTT: read the training text as batch_size contiguous streams, carrying the recurrent state (detached) from window to window; recurrent models only")]
    public bool Bptt { get; init; }
}

/// <summary>Language modelling on a UTF-8 text: the next token at every step, beside the unigram baseline; three generated samples for the report.</summary>
public sealed class TextTask : SequenceDataKind<TextConfig>
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <inheritdoc />
    public override string Summary => "token ids | the next token at every step | cross-entropy (nats/token), perplexity, bits per token | unigram frequencies of the training text";
    /// <inheritdoc />
    protected override bool ReadsTokens(TextConfig config) => true;

    /// <inheritdoc />
    public override TaskKind Task => TaskKind.LanguageModel;

    /// <inheritdoc />
    protected override IEnumerable<string> CheckModel(TextConfig config, IModelKind model, ModelConfig modelConfig)
    {
        if (config.Bptt && !model.CarriesState(modelConfig))
            yield return $"dataset.bptt carries a recurrent state between windows; model type '{model.Name}' has none (use a recurrent model, or bptt: false)";
    }

    /// <inheritdoc />
    protected override IEnumerable<DataProblem> CheckData(TextConfig config)
    {
        string text;
        try
        {
            text = TextCorpus.Load(config.Path);
        }
        catch (Exception e) when (e is DataFormatException or IOException)
        {
            return [new DataProblem("path", e.Message)];
        }
        // The smallest split (the test tail) must hold one window of context + 1 characters at least.
        int tail = (int)(text.Length * config.TestFraction);
        return tail <= config.Context
            ? [new DataProblem("context", $"{config.Path}: the test tail ({config.TestFraction:P0} of {text.Length:N0} characters) is shorter than one window of {config.Context} tokens")]
            : [];
    }

    /// <inheritdoc />
    protected override TaskData Build(TextConfig d, int batchSize, long seed)
    {
        string text = TextCorpus.Load(d.Path);
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
        return new TaskData(Shape(DataInput.ForTokens(tokenizer.VocabularySize), tokenizer.VocabularySize),
            d.Bptt ? (_, step) => data.SequentialBatch(batchSize, step - 1) : (g, _) => data.SampleTraining(batchSize, g),
            data.Windows(Spread(data.ValidationStarts)), testWindows, unigram, $"unigram {tokenizer.Name} frequencies (nats per token)")
        {
            StatefulPeriod = d.Bptt ? data.SequentialWindows(batchSize) : null,
            Artefacts = (model, _) => Samples(model, tokenizer, ids[testStart..], d.Context, seed),
        };
    }

    /// <summary>Three continuations of prompts from the test text (temperature 0.8, seeded) as <c>samples.json</c>, so the report shows what the model learned.</summary>
    static IEnumerable<ResultFile> Samples(ISequenceModel model, ITextTokenizer tokenizer, int[] testIds, int context, long seed)
    {
        if (model is not SequenceModel language) yield break;
        const double temperature = 0.8;
        int promptLength = Math.Clamp(context / 2, 1, 64), count = Math.Min(200, 4 * Math.Max(context, 16));
        using var generator = new torch.Generator(EvaluationSeeds.Samples(seed));
        var samples = new List<GeneratedSample>();
        for (int i = 0; i < 3 && testIds.Length > promptLength; i++)
        {
            int start = (int)((long)(testIds.Length - promptLength) * i / 3);
            var prompt = testIds.Skip(start).Take(promptLength).Select(id => (long)id).ToList();
            var continuation = TokenSampler.Generate(language, prompt, count, temperature, null, generator);
            samples.Add(new GeneratedSample(tokenizer.Decode(prompt.Select(id => (int)id)), tokenizer.Decode(continuation.Select(id => (int)id)), temperature));
        }
        if (samples.Count > 0) yield return new ResultFile("samples.json", JsonSerializer.Serialize(samples, Json));
    }
}
