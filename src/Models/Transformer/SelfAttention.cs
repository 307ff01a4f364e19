using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SeqLab.Models.Transformer;

/// <summary>
/// Multi-head scaled dot-product attention (self- or cross-attention), batch-first, that returns its attention weights
/// [batch, heads, query, key] so they can be plotted (TorchSharp's <c>MultiheadAttention</c> is sequence-first).
/// </summary>
public sealed class SelfAttention : nn.Module
{
    readonly Linear query, key, value, output;
    readonly Dropout dropout;
    readonly int heads;
    readonly double dropoutRate;
    readonly bool fused;

    /// <summary>
    /// Creates attention over <paramref name="modelSize"/>-wide vectors split into <paramref name="heads"/> heads;
    /// <paramref name="kernel"/> chooses the arithmetic where no weights are wanted.
    /// </summary>
    public SelfAttention(int modelSize, int heads, double dropoutRate, AttentionKernel kernel = AttentionKernel.Fused) : base(nameof(SelfAttention))
    {
        this.heads = heads;
        this.dropoutRate = dropoutRate;
        fused = kernel == AttentionKernel.Fused;
        query = Linear(modelSize, modelSize);
        key = Linear(modelSize, modelSize);
        value = Linear(modelSize, modelSize);
        output = Linear(modelSize, modelSize);
        dropout = Dropout(dropoutRate);
        RegisterComponents();
    }

    /// <summary>
    /// Attends over <paramref name="x"/> [batch, time, model]. <paramref name="keyValid"/> [batch, time] marks real (not
    /// padded) keys; <paramref name="causal"/> hides later steps. Returns the output and, when <paramref name="weightsWanted"/>,
    /// the attention weights [batch, heads, query, key]. Without weights (and without attention dropout in training) the
    /// fused kernel runs LibTorch's scaled-dot-product kernel, which never builds the weight matrix; with them, or with the
    /// explicit kernel, the same arithmetic written out, so the two agree to float rounding.
    /// </summary>
    public (Tensor Output, Tensor? Weights) Attend(Tensor x, Tensor? keyValid, bool causal, bool weightsWanted = true) =>
        Attend(x, x, keyValid, causal, weightsWanted);

    /// <summary>
    /// Queries from <paramref name="queries"/> [batch, query time, model] attend over keys and values from
    /// <paramref name="keysAndValues"/> [batch, key time, model] — cross-attention from a decoder to an encoder's outputs, or
    /// self-attention when both are the same tensor. <paramref name="keyValid"/> [batch, key time] marks real keys;
    /// <paramref name="causal"/> (square only) hides later keys.
    /// </summary>
    public (Tensor Output, Tensor? Weights) Attend(Tensor queries, Tensor keysAndValues, Tensor? keyValid, bool causal, bool weightsWanted)
    {
        long batch = queries.shape[0], time = queries.shape[1], width = queries.shape[2], keyTime = keysAndValues.shape[1], headSize = width / heads;
        Tensor Split(Tensor t, long steps) => t.view(batch, steps, heads, headSize).transpose(1, 2); // [batch, heads, steps, headSize]
        var q = Split(query.call(queries), time);
        var k = Split(key.call(keysAndValues), keyTime);
        var v = Split(value.call(keysAndValues), keyTime);
        Tensor mixed;
        Tensor? weights = null;
        if (fused && !weightsWanted && (!training || dropoutRate == 0))
        {
            // A boolean mask is true where a query may look; the kernel takes a causal flag only without a mask of its own.
            Tensor? allowed = keyValid?.unsqueeze(1).unsqueeze(1);
            if (causal && allowed is not null) allowed = allowed.logical_and(ones(time, keyTime, ScalarType.Bool, queries.device).tril());
            mixed = nn.functional.scaled_dot_product_attention(q, k, v, allowed, 0.0, causal && allowed is null);
        }
        else
        {
            var scores = q.matmul(k.transpose(-2, -1)) / Math.Sqrt(headSize);
            if (causal)
                scores = scores.masked_fill(ones(time, keyTime, ScalarType.Bool, queries.device).triu(1), SeqLab.Runtime.Tensors.Scalars.NegativeInfinity);
            if (keyValid is not null)
                scores = scores.masked_fill(keyValid.logical_not().unsqueeze(1).unsqueeze(1), SeqLab.Runtime.Tensors.Scalars.NegativeInfinity);
            weights = scores.softmax(-1);
            mixed = (dropoutRate > 0 ? dropout.call(weights) : weights).matmul(v); // dropout at rate 0 returns its input and draws nothing
        }
        return (output.call(mixed.transpose(1, 2).reshape(batch, time, width)), weightsWanted ? weights : null);
    }
}
