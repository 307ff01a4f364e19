using SeqLab.Reports;
using SeqLab.Experiments.Results;
using SeqLab.Training;
using SeqLab.Training.Logging;

namespace SeqLab.Experiments.Running;

/// <summary>Receives progress while a batch runs (console display, tests).</summary>
public interface IRunProgress
{
    /// <summary>An experiment starts.</summary>
    void Started(string experiment, int totalSteps, string description);

    /// <summary>One step finished.</summary>
    void Stepped(string experiment, StepMetrics metrics, int totalSteps);

    /// <summary>An experiment ended (completed, diverged or failed).</summary>
    void Finished(ExperimentSummary summary);

    /// <summary>An experiment was skipped because its folder already holds a finished result.</summary>
    void Skipped(ExperimentSummary summary);

    /// <summary>An experiment was left to another process that is training it (<paramref name="holder"/> says which).</summary>
    void Busy(string experiment, string holder) { }
}

/// <summary>Ignores progress.</summary>
public sealed class SilentProgress : IRunProgress
{
    /// <inheritdoc />
    public void Started(string experiment, int totalSteps, string description) { }
    /// <inheritdoc />
    public void Stepped(string experiment, StepMetrics metrics, int totalSteps) { }
    /// <inheritdoc />
    public void Finished(ExperimentSummary summary) { }
    /// <inheritdoc />
    public void Skipped(ExperimentSummary summary) { }
}
