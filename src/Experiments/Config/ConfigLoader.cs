using System.Globalization;
using System.Text.RegularExpressions;
using SeqLab.Config;
using SeqLab.Training;
using SeqLab.Tasks;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SeqLab.Experiments.Config;

/// <summary>
/// Reads an experiments file into a <see cref="BatchConfig"/>, checking it against <see cref="Schema"/>: unknown keys,
/// wrong types, out-of-range values, unknown names and missing required keys are all reported with file, line and column,
/// and nothing is returned unless the whole file is valid.
/// </summary>
public static partial class ConfigLoader
{
    /// <summary>Loads and validates <paramref name="path"/>.</summary>
    /// <exception cref="ConfigException">The file is missing, unreadable or invalid; every problem is listed.</exception>
    public static BatchConfig Load(string path, IReadOnlyList<string>? overrides = null)
    {
        if (!File.Exists(path))
            throw new ConfigException([new ConfigError(path, 0, 0, "file not found")]);
        return Parse(File.ReadAllText(path), path, overrides);
    }

    /// <summary>
    /// Validates YAML <paramref name="text"/>; <paramref name="file"/> names it in messages and gives the default batch name.
    /// <paramref name="overrides"/> are command-line settings <c>section.key=value</c> (value in YAML) that win over everything in the file.
    /// </summary>
    /// <exception cref="ConfigException">The text is invalid; every problem is listed.</exception>
    public static BatchConfig Parse(string text, string file, IReadOnlyList<string>? overrides = null)
    {
        var binder = new Binder(file, overrides ?? []);
        var batch = binder.Bind(text);
        if (binder.Errors.Count > 0 || batch is null)
            throw new ConfigException(binder.Errors.DistinctBy(e => (e.Line, e.Column, e.Message)).OrderBy(e => e.Line).ThenBy(e => e.Column).ToList());
        return batch;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex SafeName();

    /// <summary>A key with the node that set it, so errors point at the right line even after merging defaults; <c>Own</c> when the experiment itself set it.</summary>
    sealed record Entry(YamlScalarNode Key, YamlNode Value, bool Own = false);

    static T Populate<T>(T record, Dictionary<string, object?> values, SectionSpec section, string? type) where T : notnull
    {
        foreach (var field in section.Fields.Where(f => f.Key != "type" && f.Applies(type)))
        {
            if (!values.TryGetValue(field.Key, out var value)) continue;
            var property = record.GetType().GetProperty(ConfigKeys.PropertyName(field.Key)) ?? throw new InvalidOperationException($"{record.GetType().Name} has no property for '{field.Key}'");
            var target = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            property.SetValue(record, value is null ? null
                : target == typeof(int) ? checked((int)(long)value)
                : target == typeof(IReadOnlyList<string>) ? NameList.Read((string)value)
                : target.IsInstanceOfType(value) ? value
                : Convert.ChangeType(value, target, CultureInfo.InvariantCulture));
        }
        return record;
    }

    sealed class Binder(string file, IReadOnlyList<string> commandLine)
    {
        public List<ConfigError> Errors { get; } = [];
        readonly Dictionary<YamlNode, string> commandLineNodes = [];

        void Error(YamlNode node, string message)
        {
            if (commandLineNodes.TryGetValue(node, out var setting)) Errors.Add(new ConfigError($"--set {setting}", 0, 0, message));
            else Errors.Add(new ConfigError(file, (int)node.Start.Line, (int)node.Start.Column, message));
        }

        /// <summary>section → key → entry, from <c>--set section.key=value</c>.</summary>
        Dictionary<string, Dictionary<string, Entry>> CommandLineOverrides()
        {
            var result = new Dictionary<string, Dictionary<string, Entry>>();
            foreach (var setting in commandLine)
            {
                int equals = setting.IndexOf('=');
                string path = equals < 0 ? setting : setting[..equals];
                var parts = path.Split('.');
                var section = parts.Length == 2 ? Schema.Sections.FirstOrDefault(x => x.Name == parts[0]) : null;
                if (equals < 0 || section?.Find(parts[1]) is null)
                {
                    string known = section is null ? $"sections: {string.Join(", ", Schema.Sections.Select(x => x.Name))}" : $"keys: {string.Join(", ", section.Fields.Select(f => f.Key))}";
                    Errors.Add(new ConfigError($"--set {setting}", 0, 0, $"expected section.key=value with a known key ({known}){(section is null ? "" : Suggest(parts[1], section.Fields.Select(f => f.Key)))}"));
                    continue;
                }
                var stream = new YamlStream();
                YamlNode value;
                try
                {
                    stream.Load(new StringReader(setting[(equals + 1)..]));
                    value = stream.Documents.Count > 0 ? stream.Documents[0].RootNode : new YamlScalarNode("");
                }
                catch (YamlException exception)
                {
                    Errors.Add(new ConfigError($"--set {setting}", 0, 0, $"the value is not valid YAML: {exception.Message}"));
                    continue;
                }
                var key = new YamlScalarNode(parts[1]);
                commandLineNodes[key] = setting;
                foreach (var node in value.AllNodes) commandLineNodes[node] = setting;
                if (!result.TryGetValue(parts[0], out var keys)) result[parts[0]] = keys = [];
                keys[parts[1]] = new Entry(key, value, Own: true);
            }
            return result;
        }

        /// <summary>
        /// The variants of one experiment entry: the cartesian product of its <c>grid:</c> values (keys <c>section.key</c>),
        /// times its <c>seeds:</c>; each with its overrides and its name parts.
        /// </summary>
        List<(Dictionary<string, Dictionary<string, Entry>> Overrides, List<(string Key, string Value)> Naming)> Variants(Dictionary<string, Entry> entries)
        {
            var axes = new List<(string Section, string Key, YamlScalarNode KeyNode, List<YamlNode> Values)>();
            if (entries.TryGetValue("grid", out var grid))
            {
                if (grid.Value is not YamlMappingNode gridMap)
                    Error(grid.Value, $"grid: expected a mapping of section.key to a list of values, found {Describe(grid.Value)}");
                else
                    foreach (var (keyNode, valuesNode) in gridMap.Children)
                    {
                        string keyText = (keyNode as YamlScalarNode)?.Value ?? "";
                        var parts = keyText.Split('.');
                        var section = parts.Length == 2 ? Schema.Sections.FirstOrDefault(x => x.Name == parts[0]) : null;
                        if (section?.Find(parts[1]) is null)
                        {
                            var all = Schema.Sections.SelectMany(x => x.Fields.Select(f => $"{x.Name}.{f.Key}")).ToList();
                            Error(keyNode, $"grid: unknown key '{keyText}'; expected section.key, e.g. training.learning_rate{Suggest(keyText, all)}");
                            continue;
                        }
                        var values = valuesNode is YamlSequenceNode sequence ? sequence.Children.ToList() : [valuesNode];
                        if (values.Count == 0) { Error(valuesNode, $"grid: '{keyText}' needs at least one value"); continue; }
                        axes.Add((parts[0], parts[1], (YamlScalarNode)keyNode, values));
                    }
            }
            if (entries.TryGetValue("seeds", out var seeds))
            {
                var values = seeds.Value is YamlSequenceNode sequence ? sequence.Children.ToList() : [seeds.Value];
                if (values.Count == 0) Error(seeds.Value, "seeds: expected a non-empty list of seeds");
                else axes.Add(("training", "seed", seeds.Key, values));
            }

            var variants = new List<(Dictionary<string, Dictionary<string, Entry>>, List<(string, string)>)> { ([], []) };
            foreach (var (section, key, keyNode, values) in axes)
                variants = variants.SelectMany(v => values.Select(value =>
                {
                    var overrides = v.Item1.ToDictionary(p => p.Key, p => new Dictionary<string, Entry>(p.Value));
                    if (!overrides.TryGetValue(section, out var keys)) overrides[section] = keys = [];
                    keys[key] = new Entry(keyNode, value, Own: true);
                    var naming = new List<(string, string)>(v.Item2) { ($"{section}.{key}", (value as YamlScalarNode)?.Value ?? "") };
                    return (overrides, naming);
                })).ToList();
            return variants;
        }

        /// <summary>
        /// The experiment's name for one variant: <c>{section.key}</c> (and <c>{seed}</c>) placeholders are filled in, and every
        /// swept key the template does not name is appended as <c>-key{value}</c> (<c>-seed{n}</c>), so names stay unique.
        /// </summary>
        static string VariantName(string template, List<(string Key, string Value)> naming)
        {
            static string Clean(string value) => new(value.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray());
            var suffix = new System.Text.StringBuilder();
            foreach (var (key, value) in naming)
            {
                bool seed = key == "training.seed";
                string placeholder = $"{{{key}}}";
                if (template.Contains(placeholder) || (seed && template.Contains("{seed}")))
                    template = template.Replace(placeholder, Clean(value)).Replace(seed ? "{seed}" : placeholder, Clean(value));
                else
                    suffix.Append(seed ? $"-seed{Clean(value)}" : $"-{key.Split('.')[1]}{Clean(value)}");
            }
            return template + suffix;
        }

        public BatchConfig? Bind(string text)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                Errors.Add(new ConfigError(file, 1, 1, "the file is empty; expected a mapping with an 'experiments:' list"));
                return null;
            }
            var stream = new YamlStream();
            try
            {
                stream.Load(new StringReader(text));
            }
            catch (YamlException exception)
            {
                string reason = exception.InnerException?.Message ?? exception.Message;
                Errors.Add(new ConfigError(file, Math.Max(1, (int)exception.Start.Line), Math.Max(1, (int)exception.Start.Column), $"YAML syntax error: {reason}"));
                return null;
            }
            catch (Exception exception) when (GaveUpWithoutPlace(exception))
            {
                // YamlDotNet gives up on some malformed input without a YamlException, so without a place: find where it stopped.
                var (line, column) = LastReadable(text);
                Errors.Add(new ConfigError(file, line, column,
                    "YAML syntax error after this point: the structure breaks here — look for an unclosed '[' or '{', a quote left open, a document marker ('---' or '...') inside a block, or a line indented wrongly"));
                return null;
            }
            if (stream.Documents.Count > 1)
            {
                // Whatever follows a '---' or '...' would be silently ignored: say so instead.
                Error(stream.Documents[1].RootNode, "a second YAML document (after '---' or '...'): an experiments file is one document; remove the marker or move this into the first");
                return null;
            }
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            {
                var node = stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null;
                if (node is null) Errors.Add(new ConfigError(file, 1, 1, "expected a mapping with an 'experiments:' list"));
                else Error(node, $"expected a mapping with an 'experiments:' list, found {Describe(node)}");
                return null;
            }

            var rootEntries = Entries(root, "the top level", Schema.RootKeys);
            string name = Path.GetFileNameWithoutExtension(file);
            if (rootEntries.TryGetValue("batch", out var batchEntry) && Scalar(batchEntry, "batch", "a batch name") is string batchName)
            {
                if (SafeName().IsMatch(batchName)) name = batchName;
                else Error(batchEntry.Value, $"batch: '{batchName}' is not a valid folder name; use letters, digits, '.', '_' and '-'");
            }

            var defaults = new Dictionary<string, Dictionary<string, Entry>>();
            if (rootEntries.TryGetValue("defaults", out var defaultsEntry))
            {
                if (defaultsEntry.Value is YamlMappingNode defaultsMap)
                    foreach (var (sectionName, sectionEntry) in Entries(defaultsMap, "defaults", Schema.Sections.Select(s => s.Name).ToList()))
                        defaults[sectionName] = SectionEntries(Schema.Sections.First(s => s.Name == sectionName), sectionEntry);
                else
                    Error(defaultsEntry.Value, $"defaults: expected a mapping of sections ({string.Join(", ", Schema.Sections.Select(s => s.Name))}), found {Describe(defaultsEntry.Value)}");
            }

            if (!rootEntries.TryGetValue("experiments", out var experimentsEntry))
            {
                Error(root, "missing required key 'experiments' (a list of experiments, each with name, model and dataset)");
                return null;
            }
            if (experimentsEntry.Value is not YamlSequenceNode list || list.Children.Count == 0)
            {
                Error(experimentsEntry.Value, $"experiments: expected a non-empty list of experiments, found {Describe(experimentsEntry.Value)}");
                return null;
            }

            var experiments = new List<ExperimentConfig>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            var commandLineOverrides = CommandLineOverrides();
            foreach (var item in list.Children)
            {
                if (item is not YamlMappingNode experimentNode)
                {
                    Error(item, $"experiments: each entry must be a mapping with name, model and dataset, found {Describe(item)}");
                    continue;
                }
                var entries = Entries(experimentNode, "experiment", Schema.ExperimentKeys);
                foreach (var (overrides, naming) in Variants(entries))
                {
                    foreach (var (section, keys) in commandLineOverrides)
                    {
                        if (!overrides.TryGetValue(section, out var target)) overrides[section] = target = [];
                        foreach (var (key, entry) in keys) target[key] = entry;
                    }
                    var experiment = BindExperiment(experimentNode, entries, defaults, overrides, naming);
                    if (experiment is null) continue;
                    if (!names.Add(experiment.Name))
                        Error(experimentNode, $"experiment name '{experiment.Name}' is used twice; names must be unique (they name the results folders)");
                    experiments.Add(experiment);
                }
            }
            return Errors.Count == 0 ? new BatchConfig(name, file, experiments) : null;
        }

