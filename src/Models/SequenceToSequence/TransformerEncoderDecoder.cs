using SeqLab.Models.Introspection;
using SeqLab.Models.Transformer;
using SeqLab.Runtime.Tensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;
using TransformerEncoder = SeqLab.Models.Transformer.TransformerEncoder;

namespace SeqLab.Models.SequenceToSequence;

/// <summary>One decoder block: causal self-attention, cross-attention over the encoder's outputs, and a feed-forward network, each with a residual connection and LayerNorm (pre- or post-norm).</summary>
public sealed class DecoderBlock : nn.Module
{
    readonly SelfAttention selfAttention, crossAttention;
    readonly LayerNorm selfNorm, crossNorm, feedForwardNorm;
    readonly Linear feedForwardIn, feedForwardOut;
    readonly Dropout dropout;
    readonly bool preNorm;
    readonly bool dropsOut;

    /// <summary>Creates a block from the decoder stack's options.</summary>
    public DecoderBlock(TransformerOptions options) : base(nameof(DecoderBlock))
    {
        preNorm = options.PreNorm;
        dropsOut = options.Dropout > 0;
        selfAttention = new SelfAttention(options.ModelSize, options.Heads, options.Dropout, options.Kernel);
        crossAttention = new SelfAttention(options.ModelSize, options.Heads, options.Dropout, options.Kernel);
        selfNorm = LayerNorm(options.ModelSize);
        crossNorm = LayerNorm(options.ModelSize);
        feedForwardNorm = LayerNorm(options.ModelSize);
        feedForwardIn = Linear(options.ModelSize, options.FeedForward);
        feedForwardOut = Linear(options.FeedForward, options.ModelSize);
        dropout = Dropout(options.Dropout);
        RegisterComponents();
    }

    /// <summary>Transforms target vectors [batch, target, model] reading <paramref name="memory"/> [batch, source, model]; returns the cross-attention weights when <paramref name="weightsWanted"/>.</summary>
    public (Tensor Output, Tensor? CrossAttention) Apply(Tensor x, Tensor memory, Tensor? sourceValid, bool weightsWanted)
    {
        Tensor FeedForward(Tensor t) => feedForwardOut.call(F.gelu(feedForwardIn.call(t)));
        Tensor Drop(Tensor t) => dropsOut ? dropout.call(t) : t; // dropout at rate 0 returns its input and draws nothing
        if (preNorm)
        {
            var (attended, _) = selfAttention.Attend(selfNorm.call(x), null, causal: true, weightsWanted: false);
            x = x + Drop(attended);
            var (crossed, weights) = crossAttention.Attend(crossNorm.call(x), memory, sourceValid, false, weightsWanted);
            x = x + Drop(crossed);
            return (x + Drop(FeedForward(feedForwardNorm.call(x))), weights);
        }
        else
        {
            var (attended, _) = selfAttention.Attend(x, null, causal: true, weightsWanted: false);
            x = selfNorm.call(x + Drop(attended));
            var (crossed, weights) = crossAttention.Attend(x, memory, sourceValid, false, weightsWanted);
            x = crossNorm.call(x + Drop(crossed));
            return (feedForwardNorm.call(x + Drop(FeedForward(x))), weights);
        }
    }
}

/// <summary>
/// A Transformer encoder–decoder (Vaswani et al. 2017), batch-first: the source through <see cref="TransformerEncoder"/>
/// (key-padding mask), the target through <see cref="DecoderBlock"/>s — causal self-attention, cross-attention with the
/// source's padding masked, feed-forward — and a linear layer (or the tied target embedding) to token logits. Attention
/// runs LibTorch's fused kernel unless its weights are being recorded.
/// </summary>
public sealed class TransformerEncoderDecoder : nn.Module, ISequenceModel, IStagedSequenceModel, IEncoderDecoder, IParameterDepth, IRebuildableModel, ICrossAttentionIntrospection, IAttentionIntrospection
{
    readonly Embedding? sourceEmbedding;
    readonly Embedding targetEmbedding;
    readonly Embedding? targetPositions;
    readonly TransformerEncoder encoder;
    readonly ModuleList<DecoderBlock> blocks;
    readonly LayerNorm? finalNorm;
    readonly Dropout dropout;
    readonly Linear? output;
    readonly Parameter? tiedBias;
    readonly SinusoidalTable? targetSinusoids; // not a tensor field: no buffer, the model's state is unchanged

