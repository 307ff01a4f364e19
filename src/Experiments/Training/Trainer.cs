using System.Diagnostics;
using SeqLab.Data.Batches;
using SeqLab.Models;
using SeqLab.Models.Heads;
using SeqLab.Models.Recurrent;
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
    /// <summary>Stopped on request (Ctrl+C) after a step; with a checkpoint folder, a later run continues from there.</summary>
    Interrupted,
}

/// <summary>The end of a run: status, final losses and the log.</summary>
/// <param name="Status">Completed or diverged.</param>
/// <param name="StepsRun">Steps taken (the diverging step included).</param>
/// <param name="TestLoss">Loss on the test set after training (NaN when diverged).</param>
/// <param name="TestMetrics">The task's metrics on the test set (empty when diverged).</param>
/// <param name="Log">Every measurement.</param>
/// <param name="Divergence">Which step diverged and why; for a completed run, a note such as an early stop; or null.</param>
/// <param name="WallSeconds">Training wall time.</param>
public sealed record TrainingOutcome(TrainingStatus Status, int StepsRun, double TestLoss, IReadOnlyDictionary<string, double> TestMetrics, TrainingLog Log, string? Divergence, double WallSeconds);

/// <summary>A loss and the task's metrics on one evaluation set.</summary>
public sealed record Evaluation(double Loss, Dictionary<string, double> Metrics)
{
    /// <summary>Classification: counts[actual][predicted]; null otherwise.</summary>
    public long[][]? Confusion { get; init; }
}

/// <summary>Reports progress; called once per step from the training thread.</summary>
public delegate void StepObserver(StepMetrics metrics);

