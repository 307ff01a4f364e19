using SeqLab.Models.Introspection;
using SeqLab.Models.Recurrent;
using SeqLab.Runtime.Tensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace SeqLab.Models.SequenceToSequence;

/// <summary>
/// The recurrent encoder–decoder (Cho et al. 2014; Sutskever et al. 2014) and its attention variants (Bahdanau et al. 2015;
/// Luong et al. 2015). The encoder reads the source on TorchSharp's fused kernels (packed, so padding never counts); its
/// final states, through a tanh bridge, start the decoder. Without attention the encoder's summary is also fed to the decoder
/// at every step — everything the decoder knows of the source passes through that one vector. With attention, each decoder
/// state s_t scores every encoder output h_j, and the context c_t = Σ α_tj h_j joins s_t in h̃_t = tanh(W_c [c_t; s_t]),
/// which predicts y_t (Luong's global attention, without input feeding, so teacher-forced training runs the decoder as one
/// fused pass). The same code scores a whole target (training) and one token at a time (<see cref="StartDecoding"/>).
/// </summary>
public sealed class RecurrentEncoderDecoder : nn.Module, ISequenceModel, IStagedSequenceModel, IEncoderDecoder, IParameterDepth, IRebuildableModel, ICrossAttentionIntrospection
{
    readonly Embedding? sourceEmbedding;
    readonly Embedding targetEmbedding;
    readonly nn.Module encoder;
    readonly Linear bridge;
    readonly FusedRecurrentEncoder decoder;
    readonly SourceAttention? attention;
    readonly Linear? combine;
    readonly Dropout dropout;
    readonly Linear? output;
    readonly Parameter? tiedBias;

    /// <summary>Builds the model (initialisation draws from torch's global generator: seed it first).</summary>
    public RecurrentEncoderDecoder(RecurrentEncoderDecoderOptions options) : this(options, unrolledEncoder: false) { }

    RecurrentEncoderDecoder(RecurrentEncoderDecoderOptions options, bool unrolledEncoder) : base(nameof(RecurrentEncoderDecoder))
    {
        options.Validate();
        Options = options;
        var tokens = options.Tokens;
        targetEmbedding = Embedding(tokens.TargetVocabulary, tokens.TargetEmbeddingSize);
        if (tokens.Source.IsTokens && !tokens.SharedEmbeddings) sourceEmbedding = Embedding(tokens.Source.VocabularySize, tokens.Source.EmbeddingSize);
        int sourceWidth = tokens.Source.Width, hidden = options.HiddenSize, encoded = hidden * options.Encoder.Directions;
        encoder = unrolledEncoder ? new UnrolledRecurrentEncoder(options.Encoder with { Unrolled = true }, sourceWidth) : new FusedRecurrentEncoder(options.Encoder, sourceWidth);
        bridge = Linear(encoded, hidden);
        int decoderInput = tokens.TargetEmbeddingSize + (options.Attention == AttentionKind.None ? encoded : 0);
        decoder = new FusedRecurrentEncoder(new RecurrentOptions(options.Cell, hidden, options.Layers, Dropout: options.Layers > 1 ? options.Dropout : 0), decoderInput);
        attention = options.Attention switch
        {
            AttentionKind.Additive => new AdditiveAttention(hidden, encoded, options.AttentionSize > 0 ? options.AttentionSize : hidden),
            AttentionKind.Multiplicative => new MultiplicativeAttention(hidden, encoded),
            _ => null,
        };
        if (attention is not null) combine = Linear(hidden + encoded, hidden, hasBias: false);
        dropout = Dropout(options.Dropout);
        if (tokens.TieOutput) tiedBias = new Parameter(zeros(tokens.TargetVocabulary));
        else output = Linear(hidden, tokens.TargetVocabulary);
        RegisterComponents();
    }

    /// <summary>The options this model was built from.</summary>
    public RecurrentEncoderDecoderOptions Options { get; }

    ModelOptions IRebuildableModel.Options => Options;

    ISequenceEncoder Encoder => (ISequenceEncoder)encoder;

    /// <inheritdoc />
    public int TargetVocabulary => Options.Tokens.TargetVocabulary;

    /// <inheritdoc />
    public bool RecordAttention
    {
        get => recordAttention;
        set
        {
            recordAttention = value;
            if (!value) LastCrossAttention = []; // maps from an earlier pass are never read as this one's
        }
    }

    bool recordAttention;

    /// <inheritdoc />
    public IReadOnlyList<Tensor> LastCrossAttention { get; private set; } = [];

    /// <inheritdoc />
    public Tensor Forward(ModelInput input) => ForwardFromVectors(Embed(input.Source), input, null, out _);

    /// <inheritdoc />
    public Tensor Embed(Tensor inputs)
    {
        if (!Options.Tokens.Source.IsTokens) return inputs.dim() == 3 ? inputs : throw new ArgumentException($"feature sources must be [batch, time, features], got [{string.Join(", ", inputs.shape)}]");
        if (inputs.dtype != ScalarType.Int64) throw new ArgumentException($"token sources must be int64 ids [batch, time], got {inputs.dtype}");
        return (sourceEmbedding ?? targetEmbedding).call(inputs);
    }