    /// <summary>Builds the model (initialisation draws from torch's global generator: seed it first).</summary>
    public TransformerEncoderDecoder(TransformerEncoderDecoderOptions options) : base(nameof(TransformerEncoderDecoder))
    {
        options.Validate();
        Options = options;
        var tokens = options.Tokens;
        targetEmbedding = Embedding(tokens.TargetVocabulary, options.ModelSize);
        if (tokens.Source.IsTokens && !tokens.SharedEmbeddings) sourceEmbedding = Embedding(tokens.Source.VocabularySize, tokens.Source.EmbeddingSize);
        encoder = new TransformerEncoder(options.Encoder, tokens.Source.Width);
        if (options.Positional == PositionalEncoding.Learned) targetPositions = Embedding(options.MaxLength, options.ModelSize);
        blocks = new ModuleList<DecoderBlock>(Enumerable.Range(0, options.DecoderLayers).Select(_ => new DecoderBlock(options.Decoder)).ToArray());
        if (options.PreNorm) finalNorm = LayerNorm(options.ModelSize);
        dropout = Dropout(options.Dropout);
        if (tokens.TieOutput) tiedBias = new Parameter(zeros(tokens.TargetVocabulary));
        else output = Linear(options.ModelSize, tokens.TargetVocabulary);
        RegisterComponents();
        if (targetPositions is null) targetSinusoids = new SinusoidalTable(options.MaxLength, options.ModelSize);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) targetSinusoids?.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>The options this model was built from.</summary>
    public TransformerEncoderDecoderOptions Options { get; }

    ModelOptions IRebuildableModel.Options => Options;

