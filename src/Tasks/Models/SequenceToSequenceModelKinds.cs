using SeqLab.Config;
using SeqLab.Models;
using SeqLab.Models.Recurrent;
using SeqLab.Models.SequenceToSequence;

namespace SeqLab.Tasks;

/// <summary>The keys every encoder–decoder shares: embeddings of both sides.</summary>
public abstract record SequenceToSequenceModelConfig : ModelConfig
{
    /// <summary>Share one embedding between source and target.</summary>
    [ConfigKey("sequence to sequence: one embedding for source and target (needs dataset.shared_vocabulary)")]
    public bool SharedEmbeddings { get; init; }
    /// <summary>Tie the output layer to the target embedding.</summary>
    [ConfigKey("the output layer shares the (target) embedding, Press & Wolf 2017: language models and encoder–decoders (needs the output width = the embedding width)")]
    public bool TieWeights { get; init; }
}

/// <summary><c>model: {type: rnn_seq2seq}</c> — a recurrent encoder–decoder, with or without attention; defaults from <see cref="RecurrentEncoderDecoderOptions"/>.</summary>
public sealed record RnnSeq2SeqConfig : SequenceToSequenceModelConfig
{
    static readonly RecurrentEncoderDecoderOptions Defaults = new(new SequencePairOptions(InputOptions.ForTokens(2, 32), 2, 32), RecurrentKind.Gru, 64);

    /// <inheritdoc />
    public override string Type => "rnn_seq2seq";
    /// <summary>gru, lstm or rnn.</summary>
    [ConfigKey("the recurrent cell of encoder and decoder", Choices = ["gru", "lstm", "rnn"])]
    public string Cell { get; init; } = "gru";
    /// <summary>none, additive or multiplicative.</summary>
    [ConfigKey("how the decoder reads the source: none (the encoder's final state only: the bottleneck of Cho et al. 2014), additive (Bahdanau et al. 2015) or multiplicative (Luong et al. 2015)", Choices = ["none", "additive", "multiplicative"])]
    public string Attention { get; init; } = ConfigKeys.SnakeCase(Defaults.Attention.ToString());
    /// <summary>Units per layer and direction.</summary>
    [ConfigKey("units per layer and direction", Minimum = 1, Maximum = 65_536)]
    public int HiddenSize { get; init; } = Defaults.HiddenSize;
    /// <summary>Stacked layers on each side.</summary>
    [ConfigKey("stacked layers (recurrent layers or Transformer blocks)", Minimum = 1, Maximum = 64)]
    public int Layers { get; init; } = Defaults.Layers;
    /// <summary>Bidirectional encoder.</summary>
    [ConfigKey("also read sequences backwards (not for language modelling)")]
    public bool Bidirectional { get; init; } = Defaults.Bidirectional;
    /// <summary>Dropout.</summary>
    [ConfigKey("dropout between layers / in Transformer blocks", Minimum = 0, Maximum = 0.95)]
    public double Dropout { get; init; } = Defaults.Dropout;
    /// <summary>Embedding width of both sides.</summary>
    [ConfigKey("embedding width for token inputs (text, copy_memory, dna k-mers)", Minimum = 1)]
    public int EmbeddingSize { get; init; } = Defaults.Tokens.TargetEmbeddingSize;
    /// <summary>Width of the additive score's hidden layer.</summary>
    [ConfigKey("additive attention: width of the score's hidden layer; null = hidden_size", Minimum = 1)]
    public int? AttentionSize { get; init; }
}

/// <summary><c>model: {type: transformer_seq2seq}</c> — a Transformer encoder–decoder; defaults from <see cref="TransformerEncoderDecoderOptions"/>.</summary>
public sealed record TransformerSeq2SeqConfig : SequenceToSequenceModelConfig
{
    static readonly TransformerEncoderDecoderOptions Defaults = new(new SequencePairOptions(InputOptions.ForTokens(2, 64), 2, 64), ModelSize: 64, Heads: 4);

