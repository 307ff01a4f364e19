using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SeqLab.Models.Heads;

/// <summary>The loss of each task, with padded steps left out of per-step losses.</summary>
public static class SequenceLoss
{
    /// <summary>
    /// Mean loss of <paramref name="outputs"/> against <paramref name="targets"/>: MSE for regression, cross-entropy (nats)
    /// for classification and language modelling; per-step tasks average over valid steps only.
    /// </summary>
    public static Tensor Compute(TaskKind task, Tensor outputs, Tensor targets, Tensor? lengths = null)
    {
        // A batch that pads nothing needs no mask: selecting every step would only copy the logits and their gradient.
        if (task is TaskKind.StepRegression or TaskKind.StepClassification or TaskKind.LanguageModel)
            lengths = SeqLab.Runtime.Tensors.LengthMask.Needed(lengths, outputs.shape[1]);
        switch (task)
        {
            case TaskKind.SequenceRegression:
                return F.mse_loss(outputs, targets);
            case TaskKind.SequenceClassification:
                return F.cross_entropy(outputs, targets);
            case TaskKind.StepRegression:
                if (lengths is null) return F.mse_loss(outputs, targets);
                using (var valid = SeqLab.Runtime.Tensors.LengthMask.Valid(lengths, outputs.shape[0], outputs.shape[1], outputs.device))
                    return F.mse_loss(outputs[valid], targets[valid]);
            case TaskKind.StepClassification:
            case TaskKind.LanguageModel:
                if (lengths is null) return F.cross_entropy(outputs.reshape(-1, outputs.shape[2]), targets.reshape(-1));
                using (var valid = SeqLab.Runtime.Tensors.LengthMask.Valid(lengths, outputs.shape[0], outputs.shape[1], outputs.device))
                    return F.cross_entropy(outputs[valid], targets[valid]);
            default:
                throw new ArgumentOutOfRangeException(nameof(task), task, null);
        }
    }
}
