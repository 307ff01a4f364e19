using SeqLab.Models.Introspection;
using SeqLab.Training.Callbacks;
using SeqLab.Training.Diagnosis;
using SeqLab.Training.Logging;
using static TorchSharp.torch;

namespace SeqLab.Training.Monitors;

/// <summary>
/// One parameter tensor on one logged step: its gradient (before clipping), its weight and the relative size of the update.
/// </summary>
/// <param name="Step">Training step.</param>
/// <param name="Parameter">Parameter name, e.g. <c>encoder.recurrent.weight_hh_l0</c>.</param>
/// <param name="Norm">‖g‖₂ before clipping.</param>
public sealed record ParameterGradient(int Step, string Parameter, double Norm)
{
    /// <summary>Depth of the tensor in the network (0 = input/embedding, 1…L = encoder layers, L + 1 = output); see <see cref="IParameterDepth"/>.</summary>
    public int Layer { get; init; }
    /// <summary>Mean |g| over the tensor's elements.</summary>
    public double MeanAbs { get; init; }
    /// <summary>Largest |g|.</summary>
    public double MaxAbs { get; init; }
    /// <summary>‖w‖₂ before the update.</summary>
    public double WeightNorm { get; init; }
    /// <summary>‖Δw‖/‖w‖ of this step's update (≈ 1e-3 is the usual healthy order of magnitude).</summary>
    public double UpdateRatio { get; init; }
}

/// <summary>
/// Gradients through depth: on every logged step each parameter tensor's ‖g‖, mean and max |g| (before clipping), ‖w‖ and
/// the update ratio ‖Δw‖/‖w‖, placed at its depth by the model (<see cref="IParameterDepth"/>). Writes
/// <c>grad_params.csv</c> and <c>grad_layers.csv</c> (√Σ‖g‖² per depth); gives ‖g layer 1‖/‖g layer L‖ of stacks to the
/// summary and the verdict.
/// </summary>
public sealed class ParameterGradientMonitor : TrainingMonitor<List<ParameterGradient>>
{
    IReadOnlyDictionary<string, int> depths = new Dictionary<string, int>();
    Func<int, string>? label; // the model's words for a depth ("encoder 2", "decoder 1"), else the stack's (LayerDepth)
    List<Tensor>? before;
    int firstRow;

    /// <inheritdoc />
    public override string Name => "parameter_gradients";

    /// <summary>One row per logged step × parameter tensor.</summary>
    public List<ParameterGradient> Records => State;

    /// <inheritdoc />
    public override void OnTrainStart(TrainingContext context)
    {
        if (context.Model.Capability<IParameterDepth>() is { } model)
        {
            depths = context.Parameters.ToDictionary(p => p.Name, p => model.DepthOf(p.Name));
            label = model.DepthLabel;
        }
        else
        {
            depths = context.Parameters.ToDictionary(p => p.Name, _ => 0);
            context.Log.Note("gradients through depth: the model places no parameter at a depth, so every tensor is at depth 0 and grad_layers.csv says nothing");
        }
    }

    /// <inheritdoc />
    public override void AfterBackward(StepContext step)
    {
        if (!step.IsLogStep) return;
        firstRow = State.Count; // before clipping rescales the gradients in place
        foreach (var (name, parameter) in step.Run.Parameters)
            if (parameter.grad is Tensor grad)
            {
                var magnitude = grad.detach().abs();
                // One transfer per tensor rather than four.
                var values = stack([grad.norm(), magnitude.mean(), magnitude.max(), parameter.detach().norm()]).to(ScalarType.Float64).data<double>().ToArray();
                State.Add(new ParameterGradient(step.Step, name, values[0])
                {
                    Layer = depths[name], MeanAbs = values[1], MaxAbs = values[2], WeightNorm = values[3],
                });
            }
    }

    /// <inheritdoc />
    public override void BeforeOptimizerStep(StepContext step)
    {
        // ‖Δw‖/‖w‖ needs the weights before the update; copied on logged steps only (the step's scope frees them).
        before = step.IsLogStep ? step.Run.Parameters.Select(p => p.Parameter.detach().clone()).ToList() : null;
    }

    /// <inheritdoc />
    public override void AfterOptimizerStep(StepContext step)
    {
        if (before is null) return;
        using var noGrad = no_grad();
        var parameters = step.Run.Parameters;
        var ratios = stack(parameters.Select((p, i) => (p.Parameter.detach() - before[i]).norm() / before[i].norm().clamp_min(1e-30)).ToList())
            .to(ScalarType.Float64).data<double>().ToArray();
        var byName = parameters.Select((p, i) => (p.Name, Ratio: ratios[i])).ToDictionary(p => p.Name, p => p.Ratio);
        for (int row = firstRow; row < State.Count; row++)
            State[row] = State[row] with { UpdateRatio = byName[State[row].Parameter] };
        before = null;
    }

