using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using PackedSequence = TorchSharp.torch.nn.utils.rnn.PackedSequence;

namespace SeqLab.Models.Recurrent;

/// <summary>
/// A recurrent encoder on TorchSharp's fused kernels (<c>nn.RNN</c>, <c>nn.LSTM</c>, <c>nn.GRU</c>, batch-first).
/// Padded batches go through <c>pack_padded_sequence</c>, so padding never influences a result; the summary is the
/// top layer's final state (both directions concatenated when bidirectional).
/// </summary>
public sealed class FusedRecurrentEncoder : nn.Module, ISequenceEncoder, SeqLab.Models.Introspection.ILayeredEncoder
{
    readonly nn.Module recurrent;
    readonly LayerNorm? norm;
    readonly RecurrentOptions options;

    /// <summary>Builds the stack for inputs of <paramref name="inputSize"/> features and applies the initialisation options.</summary>
    public FusedRecurrentEncoder(RecurrentOptions options, int inputSize) : base(nameof(FusedRecurrentEncoder))
    {
        this.options = options;
        recurrent = options.Kind switch
        {
            RecurrentKind.RnnTanh => RNN(inputSize, options.HiddenSize, options.Layers, NonLinearities.Tanh, batchFirst: true, dropout: options.Dropout, bidirectional: options.Bidirectional),
            RecurrentKind.RnnRelu => RNN(inputSize, options.HiddenSize, options.Layers, NonLinearities.ReLU, batchFirst: true, dropout: options.Dropout, bidirectional: options.Bidirectional),
            RecurrentKind.Lstm => LSTM(inputSize, options.HiddenSize, options.Layers, batchFirst: true, dropout: options.Dropout, bidirectional: options.Bidirectional),
            RecurrentKind.Gru => GRU(inputSize, options.HiddenSize, options.Layers, batchFirst: true, dropout: options.Dropout, bidirectional: options.Bidirectional),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Kind, "unknown recurrent kind"),
        };
        if (options.LayerNorm) norm = LayerNorm(OutputSize);
        RegisterComponents();
        RecurrentInitialiser.Apply(recurrent, options);
    }

    /// <inheritdoc />
    public int OutputSize => options.HiddenSize * options.Directions;

    /// <inheritdoc />
    public int Layers => options.Layers;

    /// <inheritdoc />
    public int? LayerOf(string localName) => RecurrentKinds.LayerOf(localName);

    /// <inheritdoc />
    public EncoderOutput Encode(Tensor inputs, Tensor? lengths, RecurrentState? initialState = null)
    {
        Tensor steps, finalHidden;
        Tensor? finalCell;
        lengths = SeqLab.Runtime.Tensors.LengthMask.Needed(lengths, inputs.shape[1]);
        if (lengths is null)
            (steps, finalHidden, finalCell) = Run(inputs, initialState);
        else
        {
            using var packed = nn.utils.rnn.pack_padded_sequence(inputs, lengths, batch_first: true, enforce_sorted: false);
            var (packedSteps, hidden, cell) = RunPacked(packed, initialState);
            using (packedSteps)
                steps = nn.utils.rnn.pad_packed_sequence(packedSteps, batch_first: true, total_length: inputs.shape[1]).Item1;
            (finalHidden, finalCell) = (hidden, cell);
        }
        int directions = options.Directions;
        var top = finalHidden.narrow(0, finalHidden.shape[0] - directions, directions); // [directions, batch, hidden]
        var summary = cat(Enumerable.Range(0, directions).Select(d => top[d]).ToList(), 1);
        var final = new RecurrentState(finalHidden, finalCell);
        return norm is null ? new EncoderOutput(steps, summary) { FinalState = final } : new EncoderOutput(norm.call(steps), norm.call(summary)) { FinalState = final };
    }

    (Tensor Steps, Tensor FinalHidden, Tensor? FinalCell) Run(Tensor inputs, RecurrentState? state) => recurrent switch
    {
        RNN rnn => rnn.call(inputs, state?.Hidden) is var (o, h) ? (o, h, (Tensor?)null) : default,
        GRU gru => gru.call(inputs, state?.Hidden) is var (o, h) ? (o, h, (Tensor?)null) : default,
        LSTM lstm => lstm.call(inputs, state is null ? null : (state.Hidden, state.Cell!)) is var (o, h, c) ? (o, h, (Tensor?)c) : default,
        _ => throw new InvalidOperationException("unreachable"),
    };

    (PackedSequence Steps, Tensor FinalHidden, Tensor? FinalCell) RunPacked(PackedSequence inputs, RecurrentState? state) => recurrent switch
    {
        RNN rnn => rnn.call(inputs, state?.Hidden) is var (o, h) ? (o, h, (Tensor?)null) : default,
        GRU gru => gru.call(inputs, state?.Hidden) is var (o, h) ? (o, h, (Tensor?)null) : default,
        LSTM lstm => lstm.call(inputs, state is null ? null : (state.Hidden, state.Cell!)) is var (o, h, c) ? (o, h, (Tensor?)c) : default,
        _ => throw new InvalidOperationException("unreachable"),
    };
}
