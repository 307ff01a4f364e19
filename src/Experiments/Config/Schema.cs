using SeqLab.Config;
using SeqLab.Tasks;
using SeqLab.Training;
using SeqLab.Training.Monitors;

namespace SeqLab.Experiments.Config;

/// <summary>The kind of value a key takes.</summary>
public enum FieldKind
{
    /// <summary>A whole number.</summary>
    Integer,
    /// <summary>A real number.</summary>
    Number,
    /// <summary>A free string.</summary>
    Text,
    /// <summary>One of a fixed list of names.</summary>
    Choice,
    /// <summary>true or false.</summary>
    Boolean,
    /// <summary>A list of names (a YAML list, or one comma-separated string); stored comma-separated. With <see cref="FieldSpec.Choices"/> each name must be one of them, and <c>all</c> and <c>none</c> stand alone.</summary>
    Names,
    /// <summary>A file, relative to the experiments file; resolved, and it must exist.</summary>
    Path,
    /// <summary>A mapping of labels to files (each relative to the experiments file, each must exist).</summary>
    Files,
}

/// <summary>
/// A <see cref="FieldKind.Names"/> value as a config record holds it: <c>all</c> is null (everything), <c>none</c> the
/// empty list, anything else the names — read from and written back to the comma-separated form, one convention both ways.
/// </summary>
public static class NameList
{
    /// <summary>The stored comma-separated form as a list.</summary>
    public static IReadOnlyList<string>? Read(string names) => names switch
    {
        "all" => null,
        "none" => [],
        _ => names.Split(','),
    };

    /// <summary>A record's list as it is written in a config file (<c>all</c>, <c>none</c> or the names).</summary>
    public static object Write(IReadOnlyList<string>? names) => names is null ? "all" : names.Count == 0 ? "none" : names;
}

/// <summary>
/// Choices read anew on every use, for lists that grow at run time: a monitor a notebook or host program registers
/// (<see cref="MonitorRegistry.Register"/>) can then be named in a config it loads afterwards.
/// </summary>
public sealed class ReadEachTime(Func<IReadOnlyList<string>> read) : IReadOnlyList<string>
{
    /// <inheritdoc />
    public string this[int index] => read()[index];

    /// <inheritdoc />
    public int Count => read().Count;

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator() => read().GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>One key of a section: its type, default, allowed range or names, the types it applies to, and a line of help.</summary>
public sealed record FieldSpec(string Key, FieldKind Kind, object? Default, string Help)
{
    /// <summary>Smallest allowed value (numbers).</summary>
    public double Minimum { get; init; } = double.NegativeInfinity;
    /// <summary>When true the value must be strictly greater than <see cref="Minimum"/>.</summary>
    public bool ExclusiveMinimum { get; init; }
    /// <summary>Largest allowed value (numbers).</summary>
    public double Maximum { get; init; } = double.PositiveInfinity;
    /// <summary>Allowed names (<see cref="FieldKind.Choice"/>, and <see cref="FieldKind.Names"/> when not empty).</summary>
    public IReadOnlyList<string> Choices { get; init; } = [];
    /// <summary>Whether <c>null</c> (or <c>~</c>) is accepted, meaning "off" or "not set".</summary>
    public bool Nullable { get; init; }
    /// <summary>Whether the key must be given (in the experiment or in <c>defaults</c>).</summary>
    public bool Required { get; init; }
    /// <summary>The section <c>type</c>s this key means something for; empty = all.</summary>
    public IReadOnlyList<string> AppliesTo { get; init; } = [];

    /// <summary>Whether this key means something for the section type <paramref name="type"/>.</summary>
    public bool Applies(string? type) => AppliesTo.Count == 0 || type is null || AppliesTo.Contains(type);
}

/// <summary>A named block of keys (<c>dataset</c>, <c>model</c>, <c>training</c>, <c>monitoring</c>).</summary>
/// <param name="Name">The section's name.</param>
/// <param name="Fields">Every key of the section; for sections with types, each once, applying to the types that have it.</param>
public sealed record SectionSpec(string Name, IReadOnlyList<FieldSpec> Fields)
{
    /// <summary>Per type, that type's own keys with its own defaults and help (sections with a <c>type</c>); null otherwise.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<FieldSpec>>? ByType { get; init; }

