using System.Text.Json;
using SeqLab.Training;
using SeqLab.Training.Diagnosis;
using YamlDotNet.RepresentationModel;

namespace SeqLab.Reports;

/// <summary>
/// One experiment's results folder read back for reporting: the summary, the resolved config and every table the monitors
/// wrote (null where a monitor did not apply). Reports are built from files, so <c>seqlab report</c> works on any results
/// tree, including one assembled from shards on other machines.
/// </summary>
public sealed class ExperimentResults
{
    /// <summary>The experiment folder.</summary>
    public required string Folder { get; init; }
    /// <summary>summary.json.</summary>
    public required ExperimentSummary Summary { get; init; }
    /// <summary>config.yaml as written.</summary>
    public required string ConfigYaml { get; init; }
    /// <summary>config.yaml's one experiment as <c>section.key</c> → value text (e.g. <c>training.seed</c> → <c>1</c>); empty for a run held in memory.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
    /// <summary>training.clip_grad_norm from the config, when clipping by norm was on.</summary>
    public double? ClipThreshold { get; init; }
    /// <summary>Every CSV table of the folder by file name (<c>metrics.csv</c>, <c>grad_time.csv</c>, each monitor's tables, …).</summary>
    public IReadOnlyDictionary<string, ResultsTable> Tables { get; init; } = new Dictionary<string, ResultsTable>();

    /// <summary>
    /// The training loss as an axis title, named with its unit: "MSE" for regression, "cross-entropy (nats)" per sequence,
    /// "cross-entropy (nats/step)" or "(nats/token)"; "loss (the task's criterion)" only where the task is not known.
    /// </summary>
    public string LossName => lossName ?? LossNameOf(Summary.Task, Summary.TestMetrics.Keys);
    string? lossName;

    /// <summary>The loss's name for <paramref name="task"/> (summary.json's <c>task</c>), else as told by the test metrics a criterion writes.</summary>
    internal static string LossNameOf(string task, IEnumerable<string> metrics) => task switch
    {
        "SequenceRegression" or "StepRegression" => "MSE",
        "SequenceClassification" => "cross-entropy (nats)",
        "StepClassification" => "cross-entropy (nats/step)",
        "LanguageModel" or "SequenceToSequence" => "cross-entropy (nats/token)",
        _ => metrics.ToHashSet(StringComparer.Ordinal) switch
        {
            var m when m.Contains("mse") => "MSE",
            var m when m.Contains("perplexity") || m.Contains("bits_per_token") || m.Contains("exact_match") => "cross-entropy (nats/token)",
            var m when m.Contains("accuracy") => "cross-entropy (nats)",
            _ => "loss (the task's criterion)",
        },
    };

    /// <summary>The table in <paramref name="fileName"/>, or null when the run did not write it.</summary>
    public ResultsTable? Table(string fileName) => Tables.GetValueOrDefault(fileName);

    /// <summary>samples.json.</summary>
    public IReadOnlyList<GeneratedSample> Samples { get; init; } = [];

    /// <summary>translations.json: sequence-to-sequence test pairs with their greedy and beam outputs.</summary>
    public IReadOnlyList<TranslationSample> Translations { get; init; } = [];

    static readonly JsonSerializerOptions Json = ExperimentSummary.JsonOptions;

    /// <summary>
    /// A training run held in memory (a notebook's), read as its results folder would be: the same tables, so every
    /// chart of the report can be drawn from it. <paramref name="baseline"/> is the trivial baseline's loss, where one applies.
    /// </summary>
    public static ExperimentResults Of(TrainingOutcome outcome, string name, double? baseline = null, string baselineName = "", double? clipThreshold = null,
        DiagnosisThresholds? thresholds = null) => new()
    {
        Folder = "",
        Summary = ExperimentSummary.Of(name, "", "", "", "", 0, baseline, baselineName, outcome, new Dictionary<string, double>(), thresholds ?? new DiagnosisThresholds()),
        ConfigYaml = "",
        ClipThreshold = clipThreshold,
        Tables = outcome.Log.Tables().ToDictionary(t => t.FileName, ResultsTable.From),
        lossName = LossNameOf("", outcome.TestMetrics.Keys), // no task in memory: the criterion's metrics tell
    };

