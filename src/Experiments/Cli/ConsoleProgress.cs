using SeqLab.Reports;
using System.Globalization;
using SeqLab.Experiments.Results;
using SeqLab.Experiments.Running;
using SeqLab.Training;
using SeqLab.Training.Logging;
using Spectre.Console;

namespace SeqLab.Experiments.Cli;

/// <summary>Plain progress lines (about every 10 % of an experiment's steps): readable in CI logs and redirected output.</summary>
public sealed class PlainProgress(IAnsiConsole console) : IRunProgress
{
    /// <inheritdoc />
    public void Started(string experiment, int totalSteps, string description) =>
        console.MarkupLineInterpolated($"[bold]{experiment}[/]: {description}, {totalSteps} steps");

    /// <inheritdoc />
    public void Stepped(string experiment, StepMetrics metrics, int totalSteps)
    {
        int every = Math.Max(1, totalSteps / 10);
        if (metrics.Step % every != 0 && metrics.Step != totalSteps) return;
        console.WriteLine(ProgressLine.Format(experiment, metrics, totalSteps));
    }

    /// <inheritdoc />
    public void Finished(ExperimentSummary summary) =>
        console.MarkupLineInterpolated($"[bold]{summary.Name}[/]: {summary.Status} in {summary.WallSeconds:F1} s");

    /// <inheritdoc />
    public void Skipped(ExperimentSummary summary) =>
        console.MarkupLineInterpolated($"[bold]{summary.Name}[/]: already {summary.Status}, skipped");

    /// <inheritdoc />
    public void Busy(string experiment, string holder) =>
        console.MarkupLineInterpolated($"[bold]{experiment}[/]: left to {holder}, which is training it");
}

/// <summary>A live Spectre.Console progress bar per experiment, for interactive terminals.</summary>
public sealed class LiveProgress(ProgressContext context) : IRunProgress
{
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, ProgressTask> tasks = new(); // --jobs reports from several threads

    /// <inheritdoc />
    public void Started(string experiment, int totalSteps, string description) =>
        tasks[experiment] = context.AddTask(Markup.Escape(experiment), maxValue: totalSteps);

    /// <inheritdoc />
    public void Stepped(string experiment, StepMetrics metrics, int totalSteps)
    {
        var task = tasks[experiment];
        task.Value = metrics.Step;
        if (metrics.Step % 10 == 0 || metrics.Step == totalSteps)
            task.Description = Markup.Escape(ProgressLine.Format(experiment, metrics, totalSteps, withEta: false));
    }

    /// <inheritdoc />
    public void Skipped(ExperimentSummary summary) =>
        context.AddTask(Markup.Escape($"{summary.Name}: already {summary.Status}, skipped"), maxValue: 1).Increment(1);

    /// <inheritdoc />
    public void Busy(string experiment, string holder) =>
        context.AddTask(Markup.Escape($"{experiment}: left to {holder}, which is training it"), maxValue: 1).Increment(1);

    /// <inheritdoc />
    public void Finished(ExperimentSummary summary)
    {
        if (!tasks.TryGetValue(summary.Name, out var task)) return;
        task.Description = Markup.Escape($"{summary.Name}: {summary.Status}");
        task.StopTask();
    }
}

static class ProgressLine
{
    public static string Format(string experiment, StepMetrics metrics, int totalSteps, bool withEta = true)
    {
        double rate = metrics.Step / Math.Max(metrics.ElapsedSeconds, 1e-9);
        var eta = TimeSpan.FromSeconds((totalSteps - metrics.Step) / Math.Max(rate, 1e-9));
        string validation = metrics.ValidationLoss is double v ? $"  val {v:F4}" : "";
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{experiment}  step {metrics.Step,6}/{totalSteps}  loss {metrics.TrainLoss:F4}{validation}  |g| {metrics.GradNorm:G3}  {rate:F0} steps/s");
        return withEta ? line + $"  ETA {eta:m\\:ss}" : line;
    }
}
