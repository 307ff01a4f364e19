using SeqLab.Reports;
using SeqLab.Experiments.Config;
using SeqLab.Tasks;
using SeqLab.Experiments.Results;
using SeqLab.Models;
using SeqLab.Training;
using SeqLab.Training.Diagnosis;
using SeqLab.Training.Logging;
using TorchSharp;

namespace SeqLab.Experiments.Running;

/// <summary>
/// Runs a validated batch: for each experiment it seeds torch, builds the data and the model, trains, and writes the
/// results folder. An experiment that diverges or throws is recorded as such and the batch goes on.
/// </summary>
public sealed class BatchRunner(IRunProgress progress, string? configFile = null, CancellationToken cancellation = default, int jobs = 1)
{
    /// <summary>
    /// Runs <paramref name="experiments"/> into <paramref name="batchFolder"/>, skipping any that already finished there
    /// (completed or diverged: a re-run or another shard did it), then rebuilds the batch summary from every experiment
    /// folder, in the order of <paramref name="order"/>.
    /// </summary>
    /// <remarks>
    /// With <c>jobs</c> &gt; 1, that many experiments run at once, each with its <c>threads</c> divided by <c>jobs</c>
    /// (LibTorch's thread pool is shared by the process). Seeding and initialisation are serialised, so results still
    /// depend only on the config and the thread count — except dropout, which draws from torch's shared generator.
    /// </remarks>
    public IReadOnlyList<ExperimentSummary> Run(IReadOnlyList<ExperimentConfig> experiments, string batchFolder, IReadOnlyList<string> order)
    {
        void RunOne(ExperimentConfig experiment)
        {
            if (cancellation.IsCancellationRequested) return;
            string folder = Path.Combine(batchFolder, experiment.Name);
            if (ExperimentResults.ReadSummary(folder) is { Status: "completed" or "diverged" } done)
            {
                progress.Skipped(done);
                return;
            }
            // Another seqlab on the same batch (a second --resume, an overlapping shard) may be training it: leave it to that one.
            using var held = BatchLock.TryAcquire(batchFolder, experiment.Name, out string? holder);
            if (held is null)
            {
                progress.Busy(experiment.Name, holder!);
                return;
            }
            if (ExperimentResults.ReadSummary(folder) is { Status: "completed" or "diverged" } finished) // finished by its holder between our first look and taking the lock
            {
                progress.Skipped(finished);
                return;
            }
            progress.Finished(RunExperiment(experiment, folder));
        }
        if (jobs <= 1)
            foreach (var experiment in experiments) RunOne(experiment);
        else
            Parallel.ForEach(experiments, new ParallelOptions { MaxDegreeOfParallelism = jobs }, RunOne);
        using var merging = BatchLock.Wait(batchFolder, "summary", TimeSpan.FromMinutes(1)); // two processes' merges must not cross: the last one sees every result
        return ResultsWriter.MergeBatchSummary(batchFolder, order);
    }



