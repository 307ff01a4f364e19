using SeqLab.Experiments.Training;

namespace SeqLab.Experiments.Config;

/// <summary>Which data an experiment trains on.</summary>
/// <param name="Type">Data set name (see <see cref="Schema.DatasetTypes"/>).</param>
/// <param name="Length">Sequence length T.</param>
/// <param name="ValidationSize">Sequences in the fixed validation set.</param>
/// <param name="TestSize">Sequences in the fixed test set.</param>
public sealed record DatasetConfig(string Type, int Length, int ValidationSize, int TestSize);

/// <summary>Which model an experiment trains.</summary>
/// <param name="Type">Model name (see <see cref="Schema.ModelTypes"/>).</param>
/// <param name="HiddenSize">Units per layer.</param>
/// <param name="Layers">Stacked layers.</param>
public sealed record ModelConfig(string Type, int HiddenSize, int Layers);

/// <summary>One fully resolved experiment: the defaults merged with its own settings.</summary>
public sealed record ExperimentConfig(string Name, DatasetConfig Dataset, ModelConfig Model, TrainingOptions Training, MonitoringOptions Monitoring);

/// <summary>A validated experiments file.</summary>
/// <param name="Name">Batch name: the file's <c>batch:</c> value, else its file name without extension.</param>
/// <param name="File">The file it came from.</param>
/// <param name="Experiments">The experiments in file order.</param>
public sealed record BatchConfig(string Name, string File, IReadOnlyList<ExperimentConfig> Experiments);
