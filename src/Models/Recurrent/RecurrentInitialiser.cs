using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Models.Recurrent;

/// <summary>
/// Applies <see cref="RecurrentOptions"/>' initialisation to recurrent weights named as PyTorch names them
/// (<c>weight_ih_l0</c>, <c>weight_hh_l0_reverse</c>, <c>bias_ih_l1</c>, …), so it serves the fused and the unrolled
/// encoders alike. Each of the <see cref="RecurrentKinds.GateCount"/> row blocks of a weight is one gate's matrix.
/// </summary>
public static class RecurrentInitialiser
{
    /// <summary>Initialises <paramref name="recurrent"/>'s parameters in place (draws from torch's global generator).</summary>
    public static void Apply(nn.Module recurrent, RecurrentOptions options)
    {
        using var noGrad = no_grad();
        int gates = options.Kind.GateCount();
        int hidden = options.HiddenSize;
        foreach (var (name, parameter) in recurrent.named_parameters())
        {
            bool recurrentWeight = name.StartsWith("weight_hh", StringComparison.Ordinal);
            bool inputWeight = name.StartsWith("weight_ih", StringComparison.Ordinal);
            bool bias = name.StartsWith("bias", StringComparison.Ordinal);
            switch (options.Initialisation)
            {
                case RecurrentInitialisation.Xavier:
                    if (recurrentWeight || inputWeight)
                        foreach (var block in Blocks(parameter, gates, hidden)) nn.init.xavier_uniform_(block);
                    if (bias) parameter.zero_();
                    break;
                case RecurrentInitialisation.Orthogonal:
                    if (recurrentWeight)
                        foreach (var block in Blocks(parameter, gates, hidden)) block.copy_(OrthogonalMatrix(hidden));
                    break;
                case RecurrentInitialisation.Identity:
                    if (recurrentWeight)
                        foreach (var block in Blocks(parameter, gates, hidden)) block.copy_(eye(hidden));
                    if (bias) parameter.zero_();
                    break;
            }
            if (recurrentWeight && options.SpectralRadius is double radius)
                foreach (var block in Blocks(parameter, gates, hidden))
                    block.mul_(radius / SpectralRadius(block));
        }
        if (options.ForgetGateBias is double forget)
            foreach (var (name, parameter) in recurrent.named_parameters())
            {
                // PyTorch's LSTM gate order is i, f, g, o: rows H..2H belong to the forget gate; b_ih + b_hh is what counts.
                if (name.StartsWith("bias_ih", StringComparison.Ordinal)) parameter.narrow(0, hidden, hidden).fill_(forget);
                if (name.StartsWith("bias_hh", StringComparison.Ordinal)) parameter.narrow(0, hidden, hidden).zero_();
            }
    }

    static IEnumerable<Tensor> Blocks(Tensor weight, int gates, int hidden)
    {
        for (int g = 0; g < gates; g++) yield return weight.narrow(0, g * hidden, hidden);
    }

    /// <summary>A random orthogonal n×n matrix (QR of a Gaussian matrix, signs fixed so it is uniformly distributed).</summary>
    public static Tensor OrthogonalMatrix(int n)
    {
        using var scope = NewDisposeScope();
        var (q, r) = linalg.qr(randn(n, n));
        return (q * r.diagonal().sign().unsqueeze(0)).MoveToOuterDisposeScope();
    }

    /// <summary>The largest |eigenvalue| of a square matrix.</summary>
    public static double SpectralRadius(Tensor matrix)
    {
        using var scope = NewDisposeScope();
        return linalg.eigvals(matrix.to(ScalarType.Float64)).abs().max().item<double>();
    }
}