    /// <summary>Trains one experiment and writes its folder; never throws for a failing experiment.</summary>
    public ExperimentSummary RunExperiment(ExperimentConfig experiment, string folder)
    {
        var training = experiment.Training;
        string description = experiment.Model.Type, task = "?", baselineName = "";
        long parameterCount = 0;
        double? baseline = null;
        var started = DateTime.UtcNow;
        try
        {
            SeqLab.Runtime.Files.AtomicFile.RemoveLeftovers(folder); // a killed run's half-written files; this process holds the experiment's lock
            var device = ResolveDevice(training.Device);
            int threads = Math.Max(1, training.Threads / Math.Max(1, jobs));
            torch.set_num_threads(threads);
            TaskData data;
            ISequenceModel model;
            lock (TorchRandom.Gate)
            {
                torch.manual_seed(training.Seed);
                data = DataKinds.Find(experiment.Dataset.Type)!.Build(experiment.Dataset, training.BatchSize, training.Seed);
                model = ModelKinds.Find(experiment.Model.Type)!.Build(experiment.Model, data.Shape);
            }
            using var dataScope = data;
            task = data.Shape.Name;
            baseline = double.IsFinite(data.BaselineLoss) ? data.BaselineLoss : null;
            baselineName = data.BaselineName;
            using var module = model.Module;
            if (device.type != DeviceType.CPU) module.to(device);
            description = model.Description;
            parameterCount = model.ParameterCount;
            using var dataGenerator = new torch.Generator((ulong)training.Seed);

            progress.Started(experiment.Name, training.Steps, description);
            var trainer = new Trainer(training, experiment.Monitoring, device);
            if (training.EvalBatchSize is int chunk && data.Evaluator is { } evaluator) evaluator.ChunkSize = chunk;
            using var monitoringBatch = data.Validation.Take(experiment.Monitoring.MonitorBatchSize);
            var outcome = trainer.Train(model, data.SampleBatch, dataGenerator, data.Validation, data.Test, new TrainingRun
            {
                Observer = metrics => progress.Stepped(experiment.Name, metrics, training.Steps),
                Folder = folder, Cancellation = cancellation, StatefulPeriod = data.StatefulPeriod, MonitoringBatch = monitoringBatch,
                Criterion = data.Criterion, Evaluator = data.Evaluator,
                Step = training.ScheduledSampling > 0 ? new ScheduledSamplingStep(training.ScheduledSampling) : null,
            });
            var testMetrics = new Dictionary<string, double>(outcome.TestMetrics);
            if (outcome.Status == TrainingStatus.Completed && data.TestMetrics is not null)
                foreach (var (name, value) in data.TestMetrics(model)) testMetrics[name] = value;

            var artefacts = outcome.Status == TrainingStatus.Completed && data.Artefacts is not null ? data.Artefacts(model, outcome).ToList() : [];

            var summary = Summarise(experiment, task, description, parameterCount, baseline, baselineName, outcome, testMetrics);
            var manifest = RunManifest.Describe(threads, training.Seed, device.ToString(), configFile, started, outcome.WallSeconds) with { ResumedAfterSteps = outcome.Log.ResumedAfter };
            long writingStarted = System.Diagnostics.Stopwatch.GetTimestamp();
            // The trained weights with their options, before the summary marks the experiment finished: ModelFile.Load reads them back.
            if (outcome.Status == TrainingStatus.Completed)
            {
                Directory.CreateDirectory(folder);
                ModelFile.Save(model, Path.Combine(folder, "model.bin"));
            }
            return ResultsWriter.WriteExperiment(folder, experiment, outcome.Log, summary, manifest, artefacts, writingStarted);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            var summary = new ExperimentSummary(experiment.Name, experiment.Model.Type, experiment.Dataset.Type, task, description, parameterCount, "failed", 0,
                null, baseline, baselineName, null, new Dictionary<string, double>(), 0, 0, FailureMessage(exception));
            try
            {
                ResultsWriter.WriteExperiment(folder, experiment, new TrainingLog(), summary);
            }
            catch (Exception writing) when (writing is IOException or UnauthorizedAccessException)
            {
                // A full disk fails the results as it failed the run: say both; the batch goes on.
                return summary with { Message = $"{summary.Message}; its results could not be written either: {writing.Message}" };
            }
            return summary;
        }
    }

    /// <summary>
    /// What went wrong, in words for the summary: the exception's message without its type; for an error raised inside
    /// LibTorch, its first line only (the C++ stack trace after it says nothing to a user).
    /// </summary>
    public static string FailureMessage(Exception exception)
    {
        if (exception is System.Runtime.InteropServices.ExternalException)
        {
            string first = exception.Message.Split('\n', 2)[0].Trim();
            return $"LibTorch stopped the run: {first}";
        }
        return exception.Message;
    }

    static ExperimentSummary Summarise(ExperimentConfig experiment, string task, string description, long parameters, double? baseline, string baselineName,
        TrainingOutcome outcome, IReadOnlyDictionary<string, double> testMetrics)
    {
        var summary = ExperimentSummary.Of(experiment.Name, experiment.Model.Type, experiment.Dataset.Type, task, description, parameters, baseline, baselineName, outcome, testMetrics,
            new DiagnosisThresholds(experiment.Monitoring.VanishingRatio, experiment.Monitoring.ExplodingRatio, experiment.Monitoring.ExplodingNorm));
        // The experiment's own criterion, else its kind's (checked when the config was read).
        string criterion = experiment.Dataset.Success.Length > 0 ? experiment.Dataset.Success : DataKinds.Find(experiment.Dataset.Type)!.DefaultSuccess;
        if (criterion.Length == 0) return summary;
        var parsed = SuccessCriterion.Parse(criterion);
        return summary with { SuccessCriterion = parsed.ToString(), Success = parsed.Holds(summary) };
    }

    /// <summary>auto: CUDA when this build of TorchSharp and the machine have it, else the CPU; cuda: CUDA or a clear error.</summary>
    static torch.Device ResolveDevice(string device)
    {
        bool cuda = torch.cuda.is_available();
        return device switch
        {
            "cpu" => torch.CPU,
            "cuda" when cuda => torch.CUDA,
            "cuda" => throw new InvalidOperationException("device: cuda was asked for, but CUDA is not available: reference a CUDA build of TorchSharp (e.g. TorchSharp-cuda-linux) and run on a machine with an NVIDIA GPU, or use device: auto"),
            _ => cuda ? torch.CUDA : torch.CPU,
        };
    }
}
