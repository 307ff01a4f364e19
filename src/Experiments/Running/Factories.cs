using SeqLab.Data.Batches;
using SeqLab.Data.Synthetic;
using SeqLab.Experiments.Config;
using SeqLab.Models;
using SeqLab.Models.Recurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Experiments.Running;

/// <summary>A data set as the runner sees it: how to draw training batches, fixed evaluation sets and the baseline to beat.</summary>
/// <param name="Features">Input features per time step.</param>
/// <param name="Outputs">Targets per sequence.</param>
/// <param name="SampleBatch">Draws one training batch from the generator.</param>
/// <param name="FixedSet">Draws a fixed set of the given size from the given seed.</param>
/// <param name="BaselineLoss">The trivial baseline's loss.</param>
/// <param name="BaselineName">What the baseline is.</param>
public sealed record TaskData(int Features, int Outputs, Func<Generator, SequenceBatch> SampleBatch, Func<int, long, SequenceBatch> FixedSet,
    double BaselineLoss, string BaselineName);

/// <summary>Turns config names into data sets and models; the one place that knows both vocabularies.</summary>
public static class Factories
{
    /// <summary>Builds the data set named in <paramref name="dataset"/>.</summary>
    public static TaskData CreateTask(DatasetConfig dataset, int batchSize) => dataset.Type switch
    {
        "adding" => AddingTask(new AddingProblem(dataset.Length), batchSize),
        _ => throw new ArgumentOutOfRangeException(nameof(dataset), dataset.Type, $"unknown data set; known: {string.Join(", ", Schema.DatasetTypes)}"),
    };

    static TaskData AddingTask(AddingProblem problem, int batchSize) =>
        new(AddingProblem.Features, 1, generator => problem.Sample(batchSize, generator), problem.FixedSet,
            AddingProblem.TrivialBaselineMse, "always predict 1 (MSE 1/6)");

    /// <summary>Builds the model named in <paramref name="model"/> for inputs of <paramref name="features"/> features.</summary>
    public static ISequenceModel CreateModel(ModelConfig model, int features, int outputs) =>
        new SequenceModel(new SequenceModelOptions(
            InputOptions.ForFeatures(features),
            new RecurrentOptions(RecurrentKindOf(model.Type), model.HiddenSize, model.Layers),
            new HeadOptions(TaskKind.SequenceRegression, outputs)));

    /// <summary>The recurrent cell for a model name.</summary>
    public static RecurrentKind RecurrentKindOf(string type) => type switch
    {
        "rnn" => RecurrentKind.RnnTanh,
        "rnn_relu" => RecurrentKind.RnnRelu,
        "lstm" => RecurrentKind.Lstm,
        "gru" => RecurrentKind.Gru,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, $"unknown model; known: {string.Join(", ", Schema.ModelTypes)}"),
    };
}
