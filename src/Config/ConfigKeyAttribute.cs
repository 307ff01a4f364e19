namespace SeqLab.Config;

/// <summary>
/// Marks a property of a typed config record as a YAML key: the key is the property's name in snake_case
/// (<c>FeatureColumns</c> → <c>feature_columns</c>), its type follows the property's (int, double, bool, string, nullable
/// for "null = off"), its default is the value a new record holds, and this attribute adds the help text and the range.
/// The schema, its error messages and the tables in docs/experiments.md are all read from these records.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ConfigKeyAttribute(string help) : Attribute
{
    /// <summary>One line of help: what the key does.</summary>
    public string Help { get; } = help;
    /// <summary>Smallest allowed value (numbers).</summary>
    public double Minimum { get; init; } = double.NegativeInfinity;
    /// <summary>When true the value must be strictly greater than <see cref="Minimum"/>.</summary>
    public bool ExclusiveMinimum { get; init; }
    /// <summary>Largest allowed value (numbers).</summary>
    public double Maximum { get; init; } = double.PositiveInfinity;
    /// <summary>The names a string key may take (makes it a choice).</summary>
    public string[]? Choices { get; init; }
    /// <summary>
    /// A type implementing <see cref="IConfigChoices"/> whose names the key may take, read anew on every use — for lists
    /// kept elsewhere (the optimisers the trainer knows) or growing at run time (registered monitors).
    /// </summary>
    public Type? ChoicesFrom { get; init; }
    /// <summary>Whether the key must be given.</summary>
    public bool Required { get; init; }
    /// <summary>A file, relative to the experiments file: resolved, and it must exist.</summary>
    public bool IsPath { get; init; }
    /// <summary>A list of names (a YAML list, or one comma-separated string); stored comma-separated.</summary>
    public bool IsNameList { get; init; }
}

/// <summary>The names a config key may take, kept beside the code that gives them meaning (see <see cref="ConfigKeyAttribute.ChoicesFrom"/>).</summary>
public interface IConfigChoices
{
    /// <summary>The valid names, in the order the docs list them.</summary>
    IReadOnlyList<string> Names { get; }
}
