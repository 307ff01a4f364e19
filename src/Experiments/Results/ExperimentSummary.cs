namespace SeqLab.Experiments.Results;

/// <summary>The headline numbers of one experiment, as written to <c>summary.json</c> and the batch table.</summary>
/// <param name="Name">Experiment name.</param>
/// <param name="Model">Model type.</param>
/// <param name="Description">One-line model description.</param>
/// <param name="Parameters">Trainable scalars.</param>
/// <param name="Status">completed, diverged or failed.</param>
/// <param name="Steps">Steps run.</param>
/// <param name="TestMse">Test-set MSE after training (null unless completed).</param>
/// <param name="BaselineMse">MSE of the trivial baseline on the same task.</param>
/// <param name="FinalValidationMse">Last validation MSE.</param>
/// <param name="GradientRatioFirst">‖∂L/∂x_1‖ / ‖∂L/∂x_T‖ on the first logged step (at initialisation).</param>
/// <param name="GradientRatioLast">The same ratio on the last logged step.</param>
/// <param name="ClipFraction">Share of steps on which clipping rescaled the gradient.</param>
/// <param name="WallSeconds">Training wall time.</param>
/// <param name="Message">Divergence diagnostics or the error, when not completed.</param>
public sealed record ExperimentSummary(
    string Name, string Model, string Description, long Parameters, string Status, int Steps,
    double? TestMse, double BaselineMse, double? FinalValidationMse, double? GradientRatioFirst, double? GradientRatioLast,
    double ClipFraction, double WallSeconds, string? Message);
