using System.Diagnostics;
using SeqLab.Data.Batches;
using SeqLab.Models;
using SeqLab.Models.Introspection;
using SeqLab.Training.Callbacks;
using SeqLab.Training.Criteria;
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

    /// <summary>What the task optimises and reports; null: the one the model's head calls for (<see cref="TaskCriteria.Default"/>).</summary>
    public ICriterion? Criterion { get; init; }

    /// <summary>The forward pass and loss of a step; null: <see cref="TrainingStep"/>'s.</summary>
    public TrainingStep? Step { get; init; }

    /// <summary>How validation and test sets are scored; null: an <see cref="Evaluator"/> in chunks of <see cref="TrainingOptions.EvalBatchSize"/>.</summary>
    public Evaluator? Evaluator { get; init; }
}

/// <summary>
/// A minimal supervised training loop for every sequence task: SGD/Adam/AdamW/RMSprop with schedules, L1/L2 penalties,
/// clipping by norm and value, and truncated BPTT. The task brings its criterion (loss and metrics), and may bring its own
/// training step and evaluator; everything else — monitors, early stopping, checkpoints, TensorBoard — is a callback
/// (<see cref="ITrainingCallback"/>) run at fixed points of each step. Every step runs inside its own dispose scope. The
/// trainer owns device placement: batches, evaluation sets and the monitoring batch are moved to its device.
/// </summary>
public sealed class Trainer(TrainingOptions training, MonitoringOptions monitoring, Device? device = null)
{
    readonly Device device = device ?? CPU;
    readonly TrainingOptions training = training;
    readonly MonitoringOptions monitoring = monitoring;

    /// <summary>
    /// Trains <paramref name="model"/> on batches from <paramref name="sampleBatch"/>, evaluating on
    /// <paramref name="validation"/> and finally on <paramref name="test"/>. The caller seeds torch before building the model;
    /// <paramref name="dataGenerator"/> fixes the order of training batches.
    /// </summary>
    /// <remarks>Everything else about the run — criterion, progress, checkpoints, BPTT, the monitoring batch, monitors and callbacks — is in <paramref name="run"/>.</remarks>
    public TrainingOutcome Train(ISequenceModel model, Func<Generator, int, SequenceBatch> sampleBatch, Generator dataGenerator,
        SequenceBatch validation, SequenceBatch test, TrainingRun? run = null)
    {
        run ??= new TrainingRun();
        using var gradientsOn = enable_grad(); // grad mode is per thread: a worker thread (--jobs) must not inherit it off
        if (run.StatefulPeriod is not null && model.Capability<IStagedSequenceModel>() is not { CarriesState: true })
            throw new ArgumentException("truncated BPTT carries a recurrent state: it needs a recurrent model that exposes its stages (IStagedSequenceModel)");
        var monitors = (run.Monitors ?? MonitorRegistry.Create(monitoring.Monitors)).ToList();
        var log = new TrainingLog(monitors);
        var parameters = model.NamedParameters().ToList();
        using var optimizer = Optimisation.Create(training.Optimizer, parameters.Select(p => p.Parameter).ToList(), training.LearningRate, training.Momentum, training.WeightDecay);
        var onDeviceMonitoring = run.MonitoringBatch?.To(device);
        var carried = new CarriedState();
        var context = new TrainingContext
        {
            Model = model, Parameters = parameters, Training = training, Monitoring = monitoring, Log = log, Optimizer = optimizer,
            DataGenerator = dataGenerator, Device = device, Folder = run.Folder, MonitoringBatch = onDeviceMonitoring,
            Criterion = run.Criterion ?? TaskCriteria.Default(model),
        };
        context.Callbacks = [.. monitors, .. run.Callbacks, carried, .. OwnCallbacks(run.Folder)];
        var loop = new Loop(this, context, run, carried, sampleBatch, validation);
        try
        {
            return loop.Run(test);
        }
        finally
        {
            foreach (var callback in context.Callbacks.OfType<IDisposable>()) callback.Dispose();
            if (!ReferenceEquals(onDeviceMonitoring, run.MonitoringBatch)) onDeviceMonitoring?.Dispose();
        }
    }