        ExperimentConfig? BindExperiment(YamlMappingNode node, Dictionary<string, Entry> entries, Dictionary<string, Dictionary<string, Entry>> defaults,
            Dictionary<string, Dictionary<string, Entry>> overrides, List<(string Key, string Value)> naming)
        {
            int errorsBefore = Errors.Count; // earlier experiments' errors do not stop this one's checks: every error of the file is reported
            string? name = null;
            if (!entries.TryGetValue("name", out var nameEntry))
                Error(node, "experiment: missing required key 'name'");
            else if (Scalar(nameEntry, "name", "an experiment name") is string template)
            {
                string text = VariantName(template, naming);
                if (SafeName().IsMatch(text)) name = text;
                else Error(nameEntry.Value, $"name: '{text}' is not a valid folder name; use letters, digits, '.', '_' and '-'");
            }

            var values = new Dictionary<string, Dictionary<string, object?>>();
            sectionNodes.Clear();
            foreach (var section in Schema.Sections)
            {
                var merged = defaults.TryGetValue(section.Name, out var fromDefaults) ? new Dictionary<string, Entry>(fromDefaults) : [];
                if (entries.TryGetValue(section.Name, out var own))
                    foreach (var (key, entry) in SectionEntries(section, own))
                        merged[key] = entry with { Own = true };
                if (overrides.TryGetValue(section.Name, out var forced))
                    foreach (var (key, entry) in forced)
                        merged[key] = entry;
                values[section.Name] = BindSection(section, merged, node, name);
            }
            if (name is null || Errors.Count > errorsBefore) return null;

            var dataset = values["dataset"];
            var model = values["model"];
            var training = values["training"];
            var monitoring = values["monitoring"];
            string datasetType = (string)dataset["type"]!, modelType = (string)model["type"]!;
            var kind = DataKinds.Find(datasetType)!;
            var modelKind = ModelKinds.Find(modelType)!;
            var datasetConfig = Populate(kind.CreateConfig(), dataset, Schema.Dataset, datasetType);
            var modelConfig = Populate(modelKind.CreateConfig(), model, Schema.Model, modelType);
            int errors = Errors.Count;
            foreach (var problem in kind.CheckModel(datasetConfig, modelKind, modelConfig))
                Error(node, $"experiment '{name}': {problem}");
            var shape = kind.Describe(datasetConfig);
            if (modelKind.Problem(modelConfig, shape) is string invalid)
                Error(node, $"experiment '{name}': {invalid}");
            if (training["scheduled_sampling"] is double sampling && sampling > 0 && shape is not SequenceToSequenceShape)
                Error(sectionNodes.GetValueOrDefault(("training", "scheduled_sampling")) ?? node,
                    $"training.scheduled_sampling applies to sequence-to-sequence data (a decoder that reads its own predictions); dataset type '{datasetType}' is a {shape.Name} problem");
            // The data itself, as far as it can be checked without training (once per distinct dataset config).
            if (!dataChecks.TryGetValue(datasetConfig, out var problems))
                dataChecks[datasetConfig] = problems = kind.CheckData(datasetConfig).ToList();
            foreach (var problem in problems)
                Error(sectionNodes.GetValueOrDefault(("dataset", problem.Key)) ?? node, $"dataset.{problem.Key}: {problem.Message}");
            if (Errors.Count > errors) return null;
            return new ExperimentConfig(name, datasetConfig, modelConfig,
                Populate(new TrainingOptions(), training, Schema.Training, null), Populate(new MonitoringOptions(), monitoring, Schema.Monitoring, null));
        }

