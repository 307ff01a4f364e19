namespace SeqLab.Models.Recurrent;

/// <summary>The recurrent cell of a <see cref="RecurrentRegressor"/>.</summary>
public enum RecurrentKind
{
    /// <summary>Vanilla (Elman) RNN with tanh: h_t = tanh(W_ih x_t + W_hh h_{t-1} + b).</summary>
    RnnTanh,
    /// <summary>Vanilla RNN with ReLU.</summary>
    RnnRelu,
    /// <summary>Long short-term memory (Hochreiter &amp; Schmidhuber 1997).</summary>
    Lstm,
    /// <summary>Gated recurrent unit (Cho et al. 2014).</summary>
    Gru,
}

/// <summary>Options that build a <see cref="RecurrentRegressor"/>.</summary>
/// <param name="Kind">Which recurrent cell.</param>
/// <param name="InputSize">Features per time step.</param>
/// <param name="HiddenSize">Units per layer.</param>
/// <param name="Layers">Stacked layers.</param>
/// <param name="OutputSize">Regression outputs per sequence.</param>
public sealed record RecurrentOptions(RecurrentKind Kind, int InputSize, int HiddenSize, int Layers = 1, int OutputSize = 1)
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for sizes below 1.</summary>
    public void Validate()
    {
        if (InputSize < 1) throw new ArgumentOutOfRangeException(nameof(InputSize), InputSize, "must be at least 1");
        if (HiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(HiddenSize), HiddenSize, "must be at least 1");
        if (Layers < 1) throw new ArgumentOutOfRangeException(nameof(Layers), Layers, "must be at least 1");
        if (OutputSize < 1) throw new ArgumentOutOfRangeException(nameof(OutputSize), OutputSize, "must be at least 1");
    }
}
