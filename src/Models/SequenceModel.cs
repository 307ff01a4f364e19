using SeqLab.Models.Introspection;
using SeqLab.Models.Recurrent;
using SeqLab.Models.Transformer;
using TransformerEncoder = SeqLab.Models.Transformer.TransformerEncoder;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace SeqLab.Models;

/// <summary>
/// A sequence model: an input layer (embedding for token ids, or the feature vectors as they are), an encoder
/// (recurrent — fused or unrolled — or Transformer) and a task head. Built from <see cref="SequenceModelOptions"/>;
/// initialisation draws from torch's global generator, so seed it first.
/// </summary>
public sealed class SequenceModel : nn.Module, ISequenceModel, IStagedSequenceModel, IParameterDepth, ITaskHead, IRebuildableModel
{
    readonly Embedding? embedding;
    readonly nn.Module encoder;
    readonly Linear? head;
    readonly Parameter? tiedBias;

    /// <summary>Builds the model described by <paramref name="options"/>.</summary>
    public SequenceModel(SequenceModelOptions options) : base(nameof(SequenceModel))
    {
        options.Validate();
        Options = options;
        if (options.Input.IsTokens) embedding = Embedding(options.Input.VocabularySize, options.Input.EmbeddingSize);
        int width = options.Input.Width;
        encoder = options.Encoder switch
        {
            RecurrentOptions { Unrolled: true } recurrent => new UnrolledRecurrentEncoder(recurrent, width),
            RecurrentOptions recurrent => new FusedRecurrentEncoder(recurrent, width),
            TransformerOptions transformer => new TransformerEncoder(transformer, width),
            _ => throw new ArgumentException($"unknown encoder options {options.Encoder.GetType().Name}"),
        };
        int encoded = Encoder.OutputSize;
        // Options.Validate checked that a tied output layer fits the embedding.
        if (options.Head.TieWeights) tiedBias = new Parameter(zeros(options.OutputCount));
        else head = Linear(encoded, options.OutputCount);
        RegisterComponents();
    }

    /// <summary>The options this model was built from (enough to rebuild it).</summary>
    public SequenceModelOptions Options { get; }

    ModelOptions IRebuildableModel.Options => Options;

    /// <summary>The encoder (an <see cref="UnrolledRecurrentEncoder"/>, <see cref="FusedRecurrentEncoder"/> or <see cref="TransformerEncoder"/>).</summary>
    public ISequenceEncoder Encoder => (ISequenceEncoder)encoder;

    /// <inheritdoc />
    public TaskKind Task => Options.Head.Task;

    /// <inheritdoc />
    public Tensor Forward(ModelInput input) => Forward(input.Source, input.SourceLengths, null);

    /// <summary>A forward pass over <paramref name="inputs"/> with optional <paramref name="lengths"/> (see <see cref="ModelInput"/>).</summary>
    public Tensor Forward(Tensor inputs, Tensor? lengths = null) => Forward(inputs, lengths, null);

    /// <summary>Forward pass from an explicit initial recurrent state (zeros when null).</summary>
    public Tensor Forward(Tensor inputs, Tensor? lengths, RecurrentState? initialState) =>
        Head(Encoder.Encode(Embed(inputs), lengths, initialState));

    /// <summary>Encodes the vectors <see cref="Embed"/> gave; <paramref name="initialState"/> starts a recurrent encoder (null: zeros).</summary>
    public EncoderOutput Encode(Tensor vectors, Tensor? lengths, RecurrentState? initialState = null) => Encoder.Encode(vectors, lengths, initialState);

    /// <inheritdoc />
    public Tensor ForwardFromVectors(Tensor vectors, ModelInput input, RecurrentState? initialState, out RecurrentState? finalState)
    {
        var encoded = Encoder.Encode(vectors, input.SourceLengths, initialState);
        finalState = encoded.FinalState;
        return Head(encoded);
    }

    /// <inheritdoc />
    public bool CarriesState => Options.Encoder is RecurrentOptions;

    /// <inheritdoc />
    public int EncoderLayers => ((ILayeredEncoder)encoder).Layers;

    /// <inheritdoc />
    public int DepthOf(string parameterName)
    {
        if (parameterName.StartsWith("embedding.", StringComparison.Ordinal)) return 0;
        const string prefix = "encoder.";
        if (parameterName.StartsWith(prefix, StringComparison.Ordinal) && ((ILayeredEncoder)encoder).LayerOf(parameterName[prefix.Length..]) is int layer)
            return layer;
        return EncoderLayers + 1;
    }

