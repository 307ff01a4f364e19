using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TransformerEncoder = SeqLab.Models.Transformer.TransformerEncoder;
using F = TorchSharp.torch.nn.functional;

namespace SeqLab.Models.Transformer;

/// <summary>One encoder block: self-attention and a feed-forward network, each with a residual connection and LayerNorm (pre- or post-norm).</summary>
public sealed class EncoderBlock : nn.Module
{
    readonly SelfAttention attention;
    readonly LayerNorm attentionNorm, feedForwardNorm;
    readonly Linear feedForwardIn, feedForwardOut;
    readonly Dropout dropout;
    readonly bool preNorm;
    readonly bool dropsOut;

    /// <summary>Creates a block from the stack's options.</summary>
    public EncoderBlock(TransformerOptions options) : base(nameof(EncoderBlock))
    {
        preNorm = options.PreNorm;
        dropsOut = options.Dropout > 0;
        attention = new SelfAttention(options.ModelSize, options.Heads, options.Dropout, options.Kernel);
        attentionNorm = LayerNorm(options.ModelSize);
        feedForwardNorm = LayerNorm(options.ModelSize);
        feedForwardIn = Linear(options.ModelSize, options.FeedForward);
        feedForwardOut = Linear(options.FeedForward, options.ModelSize);
        dropout = Dropout(options.Dropout);
        RegisterComponents();
    }

    /// <summary>Transforms [batch, time, model]; returns the block's output and, when <paramref name="weightsWanted"/>, its attention weights.</summary>
    public (Tensor Output, Tensor? Attention) Apply(Tensor x, Tensor? keyValid, bool causal, bool weightsWanted = true)
    {
        Tensor FeedForward(Tensor t) => feedForwardOut.call(F.gelu(feedForwardIn.call(t)));
        Tensor Drop(Tensor t) => dropsOut ? dropout.call(t) : t; // dropout at rate 0 returns its input and draws nothing
        if (preNorm)
        {
            var (attended, weights) = attention.Attend(attentionNorm.call(x), keyValid, causal, weightsWanted);
            x = x + Drop(attended);
            return (x + Drop(FeedForward(feedForwardNorm.call(x))), weights);
        }
        else
        {
            var (attended, weights) = attention.Attend(x, keyValid, causal, weightsWanted);
            x = attentionNorm.call(x + Drop(attended));
            return (feedForwardNorm.call(x + Drop(FeedForward(x))), weights);
        }
    }
}

/// <summary>
/// A batch-first Transformer encoder: input projection (when the input width differs from d_model), sinusoidal or
/// learned positions, a stack of <see cref="EncoderBlock"/>s, a key-padding mask for padded batches and an optional causal
/// mask. Set <see cref="RecordAttention"/> to keep every layer's attention weights of the last forward pass.
/// </summary>
public sealed class TransformerEncoder : nn.Module, ISequenceEncoder, SeqLab.Models.Introspection.ILayeredEncoder, SeqLab.Models.Introspection.IAttentionIntrospection
{
    readonly Linear? inputProjection;
    readonly Embedding? positions;
    readonly ModuleList<EncoderBlock> blocks;
    readonly LayerNorm? finalNorm;
    readonly TransformerOptions options;
    readonly SinusoidalTable? sinusoids; // not a tensor field: no buffer, the model's state is unchanged

    /// <summary>Builds the stack for inputs of <paramref name="inputSize"/> features.</summary>
    public TransformerEncoder(TransformerOptions options, int inputSize) : base(nameof(TransformerEncoder))
    {
        this.options = options;
        if (inputSize != options.ModelSize) inputProjection = Linear(inputSize, options.ModelSize);
        if (options.Positional == PositionalEncoding.Learned) positions = Embedding(options.MaxLength, options.ModelSize);
        blocks = new ModuleList<EncoderBlock>(Enumerable.Range(0, options.Layers).Select(_ => new EncoderBlock(options)).ToArray());
        if (options.PreNorm) finalNorm = LayerNorm(options.ModelSize); // pre-norm stacks leave the residual stream unnormalised
        RegisterComponents();
        if (positions is null) sinusoids = new SinusoidalTable(options.MaxLength, options.ModelSize);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) sinusoids?.Dispose();
        base.Dispose(disposing);
    }

    /// <inheritdoc />
    public int OutputSize => options.ModelSize;

    /// <inheritdoc />
    public int Layers => options.Layers;

    /// <inheritdoc />
    public bool Causal => options.Causal;

    /// <inheritdoc />
    public int? LayerOf(string localName)
    {
        if (localName.StartsWith("blocks.", StringComparison.Ordinal))
            return int.Parse(localName.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture) + 1;
        return localName.StartsWith("inputProjection.", StringComparison.Ordinal) || localName.StartsWith("positions.", StringComparison.Ordinal) ? 0 : null;
    }

    /// <summary>When true, <see cref="LastAttention"/> keeps each layer's weights [batch, heads, query, key] from the last pass.</summary>
    public bool RecordAttention { get; set; }

    /// <summary>Attention weights per layer from the last forward pass (when <see cref="RecordAttention"/> is set); they live as long as that pass's dispose scope.</summary>
    public IReadOnlyList<Tensor> LastAttention { get; private set; } = [];

    /// <inheritdoc />
    public EncoderOutput Encode(Tensor inputs, Tensor? lengths, RecurrentState? initialState = null)
    {
        if (initialState is not null) throw new ArgumentException("a Transformer encoder has no recurrent state", nameof(initialState));
        long batch = inputs.shape[0], time = inputs.shape[1];
        if (time > options.MaxLength) throw new ArgumentException($"sequence of {time} steps is longer than MaxLength {options.MaxLength}");
        lengths = SeqLab.Runtime.Tensors.LengthMask.Needed(lengths, time);
        var x = inputProjection?.call(inputs) ?? inputs;
        x = x + Positions(time, x.device, x.dtype);
        using var keyValid = lengths is null ? null : SeqLab.Runtime.Tensors.LengthMask.Valid(lengths, batch, time, x.device); // null: nothing is padded
        var attention = new List<Tensor>();
        foreach (var block in blocks)
        {
            (x, var weights) = block.Apply(x, keyValid, options.Causal, weightsWanted: RecordAttention);
            if (RecordAttention) attention.Add(weights!.detach());
        }
        if (finalNorm is not null) x = finalNorm.call(x);
        if (RecordAttention) LastAttention = attention;
        return new EncoderOutput(x, Summarise(x, lengths, keyValid));
    }

    /// <summary>
    /// Causal: the last valid step (the only one that has seen the whole sequence); otherwise the mean over valid steps
    /// (<paramref name="valid"/> null: over every step — the sum over time divided by the steps, as the mask of ones gave it).
    /// </summary>
    Tensor Summarise(Tensor steps, Tensor? lengths, Tensor? valid)
    {
        if (options.Causal)
        {
            if (lengths is null) return steps[.., -1];
            var last = (lengths.to(steps.device) - 1).view(-1, 1, 1).expand(-1, 1, steps.shape[2]);
            return steps.gather(1, last).squeeze(1);
        }
        if (valid is null) return steps.sum(1) / steps.shape[1];
        var weights = valid.to(steps.dtype).unsqueeze(2);
        return (steps * weights).sum(1) / weights.sum(1);
    }

    Tensor Positions(long time, Device device, ScalarType dtype) =>
        positions is not null ? positions.call(arange(time, device: device)).unsqueeze(0) : sinusoids!.For(time, device, dtype);
}
