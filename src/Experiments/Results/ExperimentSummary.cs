using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SeqLab.Experiments.Results;

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

    /// <summary>Gradient-flow verdict: healthy, vanishing, exploding or diverged (empty when the run failed).</summary>
    public string Verdict { get; init; } = "";
    /// <summary>The measurement and threshold behind <see cref="Verdict"/>.</summary>
    public string VerdictEvidence { get; init; } = "";
}
