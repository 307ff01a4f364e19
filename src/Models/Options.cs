using System.Text.Json.Serialization;
using SeqLab.Models.Recurrent;

namespace SeqLab.Models;

/// <summary>What a model reads at each time step.</summary>
/// <param name="Features">Real-valued features per step; 0 when the input is token ids.</param>
/// <param name="VocabularySize">Number of token ids; 0 for feature inputs.</param>
/// <param name="EmbeddingSize">Embedding width for token ids.</param>
public sealed record InputOptions(int Features = 0, int VocabularySize = 0, int EmbeddingSize = 0)
{
    /// <summary>True when the model embeds token ids.</summary>
    [JsonIgnore] public bool IsTokens => VocabularySize > 0;

    /// <summary>Width of the vectors the encoder receives.</summary>
    [JsonIgnore] public int Width => IsTokens ? EmbeddingSize : Features;

    /// <summary>Feature-vector input.</summary>
    public static InputOptions ForFeatures(int features) => new(Features: features);

    /// <summary>Token-id input with an embedding.</summary>
    public static InputOptions ForTokens(int vocabularySize, int embeddingSize) => new(VocabularySize: vocabularySize, EmbeddingSize: embeddingSize);

    internal void Validate()
    {
        if (IsTokens ? EmbeddingSize < 1 : Features < 1)
            throw new ArgumentException(IsTokens ? "token input needs EmbeddingSize ≥ 1" : "feature input needs Features ≥ 1 (or VocabularySize for tokens)");
        if (IsTokens && Features != 0) throw new ArgumentException("give either Features or VocabularySize, not both");
    }
}

/// <summary>What the model predicts.</summary>
public enum TaskKind
{
    /// <summary>One real vector per sequence (many-to-one regression).</summary>
    SequenceRegression,
    /// <summary>One class per sequence (many-to-one classification).</summary>
    SequenceClassification,
    /// <summary>One real vector per step (many-to-many regression, e.g. forecasting every step).</summary>
    StepRegression,
    /// <summary>One class per step (many-to-many classification, e.g. tagging).</summary>
    StepClassification,
    /// <summary>The next token at every step.</summary>
    LanguageModel,
}

/// <summary>The task head.</summary>
/// <param name="Task">What is predicted.</param>
/// <param name="Outputs">Regression outputs or classes; for <see cref="TaskKind.LanguageModel"/> the vocabulary size (defaults to the input's).</param>
/// <param name="TieWeights">Language models: share the output projection with the input embedding (Press &amp; Wolf 2017); needs an encoder width equal to the embedding size.</param>
public sealed record HeadOptions(TaskKind Task, int Outputs = 0, bool TieWeights = false);

/// <summary>Options of a sequence encoder; one of <see cref="RecurrentOptions"/> or <see cref="TransformerOptions"/>.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "encoder")]
[JsonDerivedType(typeof(RecurrentOptions), "recurrent")]
[JsonDerivedType(typeof(TransformerOptions), "transformer")]
public abstract record EncoderOptions
{
    internal abstract void Validate();
}

/// <summary>A recurrent encoder.</summary>
/// <param name="Kind">RNN (tanh/ReLU), LSTM or GRU.</param>
/// <param name="HiddenSize">Units per layer and direction.</param>
/// <param name="Layers">Stacked layers.</param>
/// <param name="Bidirectional">Also read each sequence backwards; outputs concatenate both directions.</param>
/// <param name="Dropout">Dropout between stacked layers (training only).</param>
/// <param name="LayerNorm">Layer-normalise the encoder's outputs.</param>
/// <param name="Initialisation">How recurrent weights start.</param>
/// <param name="ForgetGateBias">LSTM: the forget gate's total bias (b_ih + b_hh), e.g. 1 (Jozefowicz et al. 2015); null keeps the initialisation's.</param>
/// <param name="SpectralRadius">Rescale every recurrent gate block to this spectral radius (e.g. 0.5 to make gradients vanish, 2 to make them explode); null leaves it.</param>
/// <param name="Unrolled">Compute step by step in C# (same weights and results as the fused kernel, slower) so hidden states, cell states and gates are visible.</param>
public sealed record RecurrentOptions(
    RecurrentKind Kind, int HiddenSize, int Layers = 1, bool Bidirectional = false, double Dropout = 0, bool LayerNorm = false,
    RecurrentInitialisation Initialisation = RecurrentInitialisation.Default, double? ForgetGateBias = null, double? SpectralRadius = null,
    bool Unrolled = false) : EncoderOptions
{
    /// <summary>Directions (2 when bidirectional).</summary>
    [JsonIgnore] public int Directions => Bidirectional ? 2 : 1;

    internal override void Validate()
    {
        if (HiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(HiddenSize), HiddenSize, "must be at least 1");
        if (Layers < 1) throw new ArgumentOutOfRangeException(nameof(Layers), Layers, "must be at least 1");
        if (Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "must be in [0, 1)");
        if (ForgetGateBias is not null && Kind != RecurrentKind.Lstm) throw new ArgumentException("ForgetGateBias applies to LSTMs only");
        if (SpectralRadius is <= 0) throw new ArgumentOutOfRangeException(nameof(SpectralRadius), SpectralRadius, "must be > 0");
    }
}