    /// <summary>Reads one experiment's <c>summary.json</c>, or null when the experiment has not finished.</summary>
    public static ExperimentSummary? ReadSummary(string experimentFolder)
    {
        string path = Path.Combine(experimentFolder, "summary.json");
        return File.Exists(path) ? JsonSerializer.Deserialize<ExperimentSummary>(File.ReadAllText(path), Json) : null;
    }

    /// <summary>The experiment names in the order of the batch's <c>summary.json</c> (the experiments file's order); empty when there is none.</summary>
    public static List<string> ReadBatchOrder(string batchFolder)
    {
        string path = Path.Combine(batchFolder, "summary.json");
        if (!File.Exists(path)) return [];
        return (JsonSerializer.Deserialize<List<ExperimentSummary>>(File.ReadAllText(path), Json) ?? []).Select(s => s.Name).ToList();
    }

    /// <summary>Reads <paramref name="folder"/>; null when the experiment has not finished (no summary.json).</summary>
    public static ExperimentResults? Load(string folder)
    {
        var summary = ReadSummary(folder);
        if (summary is null) return null;
        string configPath = Path.Combine(folder, "config.yaml");
        string config = File.Exists(configPath) ? File.ReadAllText(configPath) : "";
        var settings = SettingsOf(config);
        string samplesPath = Path.Combine(folder, "samples.json"), translationsPath = Path.Combine(folder, "translations.json");
        return new ExperimentResults
        {
            Folder = folder,
            Summary = summary,
            ConfigYaml = config,
            Settings = settings,
            ClipThreshold = SeedGroups.Number(settings.GetValueOrDefault("training.clip_grad_norm", "")),
            Tables = Directory.GetFiles(folder, "*.csv").Order(StringComparer.Ordinal)
                .Select(path => (Name: Path.GetFileName(path), Table: ResultsTable.TryRead(path)))
                .Where(t => t.Table is not null).ToDictionary(t => t.Name, t => t.Table!),
            Samples = File.Exists(samplesPath) ? JsonSerializer.Deserialize<List<GeneratedSample>>(File.ReadAllText(samplesPath), Json) ?? [] : [],
            Translations = File.Exists(translationsPath) ? JsonSerializer.Deserialize<List<TranslationSample>>(File.ReadAllText(translationsPath), Json) ?? [] : [],
        };
    }

    /// <summary>Every finished experiment under <paramref name="batchFolder"/>, in the batch summary's order (the experiments file's), the rest by name.</summary>
    public static List<ExperimentResults> LoadBatch(string batchFolder)
    {
        var order = ReadBatchOrder(batchFolder);
        return Directory.GetDirectories(batchFolder).Select(Load).OfType<ExperimentResults>()
            .OrderBy(e => order.IndexOf(e.Summary.Name) is int i and >= 0 ? i : int.MaxValue)
            .ThenBy(e => e.Summary.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>config.yaml (a one-experiment experiments file) as <c>section.key</c> → value text, the name left out.</summary>
    static Dictionary<string, string> SettingsOf(string configYaml)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        if (configYaml.Length == 0) return settings;
        var stream = new YamlStream();
        stream.Load(new StringReader(configYaml));
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root) return settings;
        if (!root.Children.TryGetValue(new YamlScalarNode("experiments"), out var list) || list is not YamlSequenceNode { Children.Count: > 0 } experiments) return settings;
        if (experiments[0] is not YamlMappingNode experiment) return settings;
        foreach (var (sectionKey, section) in experiment.Children)
            if (section is YamlMappingNode keys)
                foreach (var (key, value) in keys.Children)
                    settings[$"{sectionKey}.{key}"] = value is YamlScalarNode scalar ? scalar.Value ?? "" : value.ToString();
        return settings;
    }
}
