using SeqLab.Data.Batches;
using SeqLab.Models;
using SeqLab.Training.Logging;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SeqLab.Training.Callbacks;

/// <summary>What every callback may read about the run: the model, its parameters, the options, the log and the optimiser.</summary>
public sealed class TrainingContext
{
    /// <summary>The model being trained.</summary>
    public required ISequenceModel Model { get; init; }
    /// <summary>Its parameters with their dotted names, in the model's order.</summary>
    public required IReadOnlyList<(string Name, Parameter Parameter)> Parameters { get; init; }
    /// <summary>How it trains.</summary>
    public required TrainingOptions Training { get; init; }
    /// <summary>What the monitors record.</summary>
    public required MonitoringOptions Monitoring { get; init; }
    /// <summary>Everything measured so far.</summary>
    public required TrainingLog Log { get; init; }
    /// <summary>What the task optimises and reports: monitors that take a loss of their own (through a twin, on the monitoring batch) use it.</summary>
    public required SeqLab.Training.Criteria.ICriterion Criterion { get; init; }
    /// <summary>The optimiser.</summary>
    public required optim.Optimizer Optimizer { get; init; }
    /// <summary>The generator that draws the training batches.</summary>
    public required Generator DataGenerator { get; init; }
    /// <summary>Where tensors live.</summary>
    public Device Device { get; init; } = CPU;
    /// <summary>The experiment's folder (checkpoints, TensorBoard); null when the run writes nothing.</summary>
    public string? Folder { get; init; }
    /// <summary>A small fixed batch (on <see cref="Device"/>) for the expensive monitors; null when none was given.</summary>
    public SequenceBatch? MonitoringBatch { get; init; }
    /// <summary>Every callback of the run, in order (the checkpoint gathers the <see cref="ICheckpointed"/> ones).</summary>
    public IReadOnlyList<ITrainingCallback> Callbacks { get; internal set; } = [];
    /// <summary>The first step to run: 1, or the step after a restored checkpoint.</summary>
    public int FirstStep { get; set; } = 1;

    /// <summary>Whether <paramref name="step"/> is one on which the per-step monitors record (step 1, every log_every and the last).</summary>
    public bool IsLogStep(int step) => step == 1 || step % Monitoring.LogEvery == 0 || step == Training.Steps;

    /// <summary>Whether the expensive monitors run on <paramref name="step"/> (step 1, every expensive_every and the last).</summary>
    public bool IsExpensiveStep(int step) => step == 1 || step % Monitoring.ExpensiveEvery == 0 || step == Training.Steps;
}

/// <summary>One step as the callbacks see it; the trainer fills it in as the step proceeds.</summary>
public sealed class StepContext(TrainingContext run, int step, SequenceBatch batch, double learningRate)
{
    /// <summary>The run.</summary>
    public TrainingContext Run { get; } = run;
    /// <summary>1-based step.</summary>
    public int Step { get; } = step;
    /// <summary>This step's training batch (on the run's device).</summary>
    public SequenceBatch Batch { get; } = batch;
    /// <summary>The learning rate of this step.</summary>
    public double LearningRate { get; } = learningRate;
    /// <summary>Whether the per-step monitors record on this step.</summary>
    public bool IsLogStep => Run.IsLogStep(Step);
    /// <summary>Whether the expensive monitors run on this step.</summary>
    public bool IsExpensiveStep => Run.IsExpensiveStep(Step);

    /// <summary>Whether some callback asked for ∂L/∂x_t on this step.</summary>
    public bool InputGradientsRequested { get; private set; }
    /// <summary>Asks the trainer to keep the gradient of the vectors the encoder reads (call from <see cref="ITrainingCallback.OnStepStart"/>).</summary>
    public void RequestInputGradients() => InputGradientsRequested = true;
    /// <summary>The vectors the encoder read, [batch, time, width], whose <c>grad</c> holds ∂L/∂x_t after backward; null unless requested (or the model cannot give them).</summary>
    public Tensor? InputVectors { get; internal set; }

    /// <summary>The mini-batch loss (task loss, without penalties).</summary>
    public double Loss { get; internal set; }
    /// <summary>Global gradient norm before clipping.</summary>
    public double GradNorm { get; internal set; }
    /// <summary>Global gradient norm after clipping.</summary>
    public double ClippedGradNorm { get; internal set; }
    /// <summary>Whether clipping changed the gradient.</summary>
    public bool Clipped { get; internal set; }
    /// <summary>This step's validation result, on evaluation steps.</summary>
    public Evaluation? Validation { get; internal set; }
    /// <summary>This step's row of the log, once the step is done.</summary>
    public StepMetrics? Metrics { get; internal set; }

    /// <summary>Whether a callback asked to stop after this step.</summary>
    public bool StopRequested => StopNote is not null;
    /// <summary>Why training stops after this step.</summary>
    public string? StopNote { get; private set; }
    /// <summary>Ends training after this step (completed, with <paramref name="note"/> in the outcome).</summary>
    public void RequestStop(string note) => StopNote ??= note;
}
