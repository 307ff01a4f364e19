using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SeqLab.Models;

/// <summary>
/// What a model reads in one forward pass: the source and its lengths and, for encoder–decoders, what the decoder is fed
/// (teacher forcing) and the target lengths. The trainer builds it from a batch; models never see batches or data sets.
/// </summary>
/// <param name="Source">Features [batch, time, features…] or token ids [batch, time].</param>
/// <param name="SourceLengths">Valid source steps per sequence (int64 [batch], CPU); null: all valid.</param>
public sealed record ModelInput(Tensor Source, Tensor? SourceLengths = null)
{
    /// <summary>The decoder's input (e.g. the target tokens shifted right behind a start token); null for models without a decoder.</summary>
    public Tensor? DecoderInputs { get; init; }

    /// <summary>Valid decoder steps per sequence (int64 [batch], CPU); null: all valid.</summary>
    public Tensor? TargetLengths { get; init; }
}

/// <summary>
/// What every SeqLab model offers the trainer and the monitors: a batch-first forward pass, its parameters, and a
/// description for logs and reports. What the outputs mean — and so the loss — is the task's business (its criterion).
/// </summary>
public interface ISequenceModel
{
    /// <summary>
    /// Maps a <see cref="ModelInput"/> to outputs: [batch, outputs] for sequence tasks, [batch, time, outputs] for per-step
    /// tasks and language models, [batch, target time, vocabulary] logits for encoder–decoders.
    /// </summary>
    Tensor Forward(ModelInput input);

    /// <summary>A forward pass over one input sequence (models without a decoder); <paramref name="lengths"/> as in <see cref="ModelInput.SourceLengths"/>.</summary>
    Tensor Forward(Tensor inputs, Tensor? lengths = null) => Forward(new ModelInput(inputs, lengths));

    /// <summary>The trainable parameters with their dotted names, e.g. <c>encoder.recurrent.weight_hh_l0</c>.</summary>
    IEnumerable<(string Name, Parameter Parameter)> NamedParameters();

    /// <summary>The underlying TorchSharp module (for optimisers, <c>train()</c>/<c>eval()</c>, saving).</summary>
    nn.Module Module { get; }

    /// <summary>Number of trainable scalars.</summary>
    long ParameterCount { get; }

    /// <summary>One line: architecture and sizes.</summary>
    string Description { get; }

    /// <summary>
    /// What the model lets monitors see, by interface (see <c>SeqLab.Models.Introspection</c>): e.g.
    /// <c>Capability&lt;IRecurrentIntrospection&gt;()</c>; null when the model does not offer it.
    /// </summary>
    T? Capability<T>() where T : class => this as T;
}

/// <summary>An encoder's result: per-step outputs [batch, time, width] and one summary vector per sequence [batch, width].</summary>
/// <param name="Steps">Outputs at every step (recurrent encoders give zeros at padded steps).</param>
/// <param name="Summary">The sequence summary a many-to-one head reads: the final hidden state(s) of a recurrent encoder; the last valid step (causal) or the masked mean of a Transformer.</param>
public sealed record EncoderOutput(Tensor Steps, Tensor Summary)
{
    /// <summary>A recurrent encoder's state after the last step (for carrying it into the next window: truncated BPTT); null for Transformers.</summary>
    public RecurrentState? FinalState { get; init; }
}

/// <summary>A recurrent state: hidden [layers × directions, batch, hidden] and, for LSTMs, the cell state of the same shape.</summary>
public sealed record RecurrentState(Tensor Hidden, Tensor? Cell = null);

/// <summary>A module that turns [batch, time, width] vectors into an <see cref="EncoderOutput"/>.</summary>
public interface ISequenceEncoder
{
    /// <summary>Encodes <paramref name="inputs"/>; <paramref name="initialState"/> is for recurrent encoders (null: zeros).</summary>
    EncoderOutput Encode(Tensor inputs, Tensor? lengths, RecurrentState? initialState = null);

    /// <summary>Width of <see cref="EncoderOutput.Steps"/> and <see cref="EncoderOutput.Summary"/>.</summary>
    int OutputSize { get; }
}
