using SeqLab.Training.Logging;

namespace SeqLab.Training.Diagnosis;

/// <summary>Thresholds of the gradient-flow verdict.</summary>
/// <param name="VanishingRatio">Vanishing through time when ‖∂L/∂x₁‖/‖∂L/∂x_T‖ at the end of training is below this; through depth when ‖g of layer 1‖/‖g of layer L‖ is.</param>
/// <param name="ExplodingRatio">Exploding through time (or depth) when that ratio is above this (the earliest inputs or layers dominate).</param>
/// <param name="ExplodingNorm">Exploding when the global gradient norm before clipping exceeds this on any step.</param>
public sealed record DiagnosisThresholds(double VanishingRatio = 1e-3, double ExplodingRatio = 1e3, double ExplodingNorm = 1e3);

/// <summary>A verdict on how gradients flowed, with the evidence that decided it.</summary>
/// <param name="Verdict">healthy, vanishing, exploding, diverged or not measured.</param>
/// <param name="Evidence">Which measurement crossed which threshold at which step.</param>
public sealed record GradientVerdict(string Verdict, string Evidence);

/// <summary>What a monitor's records say about the gradient flow.</summary>
/// <param name="Verdict">exploding, vanishing or healthy.</param>
/// <param name="Rank">Which finding decides when several monitors give the same verdict (lower first).</param>
/// <param name="Evidence">The measurement and threshold, in words.</param>
public sealed record Finding(string Verdict, int Rank, string Evidence)
{
    /// <summary>The verdict names.</summary>
    public const string Exploding = "exploding", Vanishing = "vanishing", Healthy = "healthy";

    /// <summary>The verdict of a run whose monitors measured nothing about the flow (e.g. <c>monitors: none</c>).</summary>
    public const string NotMeasured = "not measured";
}

/// <summary>
/// Diagnoses a run from its log and its monitors' findings. Exploding is judged over the whole run (one burst wrecks the
/// weights); vanishing at the end of training, not at step 1: at initialisation a tanh RNN and an LSTM both pass ≈ 1e-10
/// of the gradient back to x₁; once the LSTM has learned the task its ratio is ≈ 1 (healthy) while the RNN's stays ≈ 1e-6
/// (vanishing). Order: diverged, exploding (the global norm first, then the monitors by rank), vanishing, healthy.
/// </summary>
public static class GradientVerdicts
{
    /// <summary>The verdict for a run that ended with <paramref name="status"/> and logged <paramref name="log"/>.</summary>
    public static GradientVerdict Diagnose(TrainingStatus status, TrainingLog log, string? divergence, DiagnosisThresholds thresholds)
    {
        if (status == TrainingStatus.Diverged) return new("diverged", divergence ?? "the loss or the gradient became NaN or infinite");
        // Exploding is judged over the whole run: one burst is enough to wreck the weights, even if training calms down later.
        if (log.Steps.Where(s => double.IsFinite(s.GradNorm)).MaxBy(s => s.GradNorm) is { } largest && largest.GradNorm > thresholds.ExplodingNorm)
            return new("exploding", $"global gradient norm {largest.GradNorm:G3} > {thresholds.ExplodingNorm:G3} at step {largest.Step}{Clipping(log)}");
        var findings = log.Monitors.SelectMany(m => m.Findings(thresholds, log)).OrderBy(f => f.Rank).ToList();
        if (findings.FirstOrDefault(f => f.Verdict == Finding.Exploding) is { } exploding)
            return new("exploding", exploding.Evidence + Clipping(log));
        if (findings.FirstOrDefault(f => f.Verdict == Finding.Vanishing) is { } vanishing)
            return new("vanishing", vanishing.Evidence);
        var healthy = findings.Where(f => f.Verdict == Finding.Healthy).Select(f => f.Evidence).ToList();
        string largestNorm = log.Steps.Count > 0 ? $"; largest gradient norm {log.Steps.Max(s => s.GradNorm):G3}" : "";
        // Without a monitor's measurement only exploding norms could have been seen: say so instead of calling it healthy.
        if (healthy.Count == 0) return new(Finding.NotMeasured, $"no monitor measured the gradient flow through time or depth; no norm above the exploding threshold{largestNorm}");
        return new(Finding.Healthy, string.Join("; ", healthy) + largestNorm);
    }

    /// <summary>" (was r at step s)" for a series with more than one point.</summary>
    public static string Was(IReadOnlyList<(int Step, double Ratio)> series) => series.Count > 1 ? $" (was {series[0].Ratio:G2} at step {series[0].Step})" : "";

    /// <summary>"; at the end what = r (step s)" for a non-empty series.</summary>
    public static string End(IReadOnlyList<(int Step, double Ratio)> series, string what) =>
        series.Count > 0 ? $"; at the end {what} = {series[^1].Ratio:G2} (step {series[^1].Step})" : "";

    /// <summary>The largest ratio above <paramref name="threshold"/>, its step and how many logged steps were above; null when none was.</summary>
    public static (int Step, double Ratio, int Count)? Worst(IReadOnlyList<(int Step, double Ratio)> series, double threshold)
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
