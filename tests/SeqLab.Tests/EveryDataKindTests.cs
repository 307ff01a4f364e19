using System.Text.Json;
using SeqLab.Experiments.Cli;
using SeqLab.Experiments.Config;

namespace SeqLab.Tests;

/// <summary>Each kind of data runs end to end from YAML: a few steps each, with the task's metrics and baseline in the summary.</summary>
public class EveryDataKindTests
{
    [Fact]
    public void Every_data_kind_runs_from_yaml_with_its_metrics_and_baseline()
    {
        string folder = NativeFiles.TemporaryFolder();
        File.Copy(TestPaths.Data("tinyshakespeare", "input.txt"), Path.Combine(folder, "shakespeare.txt"));
        File.Copy(TestPaths.Data("stocks_yahoo", "^GSPC.csv"), Path.Combine(folder, "gspc.csv"));
        File.Copy(TestPaths.Data("dna_uci_splice", "splice.data"), Path.Combine(folder, "splice.data"));
        string yaml = Path.Combine(folder, "every.yaml");
        File.WriteAllText(yaml, """
            batch: every
            defaults:
              training: {steps: 6, batch_size: 8, learning_rate: 0.01, seed: 2, threads: 1, eval_every: 3}
              monitoring: {log_every: 3}
              dataset: {validation_size: 16, test_size: 16}
            experiments:
              - name: adding-variable
                dataset: {type: adding, length: 20, min_length: 8}
                model: {type: rnn_relu, initialisation: identity, hidden_size: 8}
              - name: copy
                dataset: {type: copy_memory, length: 5}
                model: {type: lstm, hidden_size: 8, embedding_size: 4, forget_gate_bias: 1.0}
              - name: order
                dataset: {type: temporal_order, length: 20, min_length: 12}
                model: {type: transformer, model_size: 8, heads: 2, positional: learned, max_length: 32}
              - name: text
                dataset: {type: text, path: shakespeare.txt, tokenizer: char, context: 16}
                model: {type: transformer, model_size: 16, heads: 2, embedding_size: 16, tie_weights: true}
              - name: stocks
                dataset: {type: forecast, path: gspc.csv, feature_columns: [Close, Volume], window: 10, horizon: 2}
                model: {type: gru, hidden_size: 8, layer_norm: true}
              - name: splice
                dataset: {type: dna, path: splice.data, encoding: kmer, k: 2}
                model: {type: gru, hidden_size: 8, bidirectional: true, embedding_size: 4}
            """);
        var writer = new StringWriter();
        int exitCode = SeqLabCli.Invoke(["run", yaml, "--output", Path.Combine(folder, "runs")], writer);
        Assert.True(exitCode == 0, writer.ToString());

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "runs", "every", "summary.json")));
        var byName = summary.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        Assert.All(byName.Values, e => Assert.Equal("completed", e.GetProperty("status").GetString()));
        string[] Metrics(string name) => byName[name].GetProperty("test_metrics").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Contains("rmse", Metrics("adding-variable"));
        Assert.Contains("accuracy", Metrics("copy"));
        Assert.Contains("macro_f1", Metrics("order"));
        Assert.Contains("perplexity", Metrics("text"));
        Assert.Contains("mase", Metrics("stocks"));
        Assert.Contains("naive_mase", Metrics("stocks"));
        Assert.Contains("accuracy", Metrics("splice"));
        Assert.Equal(10 * Math.Log(8) / 25, byName["copy"].GetProperty("baseline_loss").GetDouble(), 9);
        Assert.Equal(Math.Log(4), byName["order"].GetProperty("baseline_loss").GetDouble(), 9);
        Assert.InRange(byName["text"].GetProperty("baseline_loss").GetDouble(), 2.5, 4.2); // unigram character entropy
        Assert.Equal("LanguageModel", byName["text"].GetProperty("task").GetString());

        // Classification runs also leave the test confusion matrix: every test sequence counted once.
        var confusion = File.ReadLines(Path.Combine(folder, "runs", "every", "splice", "confusion.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(9, confusion.Count); // 3 classes × 3
        var records = SeqLab.Data.Dna.DnaReaders.ReadUci(TestPaths.Data("dna_uci_splice", "splice.data"));
        var (_, _, testSplit) = SeqLab.Data.Dna.Stratified.Split(records, r => r.Label, 1 - 0.1 - 0.1, 0.1, seed: 2);
        Assert.Equal(testSplit.Count, confusion.Sum(c => long.Parse(c[2])));
        Assert.Equal(testSplit.Count(r => r.Label == "N"), confusion.Where(c => c[0] == "2").Sum(c => long.Parse(c[2])));
        Assert.False(File.Exists(Path.Combine(folder, "runs", "every", "stocks", "confusion.csv")));

        // Each resolved config.yaml validates again and lists only the keys of its own types.
        foreach (var name in byName.Keys)
        {
            string config = Path.Combine(folder, "runs", "every", name, "config.yaml");
            Assert.Single(ConfigLoader.Load(config).Experiments);
        }
        string stocksConfig = File.ReadAllText(Path.Combine(folder, "runs", "every", "stocks", "config.yaml"));
        Assert.Contains("window: 10", stocksConfig);
        Assert.DoesNotContain("tokenizer", stocksConfig);
    }

    [Fact]
    public void A_key_for_another_type_is_refused_with_the_types_it_applies_to()
    {
        var error = Assert.Single(Assert.Throws<ConfigException>(() => ConfigLoader.Parse(
            "experiments:\n  - name: a\n    model: {type: lstm, heads: 4}\n    dataset: {type: adding, window: 3}\n", "s.yaml")).Errors, e => e.Message.Contains("heads"));
        Assert.Equal((3, 25), (error.Line, error.Column));
        Assert.Contains("model.heads does not apply to model type 'lstm' (it applies to: transformer, transformer_seq2seq)", error.Message);
        var missingPath = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("experiments:\n  - {name: t, model: lstm, dataset: text}\n", "s.yaml"));
        Assert.Contains("missing required key 'dataset.path'", missingPath.Message);
        var noFile = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("experiments:\n  - {name: t, model: lstm, dataset: {type: text, path: nowhere.txt}}\n", "/tmp/s.yaml"));
        Assert.Contains("file not found: /tmp/nowhere.txt", noFile.Message);
    }
}

public class CompatibilityTests
{
    [Theory]
    [InlineData("{type: gru, bidirectional: true}", "{type: text, path: x.txt}", "language modelling needs model.bidirectional = false")]
    [InlineData("{type: transformer, model_size: 30, heads: 4}", "adding", "model.heads (4) must divide model.model_size (30)")]
    [InlineData("{type: lstm, tie_weights: true}", "adding", "needs a language model")]
    [InlineData("{type: lstm, hidden_size: 64, embedding_size: 32, tie_weights: true}", "{type: text, path: x.txt}", "model.tie_weights needs model.embedding_size (32) to equal the encoder width (64)")]
    public void Incompatible_combinations_are_refused_before_anything_runs(string model, string dataset, string reason)
    {
        string folder = NativeFiles.TemporaryFolder();
        File.WriteAllText(Path.Combine(folder, "x.txt"), string.Concat(Enumerable.Repeat("some text to model. ", 100)));
        string path = Path.Combine(folder, "study.yaml");
        File.WriteAllText(path, $"experiments:\n  - name: a\n    model: {model}\n    dataset: {dataset}\n");
        var error = Assert.Single(Assert.Throws<ConfigException>(() => ConfigLoader.Load(path)).Errors);
        Assert.Equal((2, 5), (error.Line, error.Column));
        Assert.Contains(reason, error.Message);
    }
}
