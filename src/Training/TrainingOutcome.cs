using SeqLab.Training.Logging;

namespace SeqLab.Training;

/// <summary>How a training run ended.</summary>
public enum TrainingStatus
{
    /// <summary>All steps ran.</summary>
    Completed,
    /// <summary>The loss or the gradient became NaN or infinite; training stopped at that step.</summary>
    Diverged,
    /// <summary>Stopped on request (Ctrl+C) after a step; with a checkpoint folder, a later run continues from there.</summary>
    Interrupted,
}

/// <summary>The end of a run: status, final losses and the log.</summary>
/// <param name="Status">Completed or diverged.</param>
/// <param name="StepsRun">Steps taken (the diverging step included).</param>
/// <param name="TestLoss">Loss on the test set after training (NaN when diverged).</param>
/// <param name="TestMetrics">The task's metrics on the test set (empty when diverged).</param>
/// <param name="Log">Every measurement.</param>
/// <param name="Divergence">Which step diverged and why; for a completed run, a note such as an early stop; or null.</param>
/// <param name="WallSeconds">Training wall time.</param>
public sealed record TrainingOutcome(TrainingStatus Status, int StepsRun, double TestLoss, IReadOnlyDictionary<string, double> TestMetrics, TrainingLog Log, string? Divergence, double WallSeconds);

/// <summary>Reports progress; called once per step from the training thread.</summary>
public delegate void StepObserver(StepMetrics metrics);
