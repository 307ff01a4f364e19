using SeqLab.Data.Batches;
using SeqLab.Data.Synthetic;
using SeqLab.Config;
using SeqLab.Models;

namespace SeqLab.Tasks;

/// <summary><c>dataset: {type: adding}</c> — the adding problem's keys.</summary>
public sealed record AddingConfig : SyntheticConfig
{
    /// <inheritdoc />
    public override string Type => "adding";
}

/// <summary>The adding problem (Hochreiter &amp; Schmidhuber 1997; Arjovsky et al. 2016): the sum of the two marked values; always predicting 1 scores MSE 1/6.</summary>
public sealed class AddingTask : SequenceDataKind<AddingConfig>
{
    /// <inheritdoc />
    public override string Summary => "2 features (value, marker) | the sum of the two marked values | MSE | always 1: MSE 1/6";
    /// <inheritdoc />
    public override TaskKind Task => TaskKind.SequenceRegression;

    /// <inheritdoc />
    public override string DefaultSuccess => "test_loss < 0.01";

    /// <inheritdoc />
    protected override TaskData Build(AddingConfig d, int batchSize, long seed)
    {
        var problem = new AddingProblem(d.Length);
        Func<int, TorchSharp.torch.Generator, SequenceBatch> draw = d.MinLength is int min
            ? (n, g) => AddingProblem.SampleVariable(n, min, d.Length, g)
            : problem.Sample;
        var (validation, test) = EvaluationSets(d, draw, seed);
        return new TaskData(Shape(DataInput.ForFeatures(AddingProblem.Features), 1), (g, _) => draw(batchSize, g), validation, test,
            AddingProblem.TrivialBaselineMse, "always predict 1 (MSE 1/6)");
    }
}
