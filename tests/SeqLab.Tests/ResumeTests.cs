using SeqLab.Experiments.Config;
using SeqLab.Experiments.Results;
using SeqLab.Experiments.Running;
using SeqLab.Training;

namespace SeqLab.Tests;

public class ResumeTests
{
    const string Yaml = """
        experiments:
          - name: resumable
            dataset: {type: adding, length: 12, validation_size: 32, test_size: 32}
            model: {type: lstm, hidden_size: 8, layers: 2, dropout: 0.3}
            training: {steps: 40, batch_size: 8, learning_rate: 0.01, seed: 4, threads: 1, eval_every: 10, checkpoint_every: 10, schedule: cosine}
            monitoring: {log_every: 5}
        """;

    /// <summary>Cancels the run once a given step has finished, as Ctrl+C would.</summary>
    internal sealed class StopAfter(int step, CancellationTokenSource source) : IRunProgress
    {
        public void Started(string experiment, int totalSteps, string description) { }
        public void Stepped(string experiment, StepMetrics metrics, int totalSteps) { if (metrics.Step == step) source.Cancel(); }
        public void Finished(ExperimentSummary summary) { }
        public void Skipped(ExperimentSummary summary) { }
    }

    static IEnumerable<string> WithoutTime(string path) => File.ReadLines(path).Select(l => l[..l.LastIndexOf(',')]);

    [Fact]
    public void An_interrupted_then_resumed_run_ends_exactly_like_an_uninterrupted_one()
    {
        var experiment = ConfigLoader.Parse(Yaml, "resume.yaml").Experiments.Single();
        string root = NativeFiles.TemporaryFolder();
        string straight = Path.Combine(root, "straight"), resumed = Path.Combine(root, "resumed");

        var reference = new BatchRunner(new SilentProgress()).RunExperiment(experiment, straight);
        Assert.True(reference.Status == "completed", reference.Message);

        using var interrupt = new CancellationTokenSource();
        var stopped = new BatchRunner(new StopAfter(25, interrupt), cancellation: interrupt.Token).RunExperiment(experiment, resumed);
        Assert.Equal("interrupted", stopped.Status);
        Assert.Equal(25, stopped.Steps);
        Assert.True(File.Exists(Path.Combine(resumed, "checkpoint", "state.json")));
        Assert.Equal(25, File.ReadLines(Path.Combine(resumed, "metrics.csv")).Count() - 1);

        var finished = new BatchRunner(new SilentProgress()).RunExperiment(experiment, resumed);
        Assert.True(finished.Status == "completed", finished.Message);
        Assert.Equal(reference.TestLoss, finished.TestLoss);
        Assert.Equal(reference.FinalValidationLoss, finished.FinalValidationLoss);
        Assert.Equal(WithoutTime(Path.Combine(straight, "metrics.csv")), WithoutTime(Path.Combine(resumed, "metrics.csv")));
        Assert.Equal(File.ReadAllText(Path.Combine(straight, "grad_time.csv")), File.ReadAllText(Path.Combine(resumed, "grad_time.csv")));
        Assert.Equal(File.ReadAllText(Path.Combine(straight, "evaluation.csv")), File.ReadAllText(Path.Combine(resumed, "evaluation.csv")));
        Assert.False(Directory.Exists(Path.Combine(resumed, "checkpoint"))); // a finished run leaves no checkpoint
        // Where training continued is on record: after step 25, once; the straight run never resumed.
        Assert.Equal([25], ResumedAfter(resumed));
        Assert.Empty(ResumedAfter(straight));
    }

    static int[] ResumedAfter(string folder) =>
        System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json"))).RootElement.GetProperty("resumed_after_steps").EnumerateArray().Select(e => e.GetInt32()).ToArray();

    [Fact]
    public void A_kill_between_removing_the_old_checkpoint_and_renaming_the_new_one_loses_no_step()
    {
        var experiment = ConfigLoader.Parse(Yaml, "resume.yaml").Experiments.Single();
        string root = NativeFiles.TemporaryFolder();
        string straight = Path.Combine(root, "straight"), resumed = Path.Combine(root, "resumed");
        var reference = new BatchRunner(new SilentProgress()).RunExperiment(experiment, straight);

        using var interrupt = new CancellationTokenSource();
        new BatchRunner(new StopAfter(25, interrupt), cancellation: interrupt.Token).RunExperiment(experiment, resumed);
        // As a SIGKILL between Save's Directory.Delete and Directory.Move leaves it: the complete new checkpoint under its
        // temporary name, no checkpoint/, and an older torn temporary of another process beside it.
        Directory.Move(Path.Combine(resumed, "checkpoint"), Path.Combine(resumed, ".checkpoint.999999.tmp"));
        Directory.CreateDirectory(Path.Combine(resumed, ".checkpoint.999998.tmp"));
        File.WriteAllText(Path.Combine(resumed, ".checkpoint.999998.tmp", "state.json"), "{\"Step\": 3"); // torn: not read
        File.WriteAllText(Path.Combine(resumed, ".metrics.csv.999999.0.tmp"), "step,tra"); // a torn result file

        var finished = new BatchRunner(new SilentProgress()).RunExperiment(experiment, resumed);
        Assert.True(finished.Status == "completed", finished.Message);
        Assert.Equal([25], ResumedAfter(resumed));
        Assert.Equal(reference.TestLoss, finished.TestLoss);
        Assert.Equal(WithoutTime(Path.Combine(straight, "metrics.csv")), WithoutTime(Path.Combine(resumed, "metrics.csv")));
        Assert.Empty(Directory.GetDirectories(resumed)); // every checkpoint, temporary or not, is gone
        Assert.Empty(Directory.GetFiles(resumed, "*.tmp"));
    }
}

