using SeqLab.Experiments.Config;
using SeqLab.Experiments.Results;
using SeqLab.Experiments.Training;
using TorchSharp;

namespace SeqLab.Experiments.Running;

/// <summary>
/// Runs a validated batch: for each experiment it seeds torch, builds the data and the model, trains, and writes the
/// results folder. An experiment that diverges or throws is recorded as such and the batch goes on.
/// </summary>
public sealed class BatchRunner(IRunProgress progress)
{
    /// <summary>Runs every experiment of <paramref name="batch"/> into <paramref name="batchFolder"/> and writes the batch summary.</summary>
    public IReadOnlyList<ExperimentSummary> Run(BatchConfig batch, string batchFolder)
    {
        var summaries = new List<ExperimentSummary>();
        foreach (var experiment in batch.Experiments)
        {
            var summary = RunExperiment(experiment, Path.Combine(batchFolder, experiment.Name));
            summaries.Add(summary);
            progress.Finished(summary);
        }
        ResultsWriter.WriteBatchSummary(batchFolder, summaries);
        return summaries;
    }

    /// <summary>Trains one experiment and writes its folder; never throws for a failing experiment.</summary>
    public ExperimentSummary RunExperiment(ExperimentConfig experiment, string folder)
    {
        var training = experiment.Training;
        string description = experiment.Model.Type;
        long parameterCount = 0;
        double baseline = double.NaN;
        try
        {
            torch.set_num_threads(training.Threads);
            torch.manual_seed(training.Seed);
            var task = Factories.CreateTask(experiment.Dataset, training.BatchSize);
            baseline = task.BaselineLoss;
            using var validation = task.FixedSet(experiment.Dataset.ValidationSize, EvaluationSeed(training.Seed, 1));
            using var test = task.FixedSet(experiment.Dataset.TestSize, EvaluationSeed(training.Seed, 2));
            var model = Factories.CreateModel(experiment.Model, task.Features, task.Outputs);
            using var module = model.Module;
            description = model.Description;
            parameterCount = model.ParameterCount;
            using var dataGenerator = new torch.Generator((ulong)training.Seed);

            progress.Started(experiment.Name, training.Steps, description);
            var trainer = new Trainer(training, experiment.Monitoring);
            var outcome = trainer.Train(model, task.SampleBatch, dataGenerator, validation, test,
                metrics => progress.Stepped(experiment.Name, metrics, training.Steps));

            var summary = Summarise(experiment, description, parameterCount, baseline, outcome);
            ResultsWriter.WriteExperiment(folder, experiment, outcome.Log, summary);
            return summary;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            var summary = new ExperimentSummary(experiment.Name, experiment.Model.Type, description, parameterCount, "failed", 0,
                null, baseline, null, null, null, 0, 0, $"{exception.GetType().Name}: {exception.Message}");
            ResultsWriter.WriteExperiment(folder, experiment, new TrainingLog(), summary);
            return summary;
        }
    }

    /// <summary>Evaluation sets get seeds of their own, derived from the experiment seed, so they never coincide with training batches.</summary>
    static long EvaluationSeed(long seed, int which) => unchecked(seed * 1_000_003 + 7_919 * which);

    static ExperimentSummary Summarise(ExperimentConfig experiment, string description, long parameters, double baseline, TrainingOutcome outcome)
    {
        var ratios = outcome.Log.FirstToLastRatios().ToList();
        var steps = outcome.Log.Steps;
        double clipFraction = steps.Count == 0 ? 0 : steps.Count(s => s.Clipped) / (double)steps.Count;
        bool completed = outcome.Status == TrainingStatus.Completed;
        return new ExperimentSummary(
            experiment.Name, experiment.Model.Type, description, parameters,
            completed ? "completed" : "diverged", outcome.StepsRun,
            completed ? outcome.TestLoss : null, baseline,
            steps.LastOrDefault(s => s.ValidationLoss is not null)?.ValidationLoss,
            ratios.Count > 0 ? Finite(ratios[0].Ratio) : null,
            ratios.Count > 0 ? Finite(ratios[^1].Ratio) : null,
            clipFraction, outcome.WallSeconds, outcome.Divergence);
    }

    static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
