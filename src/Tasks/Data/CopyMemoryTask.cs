using SeqLab.Data.Batches;
using SeqLab.Data.Synthetic;
using SeqLab.Config;
using SeqLab.Models;

namespace SeqLab.Tasks;

/// <summary><c>dataset: {type: copy_memory}</c> — the copy task's keys.</summary>
public sealed record CopyMemoryConfig : SyntheticConfig
{
    /// <inheritdoc />
    public override string Type => "copy_memory";
}

/// <summary>Copy memory (Arjovsky et al. 2016): recall 10 symbols after a gap of T blanks; the memoryless baseline scores 10 ln 8/(T + 20) nats per step.</summary>
public sealed class CopyMemoryTask : SequenceDataKind<CopyMemoryConfig>
{
    /// <inheritdoc />
    public override string Summary => "tokens (blank, 8 symbols, delimiter) | every step's symbol | cross-entropy (nats/step) | memoryless: 10 ln 8/(T+20)";
    /// <inheritdoc />
    protected override bool ReadsTokens(CopyMemoryConfig config) => true;

    /// <inheritdoc />
    public override TaskKind Task => TaskKind.StepClassification;

    /// <inheritdoc />
    public override string DefaultSuccess => "baseline_ratio < 0.1";

    /// <inheritdoc />
    protected override TaskData Build(CopyMemoryConfig d, int batchSize, long seed)
    {
        var task = new CopyMemory(d.Length);
        int min = d.MinLength ?? d.Length;
        SequenceBatch Draw(int n, TorchSharp.torch.Generator g) => task.Sample(n, min, d.Length, g);
        double baseline = min == d.Length ? task.MemorylessBaseline : double.NaN;
        var (validation, test) = EvaluationSets(d, Draw, seed);
        return new TaskData(Shape(DataInput.ForTokens(task.VocabularySize), task.Classes), (g, _) => Draw(batchSize, g), validation, test,
            baseline, "memoryless: blanks, then a uniform guess (10 ln 8/(T+20) nats)")
        {
            Artefacts = (_, outcome) => Confusion(outcome),
        };
    }
}
