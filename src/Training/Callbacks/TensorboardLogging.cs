using TorchSharp;

namespace SeqLab.Training.Callbacks;

/// <summary>TensorBoard event files in <c>&lt;folder&gt;/tensorboard/</c>: loss, gradient norm and learning rate every step, validation metrics, gradient histograms on logged steps.</summary>
public sealed class TensorboardLogging(string folder) : ITrainingCallback
{
    readonly TorchSharp.Modules.SummaryWriter writer = torch.utils.tensorboard.SummaryWriter(Path.Combine(folder, "tensorboard"));

    /// <inheritdoc />
    public void AfterBackward(StepContext step)
    {
        if (!step.IsLogStep) return;
        foreach (var (name, parameter) in step.Run.Parameters)
            if (parameter.grad is torch.Tensor grad) writer.add_histogram($"gradients/{name}", grad, step.Step);
    }

    /// <inheritdoc />
    public void OnStepEnd(StepContext step)
    {
        writer.add_scalar("train/loss", (float)step.Loss, step.Step);
        writer.add_scalar("train/grad_norm", (float)step.GradNorm, step.Step);
        writer.add_scalar("train/learning_rate", (float)step.LearningRate, step.Step);
        if (step.Validation is { } validation)
            foreach (var (metric, value) in validation.Metrics.Append(new("loss", validation.Loss)))
                writer.add_scalar($"validation/{metric}", (float)value, step.Step);
    }
}
