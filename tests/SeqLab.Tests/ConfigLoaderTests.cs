using SeqLab.Experiments.Config;

namespace SeqLab.Tests;

public class ConfigLoaderTests
{
    static string TestData(string name) => TestPaths.TestData(name);

    static ConfigError SingleError(string yaml)
    {
        var exception = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, "study.yaml"));
        return Assert.Single(exception.Errors);
    }

    [Fact]
    public void Defaults_merge_into_each_experiment_and_shorthand_names_the_type()
    {
        var batch = ConfigLoader.Load(TestData("tiny.yaml"));
        Assert.Equal("tiny", batch.Name);
        Assert.Equal(["rnn-tanh", "lstm"], batch.Experiments.Select(e => e.Name));
        var rnn = batch.Experiments[0];
        var lstm = batch.Experiments[1];
        Assert.Equal(new AddingConfig { Length = 12, ValidationSize = 64, TestSize = 64 }, rnn.Dataset);
        Assert.Equal(new RnnConfig { HiddenSize = 8 }, rnn.Model);
        Assert.Equal(new LstmConfig { HiddenSize = 12 }, lstm.Model);
        Assert.Equal(1.0, rnn.Training.ClipGradNorm);
        Assert.Null(lstm.Training.ClipGradNorm);
        Assert.Equal(30, lstm.Training.Steps);
        Assert.Equal(3, lstm.Training.Seed);
        Assert.Equal(10, lstm.Monitoring.LogEvery);
    }

    [Fact]
    public void Unset_keys_take_the_schema_defaults_and_the_batch_is_named_after_the_file()
    {
        var batch = ConfigLoader.Parse("experiments:\n  - name: a\n    model: gru\n    dataset: adding\n", "/tmp/my-study.yaml");
        Assert.Equal("my-study", batch.Name);
        var e = Assert.Single(batch.Experiments);
        Assert.Equal(new AddingConfig(), e.Dataset);
        Assert.Equal(new GruConfig(), e.Model);
        Assert.Equal(1000, e.Training.Steps);
        Assert.Null(e.Training.ClipGradNorm);
    }

    [Fact]
    public void Unknown_key_names_line_column_valid_keys_and_a_suggestion()
    {
        var error = Assert.Single(Assert.Throws<ConfigException>(() => ConfigLoader.Load(TestData("unknown-key.yaml"))).Errors);
        Assert.Equal((5, 5), (error.Line, error.Column));
        Assert.EndsWith("unknown-key.yaml", error.File);
        Assert.Contains("unknown key 'lerning_rate'", error.Message);
        Assert.Contains("did you mean 'learning_rate'?", error.Message);
        Assert.Contains("valid keys: steps, batch_size, learning_rate", error.Message);
    }

    [Fact]
    public void Wrong_type_names_the_field_and_what_was_expected()
    {
        var error = Assert.Single(Assert.Throws<ConfigException>(() => ConfigLoader.Load(TestData("wrong-type.yaml"))).Errors);
        Assert.Equal((7, 19), (error.Line, error.Column));
        Assert.Equal("training.batch_size: expected an integer, found 'sixty-four'", error.Message);
    }

    [Fact]
    public void Unknown_model_lists_the_valid_models()
    {
        var error = Assert.Single(Assert.Throws<ConfigException>(() => ConfigLoader.Load(TestData("unknown-model.yaml"))).Errors);
        Assert.Equal((10, 13), (error.Line, error.Column));
        Assert.Contains("unknown model architecture 'lstn'", error.Message);
        Assert.Contains("valid choices: rnn, rnn_relu, lstm, gru, transformer", error.Message);
        Assert.Contains("did you mean 'lstm'?", error.Message);
    }

    [Theory]
    [InlineData("experiments:\n  - name: a\n    model: rnn\n", 2, 5, "missing required key 'dataset.type'")]
    [InlineData("experiments:\n  - model: rnn\n    dataset: adding\n", 2, 5, "missing required key 'name'")]
    [InlineData("", 1, 1, "the file is empty")]
    [InlineData("experiments: [\n", 2, 1, "YAML syntax error")]
    [InlineData("defaults:\n  model: rnn\n", 1, 1, "missing required key 'experiments'")]
    [InlineData("experiments: []\n", 1, 14, "expected a non-empty list")]
    [InlineData("experiments:\n  - name: a\n    model: rnn\n    dataset: adding\n    training: {learning_rate: 0}\n", 5, 31, "training.learning_rate: 0 is out of range; expected a value > 0")]
    [InlineData("experiments:\n  - name: a\n    model: rnn\n    dataset: adding\n    training: {steps: \"10\"}\n", 5, 23, "expected an integer, found the string '10'")]
    [InlineData("experiments:\n  - name: a\n    model: rnn\n    dataset: {type: adding, length: 0}\n", 4, 37, "dataset.length: 0 is out of range; expected a value >= 1 and <= 100000")]
    [InlineData("experiments:\n  - name: a b\n    model: rnn\n    dataset: adding\n", 2, 11, "not a valid folder name")]
    [InlineData("experiments:\n  - name: a\n    model: [rnn]\n    dataset: adding\n", 3, 12, "model: expected a model name or a mapping, found a list")]
    [InlineData("experiments:\n  - name: a\n    model: rnn\n    dataset: adding\n  - name: a\n    model: lstm\n    dataset: adding\n", 5, 5, "used twice")]
    [InlineData("experiments:\n  - name: a\n    model: rnn\n    dataset: adding\n    training: {steps: 10\n    monitoring: {log_every: 5}\n", 5, 21, "YAML syntax error after this point: the structure breaks here — look for an unclosed '[' or '{'")]
    [InlineData("experiments:\n  - name: a\n    model: rnn\n    dataset: adding\n...\n    training: {steps: 10}\n", 6, 5, "a second YAML document (after '---' or '...')")]
    [InlineData("experiment:\n  - name: a\n", 1, 1, "unknown key 'experiment'; valid keys: batch, shared, defaults, experiments (did you mean 'experiments'?)")]
    public void Each_kind_of_mistake_is_reported_with_its_place(string yaml, int line, int column, string fragment)
    {
        var exception = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, "study.yaml"));
        Assert.Contains(exception.Errors, e => e.Line == line && e.Column == column && e.Message.Contains(fragment));
        Assert.All(exception.Errors, e => Assert.Equal("study.yaml", e.File));
    }

    [Fact]
    public void Monitors_are_all_by_default_none_or_a_list_of_registered_names()
    {
        IReadOnlyList<string>? Monitors(string setting) => Assert.Single(ConfigLoader.Parse(
            $"experiments:\n  - name: a\n    model: rnn\n    dataset: adding\n{setting}", "study.yaml").Experiments).Monitoring.Monitors;
        Assert.Null(Monitors(""));
        Assert.Null(Monitors("    monitoring: {monitors: all}\n"));
        Assert.Equal([], Monitors("    monitoring: {monitors: none}\n"));
        Assert.Equal(["spectrum", "time_gradients"], Monitors("    monitoring: {monitors: [spectrum, time_gradients]}\n"));
        Assert.Equal(["spectrum", "attention"], Monitors("    monitoring: {monitors: 'spectrum, attention'}\n"));

        var unknown = SingleError("experiments:\n  - name: a\n    model: rnn\n    dataset: adding\n    monitoring: {monitors: [spectrum, spectra]}\n");
        Assert.Equal((5, 39), (unknown.Line, unknown.Column)); // at the name itself
        Assert.StartsWith("monitoring.monitors: unknown name 'spectra'; valid: all, none, time_gradients, hidden_states, parameter_gradients, spectrum, attention, cross_attention, activations", unknown.Message);
        var mixed = SingleError("experiments:\n  - name: a\n    model: rnn\n    dataset: adding\n    monitoring: {monitors: [none, spectrum]}\n");
        Assert.Equal("monitoring.monitors: 'none' stands alone, not in a list with other names", mixed.Message);
    }

    [Fact]
    public void A_shared_block_is_reused_through_anchors_and_merge_keys()
    {
        var batch = ConfigLoader.Parse("""
            shared:
              small: &small {type: lstm, hidden_size: 8}
            experiments:
              - {name: a, model: *small, dataset: adding}
              - name: b
                dataset: adding
                model:
                  <<: *small
                  hidden_size: 16
            """, "shared.yaml");
        Assert.Equal([("lstm", 8), ("lstm", 16)], batch.Experiments.Select(e => (e.Model.Type, ((RecurrentModelConfig)e.Model).HiddenSize)));
        var error = Assert.Single(Assert.Throws<ConfigException>(() => ConfigLoader.Parse(
            "shared:\n  bad: &bad {type: lstm, hiden_size: 8}\nexperiments:\n  - {name: a, dataset: adding, model: {<<: *bad}}\n", "s.yaml")).Errors);
        Assert.Contains("unknown key 'hiden_size'", error.Message);
        Assert.Equal(2, error.Line); // reported where the shared block says it
    }

    [Fact]
    public void A_mistake_in_defaults_is_reported_once_however_many_experiments_use_it()
    {
        var error = SingleError("defaults:\n  training: {steps: many}\nexperiments:\n  - {name: a, model: rnn, dataset: adding}\n  - {name: b, model: lstm, dataset: adding}\n");
        Assert.Equal((2, 21), (error.Line, error.Column));
    }

    [Fact]
    public void Every_problem_in_a_file_is_listed_in_file_order()
    {
        var exception = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(
            "experiments:\n  - name: a\n    model: rnnn\n    dataset: adding\n    training: {steps: -1, colour: red}\n", "study.yaml"));
        Assert.Equal([3, 5, 5], exception.Errors.Select(e => e.Line));
        Assert.Equal("study.yaml:3:12: model.type: unknown model architecture 'rnnn'; valid choices: rnn, rnn_relu, lstm, gru, transformer, rnn_seq2seq, transformer_seq2seq (did you mean 'rnn'?)",
            exception.Errors[0].ToString());
    }

    [Fact]
    public void The_main_experiments_file_is_valid()
    {
        string root = TestPaths.Root;
        var batch = ConfigLoader.Load(Path.Combine(root, "experiments.yaml"));
        Assert.Contains(batch.Experiments, e => e.Model.Type == "rnn");
        Assert.Contains(batch.Experiments, e => e.Model.Type == "lstm");
    }
}

