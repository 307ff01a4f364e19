using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SeqLab.Models;

/// <summary>
/// What every SeqLab model offers the trainer and the monitors: a batch-first forward pass over a padded batch
/// (inputs plus optional lengths), its parameters, and a description for logs and reports.
/// </summary>
public interface ISequenceModel
{
    /// <summary>
    /// Maps inputs — features [batch, time, features] or token ids [batch, time] — to task outputs:
    /// [batch, outputs] for sequence tasks, [batch, time, outputs] for per-step tasks and language models.
    /// <paramref name="lengths"/> (int64 [batch], CPU) marks the valid prefix of each padded sequence; null means all valid.
    /// </summary>
    Tensor Forward(Tensor inputs, Tensor? lengths = null);

    /// <summary>The task the head serves (decides the loss).</summary>
    TaskKind Task { get; }

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