    /// <summary>The field named <paramref name="key"/>, or null.</summary>
    public FieldSpec? Find(string key) => Fields.FirstOrDefault(f => f.Key == key);

    /// <summary>The field named <paramref name="key"/> as type <paramref name="type"/> has it (its default and help), else as in <see cref="Fields"/>.</summary>
    public FieldSpec? Find(string key, string? type) =>
        (type is not null && ByType?.GetValueOrDefault(type) is { } own ? own.FirstOrDefault(f => f.Key == key) : null) ?? Find(key);
}

/// <summary>
/// The typed schema of <c>experiments.yaml</c>: every key, its type, range, default and the types it applies to — all read
/// from config records (<see cref="ConfigKeyAttribute"/>): each kind of data's and of model's, and the trainer's
/// <see cref="TrainingOptions"/> and <see cref="MonitoringOptions"/>. A record's initial values are the defaults.
/// </summary>
public static class Schema
{
    /// <summary>The sections derived from the registered kinds, for the registries' versions they were read at.</summary>
    sealed record KindSections(int ModelVersion, int DataVersion, IReadOnlyList<string> ModelTypes, IReadOnlyList<string> DatasetTypes, SectionSpec Dataset, SectionSpec Model);

    static KindSections? kindSections;
    static readonly object KindSectionsGate = new();

    /// <summary>The kinds' sections, read again whenever a kind was registered or removed since they were last read.</summary>
    static KindSections Kinds
    {
        get
        {
            lock (KindSectionsGate)
            {
                int models = ModelKinds.Version, data = DataKinds.Version;
                if (kindSections is { } read && read.ModelVersion == models && read.DataVersion == data) return read;
                var modelKinds = ModelKinds.All;
                var dataKinds = DataKinds.All;
                IReadOnlyList<string> modelTypes = modelKinds.Select(k => k.Name).ToList(), datasetTypes = dataKinds.Select(k => k.Name).ToList();
                var dataset = ByType("dataset",
                    new FieldSpec("type", FieldKind.Choice, null, "data set") { Choices = datasetTypes, Required = true },
                    dataKinds.ToDictionary(kind => kind.Name, kind => RecordFields(kind.ConfigType, kind.CreateConfig())));
                var model = ByType("model",
                    new FieldSpec("type", FieldKind.Choice, null, "model architecture") { Choices = modelTypes, Required = true },
                    modelKinds.ToDictionary(kind => kind.Name, kind => RecordFields(kind.ConfigType, kind.CreateConfig())));
                return kindSections = new KindSections(models, data, modelTypes, datasetTypes, dataset, model);
            }
        }
    }

    /// <summary>Model names a <c>model.type</c> may take: the registered kinds.</summary>
    public static IReadOnlyList<string> ModelTypes => Kinds.ModelTypes;

    /// <summary>Data set names a <c>dataset.type</c> may take: the registered kinds.</summary>
    public static IReadOnlyList<string> DatasetTypes => Kinds.DatasetTypes;

    /// <summary><c>dataset:</c> keys, read from each kind's config record (see <see cref="DataKinds"/>).</summary>
    public static SectionSpec Dataset => Kinds.Dataset;

    /// <summary><c>model:</c> keys, read from each kind's config record (see <see cref="ModelKinds"/>).</summary>
    public static SectionSpec Model => Kinds.Model;

    /// <summary><c>training:</c> keys, from <see cref="TrainingOptions"/>.</summary>
    public static readonly SectionSpec Training = new("training", RecordFields(typeof(TrainingOptions), new TrainingOptions()));

    /// <summary><c>monitoring:</c> keys, from <see cref="MonitoringOptions"/>.</summary>
    public static readonly SectionSpec Monitoring = new("monitoring", RecordFields(typeof(MonitoringOptions), new MonitoringOptions()));

