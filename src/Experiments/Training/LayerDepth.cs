using System.Text.RegularExpressions;

namespace SeqLab.Experiments.Training;

/// <summary>
/// Places a parameter tensor at a depth of the network from its name, so gradients can be followed through depth as well
/// as through time: 0 = input (embedding, input projection, positions), 1…L = encoder layers (fused <c>_l{k}</c> or
/// Transformer <c>blocks.{k}</c>), L + 1 = everything after the encoder stack (final norm, head).
/// </summary>
public static partial class LayerDepth
{
    [GeneratedRegex(@"(?:_l|blocks\.)(\d+)(?:\.|_|$)")]
    private static partial Regex LayerIndex();

    static readonly string[] InputParts = ["embedding", "inputProjection", "positions"];

    /// <summary>Encoder layer (1-based) named in <paramref name="parameter"/>, 0 for input parameters, or null for the rest (the output side).</summary>
    static int? Encoder(string parameter)
    {
        var match = LayerIndex().Match(parameter);
        if (match.Success) return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 1;
        return InputParts.Any(part => parameter.StartsWith(part + ".", StringComparison.Ordinal) || parameter.Contains("." + part + ".", StringComparison.Ordinal)) ? 0 : null;
    }

    /// <summary>The depth of every name in <paramref name="parameters"/>.</summary>
    public static IReadOnlyDictionary<string, int> Of(IEnumerable<string> parameters)
    {
        var names = parameters.ToList();
        int layers = names.Select(Encoder).Max(depth => depth ?? 0);
        return names.ToDictionary(name => name, name => Encoder(name) ?? layers + 1);
    }

    /// <summary>The number of encoder layers L among depths 0…L + 1 (the largest depth minus one, or 0).</summary>
    public static int EncoderLayers(IEnumerable<int> depths)
    {
        int deepest = depths.DefaultIfEmpty(0).Max();
        return Math.Max(0, deepest - 1);
    }

    /// <summary>A label for a depth: "input", "layer k" or "output".</summary>
    public static string Label(int depth, int encoderLayers) =>
        depth == 0 ? "input" : depth > encoderLayers ? "output" : $"layer {depth}";
}
