using SeqLab.Data.Batches;
using SeqLab.Models;
using SeqLab.Models.Introspection;
using SeqLab.Runtime.Tensors;
using SeqLab.Training.Callbacks;
using SeqLab.Training.Criteria;
using SeqLab.Training.Diagnosis;
using SeqLab.Training.Logging;
using static TorchSharp.torch;

namespace SeqLab.Training.Monitors;

/// <summary>‖∂L/∂h_t‖ (mean over the monitoring batch's valid sequences) for one layer (1-based, as depths are) and direction at one time step (1-based).</summary>
public sealed record HiddenGradient(int Step, int Layer, bool Reverse, int TimeStep, double Norm);

/// <summary>Mean activation of one gate of one layer (1-based) at one time step, over valid sequences and units.</summary>
public sealed record GateActivation(int Step, int Layer, bool Reverse, string Gate, int TimeStep, double Mean);

/// <summary>Share of a gate's activations (valid steps, all units) below 0.1 and above 0.9 (Karpathy et al. 2015).</summary>
public sealed record GateSaturation(int Step, int Layer, bool Reverse, string Gate, double BelowTenth, double AboveNineTenths);

/// <summary>What <see cref="HiddenStateMonitor"/> recorded.</summary>
public sealed class HiddenStateRecords
{
    /// <summary>‖∂L/∂h_t‖ per layer, direction and time step, on each expensive-monitor step.</summary>
    public List<HiddenGradient> HiddenGradients { get; init; } = [];
    /// <summary>Mean gate activation per time step, on each expensive-monitor step.</summary>
    public List<GateActivation> GateActivations { get; init; } = [];
    /// <summary>Gate saturation fractions, on each expensive-monitor step.</summary>
    public List<GateSaturation> GateSaturations { get; init; } = [];
}

/// <summary>
/// Inside the recurrence, on the fixed monitoring batch every <c>expensive_every</c> steps: the unrolled twin of a
/// recurrent model (same weights) gives ‖∂L/∂h_t‖ per layer including the recurrent path — which the fused kernels hide —
/// and the gate activations and saturation of LSTMs and GRUs. Padded steps are left out. Writes <c>grad_hidden.csv</c>,
/// <c>gates.csv</c> and <c>gate_saturation.csv</c>; gives the half-life of ‖∂L/∂h_t‖ to the summary.
/// </summary>
public sealed class HiddenStateMonitor : TrainingMonitor<HiddenStateRecords>
{
    /// <inheritdoc />
    public override string Name => "hidden_states";

    /// <summary>Everything recorded so far.</summary>
    public HiddenStateRecords Records => State;

    /// <inheritdoc />
    public override void OnStepEnd(StepContext step)
    {
        if (!step.IsExpensiveStep || step.Run.MonitoringBatch is not { } batch) return;
        if (step.Run.Model.Capability<IRecurrentIntrospection>() is null) return;
        Record(step.Step, step.Run.Model, batch, step.Run.Criterion);
    }

    /// <summary>Records ‖∂L/∂h_t‖ and the gates of <paramref name="model"/> on <paramref name="batch"/> for <paramref name="step"/>, its loss by <paramref name="criterion"/>; nothing for models that are not recurrent.</summary>
    public void Record(int step, ISequenceModel model, SequenceBatch batch, ICriterion criterion)
    {
        if (model.Capability<IRecurrentIntrospection>() is not { } recurrent) return;
        using var scope = NewDisposeScope();
        using var gradientsOn = enable_grad(); // grad mode is per thread; this monitor needs it whatever the caller set
        using var twin = TorchRandom.Preserving(recurrent.ToUnrolled);
        var trace = twin.Run(batch.ForModel(), recordGates: true);
        var loss = criterion.Loss(trace.Outputs, batch);
        if (!loss.requires_grad) return; // autograd.grad would abort the process rather than throw
        var hidden = trace.Directions.SelectMany(d => d.Hidden).ToList();
        var gradients = autograd.grad([loss], hidden, allow_unused: true);
        using var valid = LengthMask.Valid(batch.Lengths, batch.Size, batch.Length, batch.Inputs.device);
        var weights = valid.to(ScalarType.Float64); // [batch, time]
        var counts = weights.sum([0]).clamp_min(1);  // valid sequences per time step (sum(0) would bind to sum(ScalarType))

        int time = (int)batch.Length, index = 0;
        foreach (var direction in trace.Directions)
        {
            // allow_unused gives empty tensors for states the loss never reads: their gradient is zero.
            var norms = stack(Enumerable.Range(0, time).Select(t => gradients[index + t] is Tensor g && !g.IsInvalid ? g.norm(1, p: 2) : zeros(batch.Size, device: batch.Inputs.device)).ToList(), 1)
                .to(ScalarType.Float64); // [batch, time]
            var perStep = ((norms * weights).sum([0]) / counts).to(ScalarType.Float64).cpu().data<double>().ToArray();
            for (int t = 0; t < time; t++)
                State.HiddenGradients.Add(new HiddenGradient(step, direction.Layer + 1, direction.Reverse, t + 1, perStep[t]));
            index += time;

            foreach (var (gate, series) in direction.Gates)
            {
                var values = stack(series.ToList(), 1).detach().to(ScalarType.Float64); // [batch, time, units]
                var mask = weights.unsqueeze(2).expand_as(values);
                double total = mask.sum().item<double>();
                var means = ((values * mask).sum([0, 2]) / (counts * values.shape[2])).to(ScalarType.Float64).cpu().data<double>().ToArray();
                for (int t = 0; t < time; t++)
                    State.GateActivations.Add(new GateActivation(step, direction.Layer + 1, direction.Reverse, gate, t + 1, means[t]));
                State.GateSaturations.Add(new GateSaturation(step, direction.Layer + 1, direction.Reverse, gate,
                    (values.lt(0.1).to(ScalarType.Float64) * mask).sum().item<double>() / total,
                    (values.gt(0.9).to(ScalarType.Float64) * mask).sum().item<double>() / total));
            }
        }
    }

