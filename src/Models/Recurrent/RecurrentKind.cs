namespace SeqLab.Models.Recurrent;

/// <summary>The recurrent cell.</summary>
public enum RecurrentKind
{
    /// <summary>Vanilla (Elman) RNN with tanh: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).</summary>
    RnnTanh,
    /// <summary>Vanilla RNN with ReLU.</summary>
    RnnRelu,
    /// <summary>Long short-term memory (Hochreiter &amp; Schmidhuber 1997); gate order i, f, g, o as in PyTorch.</summary>
    Lstm,
    /// <summary>Gated recurrent unit (Cho et al. 2014); gate order r, z, n as in PyTorch.</summary>
    Gru,
}

/// <summary>How recurrent weights start.</summary>
public enum RecurrentInitialisation
{
    /// <summary>PyTorch's default: U(−1/√H, 1/√H) for every weight and bias.</summary>
    Default,
    /// <summary>Xavier/Glorot uniform for every gate block of the input and recurrent weights; zero biases.</summary>
    Xavier,
    /// <summary>Orthogonal recurrent gate blocks (Saxe et al. 2014); other weights as by default.</summary>
    Orthogonal,
    /// <summary>Identity recurrent gate blocks and zero biases (IRNN, Le et al. 2015; meant for ReLU RNNs).</summary>
    Identity,
}

/// <summary>Gates per recurrent cell kind (rows of W_hh are this many blocks of H), and layers by parameter name.</summary>
public static partial class RecurrentKinds
{
    [System.Text.RegularExpressions.GeneratedRegex(@"_l(\d+)(?:_|$)")]
    private static partial System.Text.RegularExpressions.Regex LayerSuffix();

    /// <summary>The 1-based layer of a recurrent parameter (PyTorch's names: <c>weight_hh_l0</c>, <c>bias_ih_l1_reverse</c>), or null (e.g. the LayerNorm after the stack).</summary>
    public static int? LayerOf(string localName)
    {
        var match = LayerSuffix().Match(localName);
        return match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 1 : null;
    }

    /// <summary>4 for LSTM, 3 for GRU, 1 for vanilla RNNs.</summary>
    public static int GateCount(this RecurrentKind kind) => kind switch
    {
        RecurrentKind.Lstm => 4,
        RecurrentKind.Gru => 3,
        _ => 1,
    };
}