/// <summary>How a Transformer computes attention when no one asks for its weights.</summary>
public enum AttentionKernel
{
    /// <summary>LibTorch's fused <c>scaled_dot_product_attention</c>: never builds the weight matrix.</summary>
    Fused,
    /// <summary>softmax(QKᵀ/√d)V written out with matmul and softmax — faster than the fused kernel for small heads on some CPUs (bench/results.md); agrees with it to float rounding.</summary>
    Explicit,
}

/// <summary>How a Transformer knows positions.</summary>
public enum PositionalEncoding
{
    /// <summary>Fixed sines and cosines (Vaswani et al. 2017).</summary>
    Sinusoidal,
    /// <summary>A learned vector per position, up to <see cref="TransformerOptions.MaxLength"/>.</summary>
    Learned,
}

/// <summary>A Transformer encoder stack (batch-first).</summary>
/// <param name="ModelSize">d_model.</param>
/// <param name="Heads">Attention heads (must divide <paramref name="ModelSize"/>).</param>
/// <param name="Layers">Encoder blocks.</param>
/// <param name="FeedForwardSize">Hidden width of each block's feed-forward network.</param>
/// <param name="Dropout">Dropout on attention and feed-forward outputs.</param>
/// <param name="Positional">Sinusoidal or learned positions.</param>
/// <param name="MaxLength">Longest sequence (learned positions, and a guard for sinusoidal).</param>
/// <param name="Causal">Each step attends only to itself and earlier steps (language modelling).</param>
/// <param name="PreNorm">LayerNorm before attention/feed-forward (pre-norm, stabler when deep) instead of after (post-norm, the original).</param>
/// <param name="Kernel">The attention arithmetic where no weights are wanted (models saved before it existed read as fused).</param>
public sealed record TransformerOptions(
    int ModelSize, int Heads, int Layers = 2, int FeedForwardSize = 0, double Dropout = 0,
    PositionalEncoding Positional = PositionalEncoding.Sinusoidal, int MaxLength = 1024, bool Causal = false, bool PreNorm = true,
    AttentionKernel Kernel = AttentionKernel.Fused) : EncoderOptions
{
    /// <summary>The feed-forward width actually used (4 × ModelSize when not given).</summary>
    [JsonIgnore] public int FeedForward => FeedForwardSize > 0 ? FeedForwardSize : 4 * ModelSize;

    internal override void Validate()
    {
        if (ModelSize < 1 || Heads < 1 || ModelSize % Heads != 0)
            throw new ArgumentException($"Heads ({Heads}) must divide ModelSize ({ModelSize})", nameof(Heads));
        if (Layers < 1) throw new ArgumentOutOfRangeException(nameof(Layers), Layers, "must be at least 1");
        if (Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "must be in [0, 1)");
        if (MaxLength < 1) throw new ArgumentOutOfRangeException(nameof(MaxLength), MaxLength, "must be at least 1");
    }
}

/// <summary>Everything needed to build (and rebuild) a <see cref="SequenceModel"/>.</summary>
public sealed record SequenceModelOptions(InputOptions Input, EncoderOptions Encoder, HeadOptions Head) : ModelOptions
{
    /// <inheritdoc />
    public override ISequenceModel Build() => new SequenceModel(this);

    /// <summary>The number of outputs the head produces.</summary>
    [JsonIgnore] public int OutputCount => Head.Task == TaskKind.LanguageModel && Head.Outputs == 0 ? Input.VocabularySize : Head.Outputs;

    /// <summary>Throws on inconsistent options, naming the problem.</summary>
    public void Validate()
    {
        Input.Validate();
        Encoder.Validate();
        if (OutputCount < 1) throw new ArgumentException($"{Head.Task} needs Outputs ≥ 1");
        if (Head.Task == TaskKind.LanguageModel && !Input.IsTokens) throw new ArgumentException("a language model reads token ids: give Input.VocabularySize");
        if (Head.TieWeights && (Head.Task != TaskKind.LanguageModel || !Input.IsTokens))
            throw new ArgumentException("TieWeights needs a language model over token ids");
        int width = Encoder switch { RecurrentOptions r => r.HiddenSize * r.Directions, TransformerOptions t => t.ModelSize, _ => 0 };
        if (Head.TieWeights && width != Input.EmbeddingSize)
            throw new ArgumentException($"TieWeights needs EmbeddingSize ({Input.EmbeddingSize}) to equal the encoder width ({width})");
        if (Encoder is TransformerOptions { Causal: false } && Head.Task == TaskKind.LanguageModel)
            throw new ArgumentException("a Transformer language model must be causal (set Causal = true), or it sees the tokens it predicts");
        if (Encoder is RecurrentOptions { Bidirectional: true } && Head.Task == TaskKind.LanguageModel)
            throw new ArgumentException("language modelling needs Bidirectional = false: a bidirectional encoder sees the tokens it predicts");
    }
}
