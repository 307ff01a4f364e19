using SeqLab.Data.Batches;
using SeqLab.Models;
using SeqLab.Models.Introspection;
using SeqLab.Models.Recurrent;
using SeqLab.Runtime.Tensors;
using SeqLab.Training.Callbacks;
using SeqLab.Training.Logging;
using static TorchSharp.torch;

namespace SeqLab.Training.Monitors;

/// <summary>
/// The forward pass of one layer and direction at one time step, over the monitoring batch's valid sequences: mean ‖h_t‖,
/// mean and standard deviation of the cell's pre-activations, and the share of saturated units — |tanh a| &gt; 0.99 for
/// tanh units, a ≤ 0 (dead) for ReLU units.
/// </summary>
public sealed record ActivationStatistics(int Step, int Layer, bool Reverse, int TimeStep, string Nonlinearity,
    double HiddenNorm, double PreActivationMean, double PreActivationSpread, double SaturatedShare);

/// <summary>
/// The forward half of the vanishing story, on the fixed monitoring batch every <c>expensive_every</c> steps: through the
/// unrolled twin of a recurrent model, per layer and time step ‖h_t‖, the mean and spread of the pre-activations of the
/// cell's squashing unit (a_t of a vanilla RNN, the LSTM's g_t, the GRU's n_t) and the share of saturated tanh units
/// (whose derivative 1 − tanh² is below 0.02) or of dead ReLU units (derivative 0). Saturated units pass almost no gradient,
/// so a layer that saturates starves everything before it. Writes <c>activations.csv</c>; recurrent models only.
/// </summary>
public sealed class ActivationMonitor : TrainingMonitor<List<ActivationStatistics>>
{
    /// <summary>|a| above this is a saturated tanh unit: |tanh a| &gt; 0.99.</summary>
    public static readonly double SaturationThreshold = Math.Atanh(0.99);

    /// <inheritdoc />
    public override string Name => "activations";

    /// <summary>One row per monitored step × layer × direction × time step.</summary>
    public List<ActivationStatistics> Records => State;

    /// <inheritdoc />
    public override void OnStepEnd(StepContext step)
    {
        if (!step.IsExpensiveStep || step.Run.MonitoringBatch is not { } batch) return;
        if (step.Run.Model.Capability<IRecurrentIntrospection>() is null)
            step.Run.Log.Note("activations: recorded for recurrent models only");
        else
            Record(step.Step, step.Run.Model, batch);
    }

    /// <summary>Records the activations of <paramref name="model"/> on <paramref name="batch"/> for <paramref name="step"/>; nothing for models that are not recurrent.</summary>
    public void Record(int step, ISequenceModel model, SequenceBatch batch)
    {
        if (model.Capability<IRecurrentIntrospection>() is not { } recurrent) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var twin = TorchRandom.Preserving(recurrent.ToUnrolled);
        var trace = twin.Run(batch.ForModel(), recordGates: true);
        bool relu = recurrent.Kind == RecurrentKind.RnnRelu;
        string nonlinearity = relu ? "relu" : "tanh";
        using var valid = LengthMask.Valid(batch.Lengths, batch.Size, batch.Length, batch.Inputs.device);
        var weights = valid.to(ScalarType.Float64);          // [batch, time]
        var counts = weights.sum([0]).clamp_min(1);         // valid sequences per time step
        int time = (int)batch.Length;
        foreach (var direction in trace.Directions)
        {
            var hidden = stack(direction.Hidden.ToList(), 1).to(ScalarType.Float64);        // [batch, time, units]
            var pre = stack(direction.PreActivations.ToList(), 1).to(ScalarType.Float64);   // [batch, time, units]
            var mask = weights.unsqueeze(2).expand_as(pre);
            var units = counts * pre.shape[2];
            var norms = (hidden.norm(2, p: 2) * weights).sum([0]) / counts;
            var mean = (pre * mask).sum([0, 2]) / units;
            var spread = ((pre - mean.unsqueeze(0).unsqueeze(2)).pow(2) * mask).sum([0, 2]).div(units).sqrt();
            var saturated = (relu ? pre.le(0) : pre.abs().gt(SaturationThreshold)).to(ScalarType.Float64);
            var share = (saturated * mask).sum([0, 2]) / units;
            var columns = stack([norms, mean, spread, share], 1).cpu().data<double>().ToArray(); // [time, 4]
            for (int t = 0; t < time; t++)
                State.Add(new ActivationStatistics(step, direction.Layer + 1, direction.Reverse, t + 1, nonlinearity,
                    columns[4 * t], columns[4 * t + 1], columns[4 * t + 2], columns[4 * t + 3]));
        }
    }

    /// <inheritdoc />
    public override IEnumerable<ResultTable> Tables()
    {
        if (State.Count == 0) yield break;
        var table = new Csv("step", "layer", "direction", "time_step", "nonlinearity", "hidden_norm", "pre_activation_mean", "pre_activation_std", "saturated_share");
        foreach (var a in State)
            table.Row(a.Step, a.Layer, Direction(a.Reverse), a.TimeStep, a.Nonlinearity, a.HiddenNorm, a.PreActivationMean, a.PreActivationSpread, a.SaturatedShare);
        yield return new ResultTable("activations.csv", table);
    }

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> HeadlineLabels => new Dictionary<string, string> { ["saturated_share"] = "saturated (tanh) or dead (ReLU) units" };

    /// <inheritdoc />
    public override IEnumerable<(string Key, double? Value)> Headlines()
    {
        if (State.Count == 0) return [];
        int last = State[^1].Step;
        return [("saturated_share_last", State.Where(a => a.Step == last).Average(a => a.SaturatedShare))];
    }
}

/// <summary>The activation monitor's records, read from a run's log (empty when it did not run).</summary>
public static class ActivationLog
{
    /// <summary>Activation rows of <paramref name="log"/>.</summary>
    public static List<ActivationStatistics> Activations(this TrainingLog log) => log.Monitor<ActivationMonitor>()?.Records ?? [];
}
