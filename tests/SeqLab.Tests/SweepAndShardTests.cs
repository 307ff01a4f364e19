using System.Collections;
using System.Text.Json;
using SeqLab.Experiments.Cli;
using SeqLab.Experiments.Config;
using SeqLab.Experiments.Running;

namespace SeqLab.Tests;

public class SweepAndShardTests
{
    const string Sweep = """
        batch: sweep
        defaults:
          dataset: {type: adding, length: 8, validation_size: 8, test_size: 8}
          model: {hidden_size: 4}
          training: {steps: 2, batch_size: 4, seed: 1, threads: 1, eval_every: 1}
          monitoring: {log_every: 1}
        experiments:
          - name: lstm-T{dataset.length}
            model: lstm
            grid:
              dataset.length: [10, 20]
              training.learning_rate: [0.01, 0.001]
            seeds: [1, 2]
          - name: rnn
            model: rnn
            seeds: [5]
        """;

    static (int ExitCode, string Output) Seqlab(params string[] args)
    {
        var writer = new StringWriter();
        return (SeqLabCli.Invoke(args, writer), writer.ToString());
    }

    [Fact]
    public void Grid_and_seeds_expand_into_every_combination_in_order()
    {
        var batch = ConfigLoader.Parse(Sweep, "sweep.yaml");
        Assert.Equal(9, batch.Experiments.Count); // 2 lengths × 2 learning rates × 2 seeds, and one seed of rnn
        var settings = batch.Experiments.Take(8).Select(e => (((SyntheticConfig)e.Dataset).Length, e.Training.LearningRate, e.Training.Seed)).ToList();
        Assert.Equal([(10, 0.01, 1L), (10, 0.01, 2L), (10, 0.001, 1L), (10, 0.001, 2L), (20, 0.01, 1L), (20, 0.01, 2L), (20, 0.001, 1L), (20, 0.001, 2L)], settings);
        Assert.All(batch.Experiments.Take(8), e => Assert.Equal("lstm", e.Model.Type));
        Assert.Equal(5, batch.Experiments[^1].Training.Seed);
        Assert.Equal(4, ((RecurrentModelConfig)batch.Experiments[0].Model).HiddenSize); // defaults still apply to every variant
    }