    /// <summary>The callbacks the options ask for: early stopping, TensorBoard and — last, when every other callback is ready for its state — checkpoints.</summary>
    List<ITrainingCallback> OwnCallbacks(string? folder)
    {
        var owned = new List<ITrainingCallback>();
        if (training.EarlyStoppingPatience is int patience) owned.Add(new EarlyStopping(patience, training.MinDelta));
        if (monitoring.Tensorboard && folder is not null) owned.Add(new TensorboardLogging(folder));
        if (folder is not null) owned.Add(new Checkpointing(folder));
        return owned;
    }

    /// <summary>One run of the loop: its steps, each callback hook timed to its phase, and the final test.</summary>
    sealed class Loop(Trainer trainer, TrainingContext context, TrainingRun run, CarriedState carried, Func<Generator, int, SequenceBatch> sampleBatch, SequenceBatch validation)
    {
        readonly TrainingOptions training = trainer.training;
        readonly TrainingStep forward = run.Step ?? new TrainingStep();
        readonly Evaluator evaluator = run.Evaluator ?? new Evaluator { ChunkSize = trainer.training.EvalBatchSize };
        readonly List<Parameter> weights = context.Parameters.Select(p => p.Parameter).ToList();
        readonly string[] phases = context.Callbacks.Select(PhaseOf).ToArray();
        readonly Stopwatch clock = Stopwatch.StartNew();
        double elapsedBefore;
        TimeSplit Time => context.Log.Time;

        double Elapsed() => elapsedBefore + clock.Elapsed.TotalSeconds;

        /// <summary>Runs one callback hook on every callback, each one's time to its phase.</summary>
        void Notify(Action<ITrainingCallback> hook)
        {
            long mark = Stopwatch.GetTimestamp();
            for (int i = 0; i < context.Callbacks.Count; i++)
            {
                hook(context.Callbacks[i]);
                Time.Lap(phases[i], ref mark);
            }
        }

        public TrainingOutcome Run(SequenceBatch test)
        {
            var model = context.Model;
            model.Module.train();
            Notify(callback => callback.OnTrainStart(context));
            model.Module.train();
            elapsedBefore = context.Log.Steps.Count > 0 ? context.Log.Steps[^1].ElapsedSeconds : 0;
            string? note = null;
            for (int step = context.FirstStep; step <= training.Steps; step++)
            {
                if (run.Cancellation.IsCancellationRequested)
                {
                    Notify(callback => callback.OnInterrupted(context, step - 1));
                    return new TrainingOutcome(TrainingStatus.Interrupted, step - 1, double.NaN, new Dictionary<string, double>(), context.Log,
                        $"interrupted after step {step - 1}{(run.Folder is null ? "" : "; run again with --resume to continue from there")}", Elapsed());
                }
                using var scope = NewDisposeScope();
                var (stepContext, diverged) = Step(step);
                if (diverged is not null) return diverged;
                if (stepContext.StopRequested)
                {
                    note = stepContext.StopNote;
                    break;
                }
            }
            Notify(callback => callback.OnTrainEnd(context));

            long testStart = Stopwatch.GetTimestamp();
            var testEvaluation = evaluator.Evaluate(model, test, context.Criterion, trainer.device);
            Time.Lap(TimeSplit.Evaluation, ref testStart);
            int stepsRun = context.Log.Steps.Count;
            context.Log.Evaluations.Add(new EvaluationRecord(stepsRun, "test", testEvaluation));
            return new TrainingOutcome(TrainingStatus.Completed, stepsRun, testEvaluation.Loss, testEvaluation.Metrics, context.Log, note, Elapsed());
        }

