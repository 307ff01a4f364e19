using SeqLab.Config;
using SeqLab.Models;
using SeqLab.Models.Recurrent;

namespace SeqLab.Tasks;

/// <summary>The keys every single-sequence model shares: how token ids are embedded and whether a language model's output layer reuses the embedding.</summary>
public abstract record SequenceModelConfig : ModelConfig
{
    /// <summary>Embedding width for token inputs.</summary>
    [ConfigKey("embedding width for token inputs (text, copy_memory, dna k-mers)", Minimum = 1)]
    public int EmbeddingSize { get; init; } = 32;
    /// <summary>Tie a language model's output layer to its embedding.</summary>
    [ConfigKey("the output layer shares the (target) embedding, Press & Wolf 2017: language models and encoder–decoders (needs the output width = the embedding width)")]
    public bool TieWeights { get; init; }
}

/// <summary>The keys of the recurrent models (<c>rnn</c>, <c>rnn_relu</c>, <c>lstm</c>, <c>gru</c>); defaults from <see cref="RecurrentOptions"/>.</summary>
public abstract record RecurrentModelConfig : SequenceModelConfig
{
    static readonly RecurrentOptions Defaults = new(RecurrentKind.RnnTanh, HiddenSize: 64);

    /// <summary>Recurrent units per layer and direction.</summary>
    [ConfigKey("units per layer and direction", Minimum = 1, Maximum = 65_536)]
    public int HiddenSize { get; init; } = Defaults.HiddenSize;
    /// <summary>Stacked layers.</summary>
    [ConfigKey("stacked layers (recurrent layers or Transformer blocks)", Minimum = 1, Maximum = 64)]
    public int Layers { get; init; } = Defaults.Layers;
    /// <summary>Read both ways.</summary>
    [ConfigKey("also read sequences backwards (not for language modelling)")]
    public bool Bidirectional { get; init; } = Defaults.Bidirectional;
    /// <summary>Dropout between layers.</summary>
    [ConfigKey("dropout between layers / in Transformer blocks", Minimum = 0, Maximum = 0.95)]
    public double Dropout { get; init; } = Defaults.Dropout;
    /// <summary>LayerNorm on recurrent outputs.</summary>
    [ConfigKey("layer-normalise the recurrent outputs")]
    public bool LayerNorm { get; init; } = Defaults.LayerNorm;
    /// <summary>default, xavier, orthogonal or identity.</summary>
    [ConfigKey("recurrent weight initialisation (identity with rnn_relu = IRNN, Le et al. 2015)", Choices = ["default", "xavier", "orthogonal", "identity"])]
    public string Initialisation { get; init; } = ConfigKeys.SnakeCase(Defaults.Initialisation.ToString());
    /// <summary>Recurrent spectral radius.</summary>
    [ConfigKey("rescale each recurrent gate block to this spectral radius (0.5: vanishing; 2: exploding); null leaves it", Minimum = 0, ExclusiveMinimum = true)]
    public double? SpectralRadius { get; init; } = Defaults.SpectralRadius;
    /// <summary>Step-by-step twin.</summary>
    [ConfigKey("compute step by step (slower; exposes h_t and gates)")]
    public bool Unrolled { get; init; } = Defaults.Unrolled;

    /// <summary>The Models library's options for this config and cell.</summary>
    public virtual RecurrentOptions Options(RecurrentKind kind) =>
        new(kind, HiddenSize, Layers, Bidirectional, Dropout, LayerNorm, Enum.Parse<RecurrentInitialisation>(Initialisation, ignoreCase: true), null, SpectralRadius, Unrolled);
}

/// <summary><c>model: {type: rnn}</c> — a vanilla tanh RNN.</summary>
public sealed record RnnConfig : RecurrentModelConfig
{
    /// <inheritdoc />
    public override string Type => "rnn";
}

/// <summary><c>model: {type: rnn_relu}</c> — a vanilla ReLU RNN (with initialisation: identity, the IRNN).</summary>
public sealed record RnnReluConfig : RecurrentModelConfig
{
    /// <inheritdoc />
    public override string Type => "rnn_relu";
}

/// <summary><c>model: {type: gru}</c>.</summary>
public sealed record GruConfig : RecurrentModelConfig
{
    /// <inheritdoc />
    public override string Type => "gru";
}

/// <summary><c>model: {type: lstm}</c>, with its forget-gate bias.</summary>
public sealed record LstmConfig : RecurrentModelConfig
{
    /// <inheritdoc />
    public override string Type => "lstm";
    /// <summary>LSTM forget-gate bias.</summary>
    [ConfigKey("LSTM forget-gate bias (e.g. 1); null keeps the initialisation's")]
    public double? ForgetGateBias { get; init; }

    /// <inheritdoc />
    public override RecurrentOptions Options(RecurrentKind kind) => base.Options(kind) with { ForgetGateBias = ForgetGateBias };
}

/// <summary><c>model: {type: transformer}</c> — a Transformer encoder; defaults from <see cref="TransformerOptions"/>.</summary>
public sealed record TransformerModelConfig : SequenceModelConfig
{
    static readonly TransformerOptions Defaults = new(ModelSize: 64, Heads: 4);

