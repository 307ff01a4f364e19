using System.Globalization;
using System.Text.Json;
using SeqLab.Data.TimeSeries;
using SeqLab.Experiments.Config;

namespace SeqLab.Tests;

/// <summary>Seed groups, their intervals and success rates, recomputed by hand from per-seed summaries.</summary>
public class SeedGroupTests
{
    static readonly SuccessCriterion Adding = SuccessCriterion.Parse("test_loss < 0.01");

    /// <summary>A finished experiment folder as the runner leaves it: config.yaml and summary.json.</summary>
    static void Experiment(string batch, string name, string model, int length, int seed, double? testLoss, string status = "completed")
    {
        string folder = Path.Combine(batch, name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.yaml"), $"""
            experiments:
            - name: {name}
              dataset:
                type: adding
                length: {length}
              model:
                type: {model}
                hidden_size: 64
              training:
                steps: 100
                seed: {seed}
            """);
        var summary = new ExperimentSummary(name, model, "adding", "SequenceRegression", model, 100, status, 100, testLoss, 1 / 6.0, "predict 1", testLoss,
            new Dictionary<string, double>(), 0, 1, null);
        summary = summary with { SuccessCriterion = Adding.ToString(), Success = Adding.Holds(summary) };
        File.WriteAllText(Path.Combine(folder, "summary.json"), JsonSerializer.Serialize(summary, ExperimentSummary.JsonOptions));
    }

    static string Batch()
    {
        string batch = NativeFiles.TemporaryFolder();
        double[] lstm50 = [0.004, 0.02, 0.008], lstm100 = [0.15, 0.16, 0.005], rnn50 = [0.16, 0.17, 0.165];
        for (int seed = 1; seed <= 3; seed++)
        {
            Experiment(batch, $"lstm-T50-seed{seed}", "lstm", 50, seed, lstm50[seed - 1]);
            Experiment(batch, $"lstm-T100-seed{seed}", "lstm", 100, seed, lstm100[seed - 1]);
            Experiment(batch, $"rnn-T50-seed{seed}", "rnn", 50, seed, rnn50[seed - 1]);
        }
        Experiment(batch, "rnn-T100-seed1", "rnn", 100, 1, 0.17);
        Experiment(batch, "rnn-T100-seed2", "rnn", 100, 2, null, status: "diverged");
        return batch;
    }

    [Fact]
    public void A_groups_mean_interval_and_success_rate_are_recomputed_from_the_seeds()
    {
        string batch = Batch();
        var groups = SeedGroups.Write(batch);
        Assert.Equal(["lstm-T100", "lstm-T50", "rnn-T100", "rnn-T50"], groups.Select(g => g.Name).Order());
        Assert.Equal(["dataset.length", "model.type"], SeedGroups.Varying(groups));

        var lstm = groups.Single(g => g.Name == "lstm-T50");
        double[] losses = [0.004, 0.02, 0.008];
        double mean = losses.Average(), sd = Math.Sqrt(losses.Sum(v => (v - mean) * (v - mean)) / 2), half = 4.303 * sd / Math.Sqrt(3);
        Assert.Equal(["1", "2", "3"], lstm.Seeds);
        Assert.Equal(mean, lstm.TestLoss!.Mean, 12);
        Assert.Equal(sd, lstm.TestLoss.StandardDeviation, 12);
        Assert.Equal(mean - half, lstm.TestLoss.Low, 12);
        Assert.Equal(mean + half, lstm.TestLoss.High, 12);
        var (low, high) = ForecastMetrics.WilsonInterval(2, 3);
        Assert.Equal((2 / 3.0, low, high), lstm.SuccessRate!.Value);

        // A diverged seed is a failure and has no test loss: one completed run gives a mean without an interval.
        var diverging = groups.Single(g => g.Name == "rnn-T100");
        Assert.Equal(1, diverging.TestLoss!.Count);
        Assert.True(double.IsNaN(diverging.TestLoss.Low));
        Assert.Equal((0, 2), (diverging.Successes, diverging.Judged));

        // groups.csv carries the same numbers.
        var table = ResultsTable.TryRead(Path.Combine(batch, "groups.csv"))!;
        var row = table.Rows.Single(r => table.Text(r, "group") == "lstm-T50");
        Assert.Equal("50", table.Text(row, "dataset.length"));
        Assert.Equal("1 2 3", table.Text(row, "seeds"));
        Assert.Equal(mean - half, table.Number(row, "test_loss_low"), 12);
        Assert.Equal(2 / 3.0, table.Number(row, "success_rate"), 12);
        Assert.True(File.Exists(Path.Combine(batch, "groups.json")));
    }

    [Fact]
    public void A_swept_length_gets_loss_and_success_charts_one_line_per_model()
    {
        string batch = Batch();
        var figures = BatchCharts.All(ExperimentResults.LoadBatch(batch));
        var loss = figures.Single(f => f.Id == "sweep-dataset-length-test-loss");
        Assert.Contains("one line per experiment", loss.Caption);
        Assert.Contains(figures, f => f.Id == "sweep-dataset-length-success");
        string json = Plotly.NET.GenericChart.toChartHTML(loss.Chart);
        Assert.Contains("\"name\":\"lstm\"", json);
        Assert.Contains("\"name\":\"rnn\"", json);
        Assert.Contains("tonexty", json); // the interval band
        Assert.Contains("Over seeds", HtmlReport.BatchPage("sweep", ExperimentResults.LoadBatch(batch), null));
    }

    [Theory]
    [InlineData("test_loss < 0.01", 0.005, "completed", true)]
    [InlineData("test_loss < 0.01", 0.02, "completed", false)]
    [InlineData("baseline_ratio <= 0.1", 0.0166, "completed", true)]
    [InlineData("test_loss < 0.01", 0.005, "diverged", false)]
    public void A_success_criterion_judges_a_summary(string criterion, double loss, string status, bool expected)
    {
        var summary = new ExperimentSummary("x", "lstm", "adding", "SequenceRegression", "", 1, status, 1, loss, 1 / 6.0, "", loss, new Dictionary<string, double>(), 0, 0, null);
        Assert.Equal(expected, SuccessCriterion.Parse(criterion).Holds(summary));
        if (status == "completed") Assert.Null(SuccessCriterion.Parse("accuracy >= 0.99").Holds(summary)); // not measured: not judged
    }

    [Fact]
    public void A_malformed_success_criterion_is_a_config_error_at_its_key()
    {
        var exception = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            experiments:
              - name: a
                model: lstm
                dataset: {type: adding, success: "test_loss ~ 0.01"}
            """, "study.yaml"));
        var error = Assert.Single(exception.Errors);
        Assert.Contains("success", error.Message);
        Assert.Contains("expected '<quantity> <comparison> <number>'", error.Message);
        Assert.Equal(4, error.Line);
        _ = CultureInfo.InvariantCulture;
    }
}
