using System.Text.Json;
using SeqLab.Experiments.Cli;
using Xunit.Abstractions;

namespace SeqLab.Tests;

/// <summary>The README's main job, run as a user runs it: LSTM, GRU and Transformer solve the adding problem, the tanh RNN does not.</summary>
public class MainJobTests(ITestOutputHelper output)
{
    [Fact]
    public void The_main_job_shows_gated_models_and_the_Transformer_solving_what_the_tanh_RNN_cannot()
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

        foreach (var solver in new[] { "lstm", "gru", "transformer" })
            Assert.True(byName[solver].GetProperty("test_loss").GetDouble() < 0.1 * baseline, $"the {solver} should end far below the 1/6 baseline");
        var rnn = byName["rnn"];
        Assert.True(rnn.GetProperty("test_loss").GetDouble() > 0.7 * baseline, "the tanh RNN should stay near the 1/6 baseline");
        // Gated models start with vanished gradients and open the path as they learn; the RNN's stays closed.
        foreach (var gated in new[] { "lstm", "gru" })
        {
            Assert.True(byName[gated].GetProperty("gradient_ratio_first").GetDouble() < 1e-6, $"{gated} starts vanished");
            Assert.True(byName[gated].GetProperty("gradient_ratio_last").GetDouble() > 1e-2, $"the trained {gated} passes gradient back to x_1");
        }
        Assert.True(rnn.GetProperty("gradient_ratio_last").GetDouble() < 1e-3, "the tanh RNN's gradient at x_1 stays vanishing");
        // The verdict looks at the end of training: the gated models recovered, the RNN did not.
        Assert.Equal("vanishing", rnn.GetProperty("verdict").GetString());
        foreach (var solver in new[] { "lstm", "gru", "transformer" })
            Assert.Equal("healthy", byName[solver].GetProperty("verdict").GetString());
        // Attention connects x_1 to the output directly: no vanishing even at initialisation.
        Assert.True(byName["transformer"].GetProperty("gradient_ratio_first").GetDouble() > 1e-2);
        // The reports are there: one per experiment and the batch's comparison.
        Assert.True(File.Exists(Path.Combine(batch, "index.html")));
        foreach (var experiment in byName.Values)
            Assert.True(File.Exists(Path.Combine(batch, experiment.GetProperty("name").GetString()!, "report.html")));
        output.WriteLine($"reports: {Path.Combine(batch, "index.html")}");
    }
}
