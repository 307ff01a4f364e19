using System.Globalization;
using System.Text.RegularExpressions;

namespace SeqLab.Reports;

/// <summary>
/// Words for a model's parameter tensors and recurrent gates in legends and axis labels: "layer 1 W_hh", "layer 1 · forget
/// gate (W_hf)", "output head W" — not the parameter path (<c>encoder.recurrent.weight_hh_l0</c>) the monitors write.
/// </summary>
public static partial class ParameterNames
{
    /// <summary>PyTorch's recurrent tensors: <c>weight_ih_l0</c>, <c>bias_hh_l1_reverse</c>.</summary>
    [GeneratedRegex(@"^(?<kind>weight|bias)_(?<side>ih|hh)_l(?<layer>\d+)(?<reverse>_reverse)?$")]
    private static partial Regex RecurrentTensor();

    [GeneratedRegex(@"(?<=[a-z0-9])(?=[A-Z])")]
    private static partial Regex CamelBoundary();

    /// <summary>Words for the modules of SeqLab's models (the field names TorchSharp registers them under).</summary>
    static readonly Dictionary<string, string> Words = new(StringComparer.Ordinal)
    {
        ["embedding"] = "embedding", ["sourceEmbedding"] = "source embedding", ["targetEmbedding"] = "target embedding",
        ["head"] = "output head", ["output"] = "output", ["tiedBias"] = "output b (beside the tied embedding)",
        ["inputProjection"] = "input projection", ["positions"] = "learned positions", ["targetPositions"] = "learned target positions",
        ["attention"] = "attention", ["selfAttention"] = "self-attention", ["crossAttention"] = "cross-attention",
        ["attentionNorm"] = "attention LayerNorm", ["feedForwardNorm"] = "feed-forward LayerNorm", ["selfNorm"] = "self-attention LayerNorm",
        ["crossNorm"] = "cross-attention LayerNorm", ["finalNorm"] = "final LayerNorm", ["norm"] = "LayerNorm",
        ["feedForwardIn"] = "feed-forward in", ["feedForwardOut"] = "feed-forward out",
        ["bridge"] = "bridge (encoder → decoder state)", ["combine"] = "attention output (combine)",
        ["queryProjection"] = "query projection", ["keyProjection"] = "key projection", ["score"] = "score vector",
    };

    /// <summary>Gate blocks of W_hh in PyTorch's order: LSTM i, f, g, o; GRU r, z, n; one block for a vanilla RNN.</summary>
    static readonly Dictionary<int, string[]> Blocks = new()
    {
        [4] = ["input gate (W_hi)", "forget gate (W_hf)", "cell candidate g (tanh) (W_hg)", "output gate (W_ho)"],
        [3] = ["reset gate (W_hr)", "update gate (W_hz)", "candidate n (tanh) (W_hn)"],
        [1] = ["W_hh"],
    };

    /// <summary>
    /// A namer for the parameters <paramref name="paths"/> of one model: an encoder–decoder's tensors say "encoder" or
    /// "decoder", a single encoder's do not; two paths that would read alike keep their paths.
    /// </summary>
    public static Func<string, string> For(IEnumerable<string> paths)
    {
        var all = paths.Distinct(StringComparer.Ordinal).ToList();
        bool encoderDecoder = all.Any(p => p.StartsWith("decoder.", StringComparison.Ordinal) || p.Contains("crossAttention", StringComparison.Ordinal));
        var names = all.ToDictionary(p => p, p => Name(p, encoderDecoder), StringComparer.Ordinal);
        var ambiguous = names.GroupBy(n => n.Value).Where(g => g.Count() > 1).SelectMany(g => g.Select(n => n.Key)).ToHashSet(StringComparer.Ordinal);
        return path => names.TryGetValue(path, out string? name) && !ambiguous.Contains(path) ? name : Name(path, encoderDecoder);
    }