        readonly Dictionary<DatasetConfig, List<DataProblem>> dataChecks = [];

        /// <summary>Where each key of the experiment being bound was set (its value node), so data problems point at it.</summary>
        readonly Dictionary<(string Section, string Key), YamlNode> sectionNodes = [];

        /// <summary>Where a YAML parser stopped reading <paramref name="text"/>: the end of the last event it could read (1-based).</summary>
        static (int Line, int Column) LastReadable(string text)
        {
            var parser = new Parser(new StringReader(text));
            (int Line, int Column) last = (1, 1);
            try
            {
                while (parser.MoveNext())
                    if (parser.Current is { } parsed) last = (Math.Max(1, (int)parsed.End.Line), Math.Max(1, (int)parsed.End.Column));
            }
            catch (Exception exception) when (exception is YamlException || GaveUpWithoutPlace(exception))
            {
                // It stops where the loader stopped; the last good event is the place to look.
            }
            return last;
        }

        /// <summary>The exceptions YamlDotNet throws on malformed input instead of a <see cref="YamlException"/> (found by the config fuzz test).</summary>
        static bool GaveUpWithoutPlace(Exception exception) =>
            exception is InvalidOperationException or ArgumentException or FormatException or OverflowException or IndexOutOfRangeException;

        /// <summary>The names comma-separated, each checked against the field's choices where it has them (<c>all</c> and <c>none</c> alone).</summary>
        string? KnownNames(FieldSpec field, string path, IReadOnlyList<(string Name, YamlNode Node)> names)
        {
            var choices = field.Choices.ToList(); // once: a registry's names are read anew on every use
            if (choices.Count > 0)
            {
                if (names.FirstOrDefault(n => !choices.Contains(n.Name)) is ({ } name, { } node))
                {
                    Error(node, $"{path}: unknown name '{name}'; valid: {string.Join(", ", choices)}{Suggest(name, choices)}");
                    return null;
                }
                if (names.Count > 1 && names.FirstOrDefault(n => n.Name is "all" or "none") is ({ } alone, { } at))
                {
                    Error(at, $"{path}: '{alone}' stands alone, not in a list with other names");
                    return null;
                }
            }
            return string.Join(",", names.Select(n => n.Name));
        }