/// <summary>
/// A minimal supervised training loop for every sequence task (SGD/Adam/AdamW/RMSprop, schedules, clipping, penalties,
/// early stopping, checkpoints, truncated BPTT) with a gradient monitor: every step the global norm before and after
/// clipping; every <see cref="MonitoringOptions.LogEvery"/> steps each parameter tensor's gradient statistics, weight norm
/// and update ratio, the recurrent spectra and ‖∂L/∂x_t‖ for every time step (through the fused kernels; for token
/// models, of the embedded inputs); every <see cref="MonitoringOptions.ExpensiveEvery"/> steps the expensive monitors of
/// <see cref="HiddenStateMonitor"/>. Every step runs inside its own dispose scope.
/// </summary>
public sealed class Trainer(TrainingOptions training, MonitoringOptions monitoring, Device? device = null)
{
    /// <summary>
    /// Trains <paramref name="model"/> on batches from <paramref name="sampleBatch"/>, evaluating on
    /// <paramref name="validation"/> and finally on <paramref name="test"/>. The caller seeds torch before building the model;
    /// <paramref name="dataGenerator"/> fixes the order of training batches.
    /// </summary>
    /// <remarks>
    /// With <paramref name="checkpointFolder"/>, a checkpoint found there is loaded first (the run continues after its step),
    /// one is written every <see cref="TrainingOptions.CheckpointEvery"/> steps and when <paramref name="cancellation"/> stops
    /// the run, and it is deleted when the run completes. A resumed run ends with the same numbers as an uninterrupted one.
    /// </remarks>
    /// <remarks>
    /// With <paramref name="statefulPeriod"/> (truncated BPTT), the recurrent state after each step, detached from its graph,
    /// starts the next step, and is reset to zeros every <paramref name="statefulPeriod"/> steps (a new pass over the streams).
    /// </remarks>
    public TrainingOutcome Train(ISequenceModel model, Func<Generator, int, SequenceBatch> sampleBatch, Generator dataGenerator,
        SequenceBatch validation, SequenceBatch test, StepObserver? observer = null, string? checkpointFolder = null, CancellationToken cancellation = default,
        int? statefulPeriod = null, SequenceBatch? monitoringBatch = null)
    {
        using var gradientsOn = enable_grad(); // grad mode is per thread: a worker thread (--jobs) must not inherit it off
        if (statefulPeriod is not null && model is not SequenceModel { Options.Encoder: RecurrentOptions })
            throw new ArgumentException("truncated BPTT carries a recurrent state: it needs a recurrent SequenceModel");
        RecurrentState? carried = null;
        var board = monitoring.Tensorboard && checkpointFolder is not null ? torch.utils.tensorboard.SummaryWriter(Path.Combine(checkpointFolder, "tensorboard")) : null;
        var log = new TrainingLog();
        var parameters = model.NamedParameters().ToList();
        var weights = parameters.Select(p => p.Parameter).ToList();
        var depths = LayerDepth.Of(parameters.Select(p => p.Name));
        using var optimizer = Optimisation.Create(training.Optimizer, weights, training.LearningRate, training.Momentum, training.WeightDecay);
        var clock = Stopwatch.StartNew();
        double elapsedBefore = 0;
        double Elapsed() => elapsedBefore + clock.Elapsed.TotalSeconds;
        model.Module.train();
        Dictionary<string, Tensor>? best = null;
        double bestLoss = double.PositiveInfinity;
        int bestStep = 0, evaluationsSinceBest = 0, firstStep = 1;
        string? note = null;
        if (checkpointFolder is not null && Checkpoint.TryLoad(checkpointFolder, model, optimizer, dataGenerator, log, out best, out carried) is { } restored)
        {
            (firstStep, bestLoss, bestStep, evaluationsSinceBest) = (restored.Step + 1, restored.BestLoss, restored.BestStep, restored.EvaluationsSinceBest);
            model.Module.train();
        }
        elapsedBefore = log.Steps.Count > 0 ? log.Steps[^1].ElapsedSeconds : 0;
        void SaveCheckpoint(int step) =>
            Checkpoint.Save(checkpointFolder!, step, model, optimizer, dataGenerator, log, bestLoss, bestStep, evaluationsSinceBest, best, carried);

        try
        {
            for (int step = firstStep; step <= training.Steps; step++)
            {
                if (cancellation.IsCancellationRequested)
                {
                    if (checkpointFolder is not null && step > 1) SaveCheckpoint(step - 1);
                    return new TrainingOutcome(TrainingStatus.Interrupted, step - 1, double.NaN, new Dictionary<string, double>(), log,
                        $"interrupted after step {step - 1}{(checkpointFolder is null ? "" : "; run again with --resume to continue from there")}", Elapsed());
                }
                using var scope = NewDisposeScope();
                double learningRate = Optimisation.LearningRate(training.Schedule, training.LearningRate, step, training.Steps,
                    training.WarmupSteps, training.StepSize, training.Gamma, training.MinLearningRate);
                Optimisation.SetLearningRate(optimizer, learningRate);
                bool logGradients = step == 1 || step % monitoring.LogEvery == 0 || step == training.Steps;
                int firstLoggedRow = log.ParameterGradients.Count;
                using var batch = OnDevice(sampleBatch(dataGenerator, step), device);
                if (statefulPeriod is int period && (step - 1) % period == 0) ReplaceCarried(ref carried, null); // a new pass over the streams
                // ∂L/∂x_t: real-valued inputs are made to require grad (it works through the fused kernels); for token
                // models the embedded vectors the encoder reads keep their gradient instead.
                bool features = batch.Inputs.is_floating_point();
                Tensor? profiled = logGradients && features ? batch.Inputs.detach().requires_grad_(true) : null;
                var inputs = profiled ?? batch.Inputs;

                optimizer.zero_grad();
                Tensor outputs;
                if (model is SequenceModel sequenceModel)
                {
                    var vectors = sequenceModel.Embed(inputs);
                    if (logGradients && !features && vectors.requires_grad)
                    {
                        vectors.retain_grad();
                        profiled = vectors;
                    }
                    var encoded = sequenceModel.Encoder.Encode(vectors, batch.Lengths, carried);
                    if (statefulPeriod is not null) ReplaceCarried(ref carried, encoded.FinalState); // detached: gradients stop at the window boundary
                    outputs = sequenceModel.Head(encoded);
                }
                else outputs = model.Forward(inputs, batch.Lengths);
                var loss = SequenceLoss.Compute(model.Task, outputs, batch.Targets, batch.Lengths);
                var penalty = Optimisation.Penalty(weights, training.L1, training.L2);
                (penalty is null ? loss : loss + penalty).backward();
                double lossValue = loss.item<float>();
                if (logGradients)
                {
                    firstLoggedRow = RecordGradients(log, step, parameters, depths, profiled); // before clipping rescales the gradients in place
                    log.Spectra.AddRange(GradientDiagnostics.Spectra(model, step));
                    if (board is not null)
                        foreach (var (name, parameter) in parameters)
                            if (parameter.grad is Tensor grad) board.add_histogram($"gradients/{name}", grad, step);
                }
                double gradNorm = training.ClipGradNorm is double maxNorm
                    ? nn.utils.clip_grad_norm_(weights, maxNorm)
                    : GlobalNorm(parameters);
                bool clipped = training.ClipGradNorm is double limit && gradNorm > limit;
                if (training.ClipGradValue is double maxValue)
                {
                    clipped |= weights.Any(w => w.grad is Tensor g && g.abs().max().item<float>() > maxValue);
                    nn.utils.clip_grad_value_(weights, maxValue);
                }
                double clippedNorm = clipped ? GlobalNorm(parameters) : gradNorm;

                if (!double.IsFinite(lossValue) || !double.IsFinite(gradNorm))
                {
                    log.Steps.Add(new StepMetrics(step, lossValue, gradNorm, clipped, null, Elapsed()) { LearningRate = learningRate, ClippedGradNorm = clippedNorm });
                    string reason = $"step {step}: loss {lossValue}, gradient norm {gradNorm} (last finite gradient norm {LastFiniteNorm(log)})";
                    return new TrainingOutcome(TrainingStatus.Diverged, step, double.NaN, new Dictionary<string, double>(), log, reason, Elapsed());
                }

                // ‖Δw‖/‖w‖ needs the weights before the update; copied on logged steps only (the scope frees them).
                var before = logGradients ? weights.Select(w => w.detach().clone()).ToList() : null;
                optimizer.step();
                if (before is not null) RecordUpdateRatios(log, firstLoggedRow, parameters, before);

                double? validationLoss = null;
                bool stop = false;
                if (step % training.EvalEvery == 0 || step == training.Steps)
                {
                    var evaluation = Evaluate(model, validation, device);
                    log.Evaluations.Add(new EvaluationRecord(step, "validation", evaluation));
                    validationLoss = evaluation.Loss;
                    if (training.EarlyStoppingPatience is int patience)
                    {
                        if (evaluation.Loss < bestLoss - training.MinDelta)
                        {
                            (bestLoss, bestStep, evaluationsSinceBest) = (evaluation.Loss, step, 0);
                            ReplaceBest(ref best, model);
                        }
                        else if (++evaluationsSinceBest >= patience && step < training.Steps)
                        {
                            stop = true;
                            note = $"stopped early at step {step}: no validation improvement for {patience} evaluations; restored the best weights (step {bestStep}, validation loss {bestLoss:G4})";
                        }
                    }
                }
                if (monitoringBatch is not null && (step == 1 || step % monitoring.ExpensiveEvery == 0 || step == training.Steps))
                    HiddenStateMonitor.Record(log, step, model, monitoringBatch);
                var metrics = new StepMetrics(step, lossValue, gradNorm, clipped, validationLoss, Elapsed()) { LearningRate = learningRate, ClippedGradNorm = clippedNorm };
                log.Steps.Add(metrics);
                if (board is not null)
                {
                    board.add_scalar("train/loss", (float)lossValue, step);
                    board.add_scalar("train/grad_norm", (float)gradNorm, step);
                    board.add_scalar("train/learning_rate", (float)learningRate, step);
                    if (validationLoss is double v)
                        foreach (var (metric, value) in log.Evaluations[^1].Result.Metrics.Append(new("loss", v)))
                            board.add_scalar($"validation/{metric}", (float)value, step);
                }
                observer?.Invoke(metrics);
                if (stop) break;
                if (checkpointFolder is not null && training.CheckpointEvery is int every && step % every == 0 && step < training.Steps)
                    SaveCheckpoint(step);
            }
            if (checkpointFolder is not null) Checkpoint.Delete(checkpointFolder);

            if (best is not null) model.Module.load_state_dict(best);
            var testEvaluation = Evaluate(model, test, device);
            int stepsRun = log.Steps.Count;
            log.Evaluations.Add(new EvaluationRecord(stepsRun, "test", testEvaluation));
            return new TrainingOutcome(TrainingStatus.Completed, stepsRun, testEvaluation.Loss, testEvaluation.Metrics, log, note, Elapsed());
        }
        finally
        {
            if (best is not null) foreach (var tensor in best.Values) tensor.Dispose();
            ReplaceCarried(ref carried, null);
        }
    }

