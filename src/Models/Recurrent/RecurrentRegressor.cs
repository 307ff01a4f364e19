using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SeqLab.Models.Recurrent;

/// <summary>
/// A many-to-one regressor: a fused TorchSharp recurrent stack (<c>nn.RNN</c>, <c>nn.LSTM</c> or <c>nn.GRU</c>, batch-first)
/// reads the whole sequence, and a linear head maps the last time step's top-layer output to the targets.
/// </summary>
public sealed class RecurrentRegressor : Module<Tensor, Tensor>, ISequenceModel
{
    readonly Module recurrent;
    readonly Linear head;

    /// <summary>Builds the model; initialisation is PyTorch's default, drawn from torch's global generator (seed it first).</summary>
    public RecurrentRegressor(RecurrentOptions options) : base(nameof(RecurrentRegressor))
    {
        options.Validate();
        Options = options;
        recurrent = options.Kind switch
        {
            RecurrentKind.RnnTanh => RNN(options.InputSize, options.HiddenSize, options.Layers, NonLinearities.Tanh, batchFirst: true),
            RecurrentKind.RnnRelu => RNN(options.InputSize, options.HiddenSize, options.Layers, NonLinearities.ReLU, batchFirst: true),
            RecurrentKind.Lstm => LSTM(options.InputSize, options.HiddenSize, options.Layers, batchFirst: true),
            RecurrentKind.Gru => GRU(options.InputSize, options.HiddenSize, options.Layers, batchFirst: true),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Kind, "unknown recurrent kind"),
        };
        head = Linear(options.HiddenSize, options.OutputSize);
        RegisterComponents();
    }

    /// <summary>The options this model was built from.</summary>
    public RecurrentOptions Options { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor inputs)
    {
        var outputs = recurrent switch
        {
            RNN rnn => rnn.call(inputs, null).Item1,
            LSTM lstm => lstm.call(inputs, null).Item1,
            GRU gru => gru.call(inputs, null).Item1,
            _ => throw new InvalidOperationException("unreachable"),
        };
        return head.call(outputs[.., -1, ..]);
    }

    /// <inheritdoc />
    public Tensor Forward(Tensor inputs) => call(inputs);

    /// <inheritdoc />
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters() => named_parameters();

    /// <inheritdoc />
    public Module Module => this;

    /// <inheritdoc />
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <inheritdoc />
    public string Description =>
        $"{Options.Kind} ×{Options.Layers} (hidden {Options.HiddenSize}) → linear {Options.OutputSize}, many-to-one, {ParameterCount:N0} parameters";
}
