using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace SeqLab.Models.Recurrent;

/// <summary>What one layer and direction of an unrolled encoder computed, step by step (index = time step, in time order).</summary>
/// <param name="Layer">0-based layer.</param>
/// <param name="Reverse">True for the backward direction of a bidirectional layer.</param>
/// <param name="Hidden">h_t for every step, each [batch, hidden]; part of the autograd graph, so ∂L/∂h_t can be taken.</param>
/// <param name="Cell">c_t for every step (LSTM only).</param>
/// <param name="Gates">Gate activations per step: LSTM <c>input</c>, <c>forget</c>, <c>candidate</c>, <c>output</c>; GRU <c>reset</c>, <c>update</c>, <c>candidate</c>; empty for vanilla RNNs or when not recorded.</param>
public sealed record DirectionTrace(int Layer, bool Reverse, IReadOnlyList<Tensor> Hidden, IReadOnlyList<Tensor>? Cell, IReadOnlyDictionary<string, IReadOnlyList<Tensor>> Gates)
{
    /// <summary>
    /// The pre-activation of the cell's squashing unit per step, each [batch, hidden] — a_t of a vanilla RNN, the LSTM's
    /// candidate g_t and the GRU's candidate n_t before their tanh (ReLU for <see cref="RecurrentKind.RnnRelu"/>); empty when gates were not recorded.
    /// </summary>
    public IReadOnlyList<Tensor> PreActivations { get; init; } = [];
}

/// <summary>The output of an unrolled pass plus everything computed inside it.</summary>
public sealed record RecurrentTrace(EncoderOutput Output, IReadOnlyList<DirectionTrace> Directions);

/// <summary>
/// The recurrent family computed step by step with the textbook cell equations, on parameters named exactly like the
/// fused modules' (<c>recurrent.weight_ih_l0</c>, …). Loaded with a fused model's weights it reproduces that model's
/// outputs and gradients, while exposing h_t, c_t and the gates at every step — what the fused kernels hide.
/// Padded steps leave the state unchanged and output zeros, matching packed sequences.
/// </summary>
public sealed class UnrolledRecurrentEncoder : nn.Module, ISequenceEncoder, SeqLab.Models.Introspection.ILayeredEncoder
{
    readonly RecurrentWeights recurrent;
    readonly LayerNorm? norm;
    readonly Dropout? dropout;
    readonly RecurrentOptions options;

