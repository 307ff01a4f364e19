using SeqLab.Data.Batches;
using SeqLab.Models;
using SeqLab.Models.Heads;
using SeqLab.Models.Recurrent;
using static TorchSharp.torch;

namespace SeqLab.Experiments.Training;

/// <summary>‖∂L/∂h_t‖ (mean over the monitoring batch's valid sequences) for one layer and direction at one time step (1-based).</summary>
public sealed record HiddenGradient(int Step, int Layer, bool Reverse, int TimeStep, double Norm);

/// <summary>Mean activation of one gate at one time step, over valid sequences and units.</summary>
public sealed record GateActivation(int Step, int Layer, bool Reverse, string Gate, int TimeStep, double Mean);

/// <summary>Share of a gate's activations (valid steps, all units) below 0.1 and above 0.9 (Karpathy et al. 2015).</summary>
public sealed record GateSaturation(int Step, int Layer, bool Reverse, string Gate, double BelowTenth, double AboveNineTenths);

/// <summary>
/// The expensive monitors, run on a small fixed monitoring batch every few hundred steps: the unrolled twin of a recurrent
/// model (same weights) gives ‖∂L/∂h_t‖ per layer including the recurrent path — which the fused kernels hide — and the
/// gate activations and saturation of LSTMs and GRUs. Padded steps are left out.
/// </summary>
public static class HiddenStateMonitor
{
    /// <summary>Records into <paramref name="log"/> for <paramref name="step"/>; does nothing for non-recurrent models.</summary>
    public static void Record(TrainingLog log, int step, ISequenceModel model, SequenceBatch batch)
    {
        if (model is not SequenceModel { Options.Encoder: RecurrentOptions } recurrent) return;
        using var scope = NewDisposeScope();
        using var gradients_on = enable_grad(); // grad mode is per thread; this monitor needs it whatever the caller set
        using var twin = TorchRandom.Preserving(recurrent.ToUnrolled);
        twin.eval();
        var encoder = (UnrolledRecurrentEncoder)twin.Encoder;
        var trace = encoder.Trace(twin.Embed(batch.Inputs), batch.Lengths, null, recordGates: true);
        var loss = SequenceLoss.Compute(twin.Task, twin.Head(trace.Output), batch.Targets, batch.Lengths);
        if (!loss.requires_grad) return; // autograd.grad would abort the process rather than throw
        var hidden = trace.Directions.SelectMany(d => d.Hidden).ToList();
        var gradients = autograd.grad([loss], hidden, allow_unused: true);
        using var valid = SequenceBatch.ValidMask(batch.Lengths, batch.Size, batch.Length);
        var weights = valid.to(ScalarType.Float64); // [batch, time]
        var counts = weights.sum([0]).clamp_min(1);  // valid sequences per time step (sum(0) would bind to sum(ScalarType))

        int time = (int)batch.Length, index = 0;
        foreach (var direction in trace.Directions)
        {
            // allow_unused gives empty tensors for states the loss never reads: their gradient is zero.
            var norms = stack(Enumerable.Range(0, time).Select(t => gradients[index + t] is Tensor g && !g.IsInvalid ? g.norm(1, p: 2) : zeros(batch.Size)).ToList(), 1)
                .to(ScalarType.Float64); // [batch, time]
            var perStep = ((norms * weights).sum([0]) / counts).to(ScalarType.Float64).data<double>().ToArray();
            for (int t = 0; t < time; t++)
                log.HiddenGradients.Add(new HiddenGradient(step, direction.Layer, direction.Reverse, t + 1, perStep[t]));
            index += time;

            foreach (var (gate, series) in direction.Gates)
            {
                var values = stack(series.ToList(), 1).detach().to(ScalarType.Float64); // [batch, time, units]
                var mask = weights.unsqueeze(2).expand_as(values);
                double total = mask.sum().item<double>();
                var means = ((values * mask).sum([0, 2]) / (counts * values.shape[2])).to(ScalarType.Float64).data<double>().ToArray();
                for (int t = 0; t < time; t++)
                    log.GateActivations.Add(new GateActivation(step, direction.Layer, direction.Reverse, gate, t + 1, means[t]));
                log.GateSaturations.Add(new GateSaturation(step, direction.Layer, direction.Reverse, gate,
                    (values.lt(0.1).to(ScalarType.Float64) * mask).sum().item<double>() / total,
                    (values.gt(0.9).to(ScalarType.Float64) * mask).sum().item<double>() / total));
            }
        }
    }
}
