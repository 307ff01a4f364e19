using System.Text.Json;
using System.Text.Json.Serialization;
using SeqLab.Experiments.Config;
using SeqLab.Experiments.Training;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace SeqLab.Experiments.Results;

/// <summary>
/// The results tree: <c>&lt;root&gt;/&lt;batch&gt;/&lt;experiment&gt;/</c> with <c>config.yaml</c>, <c>metrics.csv</c>,
/// <c>evaluation.csv</c>, <c>grad_params.csv</c>, <c>grad_time.csv</c> and <c>summary.json</c>, and batch-level <c>summary.csv</c>/<c>summary.json</c>.
/// Every file is written atomically.
/// </summary>
public static class ResultsWriter
{
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    static readonly ISerializer Yaml = new SerializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();

    /// <summary>
    /// Creates the folder for a new batch under <paramref name="root"/>. An existing batch is never overwritten:
    /// the name gets a numeric suffix (<c>name-2</c>, <c>name-3</c>, …) unless <paramref name="overwrite"/> is set,
    /// in which case the old folder is deleted first.
    /// </summary>
    public static string CreateBatchFolder(string root, string batchName, bool overwrite)
    {
        string folder = Path.Combine(root, batchName);
        if (Directory.Exists(folder) && overwrite) Directory.Delete(folder, recursive: true);
        for (int suffix = 2; Directory.Exists(folder); suffix++)
            folder = Path.Combine(root, $"{batchName}-{suffix}");
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>The resolved config as a runnable experiments file holding just this experiment.</summary>
    public static string ResolvedConfigYaml(ExperimentConfig experiment) =>
        Yaml.Serialize(new Dictionary<string, object> { ["experiments"] = new[] { experiment } });

    /// <summary>Writes every file of one experiment into <paramref name="folder"/>.</summary>
    public static void WriteExperiment(string folder, ExperimentConfig experiment, TrainingLog log, ExperimentSummary summary)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "config.yaml"), ResolvedConfigYaml(experiment));

        var metrics = new Csv("step", "train_loss", "grad_norm", "clipped", "elapsed_seconds");
        foreach (var s in log.Steps)
            metrics.Row(s.Step, s.TrainLoss, s.GradNorm, s.Clipped, s.ElapsedSeconds);
        AtomicFile.WriteAllText(Path.Combine(folder, "metrics.csv"), metrics.ToString());

        // Evaluations are sparse, so they get their own dense table rather than mostly-empty columns in metrics.csv.
        var evaluation = new Csv("step", "split", "loss");
        foreach (var s in log.Steps.Where(s => s.ValidationLoss is not null))
            evaluation.Row(s.Step, "validation", s.ValidationLoss);
        if (summary.TestMse is double testLoss)
            evaluation.Row(summary.Steps, "test", testLoss);
        AtomicFile.WriteAllText(Path.Combine(folder, "evaluation.csv"), evaluation.ToString());

        var parameters = new Csv("step", "parameter", "grad_norm");
        foreach (var p in log.ParameterGradients)
            parameters.Row(p.Step, p.Parameter, p.Norm);
        AtomicFile.WriteAllText(Path.Combine(folder, "grad_params.csv"), parameters.ToString());

        int length = log.TimeGradients.Count == 0 ? 0 : log.TimeGradients.Max(g => g.TimeStep);
        var time = new Csv("step", "time_step", "steps_before_end", "grad_norm");
        foreach (var g in log.TimeGradients)
            time.Row(g.Step, g.TimeStep, length - g.TimeStep, g.Norm);
        AtomicFile.WriteAllText(Path.Combine(folder, "grad_time.csv"), time.ToString());

        AtomicFile.WriteAllText(Path.Combine(folder, "summary.json"), JsonSerializer.Serialize(summary, Json));
    }

    /// <summary>Writes the batch's <c>summary.json</c> and <c>summary.csv</c>.</summary>
    public static void WriteBatchSummary(string batchFolder, IReadOnlyList<ExperimentSummary> summaries)
    {
        AtomicFile.WriteAllText(Path.Combine(batchFolder, "summary.json"), JsonSerializer.Serialize(summaries, Json));
        var csv = new Csv("name", "model", "status", "steps", "test_mse", "baseline_mse", "final_validation_mse",
            "gradient_ratio_first", "gradient_ratio_last", "clip_fraction", "wall_seconds", "parameters", "message");
        foreach (var s in summaries)
            csv.Row(s.Name, s.Model, s.Status, s.Steps, s.TestMse, s.BaselineMse, s.FinalValidationMse,
                s.GradientRatioFirst, s.GradientRatioLast, s.ClipFraction, s.WallSeconds, s.Parameters, s.Message);
        AtomicFile.WriteAllText(Path.Combine(batchFolder, "summary.csv"), csv.ToString());
    }
}