public class TensorBoardTests
{
    [Fact]
    public void TensorBoard_event_files_are_written_when_asked_for()
    {
        var experiment = ConfigLoader.Parse("""
            experiments:
              - name: board
                dataset: {type: adding, length: 8, validation_size: 8, test_size: 8}
                model: {type: gru, hidden_size: 4}
                training: {steps: 6, batch_size: 4, seed: 1, threads: 1, eval_every: 3}
                monitoring: {log_every: 3, tensorboard: true}
            """, "board.yaml").Experiments.Single();
        string folder = Path.Combine(NativeFiles.TemporaryFolder(), "board");
        var summary = new BatchRunner(new SilentProgress()).RunExperiment(experiment, folder);
        Assert.True(summary.Status == "completed", summary.Message);
        var events = Directory.GetFiles(Path.Combine(folder, "tensorboard"), "events.out.tfevents.*", SearchOption.AllDirectories);
        var file = Assert.Single(events);
        string content = System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(file));
        Assert.Contains("train/loss", content);
        Assert.Contains("validation/rmse", content);
        Assert.Contains("gradients/encoder.recurrent.weight_hh_l0", content);
    }
}

public class TruncatedBpttTests
{
    [Fact]
    public void Sequential_windows_continue_each_stream_where_the_last_window_stopped()
    {
        var ids = Enumerable.Range(0, 1000).ToArray();
        var data = new SeqLab.Data.Text.LanguageModelData(ids, context: 10, stride: 10, validationFraction: 0.1);
        Assert.Equal(((900 / 4) - 1) / 10, data.SequentialWindows(4));
        using var first = data.SequentialBatch(4, 0);
        using var second = data.SequentialBatch(4, 1);
        Assert.True(second.Inputs[.., 0].eq(first.Targets[.., -1]).all().item<bool>());
        Assert.Equal(new long[] { 0, 225, 450, 675 }, first.Inputs[.., 0].data<long>().ToArray()); // four contiguous streams
        using var wrapped = data.SequentialBatch(4, data.SequentialWindows(4));
        Assert.True(wrapped.Inputs.eq(first.Inputs).all().item<bool>());
        Assert.All(Enumerable.Range(0, data.SequentialWindows(4)), k =>
        {
            using var batch = data.SequentialBatch(4, k);
            Assert.True(batch.Targets.max().item<long>() < data.Split); // never reads validation text
        });
    }

    [Fact]
    public void A_BPTT_run_carries_its_state_changes_the_result_and_resumes_exactly()
    {
        string folder = NativeFiles.TemporaryFolder();
        File.WriteAllText(Path.Combine(folder, "text.txt"), File.ReadAllText(TestPaths.Data("tinyshakespeare", "input.txt"))[..30_000]);
        string Yaml(bool bptt) => $$"""
            experiments:
              - name: chars
                dataset: {type: text, path: text.txt, context: 16, bptt: {{(bptt ? "true" : "false")}}}
                model: {type: lstm, hidden_size: 16, embedding_size: 8}
                training: {steps: 30, batch_size: 4, learning_rate: 0.01, seed: 2, threads: 1, eval_every: 10, checkpoint_every: 10}
                monitoring: {log_every: 10}
            """;
        var stateful = ConfigLoader.Parse(Yaml(true), Path.Combine(folder, "bptt.yaml")).Experiments.Single();
        var stateless = ConfigLoader.Parse(Yaml(false), Path.Combine(folder, "plain.yaml")).Experiments.Single();

        var reference = new BatchRunner(new SilentProgress()).RunExperiment(stateful, Path.Combine(folder, "straight"));
        Assert.True(reference.Status == "completed", reference.Message);
        var plain = new BatchRunner(new SilentProgress()).RunExperiment(stateless, Path.Combine(folder, "plain"));
        Assert.NotEqual(reference.TestLoss, plain.TestLoss);

        using var interrupt = new CancellationTokenSource();
        string resumed = Path.Combine(folder, "resumed");
        Assert.Equal("interrupted", new BatchRunner(new ResumeTests.StopAfter(17, interrupt), cancellation: interrupt.Token).RunExperiment(stateful, resumed).Status);
        var finished = new BatchRunner(new SilentProgress()).RunExperiment(stateful, resumed);
        Assert.Equal(reference.TestLoss, finished.TestLoss);
        static IEnumerable<string> Numbers(string path) => File.ReadLines(path).Select(l => l[..l.LastIndexOf(',')]);
        Assert.Equal(Numbers(Path.Combine(folder, "straight", "metrics.csv")), Numbers(Path.Combine(resumed, "metrics.csv")));
    }
}