        /// <summary>One optimiser step; the outcome when it diverged.</summary>
        (StepContext Step, TrainingOutcome? Diverged) Step(int step)
        {
            var log = context.Log;
            long mark = Stopwatch.GetTimestamp();
            double learningRate = Optimisation.LearningRate(training.Schedule, training.LearningRate, step, training.Steps,
                training.WarmupSteps, training.StepSize, training.Gamma, training.MinLearningRate);
            Optimisation.SetLearningRate(context.Optimizer, learningRate);
            Time.Lap(TimeSplit.Optimizer, ref mark);
            using var batch = sampleBatch(context.DataGenerator, step).To(trainer.device);
            if (run.StatefulPeriod is int period && (step - 1) % period == 0) carried.Replace(null); // a new pass over the streams
            Time.Lap(TimeSplit.Data, ref mark);
            var stepContext = new StepContext(context, step, batch, learningRate);
            Notify(callback => callback.OnStepStart(stepContext));

            mark = Stopwatch.GetTimestamp();
            context.Optimizer.zero_grad();
            Time.Lap(TimeSplit.Optimizer, ref mark);
            bool stateful = run.StatefulPeriod is not null;
            var outputs = forward.Forward(context.Model, stepContext, stateful ? carried.State : null, out var finalState);
            if (stateful) carried.Replace(finalState); // detached: gradients stop at the window boundary
            var loss = forward.Loss(outputs, stepContext, context.Criterion);
            var penalty = Optimisation.Penalty(weights, training.L1, training.L2);
            var objective = penalty is null ? loss : loss + penalty;
            Time.Lap(TimeSplit.Forward, ref mark);
            objective.backward();
            stepContext.Loss = loss.item<float>();
            Time.Lap(TimeSplit.Backward, ref mark);
            Notify(callback => callback.AfterBackward(stepContext));

            mark = Stopwatch.GetTimestamp();
            trainer.Clip(stepContext, context.Parameters, weights);
            Time.Lap(TimeSplit.Clipping, ref mark);
            Notify(callback => callback.AfterClipping(stepContext));
            if (!double.IsFinite(stepContext.Loss) || !double.IsFinite(stepContext.GradNorm))
            {
                log.Steps.Add(new StepMetrics(step, stepContext.Loss, stepContext.GradNorm, stepContext.Clipped, null, Elapsed()) { LearningRate = learningRate, ClippedGradNorm = stepContext.ClippedGradNorm });
                string lastFinite = log.Steps.LastOrDefault(s => double.IsFinite(s.GradNorm))?.GradNorm is double finite ? $"{finite}" : "none";
                string reason = $"step {step}: loss {stepContext.Loss}, gradient norm {stepContext.GradNorm} (last finite gradient norm {lastFinite})";
                return (stepContext, new TrainingOutcome(TrainingStatus.Diverged, step, double.NaN, new Dictionary<string, double>(), log, reason, Elapsed()));
            }

            Notify(callback => callback.BeforeOptimizerStep(stepContext));
            mark = Stopwatch.GetTimestamp();
            context.Optimizer.step();
            Time.Lap(TimeSplit.Optimizer, ref mark);
            Notify(callback => callback.AfterOptimizerStep(stepContext));

            if (step % training.EvalEvery == 0 || step == training.Steps)
            {
                mark = Stopwatch.GetTimestamp();
                var evaluation = evaluator.Evaluate(context.Model, validation, context.Criterion, trainer.device);
                Time.Lap(TimeSplit.Evaluation, ref mark);
                log.Evaluations.Add(new EvaluationRecord(step, "validation", evaluation));
                stepContext.Validation = evaluation;
                Notify(callback => callback.AfterEvaluation(stepContext, evaluation));
            }
            var metrics = new StepMetrics(step, stepContext.Loss, stepContext.GradNorm, stepContext.Clipped, stepContext.Validation?.Loss, Elapsed())
                { LearningRate = learningRate, ClippedGradNorm = stepContext.ClippedGradNorm };
            log.Steps.Add(metrics);
            stepContext.Metrics = metrics;
            Notify(callback => callback.OnStepEnd(stepContext));
            run.Observer?.Invoke(metrics);
            return (stepContext, null);
        }
    }

    /// <summary>The phase a callback's time counts to: each monitor its own, writers to checkpoints, the rest to callbacks.</summary>
    static string PhaseOf(ITrainingCallback callback) => callback switch
    {
        ITrainingMonitor monitor => TimeSplit.MonitorPrefix + monitor.Name,
        Checkpointing or TensorboardLogging => TimeSplit.Checkpoints,
        _ => TimeSplit.Callbacks,
    };

    /// <summary>Clips by norm and/or value; records the global norm before and after, and whether clipping acted.</summary>
    void Clip(StepContext step, IReadOnlyList<(string Name, Parameter Parameter)> parameters, List<Parameter> weights)
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

    /// <summary>The loss and metrics of <paramref name="model"/> on <paramref name="set"/> under the criterion its head calls for, in eval mode without gradients.</summary>
    public static Evaluation Evaluate(ISequenceModel model, SequenceBatch set, Device? device = null) =>
        new Evaluator().Evaluate(model, set, TaskCriteria.Default(model), device);

    static double GlobalNorm(IReadOnlyList<(string Name, Parameter Parameter)> parameters)
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
