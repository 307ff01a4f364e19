using SeqLab.Models.Recurrent;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SeqLab.Models.Introspection;

/// <summary>
/// A model whose forward pass comes in three stages — input vectors, encoder, head — so a trainer can keep the gradient of
/// the vectors the encoder reads (∂L/∂x_t, also for token models) and carry a recurrent state between windows (truncated BPTT).
/// </summary>
public interface IStagedSequenceModel
{
    /// <summary>The vectors the encoder reads: embeddings of token ids, or the features themselves.</summary>
    Tensor Embed(Tensor inputs);

    /// <summary>Encodes the vectors; <paramref name="initialState"/> starts a recurrent encoder (null: zeros; ignored by others).</summary>
    EncoderOutput Encode(Tensor vectors, Tensor? lengths, RecurrentState? initialState = null);

    /// <summary>Applies the task head to an encoder output.</summary>
    Tensor Head(EncoderOutput encoded);

    /// <summary>Whether <see cref="Encode"/> returns a state worth carrying into the next window (recurrent encoders).</summary>
    bool CarriesState { get; }
}

/// <summary>A model that places each of its parameter tensors at a depth, so gradients can be followed through depth.</summary>
public interface IParameterDepth
{
    /// <summary>Encoder layers L.</summary>
    int EncoderLayers { get; }

    /// <summary>0 = input side (embedding, input projection, positions), 1…L = encoder layers, L + 1 = after the stack (final norm, head).</summary>
    int DepthOf(string parameterName);
}

/// <summary>An encoder that knows which of its own parameters belong to which layer.</summary>
public interface ILayeredEncoder
{
    /// <summary>Number of layers.</summary>
    int Layers { get; }

    /// <summary>The 1-based layer of a parameter named relative to the encoder, 0 for the input side, or null for what follows the stack.</summary>
    int? LayerOf(string localName);
}

/// <summary>A recurrent model: its recurrent weight blocks and an unrolled twin that exposes every h_t, c_t and gate.</summary>
public interface IRecurrentIntrospection
{
    /// <summary>Cell kind, sizes and layers.</summary>
    RecurrentOptions Recurrent { get; }

    /// <summary>Every W_hh tensor (rows: the gate blocks stacked, <see cref="RecurrentKinds.GateCount"/> × hidden) with its name.</summary>
    IEnumerable<(string Name, Parameter Weight)> RecurrentWeights();

    /// <summary>A step-by-step twin with the same weights (and the same train/eval mode); draws from torch's generator.</summary>
    SequenceModel ToUnrolled();
}

/// <summary>A model whose attention weights can be recorded on a forward pass.</summary>
public interface IAttentionIntrospection
{
    /// <summary>Whether queries see only earlier keys.</summary>
    bool Causal { get; }

    /// <summary>When true, <see cref="LastAttention"/> keeps each layer's weights of the next forward passes.</summary>
    bool RecordAttention { get; set; }

    /// <summary>Attention weights per layer, [batch, heads, query, key], from the last recorded pass.</summary>
    IReadOnlyList<Tensor> LastAttention { get; }
}
