using SeqLab.Data.Synthetic;
using SeqLab.Training;
using SeqLab.Training.Logging;
using SeqLab.Models;
using SeqLab.Models.Recurrent;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SeqLab.Tests;

public class TrainerTests(ITestOutputHelper output)
{
    static TrainingOutcome Train(RecurrentKind kind, int length, int steps, long seed, double? clip = 1.0, int logEvery = 1,
        int hidden = 64, double learningRate = 3e-3, int evalEvery = 1000, StepObserver? observer = null, ISequenceModel? prebuilt = null, IReadOnlyList<string>? monitors = null)
    {
        torch.set_num_threads(2);
        torch.manual_seed(seed);
        var task = new AddingProblem(length);
        var model = prebuilt ?? TestModels.Regressor(kind, hidden);
        using var validation = task.FixedSet(256, seed + 100);
        using var test = task.FixedSet(256, seed + 200);
        using var generator = new Generator((ulong)seed);
        var trainer = new Trainer(new TrainingOptions(steps, 64, learningRate, clip, seed, 2, evalEvery), new MonitoringOptions(logEvery) { Monitors = monitors });
        return trainer.Train(model, (g, _) => task.Sample(64, g), generator, validation, test, new TrainingRun { Observer = observer });
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Tanh_RNN_gradient_vanishes_through_time_at_initialisation(long seed)
    {
        var rnn = Train(RecurrentKind.RnnTanh, length: 100, steps: 1, seed);
        var lstm = Train(RecurrentKind.Lstm, length: 100, steps: 1, seed);

        var profile = rnn.Log.TimeGradients().Where(g => g.Step == 1).OrderBy(g => g.TimeStep).ToList();
        Assert.Equal(Enumerable.Range(1, 100), profile.Select(g => g.TimeStep));
        Assert.All(profile, g => Assert.True(g.Norm >= 0 && double.IsFinite(g.Norm)));
        double first = profile[0].Norm, last = profile[^1].Norm;
        Assert.True(last > 0);
        Assert.True(first * 100 <= last, $"seed {seed}: ‖∂L/∂x_1‖ = {first:E2} is not 100× below ‖∂L/∂x_T‖ = {last:E2}");

        var (_, rnnRatio) = rnn.Log.FirstToLastRatios().Single();
        var (_, lstmRatio) = lstm.Log.FirstToLastRatios().Single();
        Assert.Equal(first / last, rnnRatio, 12);
        output.WriteLine($"seed {seed}, T = 100, step 1: tanh RNN ‖∂L/∂x_1‖/‖∂L/∂x_T‖ = {rnnRatio:E2}; LSTM = {lstmRatio:E2}");
    }

    [Fact]
    public void Logged_norms_agree_with_each_other_and_clipping_is_applied_after_logging()
    {
        torch.manual_seed(4);
        var model = TestModels.Regressor(RecurrentKind.Lstm, 16);
        var outcome = Train(RecurrentKind.Lstm, length: 12, steps: 1, seed: 4, clip: 1e-3, prebuilt: model);

        var step = Assert.Single(outcome.Log.Steps);
        var perParameter = outcome.Log.ParameterGradients().Where(p => p.Step == 1).ToList();
        Assert.Equal(model.NamedParameters().Select(p => p.Name), perParameter.Select(p => p.Parameter));
        Assert.Contains("encoder.recurrent.weight_hh_l0", perParameter.Select(p => p.Parameter));
        double fromParts = Math.Sqrt(perParameter.Sum(p => p.Norm * p.Norm));
        Assert.Equal(step.GradNorm, fromParts, 4);
        Assert.True(step.Clipped);
        Assert.True(step.GradNorm > 1e-3);

        // The gradients left on the parameters are the clipped ones: their global norm is the threshold.
        double clippedNorm = Math.Sqrt(model.NamedParameters().Sum(p => Math.Pow(p.Parameter.grad!.norm().item<float>(), 2)));
        Assert.Equal(1e-3, clippedNorm, 6);
    }

    [Fact]
    public void Without_clipping_the_global_norm_is_the_norm_of_all_gradients()
    {
        var outcome = Train(RecurrentKind.Gru, length: 8, steps: 3, seed: 9, clip: null);
        foreach (var step in outcome.Log.Steps)
        {
            Assert.False(step.Clipped);
            double fromParts = Math.Sqrt(outcome.Log.ParameterGradients().Where(p => p.Step == step.Step).Sum(p => p.Norm * p.Norm));
            Assert.Equal(step.GradNorm, fromParts, 4);
        }
    }

    [Fact]
    public void An_LSTM_learns_a_short_adding_problem()
    {
        var outcome = Train(RecurrentKind.Lstm, length: 10, steps: 500, seed: 1, hidden: 32, learningRate: 1e-2, logEvery: 100, evalEvery: 100);
        output.WriteLine(string.Join(", ", outcome.Log.Steps.Where(s => s.ValidationLoss is not null).Select(s => $"{s.Step}: {s.ValidationLoss:F4}")));
        Assert.Equal(TrainingStatus.Completed, outcome.Status);
        Assert.True(outcome.TestLoss < 0.02, $"test MSE {outcome.TestLoss:F4} should be far below the baseline {AddingProblem.TrivialBaselineMse:F4}");
    }

    [Fact]
    public void The_wall_time_is_split_by_phase_and_shows_what_monitoring_costs()
    {
        var watched = Train(RecurrentKind.Lstm, length: 20, steps: 40, seed: 1, logEvery: 1, evalEvery: 20);
        var minimal = Train(RecurrentKind.Lstm, length: 20, steps: 40, seed: 1, logEvery: 40, evalEvery: 20);
        foreach (var outcome in new[] { watched, minimal })
        {
            var time = outcome.Log.Time;
            output.WriteLine(string.Join(", ", time.Seconds.Select(p => $"{p.Key} {p.Value * 1000:F1} ms")));
            foreach (var phase in new[] { TimeSplit.Data, TimeSplit.Forward, TimeSplit.Backward, TimeSplit.Clipping, TimeSplit.Optimizer, TimeSplit.Evaluation })
                Assert.True(time[phase] > 0, $"no time in {phase}");
            Assert.All(outcome.Log.Monitors, monitor => Assert.True(time.Seconds.ContainsKey(TimeSplit.MonitorPrefix + monitor.Name), $"no time for {monitor.Name}"));
            // The phases cover the run: what is left over (logging, progress) is a small part of it.
            var summary = SeqLab.Reports.ExperimentSummary.TimeOf(outcome);
            Assert.Equal(outcome.WallSeconds, summary.Values.Sum(), 6);
            Assert.True(summary["other"] < 0.2 * outcome.WallSeconds, $"{summary["other"]:F3} s of {outcome.WallSeconds:F3} s not in any phase");
            Assert.True(time[TimeSplit.Backward] > 0.1 * time[TimeSplit.Forward], "backward cannot be far cheaper than forward");
        }
        // Monitoring every step costs more than monitoring at the first and last step only.
        Assert.True(watched.Log.Time.MonitorSeconds > 2 * minimal.Log.Time.MonitorSeconds,
            $"monitors: {watched.Log.Time.MonitorSeconds:F3} s every step, {minimal.Log.Time.MonitorSeconds:F3} s at the ends");
    }

    [Fact]
    public void Monitors_are_chosen_by_name_and_none_of_them_changes_the_training()
    {
        var all = Train(RecurrentKind.Lstm, length: 12, steps: 20, seed: 5, logEvery: 5, evalEvery: 10);
        var spectrum = Train(RecurrentKind.Lstm, length: 12, steps: 20, seed: 5, logEvery: 5, evalEvery: 10, monitors: ["spectrum", "time_gradients"]);
        var none = Train(RecurrentKind.Lstm, length: 12, steps: 20, seed: 5, logEvery: 5, evalEvery: 10, monitors: []);

        Assert.Equal(SeqLab.Training.Monitors.MonitorRegistry.Names(), all.Log.Monitors.Select(m => m.Name));
        Assert.Equal(["time_gradients", "spectrum"], spectrum.Log.Monitors.Select(m => m.Name)); // the registry's order
        Assert.NotEmpty(spectrum.Log.TimeGradients());
        Assert.Empty(spectrum.Log.ParameterGradients());
        Assert.Empty(none.Log.Monitors);
        Assert.Empty(none.Log.TimeGradients());
        Assert.Equal(0, none.Log.Time.MonitorSeconds);
        Assert.DoesNotContain(none.Log.Time.Seconds.Keys, key => key.StartsWith(TimeSplit.MonitorPrefix, StringComparison.Ordinal));
        // Nothing measured the flow, and the verdict says so rather than calling it healthy.
        var thresholds = new SeqLab.Training.Diagnosis.DiagnosisThresholds();
        Assert.Equal("not measured", SeqLab.Training.Diagnosis.GradientVerdicts.Diagnose(TrainingStatus.Completed, none.Log, null, thresholds).Verdict);
        Assert.NotEqual("not measured", SeqLab.Training.Diagnosis.GradientVerdicts.Diagnose(TrainingStatus.Completed, all.Log, null, thresholds).Verdict);
        // Monitors watch; they do not steer: the same losses, norms and test loss whichever run.
        foreach (var other in new[] { spectrum, none })
        {
            Assert.Equal(all.Log.Steps.Select(s => (s.TrainLoss, s.GradNorm, s.ValidationLoss)), other.Log.Steps.Select(s => (s.TrainLoss, s.GradNorm, s.ValidationLoss)));
            Assert.Equal(all.TestLoss, other.TestLoss);
        }
        var error = Assert.Throws<ArgumentException>(() => Train(RecurrentKind.Lstm, length: 12, steps: 1, seed: 5, monitors: ["spectra"]));
        Assert.StartsWith("unknown monitor 'spectra'; registered monitors: time_gradients, hidden_states", error.Message);
    }

    [Fact]
    public void The_same_seed_gives_the_same_run()
    {
        var a = Train(RecurrentKind.RnnTanh, length: 20, steps: 30, seed: 7, logEvery: 10, evalEvery: 10);
        var b = Train(RecurrentKind.RnnTanh, length: 20, steps: 30, seed: 7, logEvery: 10, evalEvery: 10);
        var c = Train(RecurrentKind.RnnTanh, length: 20, steps: 30, seed: 8, logEvery: 10, evalEvery: 10);
        Assert.Equal(a.Log.Steps.Select(s => (s.TrainLoss, s.GradNorm, s.ValidationLoss)), b.Log.Steps.Select(s => (s.TrainLoss, s.GradNorm, s.ValidationLoss)));
        Assert.Equal(a.Log.TimeGradients(), b.Log.TimeGradients());
        Assert.Equal(a.TestLoss, b.TestLoss);
        Assert.NotEqual(a.Log.Steps.Select(s => s.TrainLoss), c.Log.Steps.Select(s => s.TrainLoss));
    }

    [Fact]
    public void Two_hundred_steps_leave_the_number_of_live_tensors_flat()
    {
        torch.manual_seed(2);
        var model = TestModels.Regressor(RecurrentKind.Lstm, 16);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var liveDuringStep = new List<long>();
        var outcome = Train(RecurrentKind.Lstm, length: 20, steps: 200, seed: 2, logEvery: 25, evalEvery: 50, prebuilt: model,
            observer: m => liveDuringStep.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount));
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        Assert.Equal(200, outcome.Log.Steps.Count);
        Assert.Equal(before, after);
        // Steps of the same kind (no logging, no evaluation) hold the same number of tensors from the 10th to the 199th.
        var plain = Enumerable.Range(10, 190).Where(s => s % 25 != 0 && s % 50 != 0).Select(s => liveDuringStep[s - 1]).Distinct().ToList();
        Assert.Single(plain);
        output.WriteLine($"live tensors: before {before}, during a plain step {plain[0]}, after {after}");
    }
}
