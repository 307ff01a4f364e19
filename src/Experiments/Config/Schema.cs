using SeqLab.Experiments.Tasks;
using SeqLab.Models;
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

/// <summary>The typed schema of <c>experiments.yaml</c>: every key, its type, range, default and the types it applies to.</summary>
public static class Schema
{
    static readonly string[] Recurrent = ["rnn", "rnn_relu", "lstm", "gru"];

    /// <summary>Model names a <c>model.type</c> may take.</summary>
    public static readonly IReadOnlyList<string> ModelTypes = [.. Recurrent, "transformer"];

    /// <summary>Data set names a <c>dataset.type</c> may take: the registered kinds.</summary>
    public static readonly IReadOnlyList<string> DatasetTypes = DataKinds.All.Select(k => k.Name).ToList();

    /// <summary><c>dataset:</c> keys, read from each kind's config record (see <see cref="DataKinds"/>).</summary>
    public static readonly SectionSpec Dataset = ByType("dataset",
        new FieldSpec("type", FieldKind.Choice, null, "data set") { Choices = DatasetTypes, Required = true },
        DataKinds.All.ToDictionary(kind => kind.Name, kind => RecordFields(kind.ConfigType, kind.CreateConfig())));

    /// <summary><c>model:</c> keys; the defaults of keys that are options of the Models library come from its option records.</summary>
    public static readonly SectionSpec Model = WithRecordDefaults(new("model",
    [
        new("type", FieldKind.Choice, null, "model architecture") { Choices = ModelTypes, Required = true },
        new("hidden_size", FieldKind.Integer, 64, "units per layer and direction") { Minimum = 1, Maximum = 65_536, AppliesTo = Recurrent },
        new("layers", FieldKind.Integer, null, "stacked layers (recurrent layers or Transformer blocks)") { Minimum = 1, Maximum = 64 },
        new("bidirectional", FieldKind.Boolean, false, "also read sequences backwards (not for language modelling)") { AppliesTo = Recurrent },
        new("dropout", FieldKind.Number, 0.0, "dropout between layers / in Transformer blocks") { Minimum = 0, Maximum = 0.95 },
        new("layer_norm", FieldKind.Boolean, false, "layer-normalise the recurrent outputs") { AppliesTo = Recurrent },
        new("initialisation", FieldKind.Choice, "default", "recurrent weight initialisation (identity with rnn_relu = IRNN, Le et al. 2015)") { Choices = ["default", "xavier", "orthogonal", "identity"], AppliesTo = Recurrent },
        new("forget_gate_bias", FieldKind.Number, null, "LSTM forget-gate bias (e.g. 1); null keeps the initialisation's") { Nullable = true, AppliesTo = ["lstm"] },
        new("spectral_radius", FieldKind.Number, null, "rescale each recurrent gate block to this spectral radius (0.5: vanishing; 2: exploding); null leaves it") { Minimum = 0, ExclusiveMinimum = true, Nullable = true, AppliesTo = Recurrent },
        new("unrolled", FieldKind.Boolean, false, "compute step by step (slower; exposes h_t and gates)") { AppliesTo = Recurrent },
        new("model_size", FieldKind.Integer, 64, "d_model") { Minimum = 1, Maximum = 65_536, AppliesTo = ["transformer"] },
        new("heads", FieldKind.Integer, 4, "attention heads (must divide model_size)") { Minimum = 1, Maximum = 1024, AppliesTo = ["transformer"] },
        new("feed_forward_size", FieldKind.Integer, null, "feed-forward width; null = 4 × model_size") { Minimum = 1, Nullable = true, AppliesTo = ["transformer"] },
        new("positional", FieldKind.Choice, "sinusoidal", "position encoding") { Choices = ["sinusoidal", "learned"], AppliesTo = ["transformer"] },
        new("causal", FieldKind.Boolean, false, "attend only to earlier steps (forced on for language modelling)") { AppliesTo = ["transformer"] },
        new("pre_norm", FieldKind.Boolean, true, "LayerNorm before (true) or after (false) each sub-layer") { AppliesTo = ["transformer"] },
        new("max_length", FieldKind.Integer, null, "longest sequence a Transformer accepts") { Minimum = 1, AppliesTo = ["transformer"] },
        new("embedding_size", FieldKind.Integer, 32, "embedding width for token inputs (text, copy_memory, dna k-mers)") { Minimum = 1 },
        new("tie_weights", FieldKind.Boolean, false, "language models: the output layer shares the embedding (needs embedding_size = the encoder width)") { },
    ]));

