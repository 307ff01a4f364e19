using System.Text.Json;
using SeqLab.Data.Dna;
using SeqLab.Experiments.Cli;
using SeqLab.Experiments.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Tests;

/// <summary>Data kinds as plug-ins: the FASTA kind end to end, and the data checks <c>seqlab validate</c> makes before anything trains.</summary>
public class DataKindTests
{
    static (int ExitCode, string Output) Seqlab(params string[] args)
    {
        var writer = new StringWriter();
        int exitCode = SeqLabCli.Invoke(args, writer);
        return (exitCode, writer.ToString());
    }

    [Fact]
    public void Fasta_files_one_per_class_train_from_yaml_beside_the_class_priors()
    {
        string folder = NativeFiles.TemporaryFolder();
        string yaml = Path.Combine(folder, "promoters.yaml");
        File.WriteAllText(yaml, $$"""
            batch: promoters
            experiments:
              - name: ecoli-gru
                dataset:
                  type: fasta
                  files: {promoter: "{{TestPaths.Data("dna_ecoli_promoters_fasta", "Ecoli_prom.fa")}}", non_promoter: "{{TestPaths.Data("dna_ecoli_promoters_fasta", "Ecoli_non_prom.fa")}}"}
                  reverse_complement: true
                model: {type: gru, hidden_size: 16}
                training: {steps: 200, batch_size: 32, learning_rate: 0.01, clip_grad_norm: 1.0, seed: 4, threads: 1, eval_every: 100}
                monitoring: {log_every: 50, expensive_every: 100}
            """);
        var (exitCode, output) = Seqlab("run", yaml, "--output", Path.Combine(folder, "runs"));
        Assert.True(exitCode == 0, output);
        string experiment = Path.Combine(folder, "runs", "promoters", "ecoli-gru");
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(experiment, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal("completed", root.GetProperty("status").GetString());
        Assert.Equal("fasta", root.GetProperty("dataset").GetString());
        // 839 promoters and 3,000 non-promoters: the priors' cross-entropy on the stratified test split.
        double prior = 839.0 / 3839, entropy = -(prior * Math.Log(prior) + (1 - prior) * Math.Log(1 - prior));
        Assert.Equal(entropy, root.GetProperty("baseline_loss").GetDouble(), 2);
        Assert.Contains("non_promoter 78 %", root.GetProperty("baseline_name").GetString());
        double accuracy = root.GetProperty("test_metrics").GetProperty("accuracy").GetDouble();
        Assert.True(root.GetProperty("test_loss").GetDouble() < entropy, $"the GRU beats the class priors (test loss {root.GetProperty("test_loss")} vs {entropy:F3})");
        Assert.True(accuracy > 0.8, $"accuracy {accuracy:F3} above the 78 % of always saying non-promoter");
        var confusion = File.ReadLines(Path.Combine(experiment, "confusion.csv")).Skip(1).Select(l => long.Parse(l.Split(',')[2])).Sum();
        Assert.Equal(384, confusion); // the stratified test split: 10 % of each class, every test sequence counted once
        // config.yaml keeps the files mapping and runs again.
        var again = Assert.Single(ConfigLoader.Load(Path.Combine(experiment, "config.yaml")).Experiments);
        Assert.Equal(ConfigLoader.Load(yaml).Experiments[0], again);
    }

    [Fact]
    public void Fasta_batches_pad_variable_lengths_and_reverse_complement_half_of_them()
    {
        string folder = NativeFiles.TemporaryFolder();
        File.WriteAllText(Path.Combine(folder, "a.fa"), string.Concat(Enumerable.Range(0, 40).Select(i => $">a{i}\n{new string('A', 5 + i % 7)}CG\n")));
        File.WriteAllText(Path.Combine(folder, "b.fa"), string.Concat(Enumerable.Range(0, 40).Select(i => $">b{i}\nacgt\nAC{new string('T', i % 5)}\n")));
        var kind = new FastaTask();
        var config = new FastaConfig { Files = new Dictionary<string, string> { ["a"] = Path.Combine(folder, "a.fa"), ["b"] = Path.Combine(folder, "b.fa") }, ReverseComplement = true };
        Assert.Empty(kind.CheckData(config));
        using var data = kind.Build(config, 64, seed: 3);
        Assert.Equal(2, ((SingleSequenceShape)data.Shape).Outputs);
        Assert.NotNull(data.Test.Lengths); // variable lengths: padded, with their lengths
        using var generator = new Generator(9);
        using var batch = data.SampleBatch(generator, 1);
        var lengths = batch.Lengths!.data<long>().ToArray();
        var inputs = batch.Inputs;          // [64, longest, 4] one-hot, zero where padded
        var labels = batch.Targets.data<long>().ToArray();
        int flipped = 0;
        for (int i = 0; i < 64; i++)
        {
            Assert.Equal(0f, inputs[i].narrow(0, lengths[i], inputs.shape[1] - lengths[i]).abs().sum().item<float>());
            // Class a sequences are A…ACG: read from the other strand they start with C (CGT…T).
            var first = inputs[i][0].argmax().item<long>();
            if (labels[i] == 0) flipped += first == 1 ? 1 : 0; // one-hot order A, C, G, T
        }
        int classA = labels.Count(l => l == 0);
        Assert.InRange(flipped, classA / 5, classA - classA / 5); // about half, drawn from the data generator
        using var again = new Generator(9);
        using var same = data.SampleBatch(again, 1);
        Assert.True(same.Inputs.eq(batch.Inputs).all().item<bool>(), "the same generator state draws the same batch and flips");
    }

    [Fact]
    public void Broken_fasta_files_are_refused_at_validation_with_their_file_and_line()
    {
        string folder = NativeFiles.TemporaryFolder();
        File.WriteAllText(Path.Combine(folder, "good.fa"), ">g1\nACGT\n>g2\nACGA\n");
        File.WriteAllText(Path.Combine(folder, "headless.fa"), "ACGT\n>h1\nACGT\n");
        File.WriteAllText(Path.Combine(folder, "empty-record.fa"), ">e1\nACGT\n>e2\n>e3\nACGT\n");
        File.WriteAllText(Path.Combine(folder, "symbol.fa"), ">s1\nACGT\nACJT\n");
        string yaml = Path.Combine(folder, "broken.yaml");
        File.WriteAllText(yaml, """
            defaults:
              model: gru
            experiments:
              - name: headless
                dataset: {type: fasta, files: {yes: good.fa, no: headless.fa}}
              - name: empty-record
                dataset: {type: fasta, files: {yes: good.fa, no: empty-record.fa}}
              - name: symbol
                dataset: {type: fasta, files: {yes: good.fa, no: symbol.fa}}
              - name: missing
                dataset: {type: fasta, files: {yes: good.fa, no: nowhere.fa}}
            """);
        var (exitCode, output) = Seqlab("validate", yaml);
        Assert.Equal(2, exitCode);
        Assert.Contains($"broken.yaml:5:35: dataset.files: no: {Path.Combine(folder, "headless.fa")}:1: sequence data before the first '>' header line", output);
        Assert.Contains($"broken.yaml:7:35: dataset.files: no: {Path.Combine(folder, "empty-record.fa")}:3: record 'e2' has no sequence", output);
        Assert.Contains($"broken.yaml:9:35: dataset.files: no: {Path.Combine(folder, "symbol.fa")}:3: field 'sequence': column 3: 'J' is not a nucleotide", output);
        Assert.Contains($"broken.yaml:11:54: dataset.files.no: file not found: {Path.Combine(folder, "nowhere.fa")}", output);
        Assert.Contains("4 error(s); nothing was run.", output);
        var (runExit, _) = Seqlab("run", yaml, "--output", Path.Combine(folder, "runs"));
        Assert.Equal(2, runExit);
        Assert.False(Directory.Exists(Path.Combine(folder, "runs")));
    }

    [Fact]
    public void Validate_lists_every_data_mistake_of_the_file_at_the_key_that_made_it()
    {
        string folder = NativeFiles.TemporaryFolder();
        File.Copy(TestPaths.Data("stocks_yahoo", "^GSPC.csv"), Path.Combine(folder, "gspc.csv"));
        File.WriteAllText(Path.Combine(folder, "splice.data"), "EI, ONE, ACGTACGT\nIE, TWO, ACGTXCGT\n");
        string yaml = Path.Combine(folder, "mistakes.yaml");
        File.WriteAllText(yaml, """
            experiments:
              - name: stocks
                dataset: {type: forecast, path: gspc.csv, target_column: close, feature_columns: [Close, Volumes]}
                model: lstm
              - name: splice
                dataset: {type: dna, path: splice.data}
                model: gru
              - name: short-span
                dataset: {type: forecast, path: gspc.csv, window: 400}
                model: lstm
            """);
        var (exitCode, output) = Seqlab("validate", yaml);
        Assert.Equal(2, exitCode);
        var errors = output.Split('\n').Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.Contains("mistakes.yaml:3:62: dataset.target_column: column 'close' is not in") && e.Contains("(did you mean 'Close'?)"));
        Assert.Contains(errors, e => e.Contains("mistakes.yaml:3:86: dataset.feature_columns: column 'Volumes' is not in") && e.Contains("(did you mean 'Volume'?)"));
        Assert.Contains(errors, e => e.Contains($"mistakes.yaml:6:32: dataset.path: {Path.Combine(folder, "splice.data")}:2: field 'sequence': column 14: 'X' is not a nucleotide"));
        Assert.Contains(errors, e => e.Contains("mistakes.yaml:9:55: dataset.window:") && e.Contains("the validation span has 251 rows, but one window of 400 steps with horizon 1 needs 402"));
    }

