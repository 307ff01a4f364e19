using SeqLab.Runtime.Tensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SeqLab.Models.SequenceToSequence;

/// <summary>
/// Attention of decoder states over encoder outputs, for every target step at once: scores e_tj, weights α_tj = softmax_j e_tj
/// over the valid source positions, and the context c_t = Σ_j α_tj h_j.
/// </summary>
public abstract class SourceAttention : nn.Module
{
    /// <summary>Names the module.</summary>
    protected SourceAttention(string name) : base(name) { }

    /// <summary>Scores [batch, target, source] of decoder states [batch, target, query] against encoder outputs [batch, source, key].</summary>
    protected abstract Tensor Scores(Tensor queries, Tensor keys);

    /// <summary>The contexts [batch, target, key] and weights [batch, target, source]; <paramref name="sourceValid"/> [batch, source] masks padding (null: none).</summary>
    public (Tensor Context, Tensor Weights) Attend(Tensor queries, Tensor keys, Tensor? sourceValid)
    {
        var scores = Scores(queries, keys);
        if (sourceValid is not null) scores = scores.masked_fill(sourceValid.logical_not().unsqueeze(1), Scalars.NegativeInfinity);
        var weights = scores.softmax(-1);
        return (weights.bmm(keys), weights);
    }
}

/// <summary>Bahdanau et al.'s additive score e_tj = vᵀ tanh(W s_t + U h_j).</summary>
public sealed class AdditiveAttention : SourceAttention
{
    readonly Linear queryProjection, keyProjection, score;

    /// <summary>Scores <paramref name="querySize"/>-wide states against <paramref name="keySize"/>-wide outputs through a hidden layer of <paramref name="hiddenSize"/>.</summary>
    public AdditiveAttention(int querySize, int keySize, int hiddenSize) : base(nameof(AdditiveAttention))
    {
        queryProjection = Linear(querySize, hiddenSize, hasBias: false);
        keyProjection = Linear(keySize, hiddenSize);
        score = Linear(hiddenSize, 1, hasBias: false);
        RegisterComponents();
    }

    /// <inheritdoc />
    protected override Tensor Scores(Tensor queries, Tensor keys) =>
        score.call(tanh(queryProjection.call(queries).unsqueeze(2) + keyProjection.call(keys).unsqueeze(1))).squeeze(-1);
}

/// <summary>Luong et al.'s multiplicative ("general") score e_tj = s_tᵀ W h_j.</summary>
public sealed class MultiplicativeAttention : SourceAttention
{
    readonly Linear keyProjection;

    /// <summary>Scores <paramref name="querySize"/>-wide states against <paramref name="keySize"/>-wide outputs.</summary>
    public MultiplicativeAttention(int querySize, int keySize) : base(nameof(MultiplicativeAttention))
    {
        keyProjection = Linear(keySize, querySize, hasBias: false);
        RegisterComponents();
    }

    /// <inheritdoc />
    protected override Tensor Scores(Tensor queries, Tensor keys) => queries.bmm(keyProjection.call(keys).transpose(1, 2));
}
