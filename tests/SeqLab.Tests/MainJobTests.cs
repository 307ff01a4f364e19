using System.Text.Json;
using SeqLab.Experiments.Cli;
using Xunit.Abstractions;

namespace SeqLab.Tests;

/// <summary>The README's main job, run as a user runs it: the LSTM solves the adding problem, the tanh RNN does not.</summary>
public class MainJobTests(ITestOutputHelper output)
{
    [Fact]
    public void The_main_job_shows_the_LSTM_beating_the_baseline_and_the_tanh_RNN_not()
    {
        string root = TestPaths.Root;
        string runs = Path.Combine(NativeFiles.TemporaryFolder(), "runs");
        var writer = new StringWriter();

        int exitCode = SeqLabCli.Invoke(["run", Path.Combine(root, "experiments.yaml"), "--output", runs], writer);
        output.WriteLine(writer.ToString());
        Assert.Equal(0, exitCode);

        string batch = Directory.GetDirectories(runs).Single();
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(batch, "summary.json")));
        var byName = summary.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("model").GetString()!);
        double baseline = 1.0 / 6.0;

        var lstm = byName["lstm"];
        var rnn = byName["rnn"];
        Assert.True(lstm.GetProperty("test_loss").GetDouble() < 0.1 * baseline, "the LSTM should end far below the 1/6 baseline");
        Assert.True(rnn.GetProperty("test_loss").GetDouble() > 0.7 * baseline, "the tanh RNN should stay near the 1/6 baseline");
        Assert.True(lstm.GetProperty("gradient_ratio_last").GetDouble() > 1e-2, "the trained LSTM passes gradient back to x_1");
        Assert.True(rnn.GetProperty("gradient_ratio_last").GetDouble() < 1e-3, "the tanh RNN's gradient at x_1 stays vanishing");
    }
}
