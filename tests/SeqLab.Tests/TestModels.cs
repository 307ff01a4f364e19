using SeqLab.Data.Batches;
using SeqLab.Data.Synthetic;
using SeqLab.Models;
using SeqLab.Models.Recurrent;

namespace SeqLab.Tests;

/// <summary>Small models the tests share.</summary>
static class TestModels
{
    /// <summary>A many-to-one recurrent regressor for the adding problem.</summary>
    public static SequenceModel Regressor(RecurrentKind kind, int hidden, int features = AddingProblem.Features) =>
        new(new SequenceModelOptions(InputOptions.ForFeatures(features), new RecurrentOptions(kind, hidden), new HeadOptions(TaskKind.SequenceRegression, 1)));

    /// <summary>The loss the task's criterion gives <paramref name="outputs"/> against <paramref name="targets"/> (per-step layouts for per-step tasks).</summary>
    public static TorchSharp.torch.Tensor Loss(TaskKind task, TorchSharp.torch.Tensor outputs, TorchSharp.torch.Tensor inputs, TorchSharp.torch.Tensor targets, TorchSharp.torch.Tensor? lengths = null)
    {
        var layout = task is TaskKind.SequenceRegression or TaskKind.SequenceClassification ? TargetLayout.PerSequence : TargetLayout.PerStep;
        return TaskCriteria.For(task).Loss(outputs, new SequenceBatch(inputs, targets, layout, lengths));
    }
}