    /// <summary><c>training:</c> keys.</summary>
    public static readonly SectionSpec Training = new("training",
    [
        new("steps", FieldKind.Integer, 1000, "optimiser steps") { Minimum = 1 },
        new("batch_size", FieldKind.Integer, 64, "sequences per step") { Minimum = 1 },
        new("learning_rate", FieldKind.Number, 1e-3, "optimiser step size") { Minimum = 0, ExclusiveMinimum = true },
        new("optimizer", FieldKind.Choice, "adam", "optimiser") { Choices = SeqLab.Training.Optimisation.Optimizers },
        new("momentum", FieldKind.Number, 0.0, "momentum (sgd, rmsprop)") { Minimum = 0, Maximum = 0.9999 },
        new("weight_decay", FieldKind.Number, 0.0, "weight decay: coupled L2 for sgd/adam/rmsprop, decoupled for adamw") { Minimum = 0 },
        new("schedule", FieldKind.Choice, "constant", "learning-rate schedule after the warm-up") { Choices = SeqLab.Training.Optimisation.Schedules },
        new("warmup_steps", FieldKind.Integer, 0, "linear learning-rate warm-up steps") { Minimum = 0 },
        new("step_size", FieldKind.Integer, 1000, "step schedule: steps between decays") { Minimum = 1 },
        new("gamma", FieldKind.Number, 0.5, "step schedule: decay factor") { Minimum = 0, ExclusiveMinimum = true, Maximum = 1 },
        new("min_learning_rate", FieldKind.Number, 0.0, "cosine schedule: final learning rate") { Minimum = 0 },
        new("clip_grad_norm", FieldKind.Number, null, "rescale gradients whose global L2 norm exceeds this; null = off") { Minimum = 0, ExclusiveMinimum = true, Nullable = true },
        new("clip_grad_value", FieldKind.Number, null, "clamp every gradient element to ± this; null = off") { Minimum = 0, ExclusiveMinimum = true, Nullable = true },
        new("l1", FieldKind.Number, 0.0, "L1 penalty λ (adds λ Σ|w| to the loss)") { Minimum = 0 },
        new("l2", FieldKind.Number, 0.0, "L2 penalty λ (adds λ Σ w² to the loss)") { Minimum = 0 },
        new("early_stopping_patience", FieldKind.Integer, null, "stop after this many evaluations without validation improvement, keeping the best weights; null = off") { Minimum = 1, Nullable = true },
        new("min_delta", FieldKind.Number, 0.0, "smallest validation-loss decrease that counts as an improvement") { Minimum = 0 },
        new("seed", FieldKind.Integer, 0, "fixes initialisation, data order and evaluation sets") { Minimum = 0 },
        new("threads", FieldKind.Integer, 2, "LibTorch intra-op threads") { Minimum = 1, Maximum = 1024 },
        new("checkpoint_every", FieldKind.Integer, null, "write a checkpoint every N steps so an interrupted run resumes (--resume); null = only on Ctrl+C") { Minimum = 1, Nullable = true },
        new("device", FieldKind.Choice, "auto", "where to train: auto (CUDA when available), cpu or cuda") { Choices = ["auto", "cpu", "cuda"] },
        new("eval_every", FieldKind.Integer, 100, "validate every N steps") { Minimum = 1 },
    ]);

