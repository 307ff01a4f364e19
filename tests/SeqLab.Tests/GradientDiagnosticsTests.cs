using SeqLab.Training;
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
        Assert.Equal(halfLife, GradientHalfLife.Of(norms), 9);
        // Exact zeros (float32 underflow) are left out of the fit rather than breaking it.
        norms[0] = 0; norms[1] = 0;
        Assert.Equal(halfLife, GradientHalfLife.Of(norms), 9);
    }

    [Fact]
    public void A_profile_that_does_not_decay_has_an_infinite_half_life_and_one_point_none()
    {
        Assert.Equal(double.PositiveInfinity, GradientHalfLife.Of([1, 1, 1, 1]));
        Assert.Equal(double.PositiveInfinity, GradientHalfLife.Of([4, 3, 2, 1])); // larger far back: growing
        Assert.True(double.IsNaN(GradientHalfLife.Of([0, 0, 1])));
    }

    [Fact]
    public void Spectra_of_every_recurrent_gate_block_match_a_direct_computation()
    {
        manual_seed(3);
        var model = new SequenceModel(new SequenceModelOptions(InputOptions.ForFeatures(2),
            new RecurrentOptions(RecurrentKind.Lstm, 6, Layers: 2, Bidirectional: true, SpectralRadius: 0.7), new HeadOptions(TaskKind.SequenceRegression, 1)));
        var spectra = SpectrumMonitor.Measure(model, 5).ToList();
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
        Assert.Empty(SpectrumMonitor.Measure(transformer, 1));
    }
}

public class DiagnosisTests
{
    static TrainingLog Log(params (int Step, double First, double Last, double Norm)[] points)
    {
        var monitor = new TimeGradientMonitor();
        var log = new TrainingLog([monitor]);
        foreach (var (step, first, last, norm) in points)
        {
            log.Steps.Add(new StepMetrics(step, 0.1, norm, false, null, step));
            monitor.Records.Add(new TimeGradient(step, 1, first));
            monitor.Records.Add(new TimeGradient(step, 2, 1));
            monitor.Records.Add(new TimeGradient(step, 3, last));
        }
        return log;
    }

    [Fact]
    public void The_verdict_judges_the_end_of_training_and_names_its_evidence()
    {
        var thresholds = new DiagnosisThresholds();
        // Both start vanished; the LSTM-like run recovers, the RNN-like one does not.
        var recovered = GradientVerdicts.Diagnose(TrainingStatus.Completed, Log((1, 1e-10, 1, 0.5), (100, 0.8, 1, 0.3)), null, thresholds);
        Assert.Equal("healthy", recovered.Verdict);
        Assert.Contains("was 1E-10 at step 1", recovered.Evidence);
        var stuck = GradientVerdicts.Diagnose(TrainingStatus.Completed, Log((1, 1e-10, 1, 0.5), (100, 1e-6, 1, 0.3)), null, thresholds);
        Assert.Equal("vanishing", stuck.Verdict);
        Assert.Contains("= 1E-06 < 0.001 at step 100", stuck.Evidence);
        Assert.Equal("vanishing", GradientVerdicts.Diagnose(TrainingStatus.Completed, Log((1, 0, 1, 0.5)), null, thresholds).Verdict); // underflow to 0
        Assert.Equal("exploding", GradientVerdicts.Diagnose(TrainingStatus.Completed, Log((1, 1, 1, 0.5), (2, 1, 1, 5e3)), null, thresholds).Verdict);
        Assert.Equal("exploding", GradientVerdicts.Diagnose(TrainingStatus.Completed, Log((1, 1e5, 1, 0.5)), null, thresholds).Verdict);
        // A burst counts even when training calms down afterwards; the evidence says both.
        var burst = GradientVerdicts.Diagnose(TrainingStatus.Completed, Log((1, 2.4e3, 1, 0.5), (50, 5e3, 1, 0.4), (100, 0.05, 1, 0.3)), null, thresholds);
        Assert.Equal("exploding", burst.Verdict);
        Assert.Contains("= 5E+03 > 1E+03 at step 50 (2 of 3 logged steps above); at the end ‖∂L/∂x₁‖/‖∂L/∂x_T‖ = 0.05 (step 100); no step was clipped", burst.Evidence);
        Assert.Equal("diverged", GradientVerdicts.Diagnose(TrainingStatus.Diverged, Log((1, 1, 1, 0.5)), "step 2: loss NaN", thresholds).Verdict);
        // Thresholds are configurable.
        Assert.Equal("healthy", GradientVerdicts.Diagnose(TrainingStatus.Completed, Log((100, 1e-6, 1, 0.3)), null, thresholds with { VanishingRatio = 1e-8 }).Verdict);
    }

