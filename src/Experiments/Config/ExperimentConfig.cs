using SeqLab.Experiments.Tasks;
using SeqLab.Training;

namespace SeqLab.Experiments.Config;

/// <summary>Which model an experiment trains; the keys that apply depend on <see cref="Type"/>.</summary>
public sealed record ModelConfig(string Type)
{
    /// <summary>Recurrent units per layer and direction.</summary>
    public int HiddenSize { get; init; } = 64;
    /// <summary>Layers or blocks.</summary>
    public int Layers { get; init; } = 1;
    /// <summary>Read both ways.</summary>
    public bool Bidirectional { get; init; }
    /// <summary>Dropout.</summary>
    public double Dropout { get; init; }
    /// <summary>LayerNorm on recurrent outputs.</summary>
    public bool LayerNorm { get; init; }
    /// <summary>default, xavier, orthogonal or identity.</summary>
    public string Initialisation { get; init; } = "default";
    /// <summary>LSTM forget-gate bias.</summary>
    public double? ForgetGateBias { get; init; }
    /// <summary>Recurrent spectral radius.</summary>
    public double? SpectralRadius { get; init; }
    /// <summary>Step-by-step twin.</summary>
    public bool Unrolled { get; init; }
    /// <summary>Transformer d_model.</summary>
    public int ModelSize { get; init; } = 64;
    /// <summary>Attention heads.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>Feed-forward width (null: 4 × d_model).</summary>
    public int? FeedForwardSize { get; init; }
    /// <summary>sinusoidal or learned.</summary>
    public string Positional { get; init; } = "sinusoidal";
    /// <summary>Causal attention.</summary>
    public bool Causal { get; init; }
    /// <summary>Pre-norm blocks.</summary>
    public bool PreNorm { get; init; } = true;
    /// <summary>Longest sequence for a Transformer.</summary>
    public int MaxLength { get; init; } = 1024;
    /// <summary>Embedding width for token inputs.</summary>
    public int EmbeddingSize { get; init; } = 32;
    /// <summary>Tie a language model's output layer to its embedding.</summary>
    public bool TieWeights { get; init; }
}

/// <summary>One fully resolved experiment: the defaults merged with its own settings.</summary>
public sealed record ExperimentConfig(string Name, DatasetConfig Dataset, ModelConfig Model, TrainingOptions Training, MonitoringOptions Monitoring);

/// <summary>A validated experiments file.</summary>
/// <param name="Name">Batch name: the file's <c>batch:</c> value, else its file name without extension.</param>
/// <param name="File">The file it came from.</param>
/// <param name="Experiments">The experiments in file order.</param>
public sealed record BatchConfig(string Name, string File, IReadOnlyList<ExperimentConfig> Experiments);
