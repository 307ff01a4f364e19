using System.Text.Json.Serialization;
using SeqLab.Models.Recurrent;

namespace SeqLab.Models.SequenceToSequence;

/// <summary>How the decoder looks back at the encoder's outputs.</summary>
public enum AttentionKind
{
    /// <summary>Not at all: the encoder's final state starts the decoder and is fed at every step — the fixed-length bottleneck (Cho et al. 2014).</summary>
    None,
    /// <summary>Additive scores vᵀ tanh(W s_t + U h_j) (Bahdanau, Cho &amp; Bengio 2015).</summary>
    Additive,
    /// <summary>Multiplicative ("general") scores s_tᵀ W h_j (Luong, Pham &amp; Manning 2015).</summary>
    Multiplicative,
}

/// <summary>What an encoder–decoder reads and writes: the source (features or token ids) and the target vocabulary with its embedding.</summary>
/// <param name="Source">The source side: token ids with their embedding, or feature vectors (speech frames).</param>
/// <param name="TargetVocabulary">Target token ids, including the start, end and padding tokens.</param>
/// <param name="TargetEmbeddingSize">Width of the target embedding.</param>
/// <param name="SharedEmbeddings">One embedding for both sides (needs token sources over the same vocabulary and width).</param>
/// <param name="TieOutput">The output layer reuses the target embedding (Press &amp; Wolf 2017); needs the decoder's output width to equal the embedding width.</param>
public sealed record SequencePairOptions(InputOptions Source, int TargetVocabulary, int TargetEmbeddingSize, bool SharedEmbeddings = false, bool TieOutput = false)
{
    internal void Validate(int decoderWidth)
    {
        Source.Validate();
        if (TargetVocabulary < 2) throw new ArgumentException($"TargetVocabulary must be at least 2, got {TargetVocabulary}");
        if (TargetEmbeddingSize < 1) throw new ArgumentException("TargetEmbeddingSize must be at least 1");
        if (SharedEmbeddings && (!Source.IsTokens || Source.VocabularySize != TargetVocabulary || Source.EmbeddingSize != TargetEmbeddingSize))
            throw new ArgumentException($"SharedEmbeddings needs token sources over the target's vocabulary ({TargetVocabulary}) and embedding width ({TargetEmbeddingSize}); use a shared vocabulary in the data");
        if (TieOutput && decoderWidth != TargetEmbeddingSize)
            throw new ArgumentException($"TieOutput needs the decoder's output width ({decoderWidth}) to equal TargetEmbeddingSize ({TargetEmbeddingSize})");
    }
}

/// <summary>A recurrent encoder–decoder: a (bidirectional) GRU or LSTM encoder, a GRU or LSTM decoder, and optional attention over the encoder's outputs.</summary>
/// <param name="Tokens">What it reads and writes.</param>
/// <param name="Cell">GRU or LSTM (also a vanilla RNN) for both sides.</param>
/// <param name="HiddenSize">Units per layer and direction of the encoder, and of the decoder.</param>
/// <param name="Layers">Stacked layers on each side.</param>
/// <param name="Bidirectional">The encoder also reads the source backwards.</param>
/// <param name="Attention">None (the bottleneck), additive or multiplicative.</param>
/// <param name="Dropout">Dropout between stacked layers and on the decoder's output (training only).</param>
/// <param name="AttentionSize">Width of the additive score's hidden layer; 0: <paramref name="HiddenSize"/>.</param>
public sealed record RecurrentEncoderDecoderOptions(SequencePairOptions Tokens, RecurrentKind Cell, int HiddenSize, int Layers = 1, bool Bidirectional = false,
    AttentionKind Attention = AttentionKind.Additive, double Dropout = 0, int AttentionSize = 0) : ModelOptions
{
    /// <summary>The encoder's options (an unrolled one for the twin the monitors trace).</summary>
    [JsonIgnore] public RecurrentOptions Encoder => new(Cell, HiddenSize, Layers, Bidirectional, Layers > 1 ? Dropout : 0);

    /// <inheritdoc />
    public override ISequenceModel Build() => new RecurrentEncoderDecoder(this);

    /// <summary>Throws on options that cannot make a model, naming the problem.</summary>
    public void Validate()
    {
        if (HiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(HiddenSize), HiddenSize, "must be at least 1");
        if (Layers < 1) throw new ArgumentOutOfRangeException(nameof(Layers), Layers, "must be at least 1");
        if (Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "must be in [0, 1)");
        if (AttentionSize < 0) throw new ArgumentOutOfRangeException(nameof(AttentionSize), AttentionSize, "must be ≥ 0");
        Tokens.Validate(HiddenSize);
    }
}

/// <summary>A Transformer encoder–decoder (Vaswani et al. 2017): encoder blocks, decoder blocks with causal self-attention and cross-attention, batch-first.</summary>
/// <param name="Tokens">What it reads and writes (the embeddings are <paramref name="ModelSize"/> wide unless a feature source is projected).</param>
/// <param name="ModelSize">d_model.</param>
/// <param name="Heads">Attention heads (must divide <paramref name="ModelSize"/>).</param>
/// <param name="EncoderLayers">Encoder blocks.</param>
/// <param name="DecoderLayers">Decoder blocks.</param>
/// <param name="FeedForwardSize">Feed-forward width; 0: 4 × ModelSize.</param>
/// <param name="Dropout">Dropout on attention and feed-forward outputs.</param>
/// <param name="Positional">Sinusoidal or learned positions.</param>
/// <param name="MaxLength">Longest source or target.</param>
/// <param name="PreNorm">LayerNorm before each sub-layer.</param>
/// <param name="Kernel">The attention arithmetic where no weights are wanted (models saved before it existed read as fused).</param>
public sealed record TransformerEncoderDecoderOptions(SequencePairOptions Tokens, int ModelSize, int Heads, int EncoderLayers = 2, int DecoderLayers = 2,
    int FeedForwardSize = 0, double Dropout = 0, PositionalEncoding Positional = PositionalEncoding.Sinusoidal, int MaxLength = 512, bool PreNorm = true,
    AttentionKernel Kernel = AttentionKernel.Fused) : ModelOptions
{
    /// <summary>The encoder stack's options.</summary>
    [JsonIgnore] public TransformerOptions Encoder => new(ModelSize, Heads, EncoderLayers, FeedForwardSize, Dropout, Positional, MaxLength, Causal: false, PreNorm, Kernel);

    /// <summary>The decoder stack's options (causal).</summary>
    [JsonIgnore] public TransformerOptions Decoder => new(ModelSize, Heads, DecoderLayers, FeedForwardSize, Dropout, Positional, MaxLength, Causal: true, PreNorm, Kernel);

    /// <inheritdoc />
    public override ISequenceModel Build() => new TransformerEncoderDecoder(this);

    /// <summary>Throws on options that cannot make a model, naming the problem.</summary>
    public void Validate()
    {
        Encoder.Validate();
        Decoder.Validate();
        if (Tokens.TargetEmbeddingSize != ModelSize) throw new ArgumentException($"TargetEmbeddingSize ({Tokens.TargetEmbeddingSize}) must equal ModelSize ({ModelSize})");
        Tokens.Validate(ModelSize);
    }
}