public class SchemaDocumentationTests
{
    /// <summary>
    /// The dataset, kind and model tables of docs/experiments.md are the schema's — read from the kinds' config records and
    /// the Models option records. Run with SEQLAB_UPDATE_DOCS=1 to rewrite them after changing a record.
    /// </summary>
    [Fact]
    public void The_key_tables_of_the_reference_are_generated_from_the_records()
    {
        string path = Path.Combine(TestPaths.Root, "docs", "experiments.md");
        string doc = File.ReadAllText(path);
        string generated = SchemaDocs.Update(doc);
        if (Environment.GetEnvironmentVariable("SEQLAB_UPDATE_DOCS") == "1") File.WriteAllText(path, generated);
        Assert.Equal(4, System.Text.RegularExpressions.Regex.Matches(doc, "<!-- schema:").Count);
        Assert.Equal(generated, doc);
        Assert.Contains("| `files` | mapping of label to file | required | `fasta` |", doc);
        Assert.Contains("| `layers` | integer 1…64 | 1 (rnn, rnn_relu, lstm, gru, rnn_seq2seq); 2 (transformer) |", doc); // the option records' defaults
    }

    [Fact]
    public void Every_schema_key_and_choice_is_documented()
    {
        string root = TestPaths.Root;
        string doc = File.ReadAllText(Path.Combine(root, "docs", "experiments.md"));
        foreach (var section in Schema.Sections)
        {
            Assert.Contains($"## `{section.Name}`", doc);
            foreach (var field in section.Fields)
            {
                Assert.Contains($"| `{field.Key}` |", doc);
                foreach (var choice in field.Choices) Assert.Contains($"`{choice}`", doc);
            }
        }
        foreach (var key in Schema.RootKeys) Assert.Contains($"| `{key}` |", doc);
    }
}

public class StudyFileTests
{
    public static TheoryData<string> Studies() =>
        new(Directory.GetFiles(Path.Combine(TestPaths.Root, "studies"), "*.yaml").Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(Studies))]
    public void Every_study_file_validates(string study)
    {
        var batch = ConfigLoader.Load(Path.Combine(TestPaths.Root, "studies", study));
        Assert.NotEmpty(batch.Experiments);
        Assert.All(batch.Experiments.Select(e => e.Dataset).OfType<FileConfig>(), d => Assert.True(File.Exists(d.Path), d.Path));
    }
}
