using System.Diagnostics;
using SeqLab.Data.Batches;
using SeqLab.Models;
using SeqLab.Models.Heads;
using SeqLab.Models.Introspection;
using SeqLab.Training.Callbacks;
using SeqLab.Training.Logging;
using SeqLab.Training.Monitors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SeqLab.Training;

/// <summary>How a run is watched, kept and extended; every part is optional.</summary>
public sealed record TrainingRun
{
    /// <summary>Called once per step with its metrics (progress bars).</summary>
    public StepObserver? Observer { get; init; }

    /// <summary>
    /// The experiment's folder: a checkpoint found there is loaded first (the run continues after its step), one is written
    /// every <see cref="TrainingOptions.CheckpointEvery"/> steps and when <see cref="Cancellation"/> stops the run, and it is
    /// deleted when the run completes — a resumed run ends with the same numbers as an uninterrupted one. TensorBoard files go
    /// there too. Null: the run writes nothing.
    /// </summary>
    public string? Folder { get; init; }

    /// <summary>Stops the run after the current step (Ctrl+C).</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>
    /// Truncated BPTT: the recurrent state after each step, detached from its graph, starts the next step, and is reset to
    /// zeros every this many steps (a new pass over the streams). Null: independent batches.
    /// </summary>
    public int? StatefulPeriod { get; init; }

    /// <summary>A small fixed batch for the expensive monitors (the trainer moves it to its device); null: they do not run.</summary>
    public SequenceBatch? MonitoringBatch { get; init; }

    /// <summary>The monitors; null: those <see cref="MonitoringOptions.Monitors"/> names, from <see cref="MonitorRegistry"/>.</summary>
    public IReadOnlyList<ITrainingMonitor>? Monitors { get; init; }

    /// <summary>Further callbacks, run after the monitors.</summary>
    public IReadOnlyList<ITrainingCallback> Callbacks { get; init; } = [];
}

/// <summary>
/// A minimal supervised training loop for every sequence task: SGD/Adam/AdamW/RMSprop with schedules, L1/L2 penalties,
/// clipping by norm and value, and truncated BPTT; everything else — monitors, early stopping, checkpoints, TensorBoard —
/// is a callback (<see cref="ITrainingCallback"/>) run at fixed points of each step. Every step runs inside its own dispose
/// scope. The trainer owns device placement: batches, evaluation sets and the monitoring batch are moved to its device.
/// </summary>
public sealed class Trainer(TrainingOptions training, MonitoringOptions monitoring, Device? device = null)
{
    readonly Device device = device ?? CPU;

