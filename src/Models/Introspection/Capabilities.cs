using SeqLab.Models.Recurrent;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SeqLab.Models.Introspection;

/// <summary>
/// A model whose forward pass starts from the vectors its (source) encoder reads, so a trainer can keep the gradient of
/// those vectors — ∂L/∂x_t over source positions, also for token models — and carry a recurrent state between windows
/// (truncated BPTT).
/// </summary>
public interface IStagedSequenceModel
{
    /// <summary>The vectors the encoder reads: embeddings of token ids, or the features themselves.</summary>
    Tensor Embed(Tensor inputs);

    /// <summary>
    /// The forward pass from <paramref name="vectors"/> (what <see cref="Embed"/> gave for <paramref name="input"/>'s source);
    /// <paramref name="initialState"/> starts a recurrent encoder (null: zeros; ignored by others), and
    /// <paramref name="finalState"/> is its state after the last step (null where there is none).
    /// </summary>
    Tensor ForwardFromVectors(Tensor vectors, ModelInput input, RecurrentState? initialState, out RecurrentState? finalState);

    /// <summary>Whether <see cref="ForwardFromVectors"/> returns a state worth carrying into the next window (recurrent encoders).</summary>
    bool CarriesState { get; }
}

/// <summary>A model with a head for one of the single-sequence tasks, whose outputs a loss for that <see cref="TaskKind"/> reads.</summary>
public interface ITaskHead
{
    /// <summary>What the head predicts.</summary>
    TaskKind Task { get; }
}

/// <summary>A model that places each of its parameter tensors at a depth, so gradients can be followed through depth.</summary>
public interface IParameterDepth
{
    /// <summary>Encoder layers L.</summary>
    int EncoderLayers { get; }

    /// <summary>0 = input side (embedding, input projection, positions), 1…L = encoder layers, L + 1 = after the stack (final norm, head).</summary>
    int DepthOf(string parameterName);

    /// <summary>Words for a depth in tables and charts: "input", "layer k", "output" — an encoder–decoder says "encoder k" and "decoder k".</summary>
    string DepthLabel(int depth) => depth == 0 ? "input" : depth > EncoderLayers ? "output" : $"layer {depth}";
}

/// <summary>An encoder that knows which of its own parameters belong to which layer.</summary>
public interface ILayeredEncoder
{
    /// <summary>Number of layers.</summary>
    int Layers { get; }

    /// <summary>The 1-based layer of a parameter named relative to the encoder, 0 for the input side, or null for what follows the stack.</summary>
    int? LayerOf(string localName);
}

/// <summary>One recurrent weight W_hh: its rows are the <see cref="RecurrentKinds.GateCount"/> gate blocks of its cell, stacked.</summary>
/// <param name="Name">The parameter's dotted name.</param>
/// <param name="Weight">The tensor, [gates × hidden, hidden].</param>
/// <param name="Kind">The cell it belongs to.</param>
public sealed record RecurrentWeight(string Name, Parameter Weight, RecurrentKind Kind)
{
    /// <summary>Units per gate block.</summary>
    public int HiddenSize => (int)Weight.shape[1];
}

/// <summary>A forward pass computed step by step: the model's outputs and every layer's and direction's states and gates.</summary>
/// <param name="Outputs">What the model's forward pass returns, from the traced states (part of the autograd graph).</param>
/// <param name="Directions">Each traced recurrent stack's layers and directions, in order.</param>
public sealed record UnrolledPass(Tensor Outputs, IReadOnlyList<DirectionTrace> Directions);

/// <summary>A step-by-step twin of a recurrent model, with its weights; dispose it when done.</summary>
public interface IUnrolledTwin : IDisposable
{
    /// <summary>Runs <paramref name="input"/> through the twin (in eval mode), keeping every h_t (and gates when <paramref name="recordGates"/>).</summary>
    UnrolledPass Run(ModelInput input, bool recordGates);
}

/// <summary>A recurrent model: its recurrent weight blocks and an unrolled twin that exposes every h_t, c_t and gate.</summary>
public interface IRecurrentIntrospection
{
    /// <summary>The cell of the traced stack (for nonlinearity-specific statistics such as dead ReLU units).</summary>
    RecurrentKind Kind { get; }

    /// <summary>Every W_hh tensor with its name and cell.</summary>
    IEnumerable<RecurrentWeight> RecurrentWeights();

    /// <summary>A step-by-step twin with the same weights; building it draws from torch's generator (guard it).</summary>
    IUnrolledTwin ToUnrolled();
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

/// <summary>An encoder–decoder whose attention from target steps to source positions can be recorded on a forward pass.</summary>
public interface ICrossAttentionIntrospection
{
    /// <summary>When true, <see cref="LastCrossAttention"/> keeps the weights of the next forward passes.</summary>
    bool RecordAttention { get; set; }

    /// <summary>Cross-attention weights per decoder layer, [batch, heads, target, source], from the last recorded pass.</summary>
    IReadOnlyList<Tensor> LastCrossAttention { get; }
}
