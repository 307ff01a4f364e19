using SeqLab.Runtime.Files;
using System.Text.Json;
using System.Text.Json.Serialization;
using SeqLab.Config;
using SeqLab.Experiments.Config;
using SeqLab.Tasks;
using SeqLab.Reports;
using SeqLab.Training;
using SeqLab.Training.Logging;
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
    static readonly JsonSerializerOptions Json = ExperimentSummary.JsonOptions;

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
    public static string ResolvedConfigYaml(ExperimentConfig experiment)
    {
        // Only the keys that apply to the chosen types, so the file validates and reads as the experiment really ran.
        Dictionary<string, object?> Section(SectionSpec spec, object record, string? type)
        {
            var section = new Dictionary<string, object?>();
            if (type is not null) section["type"] = type;
            foreach (var field in spec.Fields.Where(f => f.Key != "type" && f.Applies(type)))
            {
                var property = record.GetType().GetProperty(ConfigKeys.PropertyName(field.Key))!;
                var value = property.GetValue(record);
                section[field.Key] = property.PropertyType == typeof(IReadOnlyList<string>) ? NameList.Write((IReadOnlyList<string>?)value) : value;
            }
            return section;
        }
        var entry = new Dictionary<string, object?>
        {
            ["name"] = experiment.Name,
            ["dataset"] = Section(Schema.Dataset, experiment.Dataset, experiment.Dataset.Type),
            ["model"] = Section(Schema.Model, experiment.Model, experiment.Model.Type),
            ["training"] = Section(Schema.Training, experiment.Training, null),
            ["monitoring"] = Section(Schema.Monitoring, experiment.Monitoring, null),
        };
        return Yaml.Serialize(new Dictionary<string, object> { ["experiments"] = new[] { entry } });
    }

    /// <summary>Writes every file of one experiment into <paramref name="folder"/> (the summary last, so a present summary means a finished experiment); returns the summary as written.</summary>
    /// <remarks>The time it takes, from <paramref name="writingStarted"/> (a <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>, e.g. before the
    /// model was saved) or else from the call, goes into the summary's <c>writing</c> time.</remarks>
    public static ExperimentSummary WriteExperiment(string folder, ExperimentConfig experiment, TrainingLog log, ExperimentSummary summary, RunManifest? manifest = null,
        IReadOnlyList<ResultFile>? artefacts = null, long? writingStarted = null)
    {
        long started = writingStarted ?? System.Diagnostics.Stopwatch.GetTimestamp();
        Directory.CreateDirectory(folder);
        if (manifest is not null) AtomicFile.WriteAllText(Path.Combine(folder, "manifest.json"), JsonSerializer.Serialize(manifest, Json));
        AtomicFile.WriteAllText(Path.Combine(folder, "config.yaml"), ResolvedConfigYaml(experiment));

        // The trainer's tables and each monitor's.
        foreach (var table in log.Tables())
            AtomicFile.WriteAllText(Path.Combine(folder, table.FileName), table.Content.ToString());

        // Each kind of data writes its own files (forecasts, samples, confusion matrix).
        foreach (var file in artefacts ?? [])
            AtomicFile.WriteAllText(Path.Combine(folder, file.FileName), file.Content);

        summary = summary.WithWriting(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        AtomicFile.WriteAllText(Path.Combine(folder, "summary.json"), JsonSerializer.Serialize(summary, Json));
        return summary;
    }

    /// <summary>
    /// Rebuilds the batch summary from every experiment folder under <paramref name="batchFolder"/> (so shards that wrote
    /// into one tree are merged), in <paramref name="order"/> where given and by name otherwise; returns the rows.
    /// </summary>
    public static IReadOnlyList<ExperimentSummary> MergeBatchSummary(string batchFolder, IReadOnlyList<string>? order = null)
    {
        var position = (order ?? []).Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i);
        var summaries = Directory.GetDirectories(batchFolder).Select(ExperimentResults.ReadSummary).OfType<ExperimentSummary>()
            .OrderBy(s => position.GetValueOrDefault(s.Name, int.MaxValue))
            .ThenBy(s => s.Name, StringComparer.Ordinal).ToList();
        WriteBatchSummary(batchFolder, summaries);
        SeedGroups.Write(batchFolder);
        return summaries;
    }

    /// <summary>Writes the batch's <c>summary.json</c> and <c>summary.csv</c>.</summary>
    public static void WriteBatchSummary(string batchFolder, IReadOnlyList<ExperimentSummary> summaries)
    {
        AtomicFile.WriteAllText(Path.Combine(batchFolder, "summary.json"), JsonSerializer.Serialize(summaries, Json));
        // The monitors' headline numbers, in the order they first appear (the registry's order).
        var diagnostics = summaries.SelectMany(s => s.Diagnostics.Keys).Distinct().ToList();
        var csv = new Csv(["name", "model", "dataset", "task", "status", "verdict", "steps", "test_loss", "baseline_loss", "final_validation_loss",
            .. diagnostics, "clip_fraction", "wall_seconds", "parameters", "success_criterion", "success", "verdict_evidence", "message"]);
        foreach (var s in summaries)
            csv.Row([s.Name, s.Model, s.Dataset, s.Task, s.Status, s.Verdict, s.Steps, s.TestLoss, s.BaselineLoss, s.FinalValidationLoss,
                .. diagnostics.Select(key => (object?)s.Diagnostic(key)), s.ClipFraction, s.WallSeconds, s.Parameters, s.SuccessCriterion, s.Success, s.VerdictEvidence, s.Message]);
        AtomicFile.WriteAllText(Path.Combine(batchFolder, "summary.csv"), csv.ToString());
    }
}
