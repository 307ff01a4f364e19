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
/// <param name="GradientRatioFirst">‖∂L/∂x_1‖ / ‖∂L/∂x_T‖ on the first logged step (at initialisation).</param>
/// <param name="GradientRatioLast">The same ratio on the last logged step.</param>
/// <param name="ClipFraction">Share of steps on which clipping rescaled the gradient.</param>
/// <param name="WallSeconds">Training wall time.</param>
/// <param name="Message">Divergence diagnostics or the error, when not completed.</param>
public sealed record ExperimentSummary(
    string Name, string Model, string Dataset, string Task, string Description, long Parameters, string Status, int Steps,
    double? TestLoss, double? BaselineLoss, string BaselineName, double? FinalValidationLoss, IReadOnlyDictionary<string, double> TestMetrics,
    double? GradientRatioFirst, double? GradientRatioLast, double ClipFraction, double WallSeconds, string? Message)
{
    /// <summary>Gradient half-life in time steps on the first logged step (null: not measurable; see GradientDiagnostics.HalfLife).</summary>
    public double? GradientHalfLifeFirst { get; init; }
    /// <summary>The same on the last logged step.</summary>
    public double? GradientHalfLifeLast { get; init; }
    /// <summary>Half-life of ‖∂L/∂h_t‖ (first layer, forward, recurrent path included) on the first monitored step.</summary>
    public double? HiddenHalfLifeFirst { get; init; }
    /// <summary>The same on the last monitored step.</summary>
    public double? HiddenHalfLifeLast { get; init; }
    /// <summary>‖g of the first encoder layer‖/‖g of the last‖ on the first logged step (null for single-layer encoders).</summary>
    public double? DepthRatioFirst { get; init; }
    /// <summary>The same on the last logged step.</summary>
    public double? DepthRatioLast { get; init; }
    /// <summary>Gradient-flow verdict: healthy, vanishing, exploding or diverged (empty when the run failed).</summary>
    public string Verdict { get; init; } = "";
    /// <summary>The measurement and threshold behind <see cref="Verdict"/>.</summary>
    public string VerdictEvidence { get; init; } = "";
}