    /// <inheritdoc />
    public override string Type => "transformer_seq2seq";
    /// <summary>d_model.</summary>
    [ConfigKey("d_model", Minimum = 1, Maximum = 65_536)]
    public int ModelSize { get; init; } = Defaults.ModelSize;
    /// <summary>Attention heads.</summary>
    [ConfigKey("attention heads (must divide model_size)", Minimum = 1, Maximum = 1024)]
    public int Heads { get; init; } = Defaults.Heads;
    /// <summary>Encoder blocks.</summary>
    [ConfigKey("encoder blocks of an encoder–decoder", Minimum = 1, Maximum = 64)]
    public int EncoderLayers { get; init; } = Defaults.EncoderLayers;
    /// <summary>Decoder blocks.</summary>
    [ConfigKey("decoder blocks of an encoder–decoder", Minimum = 1, Maximum = 64)]
    public int DecoderLayers { get; init; } = Defaults.DecoderLayers;
    /// <summary>Dropout.</summary>
    [ConfigKey("dropout between layers / in Transformer blocks", Minimum = 0, Maximum = 0.95)]
    public double Dropout { get; init; } = Defaults.Dropout;
    /// <summary>Feed-forward width.</summary>
    [ConfigKey("feed-forward width; null = 4 × model_size", Minimum = 1)]
    public int? FeedForwardSize { get; init; }
    /// <summary>sinusoidal or learned.</summary>
    [ConfigKey("position encoding", Choices = ["sinusoidal", "learned"])]
    public string Positional { get; init; } = ConfigKeys.SnakeCase(Defaults.Positional.ToString());
    /// <summary>Pre-norm blocks.</summary>
    [ConfigKey("LayerNorm before (true) or after (false) each sub-layer")]
    public bool PreNorm { get; init; } = Defaults.PreNorm;
    /// <summary>Longest source or target.</summary>
    [ConfigKey("longest sequence a Transformer accepts", Minimum = 1)]
    public int MaxLength { get; init; } = Defaults.MaxLength;
    /// <summary>fused or explicit.</summary>
    [ConfigKey("attention arithmetic where no weights are wanted: fused (LibTorch's scaled_dot_product_attention) or explicit (softmax(QKᵀ/√d)V written out, faster for small heads on some CPUs; bench/results.md); the two agree to float rounding", Choices = ["fused", "explicit"])]
    public string AttentionKernel { get; init; } = ConfigKeys.SnakeCase(Defaults.Kernel.ToString());
}

/// <summary>An encoder–decoder kind: maps a source to target tokens.</summary>
public abstract class SequenceToSequenceModelKind<TConfig> : ModelKind<TConfig, SequenceToSequenceShape> where TConfig : SequenceToSequenceModelConfig, new()
{
    /// <inheritdoc />
    protected override string Maps => "a source sequence to a target token sequence (an encoder–decoder)";

    /// <summary>The pair options: the source as the data gives it, the target vocabulary, embeddings of <paramref name="embedding"/>.</summary>
    protected static SequencePairOptions Tokens(TConfig config, SequenceToSequenceShape shape, int embedding) =>
        new(shape.Input.ToOptions(embedding), shape.TargetVocabulary, embedding, config.SharedEmbeddings, config.TieWeights);
}

/// <summary><c>rnn_seq2seq</c>: <see cref="RecurrentEncoderDecoder"/>.</summary>
public sealed class RnnSeq2SeqKind : SequenceToSequenceModelKind<RnnSeq2SeqConfig>
{
    /// <inheritdoc />
    public override string Summary => "recurrent encoder–decoder (GRU/LSTM; bidirectional encoder option) with no, additive or multiplicative attention";

    /// <summary>The Models library's options.</summary>
    public static RecurrentEncoderDecoderOptions Options(RnnSeq2SeqConfig c, SequenceToSequenceShape shape) =>
        new(Tokens(c, shape, c.EmbeddingSize), c.Cell switch { "lstm" => RecurrentKind.Lstm, "rnn" => RecurrentKind.RnnTanh, _ => RecurrentKind.Gru }, c.HiddenSize, c.Layers, c.Bidirectional,
            Enum.Parse<AttentionKind>(c.Attention, ignoreCase: true), c.Dropout, c.AttentionSize ?? 0);

    /// <inheritdoc />
    protected override void Validate(RnnSeq2SeqConfig config, SequenceToSequenceShape shape) => Options(config, shape).Validate();

    /// <inheritdoc />
    protected override ISequenceModel Build(RnnSeq2SeqConfig config, SequenceToSequenceShape shape) => new RecurrentEncoderDecoder(Options(config, shape));
}

/// <summary><c>transformer_seq2seq</c>: <see cref="TransformerEncoderDecoder"/>.</summary>
public sealed class TransformerSeq2SeqKind : SequenceToSequenceModelKind<TransformerSeq2SeqConfig>
{
    /// <inheritdoc />
    public override string Summary => "Transformer encoder–decoder (causal self-attention and cross-attention, key-padding masks on both sides)";

    /// <summary>The Models library's options (embeddings model_size wide).</summary>
    public static TransformerEncoderDecoderOptions Options(TransformerSeq2SeqConfig c, SequenceToSequenceShape shape) =>
        new(Tokens(c, shape, c.ModelSize), c.ModelSize, c.Heads, c.EncoderLayers, c.DecoderLayers, c.FeedForwardSize ?? 0, c.Dropout,
            c.Positional == "learned" ? PositionalEncoding.Learned : PositionalEncoding.Sinusoidal, c.MaxLength, c.PreNorm,
            Enum.Parse<AttentionKernel>(c.AttentionKernel, ignoreCase: true));

    /// <inheritdoc />
    protected override void Validate(TransformerSeq2SeqConfig config, SequenceToSequenceShape shape) => Options(config, shape).Validate();

    /// <inheritdoc />
    protected override ISequenceModel Build(TransformerSeq2SeqConfig config, SequenceToSequenceShape shape) => new TransformerEncoderDecoder(Options(config, shape));
}
