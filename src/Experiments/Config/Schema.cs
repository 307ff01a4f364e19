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
}

/// <summary>One key of a section: its type, default, allowed range or names, and a line of help.</summary>
public sealed record FieldSpec(string Key, FieldKind Kind, object? Default, string Help)
{
    /// <summary>Smallest allowed value (numbers).</summary>
    public double Minimum { get; init; } = double.NegativeInfinity;
    /// <summary>When true the value must be strictly greater than <see cref="Minimum"/>.</summary>
    public bool ExclusiveMinimum { get; init; }
    /// <summary>Largest allowed value (numbers).</summary>
    public double Maximum { get; init; } = double.PositiveInfinity;
    /// <summary>Allowed names (<see cref="FieldKind.Choice"/>).</summary>
    public IReadOnlyList<string> Choices { get; init; } = [];
    /// <summary>Whether <c>null</c> (or <c>~</c>) is accepted, meaning "off".</summary>
    public bool Nullable { get; init; }
    /// <summary>Whether the key must be given (in the experiment or in <c>defaults</c>).</summary>
    public bool Required { get; init; }
}

/// <summary>A named block of keys (<c>dataset</c>, <c>model</c>, <c>training</c>, <c>monitoring</c>).</summary>
public sealed record SectionSpec(string Name, IReadOnlyList<FieldSpec> Fields)
{
    /// <summary>The field named <paramref name="key"/>, or null.</summary>
    public FieldSpec? Find(string key) => Fields.FirstOrDefault(f => f.Key == key);
}

/// <summary>The typed schema of <c>experiments.yaml</c>: every key, its type, range and default.</summary>
public static class Schema
{
    /// <summary>Model names a <c>model.type</c> may take.</summary>
    public static readonly IReadOnlyList<string> ModelTypes = ["rnn", "rnn_relu", "lstm", "gru"];

    /// <summary>Data set names a <c>dataset.type</c> may take.</summary>
    public static readonly IReadOnlyList<string> DatasetTypes = ["adding"];

    /// <summary>Optimiser names.</summary>
    public static readonly IReadOnlyList<string> Optimizers = ["adam"];

    /// <summary><c>dataset:</c> keys.</summary>
    public static readonly SectionSpec Dataset = new("dataset",
    [
        new("type", FieldKind.Choice, null, "data set") { Choices = DatasetTypes, Required = true },
        new("length", FieldKind.Integer, 50, "sequence length T") { Minimum = 2, Maximum = 100_000 },
        new("validation_size", FieldKind.Integer, 1000, "sequences in the fixed validation set") { Minimum = 1 },
        new("test_size", FieldKind.Integer, 2000, "sequences in the fixed test set") { Minimum = 1 },
    ]);

    /// <summary><c>model:</c> keys.</summary>
    public static readonly SectionSpec Model = new("model",
    [
        new("type", FieldKind.Choice, null, "model architecture") { Choices = ModelTypes, Required = true },
        new("hidden_size", FieldKind.Integer, 64, "units per layer") { Minimum = 1, Maximum = 65_536 },
        new("layers", FieldKind.Integer, 1, "stacked recurrent layers") { Minimum = 1, Maximum = 64 },
    ]);

    /// <summary><c>training:</c> keys.</summary>
    public static readonly SectionSpec Training = new("training",
    [
        new("steps", FieldKind.Integer, 1000, "optimiser steps") { Minimum = 1 },
        new("batch_size", FieldKind.Integer, 64, "sequences per step") { Minimum = 1 },
        new("learning_rate", FieldKind.Number, 1e-3, "optimiser step size") { Minimum = 0, ExclusiveMinimum = true },
        new("optimizer", FieldKind.Choice, "adam", "optimiser") { Choices = Optimizers },
        new("clip_grad_norm", FieldKind.Number, null, "rescale gradients whose global L2 norm exceeds this; null = off") { Minimum = 0, ExclusiveMinimum = true, Nullable = true },
        new("seed", FieldKind.Integer, 0, "fixes initialisation, data order and evaluation sets") { Minimum = 0 },
        new("threads", FieldKind.Integer, 2, "LibTorch intra-op threads") { Minimum = 1, Maximum = 1024 },
        new("eval_every", FieldKind.Integer, 100, "validate every N steps") { Minimum = 1 },
    ]);

    /// <summary><c>monitoring:</c> keys.</summary>
    public static readonly SectionSpec Monitoring = new("monitoring",
    [
        new("log_every", FieldKind.Integer, 50, "record per-parameter and per-time-step gradient norms every N steps") { Minimum = 1 },
    ]);

    /// <summary>All sections, as they may appear in <c>defaults:</c> and in each experiment.</summary>
    public static readonly IReadOnlyList<SectionSpec> Sections = [Dataset, Model, Training, Monitoring];

    /// <summary>Keys of an experiment entry.</summary>
    public static readonly IReadOnlyList<string> ExperimentKeys = ["name", .. Sections.Select(s => s.Name)];

    /// <summary>Keys at the top of the file.</summary>
    public static readonly IReadOnlyList<string> RootKeys = ["batch", "defaults", "experiments"];

    /// <summary>Sections that may be written as a bare name (<c>model: lstm</c> means <c>model: {type: lstm}</c>).</summary>
    public static bool AcceptsShorthand(SectionSpec section) => section.Find("type") is not null;
}
