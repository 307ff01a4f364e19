using System.Text.RegularExpressions;
using SeqLab.Config;
using SeqLab.Models;

namespace SeqLab.Tasks;

/// <summary>The <c>model:</c> section of one experiment: a record per kind of model, whose <see cref="ConfigKeyAttribute"/> properties are that kind's keys.</summary>
public abstract record ModelConfig
{
    /// <summary>The kind's name, the value of <c>model.type</c>.</summary>
    public abstract string Type { get; }
}

/// <summary>
/// A kind of model, reachable from YAML as <c>model.type</c>: its typed config, which problem shapes it can map, and how
/// it builds a model for the data's shape. Models know nothing of YAML: this is where a config becomes the Models
/// library's options.
/// </summary>
public interface IModelKind
{
    /// <summary>The value of <c>model.type</c>.</summary>
    string Name { get; }
    /// <summary>One line for the docs.</summary>
    string Summary { get; }
    /// <summary>The config record type; its <see cref="ConfigKeyAttribute"/> properties are the kind's keys.</summary>
    Type ConfigType { get; }
    /// <summary>A config with every default.</summary>
    ModelConfig CreateConfig();
    /// <summary>Whether the model carries a recurrent state from one window to the next (truncated BPTT).</summary>
    bool CarriesState(ModelConfig config);
    /// <summary>What stands against building this model for <paramref name="shape"/>, in YAML's words; null when it can be built.</summary>
    string? Problem(ModelConfig config, ProblemShape shape);
    /// <summary>Builds the model (initialisation draws from torch's global generator: seed it first).</summary>
    ISequenceModel Build(ModelConfig config, ProblemShape shape);
}

/// <summary>A kind of model with its config record <typeparamref name="TConfig"/>, for problems of shape <typeparamref name="TShape"/>.</summary>
public abstract partial class ModelKind<TConfig, TShape> : IModelKind where TConfig : ModelConfig, new() where TShape : ProblemShape
{
    /// <inheritdoc />
    public string Name => new TConfig().Type;
    /// <inheritdoc />
    public abstract string Summary { get; }
    /// <inheritdoc />
    public Type ConfigType => typeof(TConfig);
    /// <inheritdoc />
    public ModelConfig CreateConfig() => new TConfig();
    /// <inheritdoc />
    public virtual bool CarriesState(ModelConfig config) => false;

    /// <summary>What this kind of model maps, in words, for the message that refuses another shape.</summary>
    protected abstract string Maps { get; }

    /// <inheritdoc />
    public string? Problem(ModelConfig config, ProblemShape shape)
    {
        if (shape is not TShape own) return $"model type '{Name}' maps {Maps}; this data is a {shape.Name} problem";
        try
        {
            Validate((TConfig)config, own);
            return null;
        }
        catch (ArgumentException exception)
        {
            // The Models library names its options (Heads, EmbeddingSize): say them as the YAML keys they came from.
            string message = exception.ParamName is { } name && exception.Message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal)
                ? exception.Message[..^$" (Parameter '{name}')".Length] : exception.Message;
            var keys = ConfigKeys.Of(typeof(TConfig)).Select(k => k.Key).ToHashSet();
            return OptionName().Replace(message, match => keys.Contains(ConfigKeys.SnakeCase(match.Value)) ? $"model.{ConfigKeys.SnakeCase(match.Value)}" : match.Value);
        }
    }

    /// <inheritdoc />
    public ISequenceModel Build(ModelConfig config, ProblemShape shape) =>
        shape is TShape own ? Build((TConfig)config, own) : throw new ArgumentException(Problem(config, shape));

    /// <summary>Throws <see cref="ArgumentException"/> where the options cannot make a model for <paramref name="shape"/> (the Models library's own validation).</summary>
    protected abstract void Validate(TConfig config, TShape shape);

    /// <summary>See <see cref="IModelKind.Build"/>.</summary>
    protected abstract ISequenceModel Build(TConfig config, TShape shape);

    [GeneratedRegex(@"\b[A-Z][a-z]+(?:[A-Z][a-z]+)*\b")]
    private static partial Regex OptionName();
}

/// <summary>
/// The kinds of model the runner knows (<c>model.type</c>). A built-in kind is one class and one line here; a kind of your
/// own is one class and one <see cref="Register"/> call.
/// </summary>
public static class ModelKinds
{
    static readonly KindRegistry<IModelKind> Registry = new("model.type", kind => kind.Name,
    [
        new RecurrentModelKind<RnnConfig>(SeqLab.Models.Recurrent.RecurrentKind.RnnTanh),
        new RecurrentModelKind<RnnReluConfig>(SeqLab.Models.Recurrent.RecurrentKind.RnnRelu),
        new RecurrentModelKind<LstmConfig>(SeqLab.Models.Recurrent.RecurrentKind.Lstm),
        new RecurrentModelKind<GruConfig>(SeqLab.Models.Recurrent.RecurrentKind.Gru),
        new TransformerModelKind(),
        new RnnSeq2SeqKind(),
        new TransformerSeq2SeqKind(),
    ]);

    /// <summary>Every kind, built-in ones first, then in registration order.</summary>
    public static IReadOnlyList<IModelKind> All => Registry.All;

    /// <summary>The kind named <paramref name="name"/>, or null.</summary>
    public static IModelKind? Find(string name) => Registry.Find(name);

    /// <summary>Counts registrations and removals (the config schema reads the kinds again when it changes).</summary>
    public static int Version => Registry.Version;

    /// <summary>Adds a kind of model: from then on <c>model.type</c> may name it, with its config record's keys. Disposing the result removes it again.</summary>
    public static IDisposable Register(IModelKind kind) => Registry.Register(kind);
}