    /// <summary>Builds the stack for inputs of <paramref name="inputSize"/> features and applies the initialisation options.</summary>
    public UnrolledRecurrentEncoder(RecurrentOptions options, int inputSize) : base(nameof(UnrolledRecurrentEncoder))
    {
        this.options = options;
        recurrent = new RecurrentWeights(options, inputSize);
        if (options.LayerNorm) norm = LayerNorm(OutputSize);
        if (options.Dropout > 0 && options.Layers > 1) dropout = Dropout(options.Dropout);
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
    public EncoderOutput Encode(Tensor inputs, Tensor? lengths, RecurrentState? initialState = null) =>
        Trace(inputs, lengths, initialState, recordGates: false).Output;

    /// <summary>Runs the encoder and returns its output with every hidden state, cell state and (optionally) gate activation.</summary>
    public RecurrentTrace Trace(Tensor inputs, Tensor? lengths, RecurrentState? initialState = null, bool recordGates = true)
    {
        long batch = inputs.shape[0], time = inputs.shape[1];
        int hidden = options.HiddenSize, directions = options.Directions;
        // mask[t] is [batch, 1]: 1 where step t is valid for that sequence.
        using var validMask = SeqLab.Runtime.Tensors.LengthMask.Valid(lengths, batch, time, inputs.device);
        var masks = Enumerable.Range(0, (int)time).Select(t => validMask[.., t].unsqueeze(1).to(inputs.dtype)).ToList();

        var traces = new List<DirectionTrace>();
        var layerInput = inputs;
        var finals = new List<Tensor>();
        var finalHidden = new List<Tensor>();
        var finalCell = new List<Tensor>();
        for (int layer = 0; layer < options.Layers; layer++)
        {
            if (layer > 0 && dropout is not null) layerInput = dropout.call(layerInput);
            var outputs = new List<Tensor>();
            finals.Clear();
            for (int direction = 0; direction < directions; direction++)
            {
                int index = layer * directions + direction;
                var h = initialState?.Hidden[index] ?? zeros([batch, hidden], inputs.dtype, inputs.device);
                Tensor? c = options.Kind == RecurrentKind.Lstm ? initialState?.Cell?[index] ?? zeros([batch, hidden], inputs.dtype, inputs.device) : null;
                var (wih, whh, bih, bhh) = recurrent.Get(layer, direction == 1);
                var hiddenStates = new Tensor[time];
                var cellStates = c is null ? null : new Tensor[time];
                var stepOutputs = new Tensor[time];
                var gates = new Dictionary<string, Tensor[]>();
                var preActivations = recordGates ? new Tensor[time] : null;
                bool reverse = direction == 1;
                for (int step = 0; step < time; step++)
                {
                    int t = reverse ? (int)time - 1 - step : step;
                    var (hNew, cNew, stepGates, preActivation) = Cell(layerInput[.., t], h, c, wih, whh, bih, bhh);
                    if (preActivations is not null) preActivations[t] = preActivation;
                    var m = masks[t];
                    h = m * hNew + (1 - m) * h;
                    if (c is not null) c = m * cNew! + (1 - m) * c;
                    hiddenStates[t] = h;
                    if (cellStates is not null) cellStates[t] = c!;
                    stepOutputs[t] = m * h; // equals m·h_new, but read from h_t so ∂L/∂h_t includes the path through this output
                    if (recordGates)
                        foreach (var (name, value) in stepGates)
                        {
                            if (!gates.TryGetValue(name, out var series)) gates[name] = series = new Tensor[time];
                            series[t] = value;
                        }
                }
                outputs.Add(stack(stepOutputs, 1));
                finals.Add(h);
                finalHidden.Add(h);
                if (c is not null) finalCell.Add(c);
                traces.Add(new DirectionTrace(layer, reverse, hiddenStates, cellStates,
                    gates.ToDictionary(g => g.Key, g => (IReadOnlyList<Tensor>)g.Value)) { PreActivations = preActivations ?? [] });
            }
            layerInput = directions == 1 ? outputs[0] : cat(outputs, 2);
        }
        var summary = directions == 1 ? finals[0] : cat(finals, 1);
        var final = new RecurrentState(stack(finalHidden, 0), finalCell.Count > 0 ? stack(finalCell, 0) : null);
        var output = norm is null ? new EncoderOutput(layerInput, summary) { FinalState = final } : new EncoderOutput(norm.call(layerInput), norm.call(summary)) { FinalState = final };
        return new RecurrentTrace(output, traces);
    }

    /// <summary>One step of the cell: PyTorch's equations and gate order.</summary>
    (Tensor Hidden, Tensor? Cell, IEnumerable<(string, Tensor)> Gates, Tensor PreActivation) Cell(Tensor x, Tensor h, Tensor? c, Tensor wih, Tensor whh, Tensor bih, Tensor bhh)
    {
        switch (options.Kind)
        {
            case RecurrentKind.RnnTanh:
            {
                var pre = F.linear(x, wih, bih) + F.linear(h, whh, bhh);
                return (tanh(pre), null, [], pre);
            }
            case RecurrentKind.RnnRelu:
            {
                var pre = F.linear(x, wih, bih) + F.linear(h, whh, bhh);
                return (F.relu(pre), null, [], pre);
            }
            case RecurrentKind.Lstm:
            {
                var chunks = (F.linear(x, wih, bih) + F.linear(h, whh, bhh)).chunk(4, 1);
                var input = sigmoid(chunks[0]);
                var forget = sigmoid(chunks[1]);
                var candidate = tanh(chunks[2]);
                var output = sigmoid(chunks[3]);
                var cNew = forget * c! + input * candidate;
                return (output * tanh(cNew), cNew, [("input", input), ("forget", forget), ("candidate", candidate), ("output", output)], chunks[2]);
            }
            case RecurrentKind.Gru:
            {
                var fromInput = F.linear(x, wih, bih).chunk(3, 1);
                var fromHidden = F.linear(h, whh, bhh).chunk(3, 1);
                var reset = sigmoid(fromInput[0] + fromHidden[0]);
                var update = sigmoid(fromInput[1] + fromHidden[1]);
                var pre = fromInput[2] + reset * fromHidden[2];
                var candidate = tanh(pre);
                return ((1 - update) * candidate + update * h, null, [("reset", reset), ("update", update), ("candidate", candidate)], pre);
            }
            default:
                throw new InvalidOperationException("unreachable");
        }
    }

    /// <summary>Holds the weights under the fused modules' parameter names, so state dicts move between the two freely.</summary>
    sealed class RecurrentWeights : nn.Module
    {
        public RecurrentWeights(RecurrentOptions options, int inputSize) : base("recurrent")
        {
            int gates = options.Kind.GateCount(), hidden = options.HiddenSize;
            double bound = 1.0 / Math.Sqrt(hidden);
            for (int layer = 0; layer < options.Layers; layer++)
                for (int direction = 0; direction < options.Directions; direction++)
                {
                    int layerInput = layer == 0 ? inputSize : hidden * options.Directions;
                    string suffix = $"_l{layer}{(direction == 1 ? "_reverse" : "")}";
                    Register($"weight_ih{suffix}", [gates * hidden, layerInput], bound);
                    Register($"weight_hh{suffix}", [gates * hidden, hidden], bound);
                    Register($"bias_ih{suffix}", [gates * hidden], bound);
                    Register($"bias_hh{suffix}", [gates * hidden], bound);
                }
        }

        void Register(string name, long[] shape, double bound) =>
            register_parameter(name, new Parameter(empty(shape).uniform_(-bound, bound)));

        public (Tensor Wih, Tensor Whh, Tensor Bih, Tensor Bhh) Get(int layer, bool reverse)
        {
            string suffix = $"_l{layer}{(reverse ? "_reverse" : "")}";
            return (get_parameter($"weight_ih{suffix}")!, get_parameter($"weight_hh{suffix}")!, get_parameter($"bias_ih{suffix}")!, get_parameter($"bias_hh{suffix}")!);
        }
    }
}