    /// <summary>
    /// Trains <paramref name="model"/> on batches from <paramref name="sampleBatch"/>, evaluating on
    /// <paramref name="validation"/> and finally on <paramref name="test"/>. The caller seeds torch before building the model;
    /// <paramref name="dataGenerator"/> fixes the order of training batches.
    /// </summary>
    /// <remarks>Everything else about the run — progress, checkpoints, BPTT, the monitoring batch, monitors and callbacks — is in <paramref name="run"/>.</remarks>
    public TrainingOutcome Train(ISequenceModel model, Func<Generator, int, SequenceBatch> sampleBatch, Generator dataGenerator,
        SequenceBatch validation, SequenceBatch test, TrainingRun? run = null)
    {
        run ??= new TrainingRun();
        var (observer, folder, cancellation, statefulPeriod, monitoringBatch) = (run.Observer, run.Folder, run.Cancellation, run.StatefulPeriod, run.MonitoringBatch);
        using var gradientsOn = enable_grad(); // grad mode is per thread: a worker thread (--jobs) must not inherit it off
        var staged = model.Capability<IStagedSequenceModel>();
        if (statefulPeriod is not null && staged is not { CarriesState: true })
            throw new ArgumentException("truncated BPTT carries a recurrent state: it needs a recurrent model that exposes its stages (IStagedSequenceModel)");
        var monitorList = (run.Monitors ?? MonitorRegistry.Create(monitoring.Monitors)).ToList();
        var log = new TrainingLog(monitorList);
        var parameters = model.NamedParameters().ToList();
        var weights = parameters.Select(p => p.Parameter).ToList();
        using var optimizer = Optimisation.Create(training.Optimizer, weights, training.LearningRate, training.Momentum, training.WeightDecay);
        var onDeviceMonitoring = monitoringBatch is null ? null : OnDevice(monitoringBatch);
        var carried = new CarriedState();
        var owned = new List<ITrainingCallback>();
        if (training.EarlyStoppingPatience is int patience) owned.Add(new EarlyStopping(patience, training.MinDelta));
        if (monitoring.Tensorboard && folder is not null) owned.Add(new TensorboardLogging(folder));
        if (folder is not null) owned.Add(new Checkpointing(folder)); // last: every other callback is ready for its state
        var context = new TrainingContext
        {
            Model = model, Parameters = parameters, Training = training, Monitoring = monitoring, Log = log, Optimizer = optimizer,
            DataGenerator = dataGenerator, Device = device, Folder = folder, MonitoringBatch = onDeviceMonitoring,
        };
        List<ITrainingCallback> all = [.. monitorList, .. run.Callbacks, carried, .. owned];
        context.Callbacks = all;
        var time = log.Time;
        var phases = all.Select(PhaseOf).ToArray();
        // Runs one callback hook on every callback, each one's time to its phase.
        void Notify(Action<ITrainingCallback> hook)
        {
            long mark = Stopwatch.GetTimestamp();
            for (int i = 0; i < all.Count; i++)
            {
                hook(all[i]);
                time.Lap(phases[i], ref mark);
            }
        }
        var clock = Stopwatch.StartNew();
        try
        {
            model.Module.train();
            Notify(callback => callback.OnTrainStart(context));
            model.Module.train();
            double elapsedBefore = log.Steps.Count > 0 ? log.Steps[^1].ElapsedSeconds : 0;
            double Elapsed() => elapsedBefore + clock.Elapsed.TotalSeconds;
            string? note = null;

            for (int step = context.FirstStep; step <= training.Steps; step++)
            {
                if (cancellation.IsCancellationRequested)
                {
                    Notify(callback => callback.OnInterrupted(context, step - 1));
                    return new TrainingOutcome(TrainingStatus.Interrupted, step - 1, double.NaN, new Dictionary<string, double>(), log,
                        $"interrupted after step {step - 1}{(folder is null ? "" : "; run again with --resume to continue from there")}", Elapsed());
                }
                using var scope = NewDisposeScope();
                long mark = Stopwatch.GetTimestamp();
                double learningRate = Optimisation.LearningRate(training.Schedule, training.LearningRate, step, training.Steps,
                    training.WarmupSteps, training.StepSize, training.Gamma, training.MinLearningRate);
                Optimisation.SetLearningRate(optimizer, learningRate);
                time.Lap(TimeSplit.Optimizer, ref mark);
                using var batch = OnDevice(sampleBatch(dataGenerator, step));
                if (statefulPeriod is int period && (step - 1) % period == 0) carried.Replace(null); // a new pass over the streams
                time.Lap(TimeSplit.Data, ref mark);
                var stepContext = new StepContext(context, step, batch, learningRate);
                Notify(callback => callback.OnStepStart(stepContext));

                mark = Stopwatch.GetTimestamp();
                optimizer.zero_grad();
                time.Lap(TimeSplit.Optimizer, ref mark);
                var outputs = Forward(model, staged, stepContext, statefulPeriod is null ? null : carried);
                var loss = SequenceLoss.Compute(model.Task, outputs, batch.Targets, batch.Lengths);
                var penalty = Optimisation.Penalty(weights, training.L1, training.L2);
                var objective = penalty is null ? loss : loss + penalty;
                time.Lap(TimeSplit.Forward, ref mark);
                objective.backward();
                stepContext.Loss = loss.item<float>();
                time.Lap(TimeSplit.Backward, ref mark);
                Notify(callback => callback.AfterBackward(stepContext));

                mark = Stopwatch.GetTimestamp();
                Clip(stepContext, parameters, weights);
                time.Lap(TimeSplit.Clipping, ref mark);
                Notify(callback => callback.AfterClipping(stepContext));
                if (!double.IsFinite(stepContext.Loss) || !double.IsFinite(stepContext.GradNorm))
                {
                    log.Steps.Add(new StepMetrics(step, stepContext.Loss, stepContext.GradNorm, stepContext.Clipped, null, Elapsed()) { LearningRate = learningRate, ClippedGradNorm = stepContext.ClippedGradNorm });
                    string lastFinite = log.Steps.LastOrDefault(s => double.IsFinite(s.GradNorm))?.GradNorm is double finite ? $"{finite}" : "none";
                    string reason = $"step {step}: loss {stepContext.Loss}, gradient norm {stepContext.GradNorm} (last finite gradient norm {lastFinite})";
                    return new TrainingOutcome(TrainingStatus.Diverged, step, double.NaN, new Dictionary<string, double>(), log, reason, Elapsed());
                }

                Notify(callback => callback.BeforeOptimizerStep(stepContext));
                mark = Stopwatch.GetTimestamp();
                optimizer.step();
                time.Lap(TimeSplit.Optimizer, ref mark);
                Notify(callback => callback.AfterOptimizerStep(stepContext));

                if (step % training.EvalEvery == 0 || step == training.Steps)
                {
                    mark = Stopwatch.GetTimestamp();
                    var evaluation = Evaluate(model, validation, device);
                    time.Lap(TimeSplit.Evaluation, ref mark);
                    log.Evaluations.Add(new EvaluationRecord(step, "validation", evaluation));
                    stepContext.Validation = evaluation;
                    Notify(callback => callback.AfterEvaluation(stepContext, evaluation));
                }
                var metrics = new StepMetrics(step, stepContext.Loss, stepContext.GradNorm, stepContext.Clipped, stepContext.Validation?.Loss, Elapsed())
                    { LearningRate = learningRate, ClippedGradNorm = stepContext.ClippedGradNorm };
                log.Steps.Add(metrics);
                stepContext.Metrics = metrics;
                Notify(callback => callback.OnStepEnd(stepContext));
                observer?.Invoke(metrics);
                if (stepContext.StopRequested)
                {
                    note = stepContext.StopNote;
                    break;
                }
            }
            Notify(callback => callback.OnTrainEnd(context));

            long testStart = Stopwatch.GetTimestamp();
            var testEvaluation = Evaluate(model, test, device);
            time.Lap(TimeSplit.Evaluation, ref testStart);
            int stepsRun = log.Steps.Count;
            log.Evaluations.Add(new EvaluationRecord(stepsRun, "test", testEvaluation));
            return new TrainingOutcome(TrainingStatus.Completed, stepsRun, testEvaluation.Loss, testEvaluation.Metrics, log, note, Elapsed());
        }
        finally
        {
            foreach (var callback in all.OfType<IDisposable>()) callback.Dispose();
            if (!ReferenceEquals(onDeviceMonitoring, monitoringBatch)) onDeviceMonitoring?.Dispose();
        }
    }

