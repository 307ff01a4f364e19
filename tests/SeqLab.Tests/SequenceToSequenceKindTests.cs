using System.Text.Json;
using SeqLab.Experiments.Cli;
using SeqLab.Experiments.Config;

namespace SeqLab.Tests;

/// <summary>The sequence-to-sequence kinds from YAML: translation on a TSV nobody shipped, dates, reverse and sort, with their metrics, files and errors.</summary>
public class SequenceToSequenceKindTests
{
    /// <summary>A small made-up phrasebook: numbers and colours, English → French, written for this test.</summary>
    static string Phrasebook()
    {
        string[] english = ["one", "two", "three", "four", "five", "six"], french = ["un", "deux", "trois", "quatre", "cinq", "six"];
        string[] colours = ["red", "blue", "green", "black"], couleurs = ["rouges", "bleus", "verts", "noirs"];
        var lines = new List<string>();
        for (int n = 1; n < english.Length; n++)
            for (int c = 0; c < colours.Length; c++)
            {
                lines.Add($"{english[n]} {colours[c]} cats\t{french[n]} chats {couleurs[c]}");
                lines.Add($"{english[n]} {colours[c]} dogs .\t{french[n]} chiens {couleurs[c]} .");
            }
        return string.Join("\n", lines) + "\n";
    }

