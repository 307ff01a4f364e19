using System.Diagnostics;
using SeqLab.Data.Batches;
using SeqLab.Models;
using SeqLab.Models.Heads;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SeqLab.Experiments.Training;

/// <summary>How a training run ended.</summary>
public enum TrainingStatus
{
    /// <summary>All steps ran.</summary>
    Completed,
    /// <summary>The loss or the gradient became NaN or infinite; training stopped at that step.</summary>
    Diverged,
}

/// <summary>The end of a run: status, final losses and the log.</summary>
/// <param name="Status">Completed or diverged.</param>
/// <param name="StepsRun">Steps taken (the diverging step included).</param>
/// <param name="TestLoss">Loss on the test set after training (NaN when diverged).</param>
/// <param name="TestMetrics">The task's metrics on the test set (empty when diverged).</param>
/// <param name="Log">Every measurement.</param>
/// <param name="Divergence">Which step diverged and why, or null.</param>
/// <param name="WallSeconds">Training wall time.</param>
public sealed record TrainingOutcome(TrainingStatus Status, int StepsRun, double TestLoss, IReadOnlyDictionary<string, double> TestMetrics, TrainingLog Log, string? Divergence, double WallSeconds);

/// <summary>A loss and the task's metrics on one evaluation set.</summary>
public sealed record Evaluation(double Loss, Dictionary<string, double> Metrics);

/// <summary>Reports progress; called once per step from the training thread.</summary>
public delegate void StepObserver(StepMetrics metrics);

/// <summary>
/// A minimal supervised training loop for every sequence task: Adam, optional gradient-norm clipping, and a gradient
/// monitor that records the pre-clip global norm every step and, every <see cref="MonitoringOptions.LogEvery"/> steps,
/// the norm of each parameter tensor's gradient and ‖∂L/∂x_t‖ for every time step (by letting the input require grad,
/// which works through TorchSharp's fused recurrent kernels). Every step runs inside its own dispose scope.
/// </summary>
public sealed class Trainer(TrainingOptions training, MonitoringOptions monitoring)
{
    /// <summary>
    /// Trains <paramref name="model"/> on batches from <paramref name="sampleBatch"/>, evaluating on
    /// <paramref name="validation"/> and finally on <paramref name="test"/>. The caller seeds torch before building the model;
    /// <paramref name="dataGenerator"/> fixes the order of training batches.
    /// </summary>
    public TrainingOutcome Train(ISequenceModel model, Func<Generator, SequenceBatch> sampleBatch, Generator dataGenerator,
        SequenceBatch validation, SequenceBatch test, StepObserver? observer = null)
    {
        var log = new TrainingLog();
        var parameters = model.NamedParameters().ToList();
        using var optimizer = optim.Adam(parameters.Select(p => p.Parameter), lr: training.LearningRate);
        var clock = Stopwatch.StartNew();
        model.Module.train();

        for (int step = 1; step <= training.Steps; step++)
        {
            using var scope = NewDisposeScope();
            bool logGradients = step == 1 || step % monitoring.LogEvery == 0 || step == training.Steps;
            using var batch = sampleBatch(dataGenerator);
            // ∂L/∂x_t comes from letting real-valued inputs require grad; it works through the fused kernels.
            bool profileTime = logGradients && batch.Inputs.is_floating_point();
            var inputs = profileTime ? batch.Inputs.detach().requires_grad_(true) : batch.Inputs;

            optimizer.zero_grad();
            var loss = SequenceLoss.Compute(model.Task, model.Forward(inputs, batch.Lengths), batch.Targets, batch.Lengths);
            loss.backward();
            double lossValue = loss.item<float>();
            if (logGradients)
                RecordGradients(log, step, parameters, profileTime ? inputs : null); // before clipping rescales the gradients in place
            double gradNorm = training.ClipGradNorm is double maxNorm
                ? nn.utils.clip_grad_norm_(parameters.Select(p => p.Parameter), maxNorm)
                : GlobalNorm(parameters);
            bool clipped = training.ClipGradNorm is double limit && gradNorm > limit;

            if (!double.IsFinite(lossValue) || !double.IsFinite(gradNorm))
            {
                log.Steps.Add(new StepMetrics(step, lossValue, gradNorm, clipped, null, clock.Elapsed.TotalSeconds));
                string reason = $"step {step}: loss {lossValue}, gradient norm {gradNorm} (last finite gradient norm {LastFiniteNorm(log)})";
                return new TrainingOutcome(TrainingStatus.Diverged, step, double.NaN, new Dictionary<string, double>(), log, reason, clock.Elapsed.TotalSeconds);
            }

            optimizer.step();

            double? validationLoss = null;
            if (step % training.EvalEvery == 0 || step == training.Steps)
            {
                var evaluation = Evaluate(model, validation);
                log.Evaluations.Add((step, "validation", evaluation));
                validationLoss = evaluation.Loss;
            }
            var metrics = new StepMetrics(step, lossValue, gradNorm, clipped, validationLoss, clock.Elapsed.TotalSeconds);
            log.Steps.Add(metrics);
            observer?.Invoke(metrics);
        }

        var testEvaluation = Evaluate(model, test);
        log.Evaluations.Add((training.Steps, "test", testEvaluation));
        return new TrainingOutcome(TrainingStatus.Completed, training.Steps, testEvaluation.Loss, testEvaluation.Metrics, log, null, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The task loss and metrics of <paramref name="model"/> on <paramref name="set"/>, without gradients, in eval mode.</summary>
    public static Evaluation Evaluate(ISequenceModel model, SequenceBatch set)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.Module.eval();
        var outputs = model.Forward(set.Inputs, set.Lengths);
        double loss = SequenceLoss.Compute(model.Task, outputs, set.Targets, set.Lengths).item<float>();
        var metrics = TaskMetrics.Compute(model.Task, outputs, set.Targets, set.Lengths, loss);
        model.Module.train();
        return new Evaluation(loss, metrics);
    }

    static void RecordGradients(TrainingLog log, int step, List<(string Name, Parameter Parameter)> parameters, Tensor? inputs)
    {
        foreach (var (name, parameter) in parameters)
            if (parameter.grad is Tensor grad)
                log.ParameterGradients.Add(new ParameterGradient(step, name, grad.norm().item<float>()));
        if (inputs is null) return;

        // ‖∂L/∂x_t‖ per sequence, then the mean over the batch: one number per time step.
        var profile = inputs.grad!.norm(2, p: 2).mean([0]).to(ScalarType.Float64).data<double>().ToArray();
        for (int t = 0; t < profile.Length; t++)
            log.TimeGradients.Add(new TimeGradient(step, t + 1, profile[t]));
    }

    static double GlobalNorm(List<(string Name, Parameter Parameter)> parameters)
    {
        double sumOfSquares = 0;
        foreach (var (_, parameter) in parameters)
            if (parameter.grad is Tensor grad)
                sumOfSquares += grad.pow(2).sum().to(ScalarType.Float64).item<double>();
        return Math.Sqrt(sumOfSquares);
    }

    static double LastFiniteNorm(TrainingLog log) =>
        log.Steps.LastOrDefault(s => double.IsFinite(s.GradNorm))?.GradNorm ?? double.NaN;
}
