using System.Text.Json;
using SeqLab.Experiments.Results;
using YamlDotNet.RepresentationModel;

namespace SeqLab.Experiments.Reports;

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
    /// <summary>training.clip_grad_norm from the config, when clipping by norm was on.</summary>
    public double? ClipThreshold { get; init; }
    /// <summary>metrics.csv: one row per step.</summary>
    public ResultsTable? Metrics { get; init; }
    /// <summary>evaluation.csv.</summary>
    public ResultsTable? Evaluation { get; init; }
    /// <summary>grad_params.csv.</summary>
    public ResultsTable? ParameterGradients { get; init; }
    /// <summary>grad_layers.csv.</summary>
    public ResultsTable? LayerGradients { get; init; }
    /// <summary>grad_time.csv: ‖∂L/∂x_t‖.</summary>
    public ResultsTable? TimeGradients { get; init; }
    /// <summary>grad_hidden.csv: ‖∂L/∂h_t‖.</summary>
    public ResultsTable? HiddenGradients { get; init; }
    /// <summary>gates.csv.</summary>
    public ResultsTable? Gates { get; init; }
    /// <summary>gate_saturation.csv.</summary>
    public ResultsTable? GateSaturation { get; init; }
    /// <summary>spectrum.csv.</summary>
    public ResultsTable? Spectrum { get; init; }
    /// <summary>attention.csv.</summary>
    public ResultsTable? Attention { get; init; }
    /// <summary>attention_entropy.csv.</summary>
    public ResultsTable? AttentionEntropy { get; init; }
    /// <summary>confusion.csv.</summary>
    public ResultsTable? Confusion { get; init; }
    /// <summary>forecast.csv.</summary>
    public ResultsTable? Forecast { get; init; }
    /// <summary>samples.json.</summary>
    public IReadOnlyList<GeneratedSample> Samples { get; init; } = [];

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Reads <paramref name="folder"/>; null when the experiment has not finished (no summary.json).</summary>
    public static ExperimentResults? Load(string folder)
    {
        var summary = ResultsWriter.ReadSummary(folder);
        if (summary is null) return null;
        string configPath = Path.Combine(folder, "config.yaml");
        string config = File.Exists(configPath) ? File.ReadAllText(configPath) : "";
        ResultsTable? Table(string name) => ResultsTable.TryRead(Path.Combine(folder, name));
        string samplesPath = Path.Combine(folder, "samples.json");
        return new ExperimentResults
        {
            Folder = folder,
            Summary = summary,
            ConfigYaml = config,
            ClipThreshold = ClipThresholdOf(config),
            Metrics = Table("metrics.csv"),
            Evaluation = Table("evaluation.csv"),
            ParameterGradients = Table("grad_params.csv"),
            LayerGradients = Table("grad_layers.csv"),
            TimeGradients = Table("grad_time.csv"),
            HiddenGradients = Table("grad_hidden.csv"),
            Gates = Table("gates.csv"),
            GateSaturation = Table("gate_saturation.csv"),
            Spectrum = Table("spectrum.csv"),
            Attention = Table("attention.csv"),
            AttentionEntropy = Table("attention_entropy.csv"),
            Confusion = Table("confusion.csv"),
            Forecast = Table("forecast.csv"),
            Samples = File.Exists(samplesPath) ? JsonSerializer.Deserialize<List<GeneratedSample>>(File.ReadAllText(samplesPath), Json) ?? [] : [],
        };
    }

    /// <summary>Every finished experiment under <paramref name="batchFolder"/>, in the batch summary's order (the experiments file's), the rest by name.</summary>
    public static List<ExperimentResults> LoadBatch(string batchFolder)
    {
        var order = ResultsWriter.ReadBatchOrder(batchFolder);
        return Directory.GetDirectories(batchFolder).Select(Load).OfType<ExperimentResults>()
            .OrderBy(e => order.IndexOf(e.Summary.Name) is int i and >= 0 ? i : int.MaxValue)
            .ThenBy(e => e.Summary.Name, StringComparer.Ordinal).ToList();
    }

    static double? ClipThresholdOf(string configYaml)
    {
        if (configYaml.Length == 0) return null;
        var stream = new YamlStream();
        stream.Load(new StringReader(configYaml));
        // config.yaml is a one-experiment experiments file: experiments[0].training.clip_grad_norm.
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root) return null;
        if (!root.Children.TryGetValue(new YamlScalarNode("experiments"), out var list) || list is not YamlSequenceNode { Children.Count: > 0 } experiments) return null;
        if (experiments[0] is not YamlMappingNode experiment || !experiment.Children.TryGetValue(new YamlScalarNode("training"), out var training)) return null;
        if (training is not YamlMappingNode section || !section.Children.TryGetValue(new YamlScalarNode("clip_grad_norm"), out var clip)) return null;
        return clip is YamlScalarNode { Value: { Length: > 0 } text } && double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value)
            ? value : null;
    }
}