    [Fact]
    public void A_translation_experiment_on_any_tsv_trains_from_yaml_and_reports_bleu_alignments_and_samples()
    {
        string folder = NativeFiles.TemporaryFolder();
        File.WriteAllText(Path.Combine(folder, "phrasebook.tsv"), Phrasebook());
        string yaml = Path.Combine(folder, "translate.yaml");
        File.WriteAllText(yaml, """
            batch: translate
            defaults:
              dataset: {type: translation, path: phrasebook.tsv, min_count: 1, validation_fraction: 0.15, test_fraction: 0.15, beam_width: 3, decode_validation: 8}
              training: {steps: 40, batch_size: 8, learning_rate: 0.01, seed: 3, threads: 1, eval_every: 20}
              monitoring: {log_every: 20, expensive_every: 20, monitor_batch_size: 4}
            experiments:
              - name: attention
                model: {type: rnn_seq2seq, cell: gru, attention: additive, hidden_size: 16, embedding_size: 8, bidirectional: true}
              - name: transformer
                model: {type: transformer_seq2seq, model_size: 16, heads: 2, encoder_layers: 1, decoder_layers: 1}
                training: {scheduled_sampling: 0.25}
            """);
        var writer = new StringWriter();
        Assert.True(SeqLabCli.Invoke(["run", yaml, "--output", Path.Combine(folder, "runs")], writer) == 0, writer.ToString());

        string batch = Path.Combine(folder, "runs", "translate");
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(batch, "summary.json")));
        foreach (var experiment in summary.RootElement.EnumerateArray())
        {
            string name = experiment.GetProperty("name").GetString()!;
            Assert.Equal("completed", experiment.GetProperty("status").GetString());
            Assert.Equal("SequenceToSequence", experiment.GetProperty("task").GetString());
            var metrics = experiment.GetProperty("test_metrics");
            foreach (var key in new[] { "bleu", "exact_match", "token_accuracy", "chrf", "bleu_greedy", "exact_match_greedy" })
                Assert.True(metrics.TryGetProperty(key, out var value) && value.GetDouble() >= 0, $"{name}: {key}");
            Assert.True(experiment.GetProperty("baseline_loss").GetDouble() > 0);
            string run = Path.Combine(batch, name);
            var alignments = File.ReadAllLines(Path.Combine(run, "attention_alignments.csv"));
            Assert.Equal("sentence,target_step,target_token,source_position,source_token,weight", alignments[0]);
            Assert.True(alignments.Length > 4);
            var translations = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "translations.json"))).RootElement;
            Assert.True(translations.GetArrayLength() > 0);
            foreach (var field in new[] { "source", "reference", "greedy", "beam", "beam_log_probability" })
                Assert.True(translations[0].TryGetProperty(field, out _), $"{name}: translations.json has {field}");
            Assert.True(File.Exists(Path.Combine(run, "length_buckets.csv")));
            Assert.True(File.Exists(Path.Combine(run, "cross_attention.csv")), $"{name}: the monitor's maps");
            Assert.True(File.ReadAllLines(Path.Combine(run, "grad_time.csv")).Length > 1, $"{name}: ‖∂L/∂x_s‖ over source positions");
            Assert.Contains("encoder 1", File.ReadAllText(Path.Combine(run, "grad_layers.csv")));
            Assert.Contains("decoder 1", File.ReadAllText(Path.Combine(run, "grad_layers.csv")));
            Assert.True(File.Exists(Path.Combine(run, "model.bin")));
        }
        // The recurrent model's twin traces its encoder: ‖∂L/∂h_t‖ over source positions.
        Assert.True(File.ReadAllLines(Path.Combine(batch, "attention", "grad_hidden.csv")).Length > 1);
        var reloaded = SeqLab.Models.ModelFile.LoadAny(Path.Combine(batch, "attention", "model.bin"));
        Assert.IsType<SeqLab.Models.SequenceToSequence.RecurrentEncoderDecoder>(reloaded);
    }

    [Theory]
    [InlineData("a line without a tab\n", 1, "found no tab")]
    [InlineData("hello\tbonjour\n\tempty source\n", 2, "field 'source'")]
    [InlineData("hello\tbonjour\nbye\t \n", 2, "field 'target'")]
    public void A_malformed_tsv_is_a_file_line_error_before_anything_runs(string content, int line, string expected)
    {
        string folder = NativeFiles.TemporaryFolder();
        File.WriteAllText(Path.Combine(folder, "bad.tsv"), content);
        File.WriteAllText(Path.Combine(folder, "e.yaml"), "experiments:\n  - name: t\n    model: rnn_seq2seq\n    dataset: {type: translation, path: bad.tsv}\n");
        var writer = new StringWriter();
        Assert.Equal(SeqLabCli.InvalidConfig, SeqLabCli.Invoke(["validate", Path.Combine(folder, "e.yaml")], writer));
        string output = writer.ToString();
        Assert.Contains($"bad.tsv:{line}:", output);
        Assert.Contains(expected, output);
        Assert.Contains("e.yaml:4:", output); // pointed at the dataset.path key
    }

    [Fact]
    public void Invalid_utf8_in_a_tsv_names_its_line()
    {
        string folder = NativeFiles.TemporaryFolder();
        File.WriteAllBytes(Path.Combine(folder, "bad.tsv"), [.. "one\tun\n"u8, .. "tw"u8, 0xC3, 0x28, .. "\tdeux\n"u8]);
        File.WriteAllText(Path.Combine(folder, "e.yaml"), "experiments:\n  - name: t\n    model: rnn_seq2seq\n    dataset: {type: translation, path: bad.tsv}\n");
        var writer = new StringWriter();
        Assert.Equal(SeqLabCli.InvalidConfig, SeqLabCli.Invoke(["validate", Path.Combine(folder, "e.yaml")], writer));
        Assert.Contains("bad.tsv:2: invalid UTF-8", writer.ToString());
    }

    [Fact]
    public void A_model_of_the_wrong_shape_or_a_decoding_key_elsewhere_is_refused_in_words()
    {
        var errors = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            experiments:
              - {name: a, model: lstm, dataset: {type: reverse, length: 5}}
              - {name: b, model: rnn_seq2seq, dataset: adding}
              - {name: c, model: gru, dataset: {type: adding, beam_width: 3}}
              - {name: d, model: gru, dataset: adding, training: {scheduled_sampling: 0.5}}
            """, "s.yaml")).Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.Contains("model type 'lstm' maps one sequence to one head") && e.Contains("SequenceToSequence"));
        Assert.Contains(errors, e => e.Contains("model type 'rnn_seq2seq' maps a source sequence to a target token sequence"));
        Assert.Contains(errors, e => e.Contains("dataset.beam_width does not apply to dataset type 'adding'"));
        Assert.Contains(errors, e => e.Contains("training.scheduled_sampling applies to sequence-to-sequence data"));
    }

    [Fact]
    public void Dates_are_held_out_by_source_and_every_target_is_an_iso_date()
    {
        var kind = new DatesTask();
        using var data = kind.Build(new DatesConfig { TrainSize = 500, ValidationSize = 50, TestSize = 100, Languages = "fr-FR,de-DE" }, 16, seed: 4);
        var shape = Assert.IsType<SequenceToSequenceShape>(data.Shape);
        Assert.True(shape.TargetVocabulary <= 4 + 11); // digits, '-', and the reserved four
        Assert.Equal(100, data.Test.Size);
        Assert.Equal(11, data.Test.TargetLength); // yyyy-MM-dd and the end token
        var (source, target) = data.Vocabularies!.Value;
        static IEnumerable<long[]> Rows(TorchSharp.torch.Tensor tokens) =>
            Enumerable.Range(0, (int)tokens.shape[0]).Select(i => tokens[i].data<long>().ToArray());
        // One pass over the training pairs (500 of 16 a step) holds every training source.
        var training = new HashSet<string>();
        for (int step = 1; step <= 32; step++)
        {
            using var batch = data.SampleBatch(null!, step);
            Assert.Equal(SeqLab.Data.Batches.TargetLayout.Sequence, batch.Layout);
            foreach (var row in Rows(batch.Inputs)) training.Add(source.Decode(row));
        }
        Assert.True(training.Count >= 490, $"{training.Count} distinct training sources"); // a date drawn twice in one format is one source
        var testSources = Rows(data.Test.Inputs).Select(source.Decode).ToList();
        Assert.DoesNotContain(testSources, training.Contains); // held out by source
        foreach (var row in Rows(data.Test.Targets))
        {
            string iso = target.Decode(row);
            Assert.True(DateOnly.TryParseExact(iso, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _), iso);
        }
    }

    [Theory]
    [InlineData("reverse")]
    [InlineData("sort")]
    public void Reverse_and_sort_targets_are_what_they_say(string type)
    {
        IDataKind kind = DataKinds.Find(type)!;
        var config = type == "reverse" ? (DatasetConfig)new ReverseConfig { Length = 4, Symbols = 4 } : new SortConfig { Length = 4, Symbols = 4 };
        using var data = kind.Build(config, 8, seed: 1);
        using var generator = new TorchSharp.torch.Generator(2);
        using var batch = data.SampleBatch(generator, 1);
        var sources = batch.Inputs.data<long>().ToArray();
        var targets = batch.Targets.data<long>().ToArray();
        for (int row = 0; row < 8; row++)
        {
            var source = sources.Skip(row * 4).Take(4).ToArray();
            var target = targets.Skip(row * 5).Take(4).ToArray(); // then the end token
            Assert.Equal(type == "reverse" ? source.Reverse() : source.Order(), target);
            Assert.Equal(SeqLab.Data.Text.TokenVocabulary.End, targets[row * 5 + 4]);
        }
    }
}