    /// <summary>
    /// The forward pass. Where a callback asked for ∂L/∂x_t, real-valued inputs are made to require grad (it works through
    /// the fused kernels); for token models the embedded vectors the encoder reads keep their gradient instead.
    /// </summary>
    static Tensor Forward(ISequenceModel model, IStagedSequenceModel? staged, StepContext step, CarriedState? carried)
    {
        var batch = step.Batch;
        bool features = batch.Inputs.is_floating_point();
        Tensor? profiled = step.InputGradientsRequested && features ? batch.Inputs.detach().requires_grad_(true) : null;
        var inputs = profiled ?? batch.Inputs;
        Tensor outputs;
        if (staged is not null)
        {
            var vectors = staged.Embed(inputs);
            if (step.InputGradientsRequested && !features && vectors.requires_grad)
            {
                vectors.retain_grad();
                profiled = vectors;
            }
            var encoded = staged.Encode(vectors, batch.Lengths, carried?.State);
            carried?.Replace(encoded.FinalState); // detached: gradients stop at the window boundary
            outputs = staged.Head(encoded);
        }
        else outputs = model.Forward(inputs, batch.Lengths);
        step.InputVectors = profiled;
        return outputs;
    }

    /// <summary>The phase a callback's time counts to: each monitor its own, writers to checkpoints, the rest to callbacks.</summary>
    static string PhaseOf(ITrainingCallback callback) => callback switch
    {
        ITrainingMonitor monitor => TimeSplit.MonitorPrefix + monitor.Name,
        Checkpointing or TensorboardLogging => TimeSplit.Checkpoints,
        _ => TimeSplit.Callbacks,
    };

