using SeqLab.Models;
using SeqLab.Models.Recurrent;
using static TorchSharp.torch;

namespace SeqLab.Experiments.Training;

/// <summary>The spectrum of one recurrent gate block on one logged step.</summary>
/// <param name="Step">Training step.</param>
/// <param name="Parameter">The W_hh tensor, e.g. <c>encoder.recurrent.weight_hh_l0</c>.</param>
/// <param name="Gate">Gate block index (0 for vanilla RNNs; LSTM i, f, g, o = 0…3; GRU r, z, n = 0…2).</param>
/// <param name="LargestSingularValue">‖W‖₂: above 1/γ gradients may explode, below it they must vanish (Pascanu et al. 2013; γ = 1 for tanh).</param>
/// <param name="SpectralRadius">max |λ(W)|.</param>
public sealed record RecurrentSpectrum(int Step, string Parameter, int Gate, double LargestSingularValue, double SpectralRadius);

/// <summary>Numbers that summarise how gradients flow through time.</summary>
public static class GradientDiagnostics
{
    /// <summary>
    /// The largest singular value and spectral radius of every recurrent gate block (the row blocks of each
    /// <c>weight_hh</c>) of a recurrent <see cref="SequenceModel"/>; empty for other models.
    /// </summary>
    public static IEnumerable<RecurrentSpectrum> Spectra(ISequenceModel model, int step)
    {
        if (model is not SequenceModel { Options.Encoder: RecurrentOptions options }) yield break;
        int gates = options.Kind.GateCount(), hidden = options.HiddenSize;
        foreach (var (name, parameter) in model.NamedParameters().Where(p => p.Name.Contains(".weight_hh", StringComparison.Ordinal)).ToList())
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

    /// <summary>
    /// Gradient half-life in time steps: fits log ‖∂L/∂x_t‖ against the distance T − t by least squares (over the positive
    /// norms) and returns ln 2 / decay rate — how many steps back the gradient halves. Infinity when it does not decay
    /// (slope ≥ 0); NaN when fewer than two norms are positive.
    /// </summary>
    public static double HalfLife(IReadOnlyList<double> normsByTimeStep)
    {
        int length = normsByTimeStep.Count;
        var points = Enumerable.Range(0, length).Where(t => normsByTimeStep[t] > 0 && double.IsFinite(normsByTimeStep[t]))
            .Select(t => (Distance: (double)(length - 1 - t), Log: Math.Log(normsByTimeStep[t]))).ToList();
        if (points.Count < 2) return double.NaN;
        double meanX = points.Average(p => p.Distance), meanY = points.Average(p => p.Log);
        double covariance = points.Sum(p => (p.Distance - meanX) * (p.Log - meanY));
        double variance = points.Sum(p => (p.Distance - meanX) * (p.Distance - meanX));
        if (variance == 0) return double.NaN;
        double slope = covariance / variance;
        return slope >= 0 ? double.PositiveInfinity : Math.Log(2) / -slope;
    }
}
