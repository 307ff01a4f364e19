using System.Text.Json.Nodes;
using SeqLab.Training.Logging;

namespace SeqLab.Training.Callbacks;

/// <summary>
/// Code the trainer runs at fixed points of every step, in the order the callbacks were given (Lightning's callbacks).
/// Every hook has an empty default, so a callback implements only the ones it needs. Hooks run inside the step's dispose
/// scope: tensors a hook makes are freed with the step unless it moves them out.
/// </summary>
public interface ITrainingCallback
{
    /// <summary>Once, before the first step (a resumed run: before the first step after the checkpoint).</summary>
    void OnTrainStart(TrainingContext context) { }

    /// <summary>Before the forward pass; the batch is drawn. Ask for ∂L/∂x_t here (<see cref="StepContext.RequestInputGradients"/>).</summary>
    void OnStepStart(StepContext step) { }

    /// <summary>After backward, before clipping: the gradients are the raw ones.</summary>
    void AfterBackward(StepContext step) { }

    /// <summary>After clipping: <see cref="StepContext.GradNorm"/> (before) and <see cref="StepContext.ClippedGradNorm"/> (after) are known.</summary>
    void AfterClipping(StepContext step) { }

    /// <summary>Just before the optimiser updates the weights (not on a diverged step).</summary>
    void BeforeOptimizerStep(StepContext step) { }

    /// <summary>Just after the optimiser updated the weights.</summary>
    void AfterOptimizerStep(StepContext step) { }

    /// <summary>After a validation evaluation (every <see cref="TrainingOptions.EvalEvery"/> steps and after the last).</summary>
    void AfterEvaluation(StepContext step, Evaluation validation) { }

    /// <summary>At the end of a step, after its metrics were added to the log.</summary>
    void OnStepEnd(StepContext step) { }

    /// <summary>When the run is stopped on request after <paramref name="lastStep"/> (0 when no step ran).</summary>
    void OnInterrupted(TrainingContext context, int lastStep) { }

    /// <summary>After the last step of a completed run (all steps, or an early stop), before the test evaluation.</summary>
    void OnTrainEnd(TrainingContext context) { }
}

/// <summary>A callback with state that a checkpoint must keep so a resumed run ends with the numbers of an uninterrupted one.</summary>
public interface ICheckpointed
{
    /// <summary>A name unique among the run's callbacks; keys the state in the checkpoint.</summary>
    string CheckpointKey { get; }

    /// <summary>The state as JSON; tensors may be written as files into <paramref name="folder"/> (the checkpoint being written).</summary>
    JsonNode? SaveState(string folder);

    /// <summary>Restores what <see cref="SaveState"/> wrote.</summary>
    void LoadState(JsonNode? state, string folder);
}