    /// <inheritdoc />
    public int TargetVocabulary => Options.Tokens.TargetVocabulary;

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
        finalState = null;
        var (memory, valid) = EncodeSource(vectors, input.SourceLengths);
        return Decode(memory, valid, decoderInputs);
    }

    (Tensor Memory, Tensor? Valid) EncodeSource(Tensor vectors, Tensor? lengths)
    {
        var memory = encoder.Encode(vectors, lengths).Steps;
        lengths = LengthMask.Needed(lengths, vectors.shape[1]);
        return (memory, lengths is null ? null : LengthMask.Valid(lengths, vectors.shape[0], vectors.shape[1], memory.device));
    }

    Tensor Decode(Tensor memory, Tensor? sourceValid, Tensor decoderInputs)
    {
        long time = decoderInputs.shape[1];
        if (time > Options.MaxLength) throw new ArgumentException($"a target of {time} steps is longer than MaxLength {Options.MaxLength}");
        var x = targetEmbedding.call(decoderInputs);
        x = x + (targetPositions is not null ? targetPositions.call(arange(time, device: x.device)).unsqueeze(0) : targetSinusoids!.For(time, x.device, x.dtype));
        if (Options.Dropout > 0) x = dropout.call(x); // dropout at rate 0 returns its input and draws nothing
        var weights = new List<Tensor>();
        foreach (var block in blocks)
        {
            (x, var crossWeights) = block.Apply(x, memory, sourceValid, RecordAttention);
            if (RecordAttention) weights.Add(crossWeights!.detach());
        }
        if (finalNorm is not null) x = finalNorm.call(x);
        if (RecordAttention) LastCrossAttention = weights;
        return output is not null ? output.call(x) : F.linear(x, targetEmbedding.weight!, tiedBias);
    }

    /// <inheritdoc />
    public IIncrementalDecoder StartDecoding(Tensor source, Tensor? sourceLengths)
    {
        var (memory, valid) = EncodeSource(Embed(source), sourceLengths);
        return new Incremental(this, memory, valid);
    }

    /// <summary>Decodes by running the decoder over the whole prefix at every step: O(T²), simple, and exact.</summary>
    sealed class Incremental(TransformerEncoderDecoder model, Tensor memory, Tensor? valid) : IIncrementalDecoder
    {
        Tensor? prefix;

        public long Rows => memory.shape[0];

        public Tensor? LastAttention { get; private set; }

        public Tensor Step(Tensor previous)
        {
            var (oldPrefix, oldAttention) = (prefix, LastAttention);
            var next = previous.unsqueeze(1);
            prefix = (oldPrefix is null ? next.clone() : cat([oldPrefix, next], 1)).MoveToOuterDisposeScope(); // a copy: the caller's tensor stays the caller's
            oldPrefix?.Dispose();
            bool record = model.RecordAttention;
            model.RecordAttention = true;
            try
            {
                var logits = model.Decode(memory, valid, prefix);
                // The last step's attention, averaged over layers and heads: [rows, source].
                LastAttention = stack(model.LastCrossAttention.Select(w => w[.., .., -1]).ToList()).mean([0, 2]).MoveToOuterDisposeScope();
                oldAttention?.Dispose();
                return logits[.., -1].log_softmax(-1);
            }
            finally
            {
                model.RecordAttention = record;
            }
        }

        public void Select(Tensor rows)
        {
            var (oldMemory, oldValid, oldPrefix, oldAttention) = (memory, valid, prefix, LastAttention);
            memory = oldMemory.index_select(0, rows).MoveToOuterDisposeScope();
            valid = oldValid?.index_select(0, rows).MoveToOuterDisposeScope();
            prefix = oldPrefix?.index_select(0, rows).MoveToOuterDisposeScope();
            LastAttention = oldAttention?.index_select(0, rows).MoveToOuterDisposeScope();
            // The replaced tensors are this decoder's alone (StartDecoding made the first memory): free them now, not when the caller's scope ends.
            oldMemory.Dispose();
            oldValid?.Dispose();
            oldPrefix?.Dispose();
            oldAttention?.Dispose();
        }
    }

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
    bool IAttentionIntrospection.Causal => false;

    /// <inheritdoc />
    bool IAttentionIntrospection.RecordAttention { get => encoder.RecordAttention; set => encoder.RecordAttention = value; }

    /// <inheritdoc />
    IReadOnlyList<Tensor> IAttentionIntrospection.LastAttention => encoder.LastAttention;

    /// <inheritdoc />
    public int EncoderLayers => Options.EncoderLayers + Options.DecoderLayers;

    /// <inheritdoc />
    public int DepthOf(string parameterName)
    {
        // 0: embeddings and positions; 1…Le: encoder blocks; Le+1…Le+Ld: decoder blocks; then the final norm and output.
        if (parameterName.StartsWith("sourceEmbedding.", StringComparison.Ordinal) || parameterName.StartsWith("targetEmbedding.", StringComparison.Ordinal)
            || parameterName.StartsWith("targetPositions.", StringComparison.Ordinal)) return 0;
        if (parameterName.StartsWith("encoder.", StringComparison.Ordinal))
            return encoder.LayerOf(parameterName["encoder.".Length..]) ?? Options.EncoderLayers; // the encoder's final norm closes its stack
        if (parameterName.StartsWith("blocks.", StringComparison.Ordinal))
            return Options.EncoderLayers + 1 + int.Parse(parameterName.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture);
        return EncoderLayers + 1;
    }

    /// <inheritdoc />
    public string DepthLabel(int depth) => depth == 0 ? "embeddings" : depth > EncoderLayers ? "output" : depth > Options.EncoderLayers ? $"decoder {depth - Options.EncoderLayers}" : $"encoder {depth}";

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
            return $"{source} → Transformer encoder ×{o.EncoderLayers} / decoder ×{o.DecoderLayers} (d {o.ModelSize}, {o.Heads} heads, {(o.PreNorm ? "pre" : "post")}-norm) → tokens ({o.Tokens.TargetVocabulary}{(o.Tokens.TieOutput ? ", tied" : "")}), {ParameterCount:N0} parameters";
        }
    }
}
