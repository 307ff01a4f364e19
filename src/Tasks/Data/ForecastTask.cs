using SeqLab.Data;
using SeqLab.Data.Batches;
using SeqLab.Data.TimeSeries;
using SeqLab.Config;
using SeqLab.Models;
using SeqLab.Training.Logging;
using static TorchSharp.torch;

namespace SeqLab.Tasks;

/// <summary><c>dataset: {type: forecast}</c> — forecasting a dated CSV's keys.</summary>
public sealed record ForecastConfig : FileConfig
{
    /// <inheritdoc />
    public override string Type => "forecast";
    /// <summary>Date/time column.</summary>
    [ConfigKey("date/time column")]
    public string DateColumn { get; init; } = "Date";
    /// <summary>Column to forecast.</summary>
    [ConfigKey("column to forecast")]
    public string TargetColumn { get; init; } = "Close";
    /// <summary>Comma-separated feature columns.</summary>
    [ConfigKey("columns the model reads", IsNameList = true)]
    public string FeatureColumns { get; init; } = "Close";
    /// <summary>level, return or log_return.</summary>
    [ConfigKey("what is predicted at t + horizon", Choices = ["level", "return", "log_return"])]
    public string Target { get; init; } = "log_return";
    /// <summary>level, return or log_return.</summary>
    [ConfigKey("how feature columns enter the model", Choices = ["level", "return", "log_return"])]
    public string FeatureTransform { get; init; } = "log_return";
    /// <summary>Forecast horizon.</summary>
    [ConfigKey("steps ahead", Minimum = 1)]
    public int Horizon { get; init; } = 1;
    /// <summary>Forecast input window.</summary>
    [ConfigKey("input steps per forecast", Minimum = 1)]
    public int Window { get; init; } = 30;
    /// <summary>error, drop or forward_fill.</summary>
    [ConfigKey("missing-value policy", Choices = ["error", "drop", "forward_fill"])]
    public string Missing { get; init; } = "drop";
}

/// <summary>
/// Forecasting a column of a dated CSV (stock prices, temperatures, …) from windows of its past: chronological spans,
/// scalers fitted on the training span, metrics in price units beside the naive and drift forecasts, and the test
/// forecasts as <c>forecast.csv</c>.
/// </summary>
public sealed class ForecastTask : SequenceDataKind<ForecastConfig>
{
    /// <inheritdoc />
    public override string Summary => "windows of feature columns | the target at t + horizon | MSE in scaled units; RMSE, MAE, MASE, sMAPE, direction in price units | naive (random walk) and drift forecasts";
    /// <inheritdoc />
    public override TaskKind Task => TaskKind.SequenceRegression;

    static string[] Columns(ForecastConfig d) => d.FeatureColumns.Split(',');

    static TimeSeriesTable Load(ForecastConfig d) =>
        TimeSeriesTable.Load(d.Path, new TimeSeriesOptions(d.DateColumn, Columns(d).Append(d.TargetColumn).Distinct().ToList(), Enum.Parse<MissingValuePolicy>(d.Missing.Replace("_", ""), true)));

    static ForecastWindows Windows(ForecastConfig d, TimeSeriesTable table) =>
        ForecastWindows.Build(new ForecastOptions(d.TargetColumn, Columns(d), Transform(d.Target), Transform(d.FeatureTransform), d.Window, d.Horizon,
            1 - d.ValidationFraction - d.TestFraction, d.ValidationFraction), table);

    /// <inheritdoc />
    protected override IEnumerable<DataProblem> CheckData(ForecastConfig d)
    {
        IReadOnlyList<string> header;
        try
        {
            header = CsvReader.Read(d.Path).Header;
        }
        catch (Exception e) when (e is DataFormatException or IOException)
        {
            return [new DataProblem("path", e.Message)];
        }
        // Every named column, each reported at its own key.
        var problems = new List<DataProblem>();
        void Column(string key, string column)
        {
            if (!header.Contains(column))
                problems.Add(new DataProblem(key, $"column '{column}' is not in {d.Path} (its columns: {string.Join(", ", header)}){NameSuggestion.For(column, header)}"));
        }
        Column("date_column", d.DateColumn);
        Column("target_column", d.TargetColumn);
        foreach (var column in Columns(d)) Column("feature_columns", column);
        if (problems.Count > 0) return problems;
        try
        {
            Windows(d, Load(d));
        }
        catch (DataFormatException e)
        {
            return [new DataProblem("path", e.Message)];
        }
        catch (ArgumentException e)
        {
            return [new DataProblem("window", e.Message)];
        }
        return [];
    }

