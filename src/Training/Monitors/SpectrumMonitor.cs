using SeqLab.Models;
using SeqLab.Models.Introspection;
using SeqLab.Models.Recurrent;
using SeqLab.Training.Callbacks;
using SeqLab.Training.Logging;
using static TorchSharp.torch;

namespace SeqLab.Training.Monitors;

/// <summary>The spectrum of one recurrent gate block on one logged step.</summary>
/// <param name="Step">Training step.</param>
/// <param name="Parameter">The W_hh tensor, e.g. <c>encoder.recurrent.weight_hh_l0</c>.</param>
/// <param name="Gate">Gate block index (0 for vanilla RNNs; LSTM i, f, g, o = 0…3; GRU r, z, n = 0…2).</param>
/// <param name="LargestSingularValue">‖W‖₂: above 1/γ gradients may explode, below it they must vanish (Pascanu et al. 2013; γ = 1 for tanh).</param>
/// <param name="SpectralRadius">max |λ(W)|.</param>
public sealed record RecurrentSpectrum(int Step, string Parameter, int Gate, double LargestSingularValue, double SpectralRadius);

/// <summary>
/// Recurrent spectra: on every logged step the largest singular value and spectral radius of every recurrent gate block
/// (the row blocks of each W_hh). Writes <c>spectrum.csv</c>; recurrent models only.
/// </summary>
public sealed class SpectrumMonitor : TrainingMonitor<List<RecurrentSpectrum>>
{
    /// <inheritdoc />
    public override string Name => "spectrum";

    /// <summary>One row per logged step × W_hh gate block.</summary>
    public List<RecurrentSpectrum> Records => State;

    /// <inheritdoc />
    public override void AfterBackward(StepContext step)
    {
        if (step.IsLogStep) State.AddRange(Measure(step.Run.Model, step.Step));
    }

    /// <summary>The spectra of every recurrent gate block of <paramref name="model"/>; empty for models that are not recurrent.</summary>
    public static IEnumerable<RecurrentSpectrum> Measure(ISequenceModel model, int step)
    {
        if (model.Capability<IRecurrentIntrospection>() is not { } recurrent) yield break;
        int gates = recurrent.Recurrent.Kind.GateCount(), hidden = recurrent.Recurrent.HiddenSize;
        foreach (var (name, parameter) in recurrent.RecurrentWeights().ToList())
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var weight = parameter.detach().to(ScalarType.Float64);
            for (int g = 0; g < gates; g++)
            {
                var block = weight.narrow(0, g * hidden, hidden);
                double largest = linalg.svdvals(block).max().item<double>();
                yield return new RecurrentSpectrum(step, name, g, largest, RecurrentInitialiser.SpectralRadius(block));
            }
        }
    }

    /// <inheritdoc />
    public override IEnumerable<ResultTable> Tables()
    {
        if (State.Count == 0) yield break;
        var spectra = new Csv("step", "parameter", "gate", "largest_singular_value", "spectral_radius");
        foreach (var r in State) spectra.Row(r.Step, r.Parameter, r.Gate, r.LargestSingularValue, r.SpectralRadius);
        yield return new ResultTable("spectrum.csv", spectra);
    }
}

/// <summary>The spectrum monitor's records, read from a run's log (empty when it did not run).</summary>
public static class SpectrumLog
{
    /// <summary>Spectra rows of <paramref name="log"/>.</summary>
    public static List<RecurrentSpectrum> Spectra(this TrainingLog log) => log.Monitor<SpectrumMonitor>()?.Records ?? [];
}
