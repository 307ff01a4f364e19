using SeqLab.Data.Batches;
using SeqLab.Models;
using SeqLab.Models.Introspection;
using SeqLab.Training.Logging;
using static TorchSharp.torch;

namespace SeqLab.Training.Criteria;

/// <summary>
/// What a task optimises and reports (fairseq's criterion): the loss of a model's outputs on a batch, and the metrics of a
/// whole evaluation set, gathered chunk by chunk. The task chooses it; the trainer, the evaluator and the monitors use it.
/// </summary>
public interface ICriterion
{
    /// <summary>A short name for logs and docs (e.g. <c>mse</c>, <c>cross_entropy</c>).</summary>
    string Name { get; }

    /// <summary>The mean loss of <paramref name="outputs"/> (the model's forward pass on <paramref name="batch"/>) against the batch's targets; padded steps left out.</summary>
    Tensor Loss(Tensor outputs, SequenceBatch batch);

    /// <summary>A fresh gatherer for one evaluation: chunks go in with <see cref="IMetricAccumulator.Add"/>, the set's loss and metrics come out.</summary>
    IMetricAccumulator Accumulate();
}

/// <summary>Gathers one evaluation set's outputs chunk by chunk (under <c>no_grad</c>, inside the evaluation's dispose scope).</summary>
public interface IMetricAccumulator
{
    /// <summary>Adds one chunk: the model's outputs on <paramref name="part"/>.</summary>
    void Add(Tensor outputs, SequenceBatch part);

    /// <summary>The loss and metrics over every chunk added.</summary>
    Evaluation Result();
}

/// <summary>The criteria of the single-sequence tasks, and the default for a model whose head serves one of them.</summary>
public static class TaskCriteria
{
    /// <summary>The criterion of <paramref name="task"/>: MSE for regression, cross-entropy (nats) for classification and language modelling.</summary>
    public static ICriterion For(TaskKind task) => task switch
    {
        TaskKind.SequenceRegression => new RegressionCriterion(perStep: false),
        TaskKind.StepRegression => new RegressionCriterion(perStep: true),
        TaskKind.SequenceClassification => new ClassificationCriterion(perStep: false),
        TaskKind.StepClassification => new ClassificationCriterion(perStep: true),
        TaskKind.LanguageModel => new LanguageModelCriterion(),
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, null),
    };

    /// <summary>The criterion the head of <paramref name="model"/> calls for (<see cref="ITaskHead"/>).</summary>
    /// <exception cref="ArgumentException">The model has no such head: the task must name its criterion.</exception>
    public static ICriterion Default(ISequenceModel model) =>
        model.Capability<ITaskHead>() is { } head ? For(head.Task)
            : throw new ArgumentException($"{model.Description}: the model has no single-task head; give the criterion (TrainingRun.Criterion)");
}