    /// <inheritdoc />
    protected override TaskData Build(ForecastConfig d, int batchSize, long seed)
    {
        var columns = Columns(d);
        var windows = Windows(d, Load(d));
        var train = windows.Train;
        var test = windows.Test.ToBatch();
        // The naive forecast (no change) in the model's scaled target units, scored like the model.
        var naiveLevels = windows.Baseline(windows.Test, Baselines.Naive);
        var naiveScaled = Scaled(windows, windows.Test, naiveLevels);
        double naiveLoss = naiveScaled.Zip(windows.Test.Targets).Average(p => Math.Pow(p.First - p.Second, 2));
        // The model's test forecasts back-transformed to levels: scored for the metrics, written for the report.
        double[] PredictedLevels(ISequenceModel trained)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            trained.Module.eval();
            var inputs = test.Inputs.to(trained.Module.parameters().First().device); // the model's device, whatever the trainer chose
            var predictions = trained.Forward(inputs).flatten().cpu().data<float>().ToArray();
            trained.Module.train();
            return windows.ToLevels(windows.Test, predictions);
        }
        Dictionary<string, double> LevelMetrics(ISequenceModel trained)
        {
            var score = windows.Score(windows.Test, PredictedLevels(trained));
            var naive = windows.Score(windows.Test, naiveLevels);
            var drift = windows.Score(windows.Test, windows.Baseline(windows.Test, Baselines.Drift));
            return new()
            {
                ["level_rmse"] = score.Rmse, ["level_mae"] = score.Mae, ["mase"] = score.Mase, ["smape"] = score.Smape,
                ["directional_accuracy"] = score.DirectionalAccuracy, ["directional_low"] = score.DirectionalLow, ["directional_high"] = score.DirectionalHigh,
                ["naive_level_rmse"] = naive.Rmse, ["naive_mase"] = naive.Mase, ["drift_level_rmse"] = drift.Rmse, ["drift_mase"] = drift.Mase,
            };
        }
        return new TaskData(Shape(DataInput.ForFeatures(columns.Length), 1),
            (g, _) => train.ToBatch(randint(0, train.Count, [batchSize], dtype: ScalarType.Int64, generator: g).data<long>().Select(i => (int)i).ToArray()),
            windows.Validation.ToBatch(), test, naiveLoss, "naive (random walk) forecast, in scaled target units")
        {
            TestMetrics = LevelMetrics,
            Artefacts = (trained, _) => [Forecasts(windows, PredictedLevels(trained), naiveLevels, d.TargetColumn)],
        };
    }

    /// <summary>The test forecasts in levels beside the actual values and the naive forecast, as <c>forecast.csv</c>.</summary>
    static ResultFile Forecasts(ForecastWindows windows, double[] levels, double[] naiveLevels, string seriesName)
    {
        var split = windows.Test;
        var table = new Csv("series", "date", "actual", "predicted", "naive");
        for (int i = 0; i < split.Count; i++)
        {
            var series = windows.Tables[split.SeriesIds[i]];
            int target = split.TargetIndices[i];
            string name = windows.Tables.Count > 1 ? $"{seriesName} #{split.SeriesIds[i] + 1}" : seriesName;
            table.Row(name, series.Dates[target].ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                series[windows.Options.TargetColumn][target], levels[i], naiveLevels[i]);
        }
        return new ResultFile("forecast.csv", table.ToString());
    }

    static float[] Scaled(ForecastWindows windows, ForecastSplit split, double[] levels)
    {
        var result = new float[split.Count];
        for (int i = 0; i < split.Count; i++)
        {
            int id = split.SeriesIds[i];
            double last = windows.Tables[id][windows.Options.TargetColumn][split.Origins[i]];
            double value = windows.Options.Target switch
            {
                SeriesTransform.Level => levels[i],
                SeriesTransform.Return => levels[i] / last - 1,
                _ => Math.Log(levels[i] / last),
            };
            result[i] = (float)windows.TargetScalers[id].Transform(value);
        }
        return result;
    }

    static SeriesTransform Transform(string name) => name switch
    {
        "level" => SeriesTransform.Level,
        "return" => SeriesTransform.Return,
        _ => SeriesTransform.LogReturn,
    };
}
