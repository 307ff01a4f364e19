using System.Text.RegularExpressions;
using SeqLab.Experiments.Tasks;
using SeqLab.Models;
using SeqLab.Models.Recurrent;

namespace SeqLab.Experiments.Config;

/// <summary>
/// Binds the <c>model:</c> section to the Models library's option records (<see cref="RecurrentOptions"/>,
/// <see cref="TransformerOptions"/>, <see cref="InputOptions"/>, <see cref="HeadOptions"/>), whose own validation is the one
/// place model rules live: the config loader runs it before anything trains, and reports its messages in YAML's words.
/// </summary>
public static partial class ModelBinding
{
    /// <summary>The options of the model <paramref name="model"/> names, for data read as <paramref name="input"/> and predicting <paramref name="task"/>.</summary>
    public static SequenceModelOptions Options(ModelConfig model, InputOptions input, TaskKind task, int outputs)
    {
        EncoderOptions encoder = model.Type == "transformer"
            ? new TransformerOptions(model.ModelSize, model.Heads, model.Layers, model.FeedForwardSize ?? 0, model.Dropout,
                model.Positional == "learned" ? PositionalEncoding.Learned : PositionalEncoding.Sinusoidal, model.MaxLength,
                Causal: model.Causal || task == TaskKind.LanguageModel, PreNorm: model.PreNorm)
            : new RecurrentOptions(RecurrentKindOf(model.Type), model.HiddenSize, model.Layers, model.Bidirectional, model.Dropout, model.LayerNorm,
                Enum.Parse<RecurrentInitialisation>(model.Initialisation, ignoreCase: true), model.ForgetGateBias, model.SpectralRadius, model.Unrolled);
        return new SequenceModelOptions(input, encoder, new HeadOptions(task, task == TaskKind.LanguageModel ? 0 : outputs, model.TieWeights));
    }

    /// <summary>
    /// What the Models library says against <paramref name="model"/> on data of <paramref name="kind"/>, with option names
    /// written as YAML keys (<c>Heads</c> → <c>model.heads</c>); null when the model can be built.
    /// </summary>
    public static string? Problem(ModelConfig model, IDataKind kind, DatasetConfig dataset)
    {
        // Sizes that depend on the data (vocabulary, classes) are not known yet; any valid ones serve the check.
        var input = kind.ReadsTokens(dataset) ? InputOptions.ForTokens(2, model.EmbeddingSize) : InputOptions.ForFeatures(1);
        try
        {
            Options(model, input, kind.Task, 2).Validate();
            return null;
        }
        catch (ArgumentException exception)
        {
            string message = exception.ParamName is { } name && exception.Message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal)
                ? exception.Message[..^$" (Parameter '{name}')".Length] : exception.Message;
            return OptionName().Replace(message, match => Schema.Model.Find(ConfigKeys.SnakeCase(match.Value)) is { } field ? $"model.{field.Key}" : match.Value);
        }
    }

    [GeneratedRegex(@"\b[A-Z][a-z]+(?:[A-Z][a-z]+)*\b")]
    private static partial Regex OptionName();

    /// <summary>The recurrent cell for a model name.</summary>
    public static RecurrentKind RecurrentKindOf(string type) => type switch
    {
        "rnn" => RecurrentKind.RnnTanh,
        "rnn_relu" => RecurrentKind.RnnRelu,
        "lstm" => RecurrentKind.Lstm,
        "gru" => RecurrentKind.Gru,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, $"unknown recurrent model; known: {string.Join(", ", Schema.ModelTypes)}"),
    };
}