    [Fact]
    public void Sweep_names_use_the_template_or_key_value_suffixes()
    {
        var batch = ConfigLoader.Parse(Sweep, "sweep.yaml");
        var names = batch.Experiments.Select(e => e.Name).ToList();
        // The template names the length; the unnamed learning rate and the seed are appended.
        Assert.Equal("lstm-T10-learning_rate0.01-seed1", names[0]);
        Assert.Equal("lstm-T10-learning_rate0.01-seed2", names[1]);
        Assert.Equal("lstm-T20-learning_rate0.001-seed2", names[7]);
        Assert.Equal("rnn-seed5", names[8]);
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public void Command_line_settings_win_and_bad_ones_are_explained()
    {
        var batch = ConfigLoader.Parse(Sweep, "sweep.yaml", ["training.learning_rate=0.5", "model.hidden_size=7"]);
        Assert.All(batch.Experiments, e => Assert.Equal(0.5, e.Training.LearningRate));
        Assert.All(batch.Experiments, e => Assert.Equal(7, ((RecurrentModelConfig)e.Model).HiddenSize));

        var unknown = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Sweep, "sweep.yaml", ["training.lerning_rate=0.5"]));
        var error = Assert.Single(unknown.Errors);
        Assert.Equal("--set training.lerning_rate=0.5", error.File);
        Assert.Contains("did you mean 'learning_rate'?", error.Message);
        var wrongType = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Sweep, "sweep.yaml", ["training.steps=many"]));
        Assert.Contains(wrongType.Errors, e => e.File == "--set training.steps=many" && e.Message.Contains("expected an integer, found 'many'"));
    }

    [Fact]
    public void Dry_run_lists_the_expanded_experiments_and_only_filters_them()
    {
        string path = TestPaths.Scratch("sweep.yaml", Sweep);
        string runs = Path.Combine(Path.GetDirectoryName(path)!, "runs");
        var (exitCode, output) = Seqlab("run", path, "--output", runs, "--dry-run", "--only", "lstm-T20-*");
        Assert.Equal(0, exitCode);
        Assert.Contains("Batch 'sweep': 4 of 9 experiment(s)", output);
        Assert.Contains("--- lstm-T20-learning_rate0.01-seed1", output);
        Assert.DoesNotContain("--- lstm-T10", output);
        Assert.Contains("length: 20", output);
        Assert.False(Directory.Exists(runs));

        var (none, message) = Seqlab("run", path, "--output", runs, "--only", "gru*");
        Assert.Equal(SeqLabCli.InvalidConfig, none);
        Assert.Contains("--only gru* matches no experiment", message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(9)]
    [InlineData(13)]
    public void Shards_partition_the_expanded_batch_exactly(int count)
    {
        var names = ConfigLoader.Parse(Sweep, "sweep.yaml").Experiments.Select(e => e.Name).ToList();
        var fromOption = Enumerable.Range(0, count).Select(i => Shard.Resolve($"{i}/{count}", null, new Hashtable())!.Select(names)).ToList();
        var fromSlurm = Enumerable.Range(0, count).Select(i => Shard.Resolve(null, null,
            new Hashtable { ["SLURM_ARRAY_TASK_ID"] = (i + 3).ToString(), ["SLURM_ARRAY_TASK_MIN"] = "3", ["SLURM_ARRAY_TASK_COUNT"] = count.ToString() })!.Select(names)).ToList();
        var fromKubernetes = Enumerable.Range(0, count).Select(i => Shard.Resolve(null, count, new Hashtable { ["JOB_COMPLETION_INDEX"] = i.ToString() })!.Select(names)).ToList();
        foreach (var shards in new[] { fromOption, fromSlurm, fromKubernetes })
        {
            Assert.Equal(names.Count, shards.Sum(s => s.Count));                       // complete …
            Assert.Equal(names.Order(), shards.SelectMany(s => s).Order());            // … and disjoint
        }
        Assert.Equal(fromOption, fromSlurm);
        Assert.Equal(fromOption, fromKubernetes);
    }

    [Theory]
    [InlineData("3/3", null, "out of range")]
    [InlineData("1-3", null, "expected i/N")]
    [InlineData(null, 4, "--shards N needs JOB_COMPLETION_INDEX")]
    public void Bad_shard_requests_are_explained(string? option, int? count, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => Shard.Resolve(option, count, new Hashtable()));
        Assert.Contains(reason, error.Message);
        Assert.Contains("--shards", Assert.Throws<ArgumentException>(() => Shard.Resolve(null, null, new Hashtable { ["JOB_COMPLETION_INDEX"] = "1" })).Message);
    }

    [Fact]
    public void Shards_write_into_one_tree_that_report_merges_and_resume_skips_what_is_done()
    {
        string path = TestPaths.Scratch("sweep.yaml", Sweep.Replace("seeds: [1, 2]", "seeds: [1]"));
        string runs = Path.Combine(Path.GetDirectoryName(path)!, "runs");
        Assert.Equal(0, Seqlab("run", path, "--output", runs, "--shard", "0/2").ExitCode);
        Assert.Equal(0, Seqlab("run", path, "--output", runs, "--shard", "1/2").ExitCode);
        string batch = Path.Combine(runs, "sweep");
        Assert.Equal(5, Directory.GetDirectories(batch).Length);
        Assert.False(Directory.Exists(Path.Combine(runs, "sweep-2")));

        var (exitCode, output) = Seqlab("report", batch);
        Assert.Equal(0, exitCode);
        Assert.Contains("Merged 5 experiment(s)", output);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(batch, "summary.json")));
        Assert.Equal(["lstm-T10-learning_rate0.01-seed1", "lstm-T10-learning_rate0.001-seed1", "lstm-T20-learning_rate0.01-seed1", "lstm-T20-learning_rate0.001-seed1", "rnn-seed5"],
            summary.RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString())); // the experiments file's order, kept from the shards' summaries
        Assert.All(summary.RootElement.EnumerateArray(), e => Assert.Equal("completed", e.GetProperty("status").GetString()));
        Assert.True(File.Exists(Path.Combine(batch, "index.html")));
        Assert.All(Directory.GetDirectories(batch), folder => Assert.True(File.Exists(Path.Combine(folder, "report.html"))));

        var resumed = Seqlab("run", path, "--output", runs, "--resume");
        Assert.Equal(0, resumed.ExitCode);
        Assert.Equal(5, resumed.Output.Split('\n').Count(l => l.Contains("skipped")));
    }
}

public class ParallelJobsTests
{
    [Fact]
    public void Jobs_run_experiments_at_once_with_the_threads_split_and_the_same_results_as_one_at_a_time()
    {
        string yaml = TestPaths.Scratch("jobs.yaml", """
            batch: jobs
            defaults:
              dataset: {type: adding, length: 10, validation_size: 16, test_size: 16}
              model: {hidden_size: 6}
              training: {steps: 15, batch_size: 8, seed: 3, threads: 2, eval_every: 5}
              monitoring: {log_every: 5}
            experiments:
              - {name: rnn, model: rnn}
              - {name: lstm, model: lstm}
              - {name: gru, model: gru}
              - {name: transformer, model: {type: transformer, model_size: 8, heads: 2}}
            """);
        string root = Path.Combine(Path.GetDirectoryName(yaml)!, "runs");
        Assert.Equal(0, SeqLabCli.Invoke(["run", yaml, "--output", root, "--jobs", "2"], new StringWriter()));
        Assert.Equal(0, SeqLabCli.Invoke(["run", yaml, "--output", root, "--set", "training.threads=1"], new StringWriter()));
        foreach (var name in new[] { "rnn", "lstm", "gru", "transformer" })
        {
            using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "jobs", name, "manifest.json")));
            Assert.Equal(1, manifest.RootElement.GetProperty("threads").GetInt32()); // 2 threads split over 2 jobs
            static IEnumerable<string> Numbers(string path) => File.ReadLines(path).Select(l => l[..l.LastIndexOf(',')]);
            Assert.Equal(Numbers(Path.Combine(root, "jobs-2", name, "metrics.csv")), Numbers(Path.Combine(root, "jobs", name, "metrics.csv")));
        }
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "jobs", "summary.json")));
        Assert.Equal(["rnn", "lstm", "gru", "transformer"], summary.RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()));
    }
}