        /// <summary>The keys of one section block; a bare scalar is shorthand for <c>type</c>.</summary>
        Dictionary<string, Entry> SectionEntries(SectionSpec section, Entry block)
        {
            if (block.Value is YamlScalarNode && Schema.AcceptsShorthand(section))
                return new() { ["type"] = new Entry(block.Key, block.Value) };
            if (block.Value is not YamlMappingNode map)
            {
                string expected = Schema.AcceptsShorthand(section) ? $"a {section.Name} name or a mapping" : "a mapping";
                Error(block.Value, $"{section.Name}: expected {expected}, found {Describe(block.Value)}");
                return [];
            }
            return Entries(map, section.Name, section.Fields.Select(f => f.Key).ToList());
        }

        Dictionary<string, object?> BindSection(SectionSpec section, Dictionary<string, Entry> entries, YamlNode experimentNode, string? experimentName)
        {
            var values = new Dictionary<string, object?>();
            string? type = null;
            if (section.Find("type") is FieldSpec typeField && entries.TryGetValue("type", out var typeEntry))
                type = Convert(section, typeField, typeEntry) as string;
            foreach (var any in section.Fields)
            {
                var field = section.Find(any.Key, type)!; // the type's own spec: its default and help
                if (entries.TryGetValue(field.Key, out var entry))
                {
                    if (any.Applies(type))
                    {
                        values[field.Key] = field.Key == "type" ? type : Convert(section, field, entry);
                        sectionNodes[(section.Name, field.Key)] = entry.Value;
                    }
                    else if (entry.Own)
                        Error(entry.Key, $"{section.Name}.{field.Key} does not apply to {section.Name} type '{type}' (it applies to: {string.Join(", ", any.AppliesTo)})");
                }
                else if (field.Required && any.Applies(type))
                {
                    string where = experimentName is null ? "experiment" : $"experiment '{experimentName}'";
                    string choices = field.Choices.Count > 0 ? $"; one of: {string.Join(", ", field.Choices)}" : "";
                    Error(experimentNode, $"{where}: missing required key '{section.Name}.{field.Key}' ({field.Help}), in the experiment or in defaults{choices}");
                }
                else if (any.Applies(type))
                    values[field.Key] = field.Default is int i ? (long)i : field.Default;
            }
            return values;
        }