    /// <inheritdoc />
    public bool CarriesState => false;

    /// <inheritdoc />
    public Tensor ForwardFromVectors(Tensor vectors, ModelInput input, RecurrentState? initialState, out RecurrentState? finalState)
    {
        var decoderInputs = input.DecoderInputs ?? throw new ArgumentException("an encoder–decoder needs the decoder's input (ModelInput.DecoderInputs): the target shifted right behind the start token");
        var memory = Remember(Encoder.Encode(vectors, input.SourceLengths), input.SourceLengths, vectors.shape[1]);
        finalState = null;
        var (logits, _, weights) = Decode(memory, targetEmbedding.call(decoderInputs), memory.Initial);
        if (RecordAttention) LastCrossAttention = weights is null ? [] : [weights.unsqueeze(1).detach()];
        return logits;
    }

    /// <summary>What the decoder reads of the encoder: its outputs (attention keys), which source steps are real, its summary and the decoder's first state.</summary>
    sealed record Memory(Tensor Keys, Tensor? Valid, Tensor Summary, RecurrentState Initial)
    {
        /// <summary>Disposes every tensor of this memory.</summary>
        public void Dispose()
        {
            Keys.Dispose();
            Valid?.Dispose();
            Summary.Dispose();
            Initial.Hidden.Dispose();
            Initial.Cell?.Dispose();
        }

        /// <summary>The rows <paramref name="rows"/>, kept beyond the caller's step (moved to the decoding's scope).</summary>
        public Memory Select(Tensor rows) => new(Keys.index_select(0, rows).MoveToOuterDisposeScope(), Valid?.index_select(0, rows).MoveToOuterDisposeScope(),
            Summary.index_select(0, rows).MoveToOuterDisposeScope(),
            new RecurrentState(Initial.Hidden.index_select(1, rows).MoveToOuterDisposeScope(), Initial.Cell?.index_select(1, rows).MoveToOuterDisposeScope()));
    }

    Memory Remember(EncoderOutput encoded, Tensor? lengths, long time)
    {
        // Each decoder layer starts from tanh(W [→h; ←h]) of the same encoder layer's final states (Bahdanau et al.'s initial state).
        var final = encoded.FinalState!.Hidden; // [layers × directions, batch, hidden]
        int layers = Options.Layers, directions = Options.Encoder.Directions;
        long batch = final.shape[1];
        var perLayer = final.view(layers, directions, batch, Options.HiddenSize).permute(0, 2, 1, 3).reshape(layers, batch, directions * Options.HiddenSize);
        var start = tanh(bridge.call(perLayer));
        var initial = new RecurrentState(start, Options.Cell == RecurrentKind.Lstm ? zeros_like(start) : null);
        lengths = LengthMask.Needed(lengths, time);
        var valid = lengths is null ? null : LengthMask.Valid(lengths, batch, time, encoded.Steps.device);
        return new Memory(encoded.Steps, valid, encoded.Summary, initial);
    }

    (Tensor Logits, RecurrentState State, Tensor? Weights) Decode(Memory memory, Tensor embedded, RecurrentState state)
    {
        var x = attention is null ? cat([embedded, memory.Summary.unsqueeze(1).expand(-1, embedded.shape[1], -1)], 2) : embedded;
        var decoded = decoder.Encode(x, null, state);
        var states = decoded.Steps;
        Tensor? weights = null;
        if (attention is not null)
        {
            (var context, weights) = attention.Attend(states, memory.Keys, memory.Valid);
            states = tanh(combine!.call(cat([context, states], 2)));
        }
        states = dropout.call(states);
        var logits = output is not null ? output.call(states) : F.linear(states, targetEmbedding.weight!, tiedBias);
        return (logits, decoded.FinalState!, weights);
    }

    /// <inheritdoc />
    public IIncrementalDecoder StartDecoding(Tensor source, Tensor? sourceLengths)
    {
        var vectors = Embed(source);
        return new Incremental(this, Remember(Encoder.Encode(vectors, sourceLengths), sourceLengths, vectors.shape[1]));
    }

    /// <summary>Decoding one token at a time; it replaces (and disposes) its state at every step, so a long search holds one step's worth.</summary>
    sealed class Incremental(RecurrentEncoderDecoder model, Memory memory) : IIncrementalDecoder
    {
        RecurrentState state = memory.Initial;

        public long Rows => memory.Keys.shape[0];

        public Tensor? LastAttention { get; private set; }

        public Tensor Step(Tensor previous)
        {
            var (logits, next, weights) = model.Decode(memory, model.targetEmbedding.call(previous.unsqueeze(1)), state);
            var (oldState, oldAttention) = (state, LastAttention);
            state = new RecurrentState(next.Hidden.MoveToOuterDisposeScope(), next.Cell?.MoveToOuterDisposeScope());
            LastAttention = weights?.squeeze(1).MoveToOuterDisposeScope();
            if (!ReferenceEquals(oldState, memory.Initial)) Dispose(oldState);
            oldAttention?.Dispose();
            return logits.squeeze(1).log_softmax(-1);
        }