    /// <summary><c>monitoring:</c> keys.</summary>
    public static readonly SectionSpec Monitoring = new("monitoring",
    [
        new("log_every", FieldKind.Integer, 50, "record per-parameter and per-time-step gradient norms every N steps") { Minimum = 1 },
        new("expensive_every", FieldKind.Integer, 250, "run the expensive monitors (‖∂L/∂h_t‖ per layer and gate statistics, through the unrolled twin) every N steps") { Minimum = 1 },
        new("monitors", FieldKind.Names, "all", "the monitors to run: all, none (the fastest loop; loss, gradient norm and clipping are still logged) or a list of names") { Choices = new ReadEachTime(() => ["all", "none", .. MonitorRegistry.Names()]) },
        new("monitor_batch_size", FieldKind.Integer, 32, "sequences in the fixed monitoring batch for the expensive monitors") { Minimum = 1 },
        new("vanishing_ratio", FieldKind.Number, 1e-3, "verdict: vanishing when ‖∂L/∂x₁‖/‖∂L/∂x_T‖ at the end of training is below this") { Minimum = 0, ExclusiveMinimum = true },
        new("exploding_ratio", FieldKind.Number, 1e3, "verdict: exploding when that ratio is above this") { Minimum = 0, ExclusiveMinimum = true },
        new("exploding_norm", FieldKind.Number, 1e3, "verdict: exploding when the global gradient norm before clipping exceeds this") { Minimum = 0, ExclusiveMinimum = true },
        new("tensorboard", FieldKind.Boolean, false, "also write TensorBoard event files into <experiment>/tensorboard/") { },
    ]);

    /// <summary>All sections, as they may appear in <c>defaults:</c> and in each experiment.</summary>
    public static readonly IReadOnlyList<SectionSpec> Sections = [Dataset, Model, Training, Monitoring];

    /// <summary>Keys of an experiment entry.</summary>
    public static readonly IReadOnlyList<string> ExperimentKeys = ["name", .. Sections.Select(s => s.Name), "grid", "seeds"];

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
            var kind = type == typeof(IReadOnlyDictionary<string, string>) ? FieldKind.Files
                : a.IsPath ? FieldKind.Path
                : a.IsNameList ? FieldKind.Names
                : a.Choices is not null ? FieldKind.Choice
                : type == typeof(int) || type == typeof(long) ? FieldKind.Integer
                : type == typeof(double) ? FieldKind.Number
                : type == typeof(bool) ? FieldKind.Boolean
                : type == typeof(string) ? FieldKind.Text
                : throw new InvalidOperationException($"{record.Name}.{k.Property.Name}: a config key cannot be of type {type.Name}");
            bool nullable = Nullable.GetUnderlyingType(k.Property.PropertyType) is not null;
            object? value = a.Required ? null : k.Property.GetValue(defaults);
            return new FieldSpec(k.Key, kind, value, a.Help)
            {
                Minimum = a.Minimum, ExclusiveMinimum = a.ExclusiveMinimum, Maximum = a.Maximum, Choices = a.Choices ?? [], Nullable = nullable, Required = a.Required,
            };
        }).ToList();

    /// <summary>
    /// Per model type, the fields with the defaults of the Models library's option records (<see cref="RecurrentOptions"/>,
    /// <see cref="TransformerOptions"/>) where a key is one of their parameters: one source for those defaults.
    /// </summary>
    static SectionSpec WithRecordDefaults(SectionSpec section)
    {
        static Dictionary<string, object?> Defaults(Type record) =>
            record.GetConstructors().Single().GetParameters().Where(p => p.HasDefaultValue)
                .ToDictionary(p => ConfigKeys.SnakeCase(p.Name!), p => p.DefaultValue is Enum e ? (object?)ConfigKeys.SnakeCase(e.ToString()) : p.DefaultValue);
        var recurrent = Defaults(typeof(RecurrentOptions));
        var transformer = Defaults(typeof(TransformerOptions));
        transformer.Remove("feed_forward_size"); // 0 there means 4 × model_size; YAML says null
        var byType = ModelTypes.ToDictionary(type => type, type =>
        {
            var defaults = type == "transformer" ? transformer : recurrent;
            return (IReadOnlyList<FieldSpec>)section.Fields.Where(f => f.Applies(type))
                .Select(f => defaults.TryGetValue(f.Key, out var value) ? f with { Default = value } : f).ToList();
        });
        return section with { ByType = byType };
    }

    /// <summary>Sections that may be written as a bare name (<c>model: lstm</c> means <c>model: {type: lstm}</c>).</summary>
    public static bool AcceptsShorthand(SectionSpec section) => section.Find("type") is not null;
}