    /// <summary>
    /// Half-life in time steps of ‖∂L/∂h_t‖ of the first layer's forward direction (the recurrent path included) on each
    /// monitored step.
    /// </summary>
    public IEnumerable<(int Step, double HalfLife)> HiddenHalfLives() =>
        GradientHalfLife.PerStep(State.HiddenGradients.Where(h => h.Layer == 1 && !h.Reverse), h => h.Step, h => h.TimeStep, h => h.Norm);

    /// <inheritdoc />
    public override IEnumerable<ResultTable> Tables()
    {
        if (State.HiddenGradients.Count > 0)
        {
            var hidden = new Csv("step", "layer", "direction", "time_step", "grad_norm");
            foreach (var h in State.HiddenGradients) hidden.Row(h.Step, h.Layer, Direction(h.Reverse), h.TimeStep, h.Norm);
            yield return new ResultTable("grad_hidden.csv", hidden);
        }
        if (State.GateActivations.Count > 0)
        {
            var gates = new Csv("step", "layer", "direction", "gate", "time_step", "mean");
            foreach (var g in State.GateActivations) gates.Row(g.Step, g.Layer, Direction(g.Reverse), g.Gate, g.TimeStep, g.Mean);
            yield return new ResultTable("gates.csv", gates);
            var saturation = new Csv("step", "layer", "direction", "gate", "below_0_1", "above_0_9");
            foreach (var g in State.GateSaturations) saturation.Row(g.Step, g.Layer, Direction(g.Reverse), g.Gate, g.BelowTenth, g.AboveNineTenths);
            yield return new ResultTable("gate_saturation.csv", saturation);
        }
    }

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> HeadlineLabels => new Dictionary<string, string> { ["hidden_half_life"] = "‖∂L/∂h_t‖ half-life (time steps)" };

    /// <inheritdoc />
    public override IEnumerable<(string Key, double? Value)> Headlines()
    {
        return FirstAndLast("hidden_half_life", HiddenHalfLives().ToList(), Measured);
    }
}

/// <summary>The hidden-state monitor's records, read from a run's log (empty when it did not run).</summary>
public static class HiddenStateLog
{
    /// <summary>‖∂L/∂h_t‖ rows of <paramref name="log"/>.</summary>
    public static List<HiddenGradient> HiddenGradients(this TrainingLog log) => log.Monitor<HiddenStateMonitor>()?.Records.HiddenGradients ?? [];

    /// <summary>Gate activation rows of <paramref name="log"/>.</summary>
    public static List<GateActivation> GateActivations(this TrainingLog log) => log.Monitor<HiddenStateMonitor>()?.Records.GateActivations ?? [];

    /// <summary>Gate saturation rows of <paramref name="log"/>.</summary>
    public static List<GateSaturation> GateSaturations(this TrainingLog log) => log.Monitor<HiddenStateMonitor>()?.Records.GateSaturations ?? [];

    /// <summary>See <see cref="HiddenStateMonitor.HiddenHalfLives"/>.</summary>
    public static IEnumerable<(int Step, double HalfLife)> HiddenHalfLives(this TrainingLog log) => log.Monitor<HiddenStateMonitor>()?.HiddenHalfLives() ?? [];
}