    /// <summary>Clips by norm and/or value; records the global norm before and after, and whether clipping acted.</summary>
    void Clip(StepContext step, List<(string Name, Parameter Parameter)> parameters, List<Parameter> weights)
    {
        double gradNorm = training.ClipGradNorm is double maxNorm
            ? nn.utils.clip_grad_norm_(weights, maxNorm)
            : GlobalNorm(parameters);
        bool clipped = training.ClipGradNorm is double limit && gradNorm > limit;
        if (training.ClipGradValue is double maxValue)
        {
            clipped |= weights.Any(w => w.grad is Tensor g && g.abs().max().item<float>() > maxValue);
            nn.utils.clip_grad_value_(weights, maxValue);
        }
        step.GradNorm = gradNorm;
        step.Clipped = clipped;
        step.ClippedGradNorm = clipped ? GlobalNorm(parameters) : gradNorm;
    }

    /// <summary>The batch on the trainer's device: the same object on the CPU, else a copy (lengths stay on the CPU, where packing wants them).</summary>
    SequenceBatch OnDevice(SequenceBatch batch)
    {
        if (device.type == DeviceType.CPU) return batch;
        return batch with { Inputs = batch.Inputs.to(device), Targets = batch.Targets.to(device), Lengths = batch.Lengths?.clone() };
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

    static double GlobalNorm(List<(string Name, Parameter Parameter)> parameters)
    {
        using var scope = NewDisposeScope(); // a number comes out; the temporaries go at once, so clipped and unclipped steps hold the same tensors
        var norms = parameters.Where(p => p.Parameter.grad is not null).Select(p => p.Parameter.grad!.norm().to(ScalarType.Float64)).ToList();
        return norms.Count == 0 ? 0 : stack(norms).norm().item<double>();
    }

    /// <summary>The recurrent state carried from window to window in truncated BPTT; kept outside every dispose scope and in checkpoints.</summary>
    sealed class CarriedState : ITrainingCallback, ICheckpointed, IDisposable
    {
        public RecurrentState? State { get; private set; }

        public string CheckpointKey => "carried_state";

        /// <summary>Keeps <paramref name="next"/> (detached, outside every dispose scope), disposing the old state.</summary>
        public void Replace(RecurrentState? next)
        {
            State?.Hidden.Dispose();
            State?.Cell?.Dispose();
            State = next is null ? null : new RecurrentState(next.Hidden.detach().DetachFromDisposeScope(), next.Cell?.detach().DetachFromDisposeScope());
        }

        public System.Text.Json.Nodes.JsonNode? SaveState(string folder)
        {
            if (State is null) return null;
            Checkpointing.SaveTensors(State.Cell is null ? new Dictionary<string, Tensor> { ["hidden"] = State.Hidden } : new() { ["hidden"] = State.Hidden, ["cell"] = State.Cell },
                Path.Combine(folder, "carried.bin"));
            return true;
        }

        public void LoadState(System.Text.Json.Nodes.JsonNode? state, string folder)
        {
            if (state is null) return;
            var tensors = Checkpointing.LoadTensors(Path.Combine(folder, "carried.bin"));
            Replace(null);
            State = new RecurrentState(tensors["hidden"], tensors.GetValueOrDefault("cell"));
        }

        public void Dispose() => Replace(null);
    }
}
