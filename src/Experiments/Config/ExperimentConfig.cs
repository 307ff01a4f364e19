using SeqLab.Tasks;
using SeqLab.Training;

namespace SeqLab.Experiments.Config;

/// <summary>One fully resolved experiment: the defaults merged with its own settings.</summary>
public sealed record ExperimentConfig(string Name, DatasetConfig Dataset, ModelConfig Model, TrainingOptions Training, MonitoringOptions Monitoring);

/// <summary>A validated experiments file.</summary>
/// <param name="Name">Batch name: the file's <c>batch:</c> value, else its file name without extension.</param>
/// <param name="File">The file it came from.</param>
/// <param name="Experiments">The experiments in file order.</param>
public sealed record BatchConfig(string Name, string File, IReadOnlyList<ExperimentConfig> Experiments);
