using SeqLab.Training.Monitors;

namespace SeqLab.Training.Logging;

/// <summary>One training step's scalars.</summary>
/// <param name="Step">1-based optimiser step.</param>
/// <param name="TrainLoss">Mini-batch loss before the update.</param>
/// <param name="GradNorm">Global L2 gradient norm before clipping.</param>
/// <param name="Clipped">Whether clipping rescaled the gradient on this step.</param>
/// <param name="ValidationLoss">Validation loss after the update, on evaluation steps only.</param>
/// <param name="ElapsedSeconds">Wall time since training started.</param>
public sealed record StepMetrics(int Step, double TrainLoss, double GradNorm, bool Clipped, double? ValidationLoss, double ElapsedSeconds)
{
    /// <summary>The learning rate used on this step.</summary>
    public double LearningRate { get; init; }

    /// <summary>Global L2 gradient norm after clipping (by norm and/or by value): what the optimiser actually received.</summary>
    public double ClippedGradNorm { get; init; }
}

/// <summary>A loss and the task's metrics on one evaluation set.</summary>
public sealed record Evaluation(double Loss, Dictionary<string, double> Metrics)
{
    /// <summary>Classification: counts[actual][predicted]; null otherwise.</summary>
    public long[][]? Confusion { get; init; }
}

/// <summary>One evaluation: after which step, on which split (validation or test), with what result.</summary>
public sealed record EvaluationRecord(int Step, string Split, Evaluation Result);

/// <summary>
/// Everything a run measured: the trainer's own per-step scalars and evaluations, and the monitors, each holding its
/// records. Kept in memory and written once at the end.
/// </summary>
public sealed class TrainingLog(IEnumerable<ITrainingMonitor>? monitors = null)
{
    readonly List<string> notes = [];

    /// <summary>One row per step.</summary>
    public List<StepMetrics> Steps { get; } = [];

    /// <summary>Where the wall time went, by phase (the trainer fills it; a checkpoint carries it).</summary>
    public TimeSplit Time { get; } = new();

    /// <summary>The steps after which this run was resumed from a checkpoint, in order (empty: it ran straight through).</summary>
    public List<int> ResumedAfter { get; } = [];

    /// <summary>Every evaluation: step, split (validation or test) and the loss with the task's metrics.</summary>
    public List<EvaluationRecord> Evaluations { get; } = [];

    /// <summary>The monitors that ran, in order; each owns its records, tables and evidence.</summary>
    public IReadOnlyList<ITrainingMonitor> Monitors { get; } = (monitors ?? []).ToList();

    /// <summary>The monitor of type <typeparamref name="T"/>, or null when it did not run.</summary>
    public T? Monitor<T>() where T : class, ITrainingMonitor => Monitors.OfType<T>().FirstOrDefault();

    /// <summary>Things worth saying once (e.g. a monitor that does not apply to this model).</summary>
    public IReadOnlyList<string> Notes => notes;

    /// <summary>Records <paramref name="message"/> unless it was said already.</summary>
    public void Note(string message)
    {
        lock (notes) if (!notes.Contains(message)) notes.Add(message);
    }

    /// <summary>
    /// Every table of the run: the trainer's <c>metrics.csv</c> (one row per step) and <c>evaluation.csv</c> (one row per
    /// evaluation, split and metric), then each monitor's tables — what a results folder holds, and what reports draw.
    /// </summary>
    public IEnumerable<ResultTable> Tables()
    {
        var metrics = new Csv("step", "train_loss", "grad_norm", "grad_norm_clipped", "clipped", "learning_rate", "elapsed_seconds");
        foreach (var s in Steps)
            metrics.Row(s.Step, s.TrainLoss, s.GradNorm, s.ClippedGradNorm, s.Clipped, s.LearningRate, s.ElapsedSeconds);
        yield return new ResultTable("metrics.csv", metrics);

        // Evaluations are sparse, so they get their own dense table rather than mostly-empty columns in metrics.csv.
        var evaluation = new Csv("step", "split", "metric", "value");
        foreach (var (step, split, result) in Evaluations)
        {
            evaluation.Row(step, split, "loss", result.Loss);
            foreach (var (metric, value) in result.Metrics) evaluation.Row(step, split, metric, value);
        }
        yield return new ResultTable("evaluation.csv", evaluation);

        foreach (var monitor in Monitors)
            foreach (var table in monitor.Tables())
                yield return table;
    }
}
