using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SeqLab.Models.Transformer;

/// <summary>
/// Multi-head scaled dot-product self-attention, batch-first, that returns its attention weights
/// [batch, heads, query, key] so they can be plotted (TorchSharp's <c>MultiheadAttention</c> is sequence-first).
/// </summary>
public sealed class SelfAttention : nn.Module
{
    readonly Linear query, key, value, output;
    readonly Dropout dropout;
    readonly int heads;

    /// <summary>Creates attention over <paramref name="modelSize"/>-wide vectors split into <paramref name="heads"/> heads.</summary>
    public SelfAttention(int modelSize, int heads, double dropoutRate) : base(nameof(SelfAttention))
    {
        this.heads = heads;
        query = Linear(modelSize, modelSize);
        key = Linear(modelSize, modelSize);
        value = Linear(modelSize, modelSize);
        output = Linear(modelSize, modelSize);
        dropout = Dropout(dropoutRate);
        RegisterComponents();
    }

    /// <summary>
    /// Attends over <paramref name="x"/> [batch, time, model]. <paramref name="keyValid"/> [batch, time] hides padded keys;
    /// <paramref name="causal"/> hides later keys.
    /// </summary>
    public (Tensor Output, Tensor Weights) Attend(Tensor x, Tensor? keyValid, bool causal)
    {
        long batch = x.shape[0], time = x.shape[1], width = x.shape[2], headSize = width / heads;
        Tensor Split(Tensor t) => t.view(batch, time, heads, headSize).transpose(1, 2); // [batch, heads, time, headSize]
        var q = Split(query.call(x));
        var k = Split(key.call(x));
        var v = Split(value.call(x));
        var scores = q.matmul(k.transpose(-2, -1)) / Math.Sqrt(headSize);
        if (causal)
            scores = scores.masked_fill(ones(time, time, ScalarType.Bool, x.device).triu(1), double.NegativeInfinity);
        if (keyValid is not null)
            scores = scores.masked_fill(keyValid.logical_not().unsqueeze(1).unsqueeze(1), double.NegativeInfinity);
        var weights = scores.softmax(-1);
        var mixed = dropout.call(weights).matmul(v).transpose(1, 2).reshape(batch, time, width);
        return (output.call(mixed), weights);
    }
}