    /// <summary>"layer 1 · forget gate (W_hf)": gate block <paramref name="block"/> (0-based) of the W_hh at <paramref name="path"/>, whose rows are <paramref name="blocks"/> blocks.</summary>
    public static string Block(string path, int block, int blocks, Func<string, string>? names = null)
    {
        string layer = (names ?? (p => Name(p, false)))(path);
        if (!Blocks.TryGetValue(blocks, out var gates) || block < 0 || block >= gates.Length) return $"{layer} block {block + 1} of {blocks}";
        return blocks == 1 ? layer : $"{layer.Replace(" W_hh", "", StringComparison.Ordinal)} · {gates[block]}";
    }

    /// <summary>
    /// A recurrent gate as the hidden-state monitor names it (<c>input</c>, <c>forget</c>, <c>candidate</c>, <c>output</c>;
    /// <c>reset</c>, <c>update</c>, <c>candidate</c>): "forget gate", and the tanh candidate as what it is — not a gate.
    /// <paramref name="lstm"/> tells the LSTM's candidate g from the GRU's n.
    /// </summary>
    public static string Gate(string gate, bool lstm) => gate switch
    {
        "candidate" => lstm ? "cell candidate g (tanh)" : "candidate n (tanh)",
        _ => $"{gate} gate",
    };

    /// <summary>"layer 1", with the direction ("forward", "backward") where the model has both.</summary>
    public static string Layer(int layer, string direction, bool bidirectional) =>
        bidirectional ? $"layer {layer} {direction}" : $"layer {layer}";

    /// <summary>An attention projection's matrix: "W_Q", "W_K", "W_V", "W_O"; null for other modules.</summary>
    static string? Projection(string part, string owner) => owner is "attention" or "selfAttention" or "crossAttention"
        ? part switch { "query" => "W_Q", "key" => "W_K", "value" => "W_V", "output" => "W_O", _ => null }
        : null;

    static string Name(string path, bool encoderDecoder)
    {
        var parts = path.Split('.');
        var words = new List<string>();
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i];
            bool last = i == parts.Length - 1;
            if (RecurrentTensor().Match(part) is { Success: true } tensor)
            {
                int layer = int.Parse(tensor.Groups["layer"].Value, CultureInfo.InvariantCulture) + 1;
                string side = tensor.Groups["side"].Value;
                words.Add($"layer {layer}{(tensor.Groups["reverse"].Success ? " backward" : "")} {(tensor.Groups["kind"].Value == "weight" ? "W" : "b")}_{side}");
            }
            else if (part == "encoder") { if (encoderDecoder) words.Add("encoder"); }
            else if (part == "decoder") words.Add("decoder");
            else if (part is "recurrent" or "blocks") { }
            else if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && i > 0 && parts[i - 1] == "blocks")
                words.Add(encoderDecoder && i == 1 ? $"decoder layer {index + 1}" : $"layer {index + 1}");
            else if (last && part is "weight" or "bias")
            {
                string owner = i > 0 ? parts[i - 1] : "";
                if (owner.EndsWith("Norm", StringComparison.Ordinal) || owner == "norm") words.Add(part == "weight" ? "gain γ" : "shift β");
                else if (!owner.EndsWith("mbedding", StringComparison.Ordinal) && !owner.EndsWith("ositions", StringComparison.Ordinal)) words.Add(part == "weight" ? "W" : "b");
            }
            else if (Projection(part, i > 0 ? parts[i - 1] : "") is string matrix && i == parts.Length - 2 && parts[^1] is "weight" or "bias")
            {
                words.Add(parts[^1] == "weight" ? matrix : "b" + matrix[1..]); // W_Q and its bias b_Q
                break;
            }
            else words.Add(Words.TryGetValue(part, out string? word) ? word : CamelBoundary().Replace(part, " ").Replace('_', ' ').ToLowerInvariant());
        }
        return string.Join(" ", words.Where(w => w.Length > 0));
    }
}