    [Theory]
    [InlineData(0.5, "vanishing")]
    [InlineData(2.0, "exploding|diverged")]
    public void A_tanh_RNN_is_diagnosed_from_its_recurrent_spectral_radius(double radius, string expected)
    {
        var experiment = SeqLab.Experiments.Config.ConfigLoader.Parse($$"""
            experiments:
              - name: rho
                dataset: {type: adding, length: 100, validation_size: 32, test_size: 32}
                model: {type: rnn, hidden_size: 64, spectral_radius: {{radius.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}
                training: {steps: 20, batch_size: 32, learning_rate: 0.01, seed: 1, threads: 2, eval_every: 10, clip_grad_norm: null}
                monitoring: {log_every: 5}
            """, "rho.yaml").Experiments.Single();
        var summary = new SeqLab.Experiments.Running.BatchRunner(new SeqLab.Experiments.Running.SilentProgress())
            .RunExperiment(experiment, Path.Combine(NativeFiles.TemporaryFolder(), "rho"));
        Assert.Matches($"^({expected})$", summary.Verdict);
        Assert.False(string.IsNullOrEmpty(summary.VerdictEvidence));
    }
}

public class HiddenStateMonitorTests
{
    [Fact]
    public void Hidden_state_gradients_equal_autograd_through_a_hand_built_graph_and_skip_padding()
    {
        manual_seed(8);
        var model = TestModels.Regressor(RecurrentKind.RnnTanh, 5);
        var inputs = randn(3, 7, 2);
        var lengths = tensor(new long[] { 7, 4, 6 });
        var targets = randn(3, 1);
        using var batch = SeqLab.Data.Batches.SequenceBatch.PerSequence(inputs, targets, lengths);
        var monitor = new HiddenStateMonitor();
        var log = new TrainingLog([monitor]);
        monitor.Record(9, model, batch, TaskCriteria.For(model.Task));
        var recorded = log.HiddenGradients().OrderBy(h => h.TimeStep).Select(h => h.Norm).ToArray();
        Assert.Equal(7, recorded.Length);
        Assert.All(log.HiddenGradients(), h => Assert.Equal((9, 1, false), (h.Step, h.Layer, h.Reverse)));

        // By hand: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh), frozen past each length; y = W h_last + b; MSE.
        var p = model.NamedParameters().ToDictionary(q => q.Name, q => (Tensor)q.Parameter);
        var h = zeros(3, 5);
        var states = new List<Tensor>();
        for (int t = 0; t < 7; t++)
        {
            var next = tanh(nn.functional.linear(inputs[.., t], p["encoder.recurrent.weight_ih_l0"], p["encoder.recurrent.bias_ih_l0"])
                + nn.functional.linear(h, p["encoder.recurrent.weight_hh_l0"], p["encoder.recurrent.bias_hh_l0"]));
            var valid = lengths.gt(t).to(ScalarType.Float32).unsqueeze(1);
            h = valid * next + (1 - valid) * h;
            states.Add(h);
        }
        var loss = nn.functional.mse_loss(nn.functional.linear(h, p["head.weight"], p["head.bias"]), targets);
        var gradients = autograd.grad([loss], states);
        for (int t = 0; t < 7; t++)
        {
            var valid = lengths.gt(t);
            double expected = gradients[t].norm(1, p: 2)[valid].mean().item<float>();
            Assert.Equal(expected, recorded[t], 5);
        }
    }

    [Fact]
    public void Gate_statistics_cover_every_gate_step_and_direction()
    {
        manual_seed(9);
        var model = new SequenceModel(new SequenceModelOptions(InputOptions.ForFeatures(2),
            new RecurrentOptions(RecurrentKind.Lstm, 4, Layers: 2, Bidirectional: true), new HeadOptions(TaskKind.SequenceRegression, 1)));
        using var batch = SeqLab.Data.Batches.SequenceBatch.PerSequence(randn(5, 6, 2), randn(5, 1), tensor(new long[] { 6, 6, 3, 5, 2 }));
        var monitor = new HiddenStateMonitor();
        var log = new TrainingLog([monitor]);
        monitor.Record(1, model, batch, TaskCriteria.For(model.Task));
        Assert.Equal(4 * 6, log.HiddenGradients().Count);               // 2 layers × 2 directions × 6 steps
        Assert.Equal(4 * 4 * 6, log.GateActivations().Count);            // × 4 gates
        Assert.Equal(4 * 4, log.GateSaturations().Count);
        Assert.Equal([1, 2], log.HiddenGradients().Select(h => h.Layer).Distinct().Order()); // layers count from 1, as depths do
        Assert.All(log.GateActivations().Where(g => g.Gate != "candidate"), g => Assert.InRange(g.Mean, 0, 1));
        Assert.All(log.GateSaturations(), s => { Assert.InRange(s.BelowTenth, 0, 1); Assert.InRange(s.AboveNineTenths, 0, 1); });
        Assert.All(log.HiddenGradients(), g => Assert.True(g.Norm > 0 && double.IsFinite(g.Norm)));
    }
}