        public void Select(Tensor rows)
        {
            var (oldMemory, oldState, oldAttention) = (memory, state, LastAttention);
            memory = oldMemory.Select(rows);
            state = new RecurrentState(oldState.Hidden.index_select(1, rows).MoveToOuterDisposeScope(), oldState.Cell?.index_select(1, rows).MoveToOuterDisposeScope());
            LastAttention = oldAttention?.index_select(0, rows).MoveToOuterDisposeScope();
            if (!ReferenceEquals(oldState, oldMemory.Initial)) Dispose(oldState);
            oldMemory.Dispose();
            oldAttention?.Dispose();
        }

        static void Dispose(RecurrentState old)
        {
            old.Hidden.Dispose();
            old.Cell?.Dispose();
        }
    }

    /// <inheritdoc />
    public int EncoderLayers => 2 * Options.Layers;

    /// <inheritdoc />
    public int DepthOf(string parameterName)
    {
        // 0: embeddings; 1…L: encoder layers; L+1…2L: decoder layers (the bridge feeds the first); 2L+1: attention and output.
        int layers = Options.Layers;
        if (parameterName.StartsWith("sourceEmbedding.", StringComparison.Ordinal) || parameterName.StartsWith("targetEmbedding.", StringComparison.Ordinal)) return 0;
        if (parameterName.StartsWith("encoder.", StringComparison.Ordinal)) return RecurrentKinds.LayerOf(parameterName["encoder.".Length..]) ?? 1;
        if (parameterName.StartsWith("bridge.", StringComparison.Ordinal)) return layers + 1;
        if (parameterName.StartsWith("decoder.", StringComparison.Ordinal)) return layers + (RecurrentKinds.LayerOf(parameterName["decoder.".Length..]) ?? 1);
        return 2 * layers + 1;
    }

    /// <inheritdoc />
    public string DepthLabel(int depth) => depth == 0 ? "embeddings" : depth > 2 * Options.Layers ? "output" : depth > Options.Layers ? $"decoder {depth - Options.Layers}" : $"encoder {depth}";

    /// <inheritdoc />
    public T? Capability<T>() where T : class
    {
        if (typeof(T) == typeof(IRecurrentIntrospection)) return new RecurrentView(this) as T;
        return this as T;
    }

    /// <summary>The encoder as the recurrent monitors see it: its cell, both sides' W_hh, and a twin whose encoder runs step by step.</summary>
    sealed class RecurrentView(RecurrentEncoderDecoder model) : IRecurrentIntrospection
    {
        public RecurrentKind Kind => model.Options.Cell;

        public IEnumerable<RecurrentWeight> RecurrentWeights() =>
            model.named_parameters().Where(p => p.name.Contains(".weight_hh", StringComparison.Ordinal)).Select(p => new RecurrentWeight(p.name, p.parameter, model.Options.Cell));

        public IUnrolledTwin ToUnrolled()
        {
            var twin = new RecurrentEncoderDecoder(model.Options, unrolledEncoder: true);
            twin.load_state_dict(model.state_dict());
            return new UnrolledTwin(twin);
        }
    }

    /// <summary>The twin's pass: the encoder traced step by step (its h_t over source positions), the rest as usual.</summary>
    sealed class UnrolledTwin(RecurrentEncoderDecoder twin) : IUnrolledTwin
    {
        public UnrolledPass Run(ModelInput input, bool recordGates)
        {
            twin.eval();
            var vectors = twin.Embed(input.Source);
            var trace = ((UnrolledRecurrentEncoder)twin.encoder).Trace(vectors, input.SourceLengths, null, recordGates);
            var memory = twin.Remember(trace.Output, input.SourceLengths, vectors.shape[1]);
            var (logits, _, _) = twin.Decode(memory, twin.targetEmbedding.call(input.DecoderInputs!), memory.Initial);
            return new UnrolledPass(logits, trace.Directions);
        }

        public void Dispose() => twin.Dispose();
    }

    /// <inheritdoc />
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters() => named_parameters();

    /// <inheritdoc />
    public nn.Module Module => this;

    /// <inheritdoc />
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <inheritdoc />
    public string Description
    {
        get
        {
            var o = Options;
            string source = o.Tokens.Source.IsTokens ? $"tokens ({o.Tokens.Source.VocabularySize})" : $"{o.Tokens.Source.Features} features";
            string attentionName = o.Attention == AttentionKind.None ? "no attention (bottleneck)" : $"{o.Attention.ToString().ToLowerInvariant()} attention";
            return $"{source} → {(o.Bidirectional ? "bidirectional " : "")}{o.Cell} encoder ×{o.Layers} (hidden {o.HiddenSize}) → {o.Cell} decoder, {attentionName} → tokens ({o.Tokens.TargetVocabulary}{(o.Tokens.TieOutput ? ", tied" : "")}), {ParameterCount:N0} parameters";
        }
    }
}
