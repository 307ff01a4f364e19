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
/// Diagnoses a run from its log. Exploding is judged over the whole run (one burst wrecks the weights); vanishing at the
/// end of training, not at step 1: at initialisation a tanh RNN and an LSTM both pass ≈ 1e-10 of the gradient back to x₁;
/// once the LSTM has learned the task its ratio is ≈ 1 (healthy) while the RNN's stays ≈ 1e-6 (vanishing).
/// </summary>
public static class Diagnosis
{
    /// <summary>The verdict for a run that ended with <paramref name="status"/> and logged <paramref name="log"/>.</summary>
    public static GradientVerdict Diagnose(TrainingStatus status, TrainingLog log, string? divergence, DiagnosisThresholds thresholds)
    {
        if (status == TrainingStatus.Diverged) return new("diverged", divergence ?? "the loss or the gradient became NaN or infinite");
        var ratios = log.FirstToLastRatios().ToList();
        var depth = log.FirstToLastLayerRatios().ToList();
        string End(List<(int Step, double Ratio)> series, string what) =>
            series.Count > 0 ? $"; at the end {what} = {series[^1].Ratio:G2} (step {series[^1].Step})" : "";

        // Exploding is judged over the whole run: one burst is enough to wreck the weights, even if training calms down later.
        if (log.Steps.Where(s => double.IsFinite(s.GradNorm)).MaxBy(s => s.GradNorm) is { } largest && largest.GradNorm > thresholds.ExplodingNorm)
            return new("exploding", $"global gradient norm {largest.GradNorm:G3} > {thresholds.ExplodingNorm:G3} at step {largest.Step}{Clipping(log)}");
        if (Worst(ratios, thresholds.ExplodingRatio) is var (timeStep, timeRatio, timeCount))
            return new("exploding", $"‖∂L/∂x₁‖/‖∂L/∂x_T‖ = {timeRatio:G2} > {thresholds.ExplodingRatio:G2} at step {timeStep}"
                + $" ({timeCount} of {ratios.Count} logged steps above){End(ratios, "‖∂L/∂x₁‖/‖∂L/∂x_T‖")}{Clipping(log)}");
        if (Worst(depth, thresholds.ExplodingRatio) is var (depthStep, depthRatio, depthCount))
            return new("exploding", $"through depth: ‖g layer 1‖/‖g layer L‖ = {depthRatio:G2} > {thresholds.ExplodingRatio:G2} at step {depthStep}"
                + $" ({depthCount} of {depth.Count} logged steps above){End(depth, "the ratio")}{Clipping(log)}");

        // Vanishing is judged at the end: gated models start vanished and recover as they learn.
        if (depth.Count > 0 && depth[^1].Ratio < thresholds.VanishingRatio)
            return new("vanishing", $"through depth: ‖g layer 1‖/‖g layer L‖ = {depth[^1].Ratio:G2} < {thresholds.VanishingRatio:G2} at step {depth[^1].Step}{Was(depth)}");
        if (ratios.Count == 0) return new("healthy", "no gradient-over-time profile was logged; no norm above the exploding threshold"
            + (depth.Count > 0 ? $"; ‖g layer 1‖/‖g layer L‖ = {depth[^1].Ratio:G2}" : ""));
        var (lastStep, lastRatio) = ratios[^1];
        if (double.IsNaN(lastRatio) || lastRatio < thresholds.VanishingRatio)
            return new("vanishing", $"‖∂L/∂x₁‖/‖∂L/∂x_T‖ = {lastRatio:G2} < {thresholds.VanishingRatio:G2} at step {lastStep}{Was(ratios)}");
        return new("healthy", $"‖∂L/∂x₁‖/‖∂L/∂x_T‖ = {lastRatio:G2} at step {lastStep}{Was(ratios)}; largest gradient norm {log.Steps.Max(s => s.GradNorm):G3}");
    }

    static string Was(List<(int Step, double Ratio)> series) => series.Count > 1 ? $" (was {series[0].Ratio:G2} at step {series[0].Step})" : "";

    /// <summary>The largest ratio above <paramref name="threshold"/>, its step and how many logged steps were above; null when none was.</summary>
    static (int Step, double Ratio, int Count)? Worst(List<(int Step, double Ratio)> series, double threshold)
    {
        var above = series.Where(r => r.Ratio > threshold).ToList();
        return above.Count == 0 ? null : (above.MaxBy(r => r.Ratio).Step, above.Max(r => r.Ratio), above.Count);
    }

    static string Clipping(TrainingLog log)
    {
        int clipped = log.Steps.Count(s => s.Clipped);
        return clipped == 0 ? "; no step was clipped" : $"; clipping rescaled {clipped} of {log.Steps.Count} steps";
    }
}
