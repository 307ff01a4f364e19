namespace SeqLab.Experiments.Training;

/// <summary>Thresholds of the gradient-flow verdict.</summary>
/// <param name="VanishingRatio">Vanishing through time when ‖∂L/∂x₁‖/‖∂L/∂x_T‖ at the end of training is below this; through depth when ‖g of layer 1‖/‖g of layer L‖ is.</param>
/// <param name="ExplodingRatio">Exploding through time (or depth) when that ratio is above this (the earliest inputs or layers dominate).</param>
/// <param name="ExplodingNorm">Exploding when the global gradient norm before clipping exceeds this on any step.</param>
public sealed record DiagnosisThresholds(double VanishingRatio = 1e-3, double ExplodingRatio = 1e3, double ExplodingNorm = 1e3);

/// <summary>A verdict on how gradients flowed, with the evidence that decided it.</summary>
/// <param name="Verdict">healthy, vanishing, exploding or diverged.</param>
/// <param name="Evidence">Which measurement crossed which threshold at which step.</param>
public sealed record GradientVerdict(string Verdict, string Evidence);

/// <summary>
/// Diagnoses a run from its log. It judges the end of training, not only step 1: at initialisation a tanh RNN and an LSTM
/// both pass ≈ 1e-10 of the gradient back to x₁; once the LSTM has learned the task its ratio is ≈ 1 (healthy) while the
/// RNN's stays ≈ 1e-6 (vanishing).
/// </summary>
public static class Diagnosis
{
    /// <summary>The verdict for a run that ended with <paramref name="status"/> and logged <paramref name="log"/>.</summary>
    public static GradientVerdict Diagnose(TrainingStatus status, TrainingLog log, string? divergence, DiagnosisThresholds thresholds)
    {
        if (status == TrainingStatus.Diverged) return new("diverged", divergence ?? "the loss or the gradient became NaN or infinite");
        if (log.Steps.Where(s => double.IsFinite(s.GradNorm)).MaxBy(s => s.GradNorm) is { } largest && largest.GradNorm > thresholds.ExplodingNorm)
            return new("exploding", $"global gradient norm {largest.GradNorm:G3} > {thresholds.ExplodingNorm:G3} at step {largest.Step}");
        var depth = log.FirstToLastLayerRatios().ToList();
        if (depth.Count > 0)
        {
            var (depthStep, depthRatio) = depth[^1];
            string was = depth.Count > 1 ? $" (was {depth[0].Ratio:G2} at step {depth[0].Step})" : "";
            if (depthRatio < thresholds.VanishingRatio)
                return new("vanishing", $"through depth: ‖g layer 1‖/‖g layer L‖ = {depthRatio:G2} < {thresholds.VanishingRatio:G2} at step {depthStep}{was}");
            if (depthRatio > thresholds.ExplodingRatio)
                return new("exploding", $"through depth: ‖g layer 1‖/‖g layer L‖ = {depthRatio:G2} > {thresholds.ExplodingRatio:G2} at step {depthStep}{was}");
        }
        var ratios = log.FirstToLastRatios().ToList();
        if (ratios.Count == 0) return new("healthy", "no gradient-over-time profile was logged; no norm above the exploding threshold"
            + (depth.Count > 0 ? $"; ‖g layer 1‖/‖g layer L‖ = {depth[^1].Ratio:G2}" : ""));
        var (firstStep, firstRatio) = ratios[0];
        var (lastStep, lastRatio) = ratios[^1];
        string history = ratios.Count > 1 ? $" (was {firstRatio:G2} at step {firstStep})" : "";
        if (lastRatio > thresholds.ExplodingRatio)
            return new("exploding", $"‖∂L/∂x₁‖/‖∂L/∂x_T‖ = {lastRatio:G2} > {thresholds.ExplodingRatio:G2} at step {lastStep}{history}");
        if (double.IsNaN(lastRatio) || lastRatio < thresholds.VanishingRatio)
            return new("vanishing", $"‖∂L/∂x₁‖/‖∂L/∂x_T‖ = {lastRatio:G2} < {thresholds.VanishingRatio:G2} at step {lastStep}{history}");
        return new("healthy", $"‖∂L/∂x₁‖/‖∂L/∂x_T‖ = {lastRatio:G2} at step {lastStep}{history}; largest gradient norm {log.Steps.Max(s => s.GradNorm):G3}");
    }
}