    [Fact]
    public void Every_kind_owns_its_keys_and_no_key_leaks_to_another_kind()
    {
        foreach (var kind in DataKinds.All)
        {
            var own = Schema.Dataset.ByType![kind.Name].Select(f => f.Key).ToHashSet();
            Assert.Equal(own.Where(k => k != "type").Order(), ConfigKeys.Of(kind.ConfigType).Select(k => k.Key).Order());
            foreach (var field in Schema.Dataset.Fields.Where(f => !own.Contains(f.Key)))
                Assert.False(field.Applies(kind.Name), $"{field.Key} applies to {kind.Name}");
        }
        // A key two kinds share has one default, so the docs' one value is true for both.
        foreach (var key in Schema.Dataset.Fields.Select(f => f.Key))
            Assert.Single(Schema.Dataset.ByType!.Values.SelectMany(f => f).Where(f => f.Key == key).Select(f => f.Default).Distinct());
        var error = Assert.Single(Assert.Throws<ConfigException>(() => ConfigLoader.Parse(
            "experiments:\n  - {name: a, model: gru, dataset: {type: adding, files: {a: b}}}\n", "k.yaml")).Errors);
        Assert.Contains("dataset.files does not apply to dataset type 'adding' (it applies to: fasta)", error.Message);
    }
}
