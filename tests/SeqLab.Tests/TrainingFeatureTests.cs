using SeqLab.Data.Synthetic;
using SeqLab.Training;
using SeqLab.Models.Recurrent;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SeqLab.Tests;

public class TrainingFeatureTests
{
    /// <summary>Two optimiser steps on L = w²/2 (so ∂L/∂w = w), returning w after each.</summary>
    static double[] TwoSteps(string optimizer, double w0, double learningRate, double momentum = 0, double weightDecay = 0)
    {
        var w = new Parameter(tensor(new[] { w0 }, ScalarType.Float64));
        using var optim = Optimisation.Create(optimizer, [w], learningRate, momentum, weightDecay);
        var result = new double[2];
        for (int i = 0; i < 2; i++)
        {
            optim.zero_grad();
            (w.pow(2).sum() / 2).backward();
            optim.step();
            result[i] = w.item<double>();
        }
        return result;
    }

    [Fact]
    public void Each_optimiser_takes_its_textbook_steps()
    {
        // SGD with momentum 0.9: v₁ = g₁, w₁ = w₀ − lr v₁; v₂ = 0.9 v₁ + g₂, w₂ = w₁ − lr v₂.
        double w1 = 2 - 0.1 * 2, w2 = w1 - 0.1 * (0.9 * 2 + w1);
        var sgd = TwoSteps("sgd", 2, 0.1, momentum: 0.9);
        Assert.Equal(w1, sgd[0], 12);
        Assert.Equal(w2, sgd[1], 12);
        // Coupled weight decay adds wd·w to the gradient: g = (1 + wd) w.
        Assert.Equal(2 - 0.1 * 1.5 * 2, TwoSteps("sgd", 2, 0.1, weightDecay: 0.5)[0], 12);
        // Adam's first step is lr in the gradient's direction (m̂/√v̂ = g/|g|).
        Assert.Equal(2 - 0.01, TwoSteps("adam", 2, 0.01)[0], 7);
        // AdamW decays the weight itself, then takes Adam's step: w₁ = w₀(1 − lr·wd) − lr.
        Assert.Equal(2 * (1 - 0.01 * 0.5) - 0.01, TwoSteps("adamw", 2, 0.01, weightDecay: 0.5)[0], 7);
        // RMSprop (α = 0.99): v₁ = 0.01 g², so the first step is lr · g / (0.1 |g|) = 10 lr.
        Assert.Equal(2 - 10 * 0.001, TwoSteps("rmsprop", 2, 0.001)[0], 6);
    }

    [Fact]
    public void Schedules_give_the_documented_learning_rates()
    {
        double Rate(string schedule, int step, int warmup = 0) => Optimisation.LearningRate(schedule, 1.0, step, 101, warmup, 10, 0.5, 0.1);
        Assert.Equal(1.0, Rate("constant", 50));
        Assert.Equal([0.25, 0.5, 0.75, 1.0], Enumerable.Range(1, 4).Select(s => Rate("constant", s, warmup: 4)));
        Assert.Equal([1.0, 1.0, 0.5, 0.25], new[] { 1, 10, 11, 21 }.Select(s => Rate("step", s)));
        Assert.Equal(1.0, Rate("cosine", 1), 12);
        Assert.Equal(0.55, Rate("cosine", 51), 12);   // halfway: the mean of 1 and 0.1
        Assert.Equal(0.1, Rate("cosine", 101), 12);
        Assert.Equal(1.0, Rate("cosine", 5, warmup: 4), 12); // the cosine starts after the warm-up
    }

    [Fact]
    public void L1_and_L2_add_their_penalties_to_the_loss()
    {
        var a = new Parameter(tensor(new float[] { 1, -2, 3 }));
        var b = new Parameter(tensor(new float[] { -0.5f }));
        Assert.Equal(0.1 * 6.5, Optimisation.Penalty([a, b], 0.1, 0)!.item<float>(), 6);
        Assert.Equal(0.01 * 14.25, Optimisation.Penalty([a, b], 0, 0.01)!.item<float>(), 6);
        Assert.Equal(0.1 * 6.5 + 0.01 * 14.25, Optimisation.Penalty([a, b], 0.1, 0.01)!.item<float>(), 6);
        Assert.Null(Optimisation.Penalty([a, b], 0, 0));
        Optimisation.Penalty([a], 0.1, 0)!.backward();
        Assert.Equal(new float[] { 0.1f, -0.1f, 0.1f }, a.grad!.data<float>().ToArray()); // λ·sign(w)
    }

    static (TrainingOutcome Outcome, SeqLab.Models.SequenceModel Model) Train(TrainingOptions options, MonitoringOptions? monitoring = null)
    {
        torch.manual_seed(options.Seed);
        var task = new AddingProblem(12);
        var model = TestModels.Regressor(RecurrentKind.Lstm, 8);
        using var validation = task.FixedSet(64, 101);
        using var test = task.FixedSet(64, 102);
        using var generator = new Generator((ulong)options.Seed);
        var outcome = new Trainer(options, monitoring ?? new MonitoringOptions(1000)).Train(model, (g, _) => task.Sample(16, g), generator, validation, test);
        return (outcome, model);
    }

    [Fact]
    public void Clipping_by_value_bounds_every_gradient_element_and_counts_as_clipped()
    {
        var (outcome, model) = Train(new TrainingOptions(3, 16, 0.01, null, 1, 1, 10) { ClipGradValue = 1e-4 });
        Assert.All(outcome.Log.Steps, s => Assert.True(s.Clipped));
        foreach (var (_, parameter) in model.NamedParameters())
            Assert.True(parameter.grad!.abs().max().item<float>() <= 1e-4 + 1e-9);
        Assert.Contains(model.NamedParameters(), p => p.Parameter.grad!.abs().max().item<float>() > 0.99e-4); // it really clipped
    }

    [Fact]
    public void The_schedule_is_applied_and_logged_every_step()
    {
        var (outcome, _) = Train(new TrainingOptions(20, 16, 0.01, null, 1, 1, 10) { Schedule = "cosine", WarmupSteps = 5, MinLearningRate = 0.001 });
        Assert.Equal(0.002, outcome.Log.Steps[0].LearningRate, 12);
        Assert.Equal(0.01, outcome.Log.Steps[5].LearningRate, 12);
        Assert.Equal(0.001, outcome.Log.Steps[^1].LearningRate, 12);
    }

    [Fact]
    public void Early_stopping_stops_after_the_patience_and_restores_the_best_weights()
    {
        // A min_delta no evaluation can beat: the first evaluation is the best, the next two are not improvements.
        var options = new TrainingOptions(100, 16, 0.05, null, 1, 1, 5) { EarlyStoppingPatience = 2, MinDelta = 1e9 };
        var (outcome, model) = Train(options with { MinDelta = 1e9 });
        Assert.Equal(TrainingStatus.Completed, outcome.Status);
        Assert.Equal(15, outcome.StepsRun);
        Assert.Contains("stopped early at step 15", outcome.Divergence);
        var (_, _, best) = outcome.Log.Evaluations[0];
        // With the best (step-5) weights restored, the validation loss is the step-5 one again.
        using var validation = new AddingProblem(12).FixedSet(64, 101);
        Assert.Equal(best.Loss, Trainer.Evaluate(model, validation).Loss, 6);
    }
}