    /// <summary>Keeps <paramref name="next"/> (detached, outside every dispose scope) as the carried state, disposing the old one.</summary>
    static void ReplaceCarried(ref RecurrentState? carried, RecurrentState? next)
    {
        carried?.Hidden.Dispose();
        carried?.Cell?.Dispose();
        carried = next is null ? null : new RecurrentState(next.Hidden.detach().DetachFromDisposeScope(), next.Cell?.detach().DetachFromDisposeScope());
    }

    /// <summary>The batch on <paramref name="device"/> (lengths stay on the CPU, where packing wants them).</summary>
    static SequenceBatch OnDevice(SequenceBatch batch, Device? device)
    {
        if (device is null || device.type == DeviceType.CPU) return batch;
        return batch with { Inputs = batch.Inputs.to(device), Targets = batch.Targets.to(device) };
    }

    /// <summary>Keeps a copy of the weights outside every dispose scope, disposing the previous copy.</summary>
    static void ReplaceBest(ref Dictionary<string, Tensor>? best, ISequenceModel model)
    {
        if (best is not null) foreach (var tensor in best.Values) tensor.Dispose();
        using var noGrad = no_grad();
        best = model.Module.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope());
    }

    /// <summary>The task loss and metrics of <paramref name="model"/> on <paramref name="set"/>, without gradients, in eval mode.</summary>
    public static Evaluation Evaluate(ISequenceModel model, SequenceBatch set, Device? device = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.Module.eval();
        var (inputs, targets) = device is null || device.type == DeviceType.CPU ? (set.Inputs, set.Targets) : (set.Inputs.to(device), set.Targets.to(device));
        var outputs = model.Forward(inputs, set.Lengths);
        double loss = SequenceLoss.Compute(model.Task, outputs, targets, set.Lengths).item<float>();
        var metrics = TaskMetrics.Compute(model.Task, outputs, targets, set.Lengths, loss);
        var confusion = TaskMetrics.Confusion(model.Task, outputs, targets, set.Lengths);
        model.Module.train();
        return new Evaluation(loss, metrics) { Confusion = confusion };
    }

    /// <summary>Records this step's gradient statistics and ‖∂L/∂x_t‖; returns the index of its first row in <see cref="TrainingLog.ParameterGradients"/>.</summary>
    static int RecordGradients(TrainingLog log, int step, List<(string Name, Parameter Parameter)> parameters, IReadOnlyDictionary<string, int> depths, Tensor? inputs)
    {
        int firstRow = log.ParameterGradients.Count;
        foreach (var (name, parameter) in parameters)
            if (parameter.grad is Tensor grad)
            {
                var magnitude = grad.detach().abs();
                // One transfer per tensor rather than four.
                var values = stack([grad.norm(), magnitude.mean(), magnitude.max(), parameter.detach().norm()]).to(ScalarType.Float64).data<double>().ToArray();
                log.ParameterGradients.Add(new ParameterGradient(step, name, values[0])
                {
                    Layer = depths[name], MeanAbs = values[1], MaxAbs = values[2], WeightNorm = values[3],
                });
            }
        if (inputs is null) return firstRow;

        // ‖∂L/∂x_t‖ per sequence, then the mean over the batch: one number per time step.
        var profile = inputs.grad!.norm(2, p: 2).mean([0]).to(ScalarType.Float64).data<double>().ToArray();
        for (int t = 0; t < profile.Length; t++)
            log.TimeGradients.Add(new TimeGradient(step, t + 1, profile[t]));
        return firstRow;
    }

    /// <summary>Fills in ‖Δw‖/‖w‖ for this step's rows (from <paramref name="firstRow"/> on), given the weights <paramref name="before"/> the update.</summary>
    static void RecordUpdateRatios(TrainingLog log, int firstRow, List<(string Name, Parameter Parameter)> parameters, List<Tensor> before)
    {
        using var noGrad = no_grad();
        var ratios = stack(parameters.Select((p, i) => (p.Parameter.detach() - before[i]).norm() / before[i].norm().clamp_min(1e-30)).ToList())
            .to(ScalarType.Float64).data<double>().ToArray();
        var byName = parameters.Select((p, i) => (p.Name, Ratio: ratios[i])).ToDictionary(p => p.Name, p => p.Ratio);
        for (int row = firstRow; row < log.ParameterGradients.Count; row++)
            log.ParameterGradients[row] = log.ParameterGradients[row] with { UpdateRatio = byName[log.ParameterGradients[row].Parameter] };
    }

    static double GlobalNorm(List<(string Name, Parameter Parameter)> parameters)
    {
        using var scope = NewDisposeScope(); // a number comes out; the temporaries go at once, so clipped and unclipped steps hold the same tensors
        var norms = parameters.Where(p => p.Parameter.grad is not null).Select(p => p.Parameter.grad!.norm().to(ScalarType.Float64)).ToList();
        return norms.Count == 0 ? 0 : stack(norms).norm().item<double>();
    }

    static double LastFiniteNorm(TrainingLog log) =>
        log.Steps.LastOrDefault(s => double.IsFinite(s.GradNorm))?.GradNorm ?? double.NaN;
}