    /// <inheritdoc />
    public override string Type => "transformer";
    /// <summary>Transformer d_model.</summary>
    [ConfigKey("d_model", Minimum = 1, Maximum = 65_536)]
    public int ModelSize { get; init; } = Defaults.ModelSize;
    /// <summary>Attention heads.</summary>
    [ConfigKey("attention heads (must divide model_size)", Minimum = 1, Maximum = 1024)]
    public int Heads { get; init; } = Defaults.Heads;
    /// <summary>Blocks.</summary>
    [ConfigKey("stacked layers (recurrent layers or Transformer blocks)", Minimum = 1, Maximum = 64)]
    public int Layers { get; init; } = Defaults.Layers;
    /// <summary>Dropout in the blocks.</summary>
    [ConfigKey("dropout between layers / in Transformer blocks", Minimum = 0, Maximum = 0.95)]
    public double Dropout { get; init; } = Defaults.Dropout;
    /// <summary>Feed-forward width (null: 4 × d_model).</summary>
    [ConfigKey("feed-forward width; null = 4 × model_size", Minimum = 1)]
    public int? FeedForwardSize { get; init; }
    /// <summary>sinusoidal or learned.</summary>
    [ConfigKey("position encoding", Choices = ["sinusoidal", "learned"])]
    public string Positional { get; init; } = ConfigKeys.SnakeCase(Defaults.Positional.ToString());
    /// <summary>Causal attention.</summary>
    [ConfigKey("attend only to earlier steps (forced on for language modelling)")]
    public bool Causal { get; init; } = Defaults.Causal;
    /// <summary>Pre-norm blocks.</summary>
    [ConfigKey("LayerNorm before (true) or after (false) each sub-layer")]
    public bool PreNorm { get; init; } = Defaults.PreNorm;
    /// <summary>Longest sequence.</summary>
    [ConfigKey("longest sequence a Transformer accepts", Minimum = 1)]
    public int MaxLength { get; init; } = Defaults.MaxLength;
    /// <summary>fused or explicit.</summary>
    [ConfigKey("attention arithmetic where no weights are wanted: fused (LibTorch's scaled_dot_product_attention) or explicit (softmax(QKᵀ/√d)V written out, faster for small heads on some CPUs; bench/results.md); the two agree to float rounding", Choices = ["fused", "explicit"])]
    public string AttentionKernel { get; init; } = ConfigKeys.SnakeCase(Defaults.Kernel.ToString());

    /// <summary>The Models library's options; causal whatever the config says when the task is language modelling.</summary>
    public TransformerOptions Options(TaskKind task) =>
        new(ModelSize, Heads, Layers, FeedForwardSize ?? 0, Dropout, Positional == "learned" ? PositionalEncoding.Learned : PositionalEncoding.Sinusoidal, MaxLength,
            Causal: Causal || task == TaskKind.LanguageModel, PreNorm: PreNorm, Kernel: Enum.Parse<SeqLab.Models.AttentionKernel>(AttentionKernel, ignoreCase: true));
}

/// <summary>A kind of <see cref="SequenceModel"/>: an input layer, the encoder its config describes, and the head the task asks for.</summary>
public abstract class SequenceModelKind<TConfig> : ModelKind<TConfig, SingleSequenceShape> where TConfig : SequenceModelConfig, new()
{
    /// <inheritdoc />
    protected override string Maps => "one sequence to one head (many-to-one, per step, or the next token)";

    /// <summary>The encoder for <paramref name="config"/> on a problem of <paramref name="shape"/>.</summary>
    protected abstract EncoderOptions Encoder(TConfig config, SingleSequenceShape shape);

    /// <summary>The Models library's options of the whole model.</summary>
    public SequenceModelOptions Options(TConfig config, SingleSequenceShape shape) =>
        new(shape.Input.ToOptions(config.EmbeddingSize), Encoder(config, shape),
            new HeadOptions(shape.Task, shape.Task == TaskKind.LanguageModel ? 0 : shape.Outputs, config.TieWeights));

    /// <inheritdoc />
    protected override void Validate(TConfig config, SingleSequenceShape shape) => Options(config, shape).Validate();

    /// <inheritdoc />
    protected override ISequenceModel Build(TConfig config, SingleSequenceShape shape) => new SequenceModel(Options(config, shape));
}

/// <summary>A recurrent model on TorchSharp's fused kernels (or unrolled): the cell <paramref name="kind"/> with <typeparamref name="TConfig"/>'s keys.</summary>
public sealed class RecurrentModelKind<TConfig>(RecurrentKind kind) : SequenceModelKind<TConfig> where TConfig : RecurrentModelConfig, new()
{
    /// <inheritdoc />
    public override string Summary => $"{kind} encoder (TorchSharp's fused kernel; unrolled on request) and a task head";
    /// <inheritdoc />
    public override bool CarriesState(ModelConfig config) => true;
    /// <inheritdoc />
    protected override EncoderOptions Encoder(TConfig config, SingleSequenceShape shape) => config.Options(kind);
}

/// <summary>A Transformer encoder and a task head.</summary>
public sealed class TransformerModelKind : SequenceModelKind<TransformerModelConfig>
{
    /// <inheritdoc />
    public override string Summary => "Transformer encoder (batch-first, key-padding and causal masks) and a task head";
    /// <inheritdoc />
    protected override EncoderOptions Encoder(TransformerModelConfig config, SingleSequenceShape shape) => config.Options(shape.Task);
}
