namespace SeqLab.Training.Diagnosis;

/// <summary>
/// Names for depths in the network: 0 = input (embedding, input projection, positions), 1…L = encoder layers,
/// L + 1 = everything after the encoder stack (final norm, head). Models place their tensors through
/// <see cref="SeqLab.Models.Introspection.IParameterDepth"/>.
/// </summary>
public static class LayerDepth
{
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
