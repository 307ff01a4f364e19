using SeqLab.Data.Batches;
using SeqLab.Models;
using SeqLab.Models.Introspection;
using SeqLab.Training.Callbacks;
using SeqLab.Training.Criteria;
using SeqLab.Training.Logging;
using static TorchSharp.torch;

namespace SeqLab.Training;

/// <summary>What a model reads of a batch: its source with lengths and, for encoder–decoders, the decoder's input and target lengths.</summary>
public static class BatchInput
{
    /// <summary>The <see cref="ModelInput"/> of <paramref name="batch"/>.</summary>
    public static ModelInput ForModel(this SequenceBatch batch) =>
        new(batch.Inputs, batch.Lengths) { DecoderInputs = batch.DecoderInputs, TargetLengths = batch.TargetLengths };
}

/// <summary>
/// The forward pass and loss of one training step (Lightning's <c>training_step</c>). The default runs the model on the
/// batch — from the vectors its encoder reads where the model exposes them, so monitors can take ∂L/∂x_t — and scores it
/// with the task's criterion; a task or a model with other needs derives from it.
/// </summary>
public class TrainingStep
{
    /// <summary>
    /// The outputs of <paramref name="model"/> on the step's batch. Where a callback asked for ∂L/∂x_t
    /// (<see cref="StepContext.RequestInputGradients"/>), real-valued inputs are made to require grad (it works through the
    /// fused kernels) and token models keep the gradient of their embedded vectors; the vectors go to
    /// <see cref="StepContext.InputVectors"/>. <paramref name="initialState"/> starts a recurrent encoder (truncated BPTT)
    /// and <paramref name="finalState"/> is its state after the window.
    /// </summary>
    public virtual Tensor Forward(ISequenceModel model, StepContext step, RecurrentState? initialState, out RecurrentState? finalState)
    {
        var batch = step.Batch;
        bool features = batch.Inputs.is_floating_point();
        Tensor? profiled = step.InputGradientsRequested && features ? batch.Inputs.detach().requires_grad_(true) : null;
        var input = batch.ForModel() with { Source = profiled ?? batch.Inputs };
        finalState = null;
        Tensor outputs;
        if (model.Capability<IStagedSequenceModel>() is { } staged)
        {
            var vectors = staged.Embed(input.Source);
            if (step.InputGradientsRequested && !features && vectors.requires_grad)
            {
                vectors.retain_grad();
                profiled = vectors;
            }
            outputs = staged.ForwardFromVectors(vectors, input, initialState, out finalState);
        }
        else outputs = model.Forward(input);
        step.InputVectors = profiled;
        return outputs;
    }

    /// <summary>The loss to minimise (before penalties): the criterion's on the step's batch.</summary>
    public virtual Tensor Loss(Tensor outputs, StepContext step, ICriterion criterion) => criterion.Loss(outputs, step.Batch);
}

/// <summary>
/// Scores a model on an evaluation set (validation, test) in eval mode without gradients, in chunks of
/// <see cref="ChunkSize"/> sequences, through the criterion's accumulator. A task that also decodes (sequence to
/// sequence) derives from it.
/// </summary>
public class Evaluator
{
    /// <summary>Sequences per forward pass; null: the whole set at once.</summary>
    public int? ChunkSize { get; set; }

    /// <summary>The loss and metrics of <paramref name="model"/> on <paramref name="set"/> under <paramref name="criterion"/>, on <paramref name="device"/>.</summary>
    public virtual Evaluation Evaluate(ISequenceModel model, SequenceBatch set, ICriterion criterion, Device? device = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        bool wasTraining = model.Module.training;
        model.Module.eval();
        try
        {
            var accumulator = criterion.Accumulate();
            long chunk = Math.Max(1, ChunkSize ?? set.Size);
            for (long start = 0; start < set.Size; start += chunk)
            {
                var part = (chunk >= set.Size ? set : set.Rows(start, Math.Min(chunk, set.Size - start))).To(device ?? CPU);
                accumulator.Add(model.Forward(part.ForModel()), part);
            }
            return accumulator.Result();
        }
        finally
        {
            if (wasTraining) model.Module.train();
        }
    }
}