    /// <summary>All sections, as they may appear in <c>defaults:</c> and in each experiment.</summary>
    public static IReadOnlyList<SectionSpec> Sections => [Dataset, Model, Training, Monitoring];

    /// <summary>Keys of an experiment entry.</summary>
    public static readonly IReadOnlyList<string> ExperimentKeys = ["name", "dataset", "model", "training", "monitoring", "grid", "seeds"];

    /// <summary>Keys at the top of the file.</summary>
    public static readonly IReadOnlyList<string> RootKeys = ["batch", "shared", "defaults", "experiments"];

    /// <summary>
    /// A section with types: <paramref name="type"/> plus, per type, that type's fields; <see cref="SectionSpec.Fields"/>
    /// lists each key once (the first type's spec), applying to every type that has it.
    /// </summary>
    static SectionSpec ByType(string name, FieldSpec type, IReadOnlyDictionary<string, IReadOnlyList<FieldSpec>> byType)
    {
        var union = new List<FieldSpec> { type };
        foreach (var key in byType.Values.SelectMany(fields => fields.Select(f => f.Key)).Distinct())
        {
            var owners = byType.Where(t => t.Value.Any(f => f.Key == key)).Select(t => t.Key).ToList();
            var first = byType[owners[0]].First(f => f.Key == key);
            union.Add(first with { AppliesTo = owners.Count == byType.Count ? [] : owners });
        }
        return new SectionSpec(name, union) { ByType = byType.ToDictionary(t => t.Key, t => (IReadOnlyList<FieldSpec>)[type, .. t.Value]) };
    }

    /// <summary>The fields of a typed config record: its <see cref="ConfigKeyAttribute"/> properties, with the defaults <paramref name="defaults"/> holds.</summary>
    public static IReadOnlyList<FieldSpec> RecordFields(Type record, object defaults) =>
        ConfigKeys.Of(record).Select(k =>
        {
            var type = Nullable.GetUnderlyingType(k.Property.PropertyType) ?? k.Property.PropertyType;
            var a = k.Attribute;
            IReadOnlyList<string> choices = a.Choices is { } fixedChoices ? fixedChoices
                : a.ChoicesFrom is { } provider ? new ReadEachTime(() => ((IConfigChoices)Activator.CreateInstance(provider)!).Names) : [];
            bool nameList = a.IsNameList || type == typeof(IReadOnlyList<string>);
            var kind = type == typeof(IReadOnlyDictionary<string, string>) ? FieldKind.Files
                : a.IsPath ? FieldKind.Path
                : nameList ? FieldKind.Names
                : choices.Count > 0 ? FieldKind.Choice
                : type == typeof(int) || type == typeof(long) ? FieldKind.Integer
                : type == typeof(double) ? FieldKind.Number
                : type == typeof(bool) ? FieldKind.Boolean
                : type == typeof(string) ? FieldKind.Text
                : throw new InvalidOperationException($"{record.Name}.{k.Property.Name}: a config key cannot be of type {type.Name}");
            bool nullable = Nullable.GetUnderlyingType(k.Property.PropertyType) is not null;
            object? value = a.Required ? null : k.Property.GetValue(defaults);
            // A list of names is kept as a list (null: all); its default is written as YAML writes it: all, none or the names.
            if (type == typeof(IReadOnlyList<string>)) value = NameList.Write((IReadOnlyList<string>?)value);
            return new FieldSpec(k.Key, kind, value, a.Help)
            {
                Minimum = a.Minimum, ExclusiveMinimum = a.ExclusiveMinimum, Maximum = a.Maximum, Choices = choices, Nullable = nullable, Required = a.Required,
            };
        }).ToList();

    /// <summary>Sections that may be written as a bare name (<c>model: lstm</c> means <c>model: {type: lstm}</c>).</summary>
    public static bool AcceptsShorthand(SectionSpec section) => section.Find("type") is not null;
}