    /// <summary>
    /// Gradient norm per depth (all tensors of a layer together: √Σ‖g‖²) on each logged step; layers 0…L + 1 as in
    /// <see cref="ParameterGradient.Layer"/>.
    /// </summary>
    public IEnumerable<(int Step, int Layer, double Norm)> LayerGradients() =>
        State.GroupBy(p => (p.Step, p.Layer)).OrderBy(g => g.Key.Step).ThenBy(g => g.Key.Layer)
            .Select(group => (group.Key.Step, group.Key.Layer, Math.Sqrt(group.Sum(p => p.Norm * p.Norm))));

    /// <summary>
    /// ‖g of the first encoder layer‖ / ‖g of the last encoder layer‖ on each logged step, for stacks of two or more layers:
    /// tiny values mean the gradient vanishes through depth. Empty for single-layer encoders.
    /// </summary>
    public IEnumerable<(int Step, double Ratio)> FirstToLastLayerRatios()
    {
        int encoderLayers = LayerDepth.EncoderLayers(State.Select(p => p.Layer)); // once, not per row
        return LayerGradients().Where(g => g.Layer >= 1 && g.Layer <= encoderLayers)
            .GroupBy(g => g.Step)
            .Where(group => group.Count() >= 2)
            .Select(group =>
            {
                double first = group.MinBy(g => g.Layer).Norm, last = group.MaxBy(g => g.Layer).Norm;
                return (group.Key, last == 0 ? double.NaN : first / last);
            });
    }

    /// <inheritdoc />
    public override IEnumerable<ResultTable> Tables()
    {
        int encoderLayers = LayerDepth.EncoderLayers(State.Select(p => p.Layer));
        string Label(int depth) => label?.Invoke(depth) ?? LayerDepth.Label(depth, encoderLayers);
        var parameters = new Csv("step", "parameter", "layer", "depth", "grad_norm", "grad_mean_abs", "grad_max_abs", "weight_norm", "update_ratio");
        foreach (var p in State)
            parameters.Row(p.Step, p.Parameter, p.Layer, Label(p.Layer), p.Norm, p.MeanAbs, p.MaxAbs, p.WeightNorm, p.UpdateRatio);
        yield return new ResultTable("grad_params.csv", parameters);
        var layers = new Csv("step", "layer", "depth", "grad_norm");
        foreach (var (step, layer, norm) in LayerGradients())
            layers.Row(step, layer, Label(layer), norm);
        yield return new ResultTable("grad_layers.csv", layers);
    }

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> HeadlineLabels => new Dictionary<string, string> { ["depth_ratio"] = "‖g layer 1‖/‖g layer L‖" };

    /// <inheritdoc />
    public override IEnumerable<(string Key, double? Value)> Headlines()
    {
        return FirstAndLast("depth_ratio", FirstToLastLayerRatios().ToList(), Finite);
    }

    /// <inheritdoc />
    public override IEnumerable<Finding> Findings(DiagnosisThresholds thresholds, TrainingLog log)
    {
        var depth = FirstToLastLayerRatios().ToList();
        if (depth.Count == 0) yield break;
        if (GradientVerdicts.Worst(depth, thresholds.ExplodingRatio) is var (step, ratio, count))
            yield return new(Finding.Exploding, 2, $"through depth: ‖g layer 1‖/‖g layer L‖ = {ratio:G2} > {thresholds.ExplodingRatio:G2} at step {step}"
                + $" ({count} of {depth.Count} logged steps above){GradientVerdicts.End(depth, "the ratio")}");
        if (depth[^1].Ratio < thresholds.VanishingRatio)
            yield return new(Finding.Vanishing, 1, $"through depth: ‖g layer 1‖/‖g layer L‖ = {depth[^1].Ratio:G2} < {thresholds.VanishingRatio:G2} at step {depth[^1].Step}{GradientVerdicts.Was(depth)}");
        else
            yield return new(Finding.Healthy, 2, $"‖g layer 1‖/‖g layer L‖ = {depth[^1].Ratio:G2}");
    }
}

/// <summary>The parameter-gradient monitor's records, read from a run's log (empty when it did not run).</summary>
public static class ParameterGradientLog
{
    /// <summary>Per-tensor rows of <paramref name="log"/>.</summary>
    public static List<ParameterGradient> ParameterGradients(this TrainingLog log) => log.Monitor<ParameterGradientMonitor>()?.Records ?? [];

    /// <summary>See <see cref="ParameterGradientMonitor.LayerGradients"/>.</summary>
    public static IEnumerable<(int Step, int Layer, double Norm)> LayerGradients(this TrainingLog log) => log.Monitor<ParameterGradientMonitor>()?.LayerGradients() ?? [];

    /// <summary>See <see cref="ParameterGradientMonitor.FirstToLastLayerRatios"/>.</summary>
    public static IEnumerable<(int Step, double Ratio)> FirstToLastLayerRatios(this TrainingLog log) => log.Monitor<ParameterGradientMonitor>()?.FirstToLastLayerRatios() ?? [];
}