        object? Convert(SectionSpec section, FieldSpec field, Entry entry)
        {
            string path = $"{section.Name}.{field.Key}";
            string expected = field.Kind switch
            {
                FieldKind.Integer => "an integer",
                FieldKind.Number => "a number",
                FieldKind.Choice => $"one of: {string.Join(", ", field.Choices)}",
                FieldKind.Boolean => "true or false",
                FieldKind.Names => "a list of names",
                FieldKind.Path => "a file",
                _ => "a string",
            };
            if (field.Kind == FieldKind.Files)
            {
                if (entry.Value is not YamlMappingNode map || map.Children.Count == 0)
                {
                    Error(entry.Value, $"{path}: expected a mapping of labels to files, e.g. {{promoter: promoters.fa, other: others.fa}}, found {Describe(entry.Value)}");
                    return null;
                }
                var files = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (labelNode, fileNode) in map.Children)
                {
                    if (labelNode is not YamlScalarNode { Value: { Length: > 0 } label })
                    {
                        Error(labelNode, $"{path}: expected a label, found {Describe(labelNode)}");
                        continue;
                    }
                    if (fileNode is not YamlScalarNode { Value: { Length: > 0 } relative })
                    {
                        Error(fileNode, $"{path}.{label}: expected a file, found {Describe(fileNode)}");
                        continue;
                    }
                    string resolved = Resolve(relative);
                    if (File.Exists(resolved)) files[label] = resolved;
                    else Error(fileNode, $"{path}.{label}: file not found: {resolved}");
                }
                return files;
            }
            if (field.Kind == FieldKind.Names && entry.Value is YamlSequenceNode list)
            {
                var names = new List<(string, YamlNode)>();
                foreach (var item in list.Children)
                    if (item is YamlScalarNode { Value: { Length: > 0 } text1 }) names.Add((text1.Trim(), item));
                    else Error(item, $"{path}: expected a name, found {Describe(item)}");
                if (names.Count == 0) Error(entry.Value, $"{path}: expected at least one name");
                return KnownNames(field, path, names);
            }
            if (entry.Value is not YamlScalarNode scalar)
            {
                Error(entry.Value, $"{path}: expected {expected}, found {Describe(entry.Value)}");
                return null;
            }
            string text = scalar.Value ?? "";
            bool quoted = scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted;
            if (!quoted && text is "" or "~" or "null" or "Null" or "NULL")
            {
                if (!field.Nullable) Error(scalar, $"{path}: expected {expected}, found null");
                return null;
            }
            switch (field.Kind)
            {
                case FieldKind.Integer:
                    if (quoted || !long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long whole))
                    {
                        Error(scalar, $"{path}: expected an integer, found {(quoted ? "the string " : "")}'{text}'");
                        return null;
                    }
                    return InRange(field, path, scalar, whole) ? whole : null;
                case FieldKind.Number:
                    if (quoted || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double real) || !double.IsFinite(real))
                    {
                        Error(scalar, $"{path}: expected a number, found {(quoted ? "the string " : "")}'{text}'");
                        return null;
                    }
                    return InRange(field, path, scalar, real) ? real : null;
                case FieldKind.Boolean:
                    if (!quoted && text is "true" or "True" or "TRUE") return true;
                    if (!quoted && text is "false" or "False" or "FALSE") return false;
                    Error(scalar, $"{path}: expected true or false, found {(quoted ? "the string " : "")}'{text}'");
                    return null;
                case FieldKind.Names:
                    return KnownNames(field, path, [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(name => (name, (YamlNode)scalar))]);
                case FieldKind.Choice:
                    if (field.Choices.Contains(text)) return text;
                    Error(scalar, $"{path}: unknown {(field.Key == "type" ? field.Help : "value")} '{text}'; valid choices: {string.Join(", ", field.Choices)}{Suggest(text, field.Choices)}");
                    return null;
                case FieldKind.Path:
                    string file = Resolve(text);
                    if (File.Exists(file)) return file;
                    Error(scalar, $"{path}: file not found: {file}");
                    return null;
                default:
                    return text;
            }
        }

        /// <summary>A path from the file, relative to the experiments file's folder.</summary>
        string Resolve(string relative) => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".", relative));

        bool InRange(FieldSpec field, string path, YamlNode node, double value)
        {
            bool low = field.ExclusiveMinimum ? value > field.Minimum : value >= field.Minimum;
            if (low && value <= field.Maximum && (field.Kind != FieldKind.Integer || value <= int.MaxValue || field.Key == "seed")) return true;
            string bound = field.ExclusiveMinimum ? $"> {Format(field.Minimum)}" : $">= {Format(field.Minimum)}";
            string range = double.IsPositiveInfinity(field.Maximum) ? bound : $"{bound} and <= {Format(field.Maximum)}";
            Error(node, $"{path}: {Format(value)} is out of range; expected a value {range}");
            return false;
        }

        static string Format(double value) => value.ToString("G", CultureInfo.InvariantCulture);

        /// <summary>The keys of <paramref name="map"/>; any key outside <paramref name="allowed"/> is reported with the valid keys.</summary>
        Dictionary<string, Entry> Entries(YamlMappingNode map, string where, IReadOnlyList<string> allowed)
        {
            var result = new Dictionary<string, Entry>(StringComparer.Ordinal);
            var merges = new List<YamlNode>();
            foreach (var (keyNode, valueNode) in map.Children)
            {
                if (keyNode is not YamlScalarNode key || key.Value is null)
                {
                    Error(keyNode, $"{where}: keys must be plain names, found {Describe(keyNode)}");
                    continue;
                }
                if (key.Value == "<<")
                {
                    // YAML merge key: `<<: *anchor` (or a list of them) supplies keys this mapping does not set itself.
                    merges.AddRange(valueNode is YamlSequenceNode list ? list.Children : [valueNode]);
                    continue;
                }
                if (!allowed.Contains(key.Value))
                {
                    Error(key, $"{where}: unknown key '{key.Value}'; valid keys: {string.Join(", ", allowed)}{Suggest(key.Value, allowed)}");
                    continue;
                }
                result[key.Value] = new Entry(key, valueNode);
            }
            foreach (var merge in merges)
            {
                if (merge is not YamlMappingNode source)
                {
                    Error(merge, $"{where}: '<<' expects a mapping (e.g. *anchor), found {Describe(merge)}");
                    continue;
                }
                foreach (var (name, entry) in Entries(source, where, allowed))
                    result.TryAdd(name, entry);
            }
            return result;
        }

        string? Scalar(Entry entry, string key, string what)
        {
            if (entry.Value is YamlScalarNode { Value: { Length: > 0 } text }) return text;
            Error(entry.Value, $"{key}: expected {what}, found {Describe(entry.Value)}");
            return null;
        }

        static string Describe(YamlNode node) => node switch
        {
            YamlMappingNode => "a mapping",
            YamlSequenceNode => "a list",
            YamlScalarNode { Value: null or "" or "~" or "null" } => "nothing (null)",
            YamlScalarNode scalar => $"'{scalar.Value}'",
            _ => "an unsupported node",
        };
    }

    /// <summary>" (did you mean 'x'?)" for the closest name within a small edit distance, else "".</summary>
    internal static string Suggest(string given, IEnumerable<string> candidates) => NameSuggestion.For(given, candidates);
}
