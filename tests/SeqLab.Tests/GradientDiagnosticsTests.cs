using SeqLab.Experiments.Training;
using SeqLab.Models;
using SeqLab.Models.Recurrent;
using static TorchSharp.torch;

namespace SeqLab.Tests;

public class GradientDiagnosticsTests
{
    [Theory]
    [InlineData(1.0)]
    [InlineData(7.5)]
    [InlineData(40.0)]
    public void Half_life_of_a_geometric_profile_is_exact(double halfLife)
    {
        // ‖∂L/∂x_t‖ halves every `halfLife` steps back from the end.
        var norms = Enumerable.Range(0, 60).Select(t => Math.Pow(0.5, (59 - t) / halfLife)).ToList();
        Assert.Equal(halfLife, GradientDiagnostics.HalfLife(norms), 9);
        // Exact zeros (float32 underflow) are left out of the fit rather than breaking it.
        norms[0] = 0; norms[1] = 0;
        Assert.Equal(halfLife, GradientDiagnostics.HalfLife(norms), 9);
    }

    [Fact]
    public void A_profile_that_does_not_decay_has_an_infinite_half_life_and_one_point_none()
    {
        Assert.Equal(double.PositiveInfinity, GradientDiagnostics.HalfLife([1, 1, 1, 1]));
        Assert.Equal(double.PositiveInfinity, GradientDiagnostics.HalfLife([4, 3, 2, 1])); // larger far back: growing
        Assert.True(double.IsNaN(GradientDiagnostics.HalfLife([0, 0, 1])));
    }

    [Fact]
    public void Spectra_of_every_recurrent_gate_block_match_a_direct_computation()
    {
        manual_seed(3);
        var model = new SequenceModel(new SequenceModelOptions(InputOptions.ForFeatures(2),
            new RecurrentOptions(RecurrentKind.Lstm, 6, Layers: 2, Bidirectional: true, SpectralRadius: 0.7), new HeadOptions(TaskKind.SequenceRegression, 1)));
        var spectra = GradientDiagnostics.Spectra(model, 5).ToList();
        Assert.Equal(2 * 2 * 4, spectra.Count); // layers × directions × gates
        foreach (var s in spectra)
        {
            var block = model.NamedParameters().Single(p => p.Name == s.Parameter).Parameter.detach().narrow(0, s.Gate * 6, 6).to(ScalarType.Float64);
            Assert.Equal(linalg.matrix_norm(block, ord: 2).item<double>(), s.LargestSingularValue, 9);
            Assert.Equal(0.7, s.SpectralRadius, 6); // the initialiser set every block's radius
            Assert.True(s.LargestSingularValue >= s.SpectralRadius - 1e-9); // ‖W‖₂ ≥ ρ(W) always
            Assert.Equal(5, s.Step);
        }
        var transformer = new SequenceModel(new SequenceModelOptions(InputOptions.ForFeatures(2), new TransformerOptions(8, 2), new HeadOptions(TaskKind.SequenceRegression, 1)));
        Assert.Empty(GradientDiagnostics.Spectra(transformer, 1));
    }
}
