using SeqLab.Models;
using SeqLab.Reports;
using System.Text.Json;
using Microsoft.Data.Analysis;
using SeqLab.Experiments.Cli;
using SeqLab.Experiments.Config;

namespace SeqLab.Tests;

public class CliTests
{
    static string TestData(string name) => TestPaths.TestData(name);

    static (int ExitCode, string Output) Seqlab(params string[] args)
    {
        var writer = new StringWriter();
        int exitCode = SeqLabCli.Invoke(args, writer);
        return (exitCode, writer.ToString());
    }

    static int[] Ints(DataFrameColumn column) => Enumerable.Range(0, (int)column.Length).Select(i => Convert.ToInt32(column[i])).ToArray();

    [Fact]
    public void A_failed_experiment_says_what_went_wrong_in_words_and_the_batch_goes_on()
    {
        string root = NativeFiles.TemporaryFolder();
        string file = Path.Combine(root, "too-long.yaml");
        File.WriteAllText(file, """
            batch: too-long
            defaults:
              dataset: {type: adding, length: 12, validation_size: 16, test_size: 16}
              training: {steps: 3, batch_size: 4, seed: 1, threads: 1}
            experiments:
              - name: short-positions
                model: {type: transformer, model_size: 8, heads: 2, layers: 1, positional: learned, max_length: 8}
              - name: rnn
                model: {type: rnn, hidden_size: 4}
            """);
        var (exitCode, output) = Seqlab("run", file, "--output", Path.Combine(root, "runs"));
        using var failed = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "runs", "too-long", "short-positions", "summary.json")));
        Assert.Equal("failed", failed.RootElement.GetProperty("status").GetString());
        string message = failed.RootElement.GetProperty("message").GetString()!;
        Assert.Contains("longer than MaxLength 8", message);
        Assert.DoesNotContain("Exception", message);
        using var other = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "runs", "too-long", "rnn", "summary.json")));
        Assert.Equal("completed", other.RootElement.GetProperty("status").GetString());
        Assert.Equal(SeqLabCli.ExperimentFailed, exitCode);
        Assert.DoesNotContain("Exception", output);

        // An error from inside LibTorch keeps its first line, not the C++ stack trace behind it.
        var native = new System.Runtime.InteropServices.ExternalException("Expected false to be true, but got false.\nException raised from toFloat at /pytorch/c10/core/Scalar.h:140 (most recent call first):\nframe #0: c10::Error::Error");
        Assert.Equal("LibTorch stopped the run: Expected false to be true, but got false.", SeqLab.Experiments.Running.BatchRunner.FailureMessage(native));
    }

    [Theory]
    [InlineData("unknown-key.yaml", 5, 5, "unknown key 'lerning_rate'")]
    [InlineData("wrong-type.yaml", 7, 19, "expected an integer, found 'sixty-four'")]
    [InlineData("unknown-model.yaml", 10, 13, "unknown model architecture 'lstn'")]
    public void A_bad_file_gives_one_clear_message_a_nonzero_exit_and_no_results_folder(string file, int line, int column, string fragment)
    {
        string root = Path.Combine(NativeFiles.TemporaryFolder(), "runs");
        foreach (var command in new[] { "run", "validate" })
        {
            var (exitCode, output) = command == "run" ? Seqlab("run", TestData(file), "--output", root) : Seqlab("validate", TestData(file));
            Assert.Equal(SeqLabCli.InvalidConfig, exitCode);
            var errorLine = Assert.Single(output.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
            Assert.Contains($"{file}:{line}:{column}: ", errorLine);
            Assert.Contains(fragment, errorLine);
            Assert.Contains("nothing was run", output);
        }
        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public void Help_lists_the_commands()
    {
        var (exitCode, output) = Seqlab("--help");
        Assert.Equal(0, exitCode);
        Assert.Contains("run", output);
        Assert.Contains("validate", output);
    }

    [Fact]
    public void Validate_lists_the_resolved_experiments()
    {
        var (exitCode, output) = Seqlab("validate", TestData("tiny.yaml"));
        Assert.Equal(0, exitCode);
        Assert.Contains("batch 'tiny' with 2 experiment(s)", output);
        Assert.Contains("lstm: lstm on adding, 30 steps, seed 3", output);
    }

    [Fact]
    public void Run_writes_every_result_file_and_never_overwrites_an_earlier_batch()
    {
        string root = Path.Combine(NativeFiles.TemporaryFolder(), "runs");
        var (exitCode, output) = Seqlab("run", TestData("tiny.yaml"), "--output", root);
        Assert.True(exitCode == 0, output);
        string batch = Path.Combine(root, "tiny");
        Assert.Contains("Summary", output);
        Assert.Contains("0.1667", output); // the baseline beside each result

        foreach (var experiment in new[] { "rnn-tanh", "lstm" })
        {
            string folder = Path.Combine(batch, experiment);
            string[] gateFiles = experiment == "lstm" ? ["gate_saturation.csv", "gates.csv"] : [];
            Assert.Equal(new[] { "activations.csv", "config.yaml", "evaluation.csv", "grad_hidden.csv", "grad_layers.csv", "grad_params.csv", "grad_time.csv", "manifest.json", "metrics.csv", "model.bin", "model.bin.json", "report.html", "spectrum.csv", "summary.json" }
                .Concat(gateFiles).Order(), Directory.GetFiles(folder).Select(Path.GetFileName).Order());
            Assert.Equal(2 * 12, DataFrame.LoadCsv(Path.Combine(folder, "grad_hidden.csv")).Rows.Count); // steps 1 and 30 × 12 time steps
            int gates = experiment == "lstm" ? 4 : 1;
            Assert.Equal(4 * gates, DataFrame.LoadCsv(Path.Combine(folder, "spectrum.csv")).Rows.Count); // logged steps 1, 10, 20, 30
            using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json"))))
            {
                Assert.Equal(3, manifest.RootElement.GetProperty("seed").GetInt64());
                Assert.Equal(1, manifest.RootElement.GetProperty("threads").GetInt32());
                Assert.Equal("cpu", manifest.RootElement.GetProperty("device").GetString());
                Assert.StartsWith("0.107", manifest.RootElement.GetProperty("torch_sharp_version").GetString());
                Assert.StartsWith("2.10.0", manifest.RootElement.GetProperty("lib_torch_version").GetString());
                Assert.True(manifest.RootElement.GetProperty("wall_seconds").GetDouble() > 0);
            }

            var metrics = DataFrame.LoadCsv(Path.Combine(folder, "metrics.csv"));
            Assert.Equal(30, metrics.Rows.Count);
            Assert.Equal(["step", "train_loss", "grad_norm", "grad_norm_clipped", "clipped", "learning_rate", "elapsed_seconds"], metrics.Columns.Select(c => c.Name));
            Assert.Equal(0, metrics.Columns.Sum(c => c.NullCount));
            Assert.Equal(Enumerable.Range(1, 30), Ints(metrics.Columns["step"]));

            var evaluation = DataFrame.LoadCsv(Path.Combine(folder, "evaluation.csv"));
            var losses = Enumerable.Range(0, (int)evaluation.Rows.Count).Where(i => (string)evaluation.Columns["metric"][i] == "loss").ToList();
            Assert.Equal(["validation", "validation", "validation", "test"], losses.Select(i => (string)evaluation.Columns["split"][i]));
            Assert.Equal([10, 20, 30, 30], losses.Select(i => Convert.ToInt32(evaluation.Columns["step"][i])));
            Assert.Contains("rmse", evaluation.Columns["metric"].Cast<string>());

            var time = DataFrame.LoadCsv(Path.Combine(folder, "grad_time.csv"));
            Assert.Equal(4 * 12, time.Rows.Count); // logged steps 1, 10, 20, 30 × 12 time steps
            var parameters = DataFrame.LoadCsv(Path.Combine(folder, "grad_params.csv"));
            var names = parameters.Columns["parameter"].Cast<string>().Distinct().ToList();
            Assert.Contains("encoder.recurrent.weight_ih_l0", names);
            Assert.Contains("encoder.recurrent.weight_hh_l0", names);
            Assert.Contains("head.weight", names);
            Assert.Equal(["step", "parameter", "layer", "depth", "grad_norm", "grad_mean_abs", "grad_max_abs", "weight_norm", "update_ratio"], parameters.Columns.Select(c => c.Name));
            var layers = DataFrame.LoadCsv(Path.Combine(folder, "grad_layers.csv"));
            Assert.Equal(4 * 2, layers.Rows.Count); // logged steps × (encoder layer 1, output)
            Assert.Equal(["layer 1", "output"], layers.Columns["depth"].Cast<string>().Distinct());

            // config.yaml is itself a runnable experiments file that resolves to the same experiment.
            var original = ConfigLoader.Load(TestData("tiny.yaml")).Experiments.Single(e => e.Name == experiment);
            var resolved = Assert.Single(ConfigLoader.Load(Path.Combine(folder, "config.yaml")).Experiments);
            Assert.Equal(original, resolved);

            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
            Assert.Equal("completed", summary.RootElement.GetProperty("status").GetString());
            Assert.Equal(1.0 / 6.0, summary.RootElement.GetProperty("baseline_loss").GetDouble(), 12);
            // The clip fraction is the share of steps metrics.csv marks clipped.
            var clippedColumn = metrics.Columns["clipped"].Cast<object>().Select(v => Convert.ToBoolean(v)).ToList();
            Assert.Equal(clippedColumn.Count(c => c) / (double)clippedColumn.Count, summary.RootElement.GetProperty("clip_fraction").GetDouble(), 12);
            // The monitors' headline numbers are top-level keys of summary.json.
            foreach (var key in new[] { "gradient_ratio_first", "gradient_ratio_last", "gradient_half_life_last", "hidden_half_life_last", "saturated_share_last" })
                Assert.True(summary.RootElement.TryGetProperty(key, out _), $"summary.json lacks {key}");
            // Where the time went: the training phases add up to the wall time; writing the folder comes on top.
            var timeSplit = summary.RootElement.GetProperty("time_seconds").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
            Assert.Equal(summary.RootElement.GetProperty("wall_seconds").GetDouble(), timeSplit.Where(p => p.Key != "writing").Sum(p => p.Value), 6);
            Assert.True(timeSplit["writing"] > 0 && timeSplit["forward"] > 0 && timeSplit["backward"] > 0 && timeSplit.Keys.Any(k => k.StartsWith("monitor ", StringComparison.Ordinal)), string.Join(", ", timeSplit.Keys));

            // The trained model comes back in one call and scores the runner's test set as the run did.
            var trained = ModelFile.Load(Path.Combine(folder, "model.bin"));
            using var testGenerator = new TorchSharp.torch.Generator(SeqLab.Data.Batches.EvaluationSeeds.Test(3));
            using var testSet = new SeqLab.Data.Synthetic.AddingProblem(12).Sample(64, testGenerator);
            Assert.Equal(summary.RootElement.GetProperty("test_loss").GetDouble(), SeqLab.Training.Trainer.Evaluate(trained, testSet).Loss, 5);
        }
        var batchSummary = DataFrame.LoadCsv(Path.Combine(batch, "summary.csv"));
        Assert.Equal(2, batchSummary.Rows.Count);
        Assert.Equal(["gradient_ratio_first", "gradient_ratio_last", "gradient_half_life_first", "gradient_half_life_last", "hidden_half_life_first", "hidden_half_life_last",
            "depth_ratio_first", "depth_ratio_last", "saturated_share_last"], batchSummary.Columns.Select(c => c.Name).SkipWhile(n => n != "gradient_ratio_first").TakeWhile(n => n != "clip_fraction"));
        Assert.Empty(Directory.GetFiles(root, "*.tmp", SearchOption.AllDirectories));
        // One shared plotly.js beside index.html; every report points at it and at nothing online.
        Assert.Equal(["groups.csv", "groups.json", "index.html", HtmlReport.PlotlyFileName, "summary.csv", "summary.json"],
            Directory.GetFiles(batch).Select(Path.GetFileName).Where(name => !name!.StartsWith('.')).Order(StringComparer.Ordinal));
        // Beside them only the hidden locks each experiment and the summary merge were trained and merged under.
        Assert.Equal([".lstm.lock", ".rnn-tanh.lock", ".summary.lock"], Directory.GetFiles(batch).Select(Path.GetFileName).Where(name => name!.StartsWith('.')).Order(StringComparer.Ordinal));
        Assert.Contains("Report: ", output);
        foreach (var page in new[] { Path.Combine(batch, "index.html"), Path.Combine(batch, "lstm", "report.html") })
        {
            string html = File.ReadAllText(page);
            Assert.StartsWith("<!DOCTYPE html>", html);
            Assert.True(html.IndexOf("<meta charset=\"utf-8\">", StringComparison.Ordinal) < html.IndexOf("<script", StringComparison.Ordinal));
            Assert.DoesNotContain("https://", html);
            Assert.DoesNotContain("http://", html);
        }

        var second = Seqlab("run", TestData("tiny.yaml"), "--output", root);
        Assert.Equal(0, second.ExitCode);
        Assert.True(Directory.Exists(Path.Combine(root, "tiny-2")));
        // Same seed, same machine: the same numbers (wall time aside).
        static IEnumerable<string> WithoutTime(string path) => File.ReadLines(path).Select(l => l[..l.LastIndexOf(',')]);
        Assert.Equal(WithoutTime(Path.Combine(batch, "lstm", "metrics.csv")), WithoutTime(Path.Combine(root, "tiny-2", "lstm", "metrics.csv")));
        Assert.Equal(File.ReadAllText(Path.Combine(batch, "lstm", "grad_time.csv")), File.ReadAllText(Path.Combine(root, "tiny-2", "lstm", "grad_time.csv")));
        // Reports of identical runs differ only where the run's wall time is printed.
        static string[] ReportLines(string path) => File.ReadAllLines(path).Where(l => !l.Contains("wall", StringComparison.Ordinal) && !l.Contains("seconds", StringComparison.Ordinal)).ToArray();
        Assert.Equal(ReportLines(Path.Combine(batch, "lstm", "report.html")).Length, ReportLines(Path.Combine(root, "tiny-2", "lstm", "report.html")).Length);

        var third = Seqlab("run", TestData("tiny.yaml"), "--output", root, "--overwrite");
        Assert.Equal(0, third.ExitCode);
        Assert.False(Directory.Exists(Path.Combine(root, "tiny-3")));
    }

    [Fact]
    public void A_diverging_experiment_is_stopped_and_reported_while_the_batch_goes_on()
    {
        string root = Path.Combine(NativeFiles.TemporaryFolder(), "runs");
        var (exitCode, output) = Seqlab("run", TestData("diverging.yaml"), "--output", root);
        Assert.Equal(0, exitCode);

        using var exploding = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "diverging", "exploding", "summary.json")));
        Assert.Equal("diverged", exploding.RootElement.GetProperty("status").GetString());
        int step = exploding.RootElement.GetProperty("steps").GetInt32();
        Assert.InRange(step, 2, 39);
        Assert.Matches($@"^step {step}: loss .*, gradient norm .* \(last finite gradient norm .*\)$", exploding.RootElement.GetProperty("message").GetString());
        Assert.Equal(step, File.ReadAllLines(Path.Combine(root, "diverging", "exploding", "metrics.csv")).Length - 1);
        Assert.Contains("diverged", output);

        using var healthy = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "diverging", "healthy", "summary.json")));
        Assert.Equal("completed", healthy.RootElement.GetProperty("status").GetString());
        Assert.Equal(40, healthy.RootElement.GetProperty("steps").GetInt32());
    }
}

public class RunManifestTests
{
    [Fact]
    public void The_git_commit_is_read_from_the_repository_like_git_reads_it()
    {
        string expected = NativeFiles.Run("git", "-C", TestPaths.Root, "rev-parse", "HEAD").Trim();
        Assert.Equal(expected, SeqLab.Experiments.Results.RunManifest.FindGitCommit(Path.Combine(TestPaths.Root, "src", "Experiments")));
        Assert.Null(SeqLab.Experiments.Results.RunManifest.FindGitCommit(Path.GetTempPath()));
    }
}
