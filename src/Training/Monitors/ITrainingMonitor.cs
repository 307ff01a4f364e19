using System.Text.Json;
using System.Text.Json.Nodes;
using SeqLab.Training.Callbacks;
using SeqLab.Training.Diagnosis;
using SeqLab.Training.Logging;

namespace SeqLab.Training.Monitors;

/// <summary>
/// A monitor: a callback that measures something during training and owns all of it — its records, its checkpoint state,
/// the result tables it writes, the headline numbers it adds to the experiment summary and the evidence it gives the
/// gradient-flow verdict. Adding one is a new class plus one line in <see cref="MonitorRegistry"/>.
/// </summary>
public interface ITrainingMonitor : ITrainingCallback, ICheckpointed
{
    /// <summary>A short snake_case name (also its checkpoint key).</summary>
    string Name { get; }

    /// <summary>The tables to write into the experiment folder (none when the monitor did not apply).</summary>
    IEnumerable<ResultTable> Tables();

    /// <summary>Headline numbers for the experiment summary (snake_case keys, e.g. <c>gradient_ratio_last</c>; null: not measurable).</summary>
    IEnumerable<(string Key, double? Value)> Headlines() => [];

    /// <summary>Words for the headline keys, for tables and reports: stem (the key without <c>_first</c>/<c>_last</c>) → label.</summary>
    IReadOnlyDictionary<string, string> HeadlineLabels => new Dictionary<string, string>();

    /// <summary>What the records say about the gradient flow, for <see cref="GradientVerdicts"/>.</summary>
    IEnumerable<Finding> Findings(DiagnosisThresholds thresholds, TrainingLog log) => [];
}

/// <summary>A monitor whose checkpoint state is its records, serialised as JSON.</summary>
/// <typeparam name="TState">The records (a list, or a record of lists).</typeparam>
public abstract class TrainingMonitor<TState> : ITrainingMonitor where TState : class, new()
{
    /// <summary>Everything recorded so far.</summary>
    protected TState State { get; private set; } = new();

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public string CheckpointKey => Name;

    /// <inheritdoc />
    public abstract IEnumerable<ResultTable> Tables();

    /// <inheritdoc />
    public virtual IEnumerable<(string Key, double? Value)> Headlines() => [];

    /// <inheritdoc />
    public virtual IReadOnlyDictionary<string, string> HeadlineLabels => new Dictionary<string, string>();

    /// <inheritdoc />
    public virtual IEnumerable<Finding> Findings(DiagnosisThresholds thresholds, TrainingLog log) => [];

    /// <inheritdoc />
    public virtual void OnTrainStart(TrainingContext context) { }

    /// <inheritdoc />
    public virtual void OnStepStart(StepContext step) { }

    /// <inheritdoc />
    public virtual void AfterBackward(StepContext step) { }

    /// <inheritdoc />
    public virtual void AfterClipping(StepContext step) { }

    /// <inheritdoc />
    public virtual void BeforeOptimizerStep(StepContext step) { }

    /// <inheritdoc />
    public virtual void AfterOptimizerStep(StepContext step) { }

    /// <inheritdoc />
    public virtual void AfterEvaluation(StepContext step, Evaluation validation) { }

    /// <inheritdoc />
    public virtual void OnStepEnd(StepContext step) { }

    /// <inheritdoc />
    public virtual void OnInterrupted(TrainingContext context, int lastStep) { }

    /// <inheritdoc />
    public virtual void OnTrainEnd(TrainingContext context) { }

    /// <inheritdoc />
    public virtual JsonNode? SaveState(string folder) => JsonSerializer.SerializeToNode(State, Checkpointing.Json);

    /// <inheritdoc />
    public virtual void LoadState(JsonNode? state, string folder)
    {
        if (state is not null) State = state.Deserialize<TState>(Checkpointing.Json) ?? new();
    }

    /// <summary>
    /// <c>stem_first</c> and <c>stem_last</c>: the first and last value of a per-step series (null when empty), through
    /// <paramref name="keep"/> (<see cref="Finite"/> or <see cref="Measured"/>).
    /// </summary>
    protected static IEnumerable<(string Key, double? Value)> FirstAndLast(string stem, IReadOnlyList<(int Step, double Value)> series, Func<double, double?> keep) =>
    [
        ($"{stem}_first", series.Count > 0 ? keep(series[0].Value) : null),
        ($"{stem}_last", series.Count > 0 ? keep(series[^1].Value) : null),
    ];

    /// <summary>NaN (not measurable) as null; infinity (e.g. no decay) is kept.</summary>
    protected static double? Measured(double value) => double.IsNaN(value) ? null : value;

    /// <summary>Finite values only; NaN and infinity as null.</summary>
    protected static double? Finite(double value) => double.IsFinite(value) ? value : null;

    /// <summary>"forward" or "backward".</summary>
    protected static string Direction(bool reverse) => reverse ? "backward" : "forward";
}
