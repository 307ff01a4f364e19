using SeqLab.Training.Callbacks;
using SeqLab.Training.Diagnosis;
using SeqLab.Training.Logging;
using static TorchSharp.torch;

namespace SeqLab.Training.Monitors;

/// <summary>‖∂L/∂x_t‖ (mean over the batch) for one time step t (1-based) on one logged step.</summary>
public sealed record TimeGradient(int Step, int TimeStep, double Norm);

/// <summary>
/// The gradient over time: on every logged step, ‖∂L/∂x_t‖ for every time step of the training batch, through the fused
/// kernels (real-valued inputs are made to require grad; token models keep the gradient of their embedded vectors).
/// Writes <c>grad_time.csv</c>; gives the ratio ‖∂L/∂x₁‖/‖∂L/∂x_T‖ and the gradient half-life to the summary and the verdict.
/// </summary>
public sealed class TimeGradientMonitor : TrainingMonitor<List<TimeGradient>>
{
    /// <inheritdoc />
    public override string Name => "time_gradients";

    /// <summary>One row per logged step × time step.</summary>
    public List<TimeGradient> Records => State;

    /// <inheritdoc />
    public override void OnStepStart(StepContext step)
    {
        if (step.IsLogStep) step.RequestInputGradients();
    }

    /// <inheritdoc />
    public override void AfterBackward(StepContext step)
    {
        if (!step.IsLogStep) return;
        if (step.InputVectors?.grad is not Tensor grad)
        {
            step.Run.Log.Note("gradient over time: the model does not expose the vectors its encoder reads, so grad_time.csv stays empty");
            return;
        }
        if (grad.dim() < 3)
        {
            step.Run.Log.Note($"gradient over time: the input vectors are [{string.Join(", ", grad.shape)}], not [batch, time, features…], so grad_time.csv stays empty");
            return;
        }
        // ‖∂L/∂x_t‖ per sequence — over every feature of step t, a whole frame for [batch, time, channels, height, width] — then the mean over the batch.
        var perStep = grad.dim() == 3 ? grad.norm(2, p: 2) : grad.flatten(2).norm(2, p: 2);
        var profile = perStep.mean([0]).to(ScalarType.Float64).data<double>().ToArray();
        for (int t = 0; t < profile.Length; t++)
            State.Add(new TimeGradient(step.Step, t + 1, profile[t]));
    }

    /// <summary>
    /// ‖∂L/∂x_1‖ / ‖∂L/∂x_T‖ on each logged step: how much of the loss gradient reaches the first input compared with the
    /// last. Tiny values mean the gradient vanishes through time.
    /// </summary>
    public IEnumerable<(int Step, double Ratio)> FirstToLastRatios() =>
        State.GroupBy(g => g.Step).Select(group =>
        {
            var first = group.MinBy(g => g.TimeStep)!;
            var last = group.MaxBy(g => g.TimeStep)!;
            return (group.Key, last.Norm == 0 ? double.NaN : first.Norm / last.Norm);
        });

    /// <summary>Gradient half-life in steps (see <see cref="GradientHalfLife.Of"/>) on each logged step.</summary>
    public IEnumerable<(int Step, double HalfLife)> HalfLives() =>
        GradientHalfLife.PerStep(State, g => g.Step, g => g.TimeStep, g => g.Norm);

    /// <inheritdoc />
    public override IEnumerable<ResultTable> Tables()
    {
        int length = State.Count == 0 ? 0 : State.Max(g => g.TimeStep);
        var time = new Csv("step", "time_step", "steps_before_end", "grad_norm");
        foreach (var g in State) time.Row(g.Step, g.TimeStep, length - g.TimeStep, g.Norm);
        yield return new ResultTable("grad_time.csv", time);
    }

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> HeadlineLabels => new Dictionary<string, string>
    {
        ["gradient_ratio"] = "‖∂L/∂x₁‖/‖∂L/∂x_T‖", ["gradient_half_life"] = "gradient half-life (time steps)",
    };

    /// <inheritdoc />
    public override IEnumerable<(string Key, double? Value)> Headlines()
    {
        // Infinity (no decay) is kept for half-lives: it is the answer for a Transformer; NaN (not measurable) becomes null.
        return [.. FirstAndLast("gradient_ratio", FirstToLastRatios().ToList(), Finite), .. FirstAndLast("gradient_half_life", HalfLives().ToList(), Measured)];
    }

    /// <inheritdoc />
    public override IEnumerable<Finding> Findings(DiagnosisThresholds thresholds, TrainingLog log)
    {
        var ratios = FirstToLastRatios().ToList();
        if (ratios.Count == 0) yield break;
        const string what = "‖∂L/∂x₁‖/‖∂L/∂x_T‖";
        if (GradientVerdicts.Worst(ratios, thresholds.ExplodingRatio) is var (step, ratio, count))
            yield return new(Finding.Exploding, 1, $"{what} = {ratio:G2} > {thresholds.ExplodingRatio:G2} at step {step}"
                + $" ({count} of {ratios.Count} logged steps above){GradientVerdicts.End(ratios, what)}");
        // Vanishing is judged at the end: gated models start vanished and recover as they learn.
        var (lastStep, lastRatio) = ratios[^1];
        if (double.IsNaN(lastRatio) || lastRatio < thresholds.VanishingRatio)
            yield return new(Finding.Vanishing, 2, $"{what} = {lastRatio:G2} < {thresholds.VanishingRatio:G2} at step {lastStep}{GradientVerdicts.Was(ratios)}");
        else
            yield return new(Finding.Healthy, 1, $"{what} = {lastRatio:G2} at step {lastStep}{GradientVerdicts.Was(ratios)}");
    }
}

/// <summary>The time-gradient monitor's records, read from a run's log (empty when it did not run).</summary>
public static class TimeGradientLog
{
    /// <summary>‖∂L/∂x_t‖ rows of <paramref name="log"/>.</summary>
    public static List<TimeGradient> TimeGradients(this TrainingLog log) => log.Monitor<TimeGradientMonitor>()?.Records ?? [];

    /// <summary>See <see cref="TimeGradientMonitor.FirstToLastRatios"/>.</summary>
    public static IEnumerable<(int Step, double Ratio)> FirstToLastRatios(this TrainingLog log) => log.Monitor<TimeGradientMonitor>()?.FirstToLastRatios() ?? [];

    /// <summary>See <see cref="TimeGradientMonitor.HalfLives"/>.</summary>
    public static IEnumerable<(int Step, double HalfLife)> HalfLives(this TrainingLog log) => log.Monitor<TimeGradientMonitor>()?.HalfLives() ?? [];
}
