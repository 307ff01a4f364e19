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
        if (model.Capability<IRecurrentIntrospection>() is not { } recurrent) return [];
        var weights = recurrent.RecurrentWeights().ToList();
        var blocks = weights.SelectMany((w, index) => Enumerable.Range(0, w.Kind.GateCount()).Select(gate => (Weight: index, Gate: gate))).ToArray();
        var results = new RecurrentSpectrum[blocks.Length];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var float64 = weights.Select(w => w.Weight.detach().to(ScalarType.Float64)).ToArray();
        // LAPACK's eigenvalue routine runs on one core (26 ms for a 256-unit block): the blocks go to one thread per core.
        Parallel.For(0, blocks.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, get_num_threads()) }, i =>
        {
            using var blockScope = NewDisposeScope();
            using var noGradHere = no_grad(); // grad mode is per thread
            var (index, gate) = blocks[i];
            int hidden = weights[index].HiddenSize;
            var block = float64[index].narrow(0, gate * hidden, hidden);
            double largest = linalg.svdvals(block).max().item<double>();
            results[i] = new RecurrentSpectrum(step, weights[index].Name, gate, largest, RecurrentInitialiser.SpectralRadius(block));
        });
        return results;
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
