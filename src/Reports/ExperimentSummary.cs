using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using SeqLab.Training;
using SeqLab.Training.Diagnosis;
using SeqLab.Training.Logging;

namespace SeqLab.Reports;

/// <summary>The headline numbers of one experiment, as written to <c>summary.json</c> and the batch table.</summary>
/// <param name="Name">Experiment name.</param>
/// <param name="Model">Model type.</param>
/// <param name="Dataset">Data set type.</param>
/// <param name="Task">What the model predicts (decides the loss: MSE for regression, cross-entropy in nats otherwise).</param>
/// <param name="Description">One-line model description.</param>
/// <param name="Parameters">Trainable scalars.</param>
/// <param name="Status">completed, diverged or failed.</param>
/// <param name="Steps">Steps run.</param>
/// <param name="TestLoss">Test-set loss after training (null unless completed).</param>
/// <param name="BaselineLoss">The trivial baseline's loss on the same task (null where none applies).</param>
/// <param name="BaselineName">What the baseline is.</param>
/// <param name="FinalValidationLoss">Last validation loss.</param>
/// <param name="TestMetrics">The task's test metrics (accuracy, macro-F1, perplexity, forecast errors beside the naive forecast, …).</param>
/// <param name="ClipFraction">Share of steps on which clipping rescaled the gradient.</param>
/// <param name="WallSeconds">Training wall time.</param>
/// <param name="Message">Divergence diagnostics or the error, when not completed.</param>
public sealed record ExperimentSummary(
    string Name, string Model, string Dataset, string Task, string Description, long Parameters, string Status, int Steps,
    double? TestLoss, double? BaselineLoss, string BaselineName, double? FinalValidationLoss, IReadOnlyDictionary<string, double> TestMetrics,
    double ClipFraction, double WallSeconds, string? Message)
{
    /// <summary>
    /// The monitors' headline numbers (e.g. <c>gradient_ratio_first</c>, <c>gradient_half_life_last</c>, <c>depth_ratio_last</c>),
    /// written as top-level keys of <c>summary.json</c> and as columns of the batch table; null where not measurable.
    /// </summary>
    [JsonExtensionData]
    public Dictionary<string, object?> Diagnostics { get; init; } = [];

    /// <summary>The headline number <paramref name="key"/> (infinity kept), or null when absent or not measurable.</summary>
    public double? Diagnostic(string key) => Diagnostics.GetValueOrDefault(key) switch
    {
        double value => value,
        JsonElement { ValueKind: JsonValueKind.Number } element => element.GetDouble(),
        JsonElement { ValueKind: JsonValueKind.String } element when double.TryParse(element.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double named) => named,
        _ => null,
    };

    /// <summary>How <c>summary.json</c> is written and read: snake_case keys, infinities and NaN as named literals, indented.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// The summary of a finished (or stopped) training run: status, losses, the clip rate, the monitors' headline numbers
    /// and the gradient-flow verdict under <paramref name="thresholds"/>.
    /// </summary>
    public static ExperimentSummary Of(string name, string model, string dataset, string task, string description, long parameters,
        double? baseline, string baselineName, TrainingOutcome outcome, IReadOnlyDictionary<string, double> testMetrics, DiagnosisThresholds thresholds)
    {
        var verdict = GradientVerdicts.Diagnose(outcome.Status, outcome.Log, outcome.Divergence, thresholds);
        var steps = outcome.Log.Steps;
        double clipFraction = steps.Count == 0 ? 0 : steps.Count(s => s.Clipped) / (double)steps.Count;
        bool completed = outcome.Status == TrainingStatus.Completed;
        return new ExperimentSummary(
            name, model, dataset, task, description, parameters,
            outcome.Status.ToString().ToLowerInvariant(), outcome.StepsRun,
            completed ? outcome.TestLoss : null, baseline, baselineName,
            steps.LastOrDefault(s => s.ValidationLoss is not null)?.ValidationLoss, testMetrics,
            clipFraction, outcome.WallSeconds, outcome.Divergence)
        {
            Diagnostics = outcome.Log.Monitors.SelectMany(m => m.Headlines()).ToDictionary(h => h.Key, h => (object?)h.Value),
            Verdict = verdict.Verdict,
            VerdictEvidence = verdict.Evidence,
            TimeSeconds = TimeOf(outcome),
        };
    }

    /// <summary>Gradient-flow verdict: healthy, vanishing, exploding, diverged or not measured (empty when the run failed).</summary>
    public string Verdict { get; init; } = "";
    /// <summary>The measurement and threshold behind <see cref="Verdict"/>.</summary>
    public string VerdictEvidence { get; init; } = "";

    /// <summary>When this run counts as a success (see <see cref="SeqLab.Reports.SuccessCriterion"/>); empty when the task has none.</summary>
    public string SuccessCriterion { get; init; } = "";

    /// <summary>Whether the run met <see cref="SuccessCriterion"/>; null when there is none or its quantity was not measured.</summary>
    public bool? Success { get; init; }

    /// <summary>
    /// Where the wall time went, in seconds: the trainer's phases (data, forward, backward, clipping, optimizer, evaluation,
    /// checkpoints, callbacks), each monitor (<c>monitor &lt;name&gt;</c>), <c>other</c> (the rest of the training wall time:
    /// logging, progress) and <c>writing</c> (the results folder); null for summaries written before it was measured.
    /// </summary>
    public IReadOnlyDictionary<string, double>? TimeSeconds { get; init; }

    /// <summary>The training wall time of <paramref name="outcome"/> by phase, in the order of <see cref="TimeSeconds"/>.</summary>
    public static Dictionary<string, double> TimeOf(TrainingOutcome outcome)
    {
        var split = outcome.Log.Time.Seconds;
        var ordered = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var phase in TimeSplit.Phases.Where(split.ContainsKey)) ordered[phase] = split[phase];
        foreach (var (phase, seconds) in split.Where(p => !ordered.ContainsKey(p.Key))) ordered[phase] = seconds;
        ordered["other"] = Math.Max(0, outcome.WallSeconds - ordered.Values.Sum());
        return ordered;
    }

    /// <summary>This summary with <paramref name="seconds"/> of writing the results folder added to <see cref="TimeSeconds"/>.</summary>
    public ExperimentSummary WithWriting(double seconds) => TimeSeconds is null ? this
        : this with { TimeSeconds = new Dictionary<string, double>(TimeSeconds) { [TimeSplit.Writing] = seconds } };
}
