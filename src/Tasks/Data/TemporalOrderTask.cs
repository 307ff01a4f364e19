using SeqLab.Data.Batches;
using SeqLab.Data.Synthetic;
using SeqLab.Config;
using SeqLab.Models;

namespace SeqLab.Tasks;

/// <summary><c>dataset: {type: temporal_order}</c> — the temporal-order task's keys.</summary>
public sealed record TemporalOrderConfig : SyntheticConfig
{
    /// <inheritdoc />
    public override string Type => "temporal_order";
}

/// <summary>Temporal order (Hochreiter &amp; Schmidhuber 1997): which of AA, AB, BA, BB appeared, far apart in noise; chance scores ln 4.</summary>
public sealed class TemporalOrderTask : SequenceDataKind<TemporalOrderConfig>
{
    /// <inheritdoc />
    public override string Summary => "6 one-hot symbols | AA/AB/BA/BB | cross-entropy | chance: ln 4";
    /// <inheritdoc />
    public override TaskKind Task => TaskKind.SequenceClassification;

    /// <inheritdoc />
    public override string DefaultSuccess => "accuracy >= 0.99";

    /// <inheritdoc />
    protected override TaskData Build(TemporalOrderConfig d, int batchSize, long seed)
    {
        var task = new TemporalOrder(d.Length);
        int min = d.MinLength ?? d.Length;
        SequenceBatch Draw(int n, TorchSharp.torch.Generator g) => task.Sample(n, min, d.Length, g);
        var (validation, test) = EvaluationSets(d, Draw, seed);
        return new TaskData(Shape(DataInput.ForFeatures(TemporalOrder.Features), TemporalOrder.Classes), (g, _) => Draw(batchSize, g), validation, test,
            Math.Log(TemporalOrder.Classes), "chance: uniform over the 4 orders (ln 4 nats)")
        {
            Artefacts = (_, outcome) => Confusion(outcome),
        };
    }
}