    /// <inheritdoc />
    public T? Capability<T>() where T : class
    {
        if (typeof(T) == typeof(IRecurrentIntrospection)) return Options.Encoder is RecurrentOptions ? new RecurrentView(this) as T : null;
        return this as T ?? encoder as T;
    }

    /// <summary>The recurrent side of a recurrent model, for monitors.</summary>
    sealed class RecurrentView(SequenceModel model) : IRecurrentIntrospection
    {
        RecurrentOptions Recurrent => (RecurrentOptions)model.Options.Encoder;

        public RecurrentKind Kind => Recurrent.Kind;

        public IEnumerable<RecurrentWeight> RecurrentWeights() =>
            model.named_parameters().Where(p => p.name.Contains(".weight_hh", StringComparison.Ordinal)).Select(p => new RecurrentWeight(p.name, p.parameter, Recurrent.Kind));

        public IUnrolledTwin ToUnrolled() => new UnrolledTwin(model.ToUnrolled());
    }

    /// <summary>The unrolled twin as monitors see it: embed, trace, head.</summary>
    sealed class UnrolledTwin(SequenceModel twin) : IUnrolledTwin
    {
        public UnrolledPass Run(ModelInput input, bool recordGates)
        {
            twin.eval();
            var encoder = (UnrolledRecurrentEncoder)twin.Encoder; // a twin is built unrolled
            var trace = encoder.Trace(twin.Embed(input.Source), input.SourceLengths, null, recordGates);
            return new UnrolledPass(twin.Head(trace.Output), trace.Directions);
        }

        public void Dispose() => twin.Dispose();
    }

    /// <summary>Forward pass that also returns the recurrent state after the last step, to carry into the next window (truncated BPTT).</summary>
    public Tensor Forward(Tensor inputs, Tensor? lengths, RecurrentState? initialState, out RecurrentState? finalState)
    {
        var encoded = Encoder.Encode(Embed(inputs), lengths, initialState);
        finalState = encoded.FinalState;
        return Head(encoded);
    }

    /// <summary>The vectors the encoder reads: embeddings of token ids, or the features themselves. Exposed so monitors can take ∂L/∂(input vectors) for token models too.</summary>
    public Tensor Embed(Tensor inputs)
    {
        if (embedding is null)
        {
            if (inputs.dim() != 3) throw new ArgumentException($"feature inputs must be [batch, time, features], got [{string.Join(", ", inputs.shape)}]");
            return inputs;
        }
        if (inputs.dtype != ScalarType.Int64) throw new ArgumentException($"token inputs must be int64 ids [batch, time], got {inputs.dtype}");
        return embedding.call(inputs);
    }

    /// <summary>Applies the task head to an encoder output.</summary>
    public Tensor Head(EncoderOutput encoded)
    {
        bool perStep = Task is TaskKind.StepRegression or TaskKind.StepClassification or TaskKind.LanguageModel;
        var features = perStep ? encoded.Steps : encoded.Summary;
        return head is not null ? head.call(features) : F.linear(features, embedding!.weight!, tiedBias);
    }

    /// <summary>A twin computed step by step, with this model's weights: same outputs, but h_t, c_t and gates visible.</summary>
    public SequenceModel ToUnrolled() => Twin(unrolled: true);

    /// <summary>A twin on the fused kernels, with this model's weights.</summary>
    public SequenceModel ToFused() => Twin(unrolled: false);

    SequenceModel Twin(bool unrolled)
    {
        if (Options.Encoder is not RecurrentOptions recurrent) throw new InvalidOperationException("only recurrent models have an unrolled twin");
        var twin = new SequenceModel(Options with { Encoder = recurrent with { Unrolled = unrolled } });
        twin.load_state_dict(state_dict());
        if (!training) twin.eval();
        return twin;
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
            string input = Options.Input.IsTokens ? $"tokens ({Options.Input.VocabularySize}) → embedding {Options.Input.EmbeddingSize}" : $"{Options.Input.Features} features";
            string body = Options.Encoder switch
            {
                RecurrentOptions r => $"{(r.Bidirectional ? "bidirectional " : "")}{r.Kind} ×{r.Layers} (hidden {r.HiddenSize}{(r.Unrolled ? ", unrolled" : "")})",
                TransformerOptions t => $"Transformer ×{t.Layers} (d {t.ModelSize}, {t.Heads} heads, {(t.PreNorm ? "pre" : "post")}-norm{(t.Causal ? ", causal" : "")})",
                _ => "?",
            };
            return $"{input} → {body} → {Task} ({Options.OutputCount}{(Options.Head.TieWeights ? ", tied" : "")}), {ParameterCount:N0} parameters";
        }
    }
}
