using SeqLab.Data.Batches;
using static TorchSharp.torch;

namespace SeqLab.Data.TimeSeries;

/// <summary>How a series enters a model.</summary>
public enum SeriesTransform
{
    /// <summary>The value itself (a price level).</summary>
    Level,
    /// <summary>Simple return x_t / x_{t−1} − 1 (for a target: x_{t+h} / x_t − 1).</summary>
    Return,
    /// <summary>Log return ln(x_t / x_{t−1}) (for a target: ln(x_{t+h} / x_t)).</summary>
    LogReturn,
}

/// <summary>How to cut a series into forecasting windows.</summary>
/// <param name="TargetColumn">The column to forecast (e.g. <c>Close</c>).</param>
/// <param name="FeatureColumns">Columns fed to the model at each step.</param>
/// <param name="Target">What is predicted: the level at t+h, or the return from t to t+h.</param>
/// <param name="Features">Transform applied to every feature column.</param>
/// <param name="Window">Input steps per sample.</param>
/// <param name="Horizon">Steps ahead (h ≥ 1).</param>
/// <param name="TrainFraction">Share of the timeline for training (the earliest part).</param>
/// <param name="ValidationFraction">Share for validation (the middle part); the rest is the test span.</param>
public sealed record ForecastOptions(string TargetColumn, IReadOnlyList<string> FeatureColumns, SeriesTransform Target = SeriesTransform.LogReturn,
    SeriesTransform Features = SeriesTransform.LogReturn, int Window = 30, int Horizon = 1, double TrainFraction = 0.7, double ValidationFraction = 0.15);

/// <summary>Standardises values with a mean and standard deviation fitted once (on the training span only).</summary>
public sealed record StandardScaler(double Mean, double StandardDeviation)
{
    /// <summary>Fits on <paramref name="values"/>; a constant series gets a unit deviation.</summary>
    public static StandardScaler Fit(IEnumerable<double> values)
    {
        var list = values.ToList();
        double mean = list.Average();
        double deviation = Math.Sqrt(list.Sum(v => (v - mean) * (v - mean)) / list.Count);
        return new StandardScaler(mean, deviation > 0 ? deviation : 1);
    }

    /// <summary>(x − mean) / deviation.</summary>
    public double Transform(double value) => (value - Mean) / StandardDeviation;

    /// <summary>The inverse of <see cref="Transform"/>.</summary>
    public double Inverse(double value) => value * StandardDeviation + Mean;
}

/// <summary>The samples of one chronological span.</summary>
public sealed class ForecastSplit
{
    internal ForecastSplit(string name, int window, int features) { Name = name; Window = window; FeatureCount = features; }

    /// <summary>train, validation or test.</summary>
    public string Name { get; }
    /// <summary>Input steps per sample.</summary>
    public int Window { get; }
    /// <summary>Features per step.</summary>
    public int FeatureCount { get; }
    /// <summary>Scaled inputs, sample-major [sample, step, feature].</summary>
    public List<float> Inputs { get; } = [];
    /// <summary>Scaled targets, one per sample.</summary>
    public List<float> Targets { get; } = [];
    /// <summary>Row index of each sample's last input step (the forecast origin t).</summary>
    public List<int> Origins { get; } = [];
    /// <summary>Row index of each sample's first input step.</summary>
    public List<int> WindowStarts { get; } = [];
    /// <summary>Row index of each target (t + h).</summary>
    public List<int> TargetIndices { get; } = [];
    /// <summary>Which series (ticker) each sample comes from.</summary>
    public List<int> SeriesIds { get; } = [];
    /// <summary>Number of samples.</summary>
    public int Count => Targets.Count;

    /// <summary>The samples as a batch: inputs [n, window, features], targets [n, 1].</summary>
    public SequenceBatch ToBatch() => ToBatch(Enumerable.Range(0, Count).ToArray());

    /// <summary>The chosen samples as a batch (one tensor copy each for inputs and targets; no per-element tensors).</summary>
    public SequenceBatch ToBatch(IReadOnlyList<int> samples)
    {
        int size = Window * FeatureCount;
        var inputs = new float[samples.Count * size];
        var targets = new float[samples.Count];
        var all = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(Inputs);
        for (int i = 0; i < samples.Count; i++)
        {
            all.Slice(samples[i] * size, size).CopyTo(inputs.AsSpan(i * size, size));
            targets[i] = Targets[samples[i]];
        }
        return SequenceBatch.PerSequence(tensor(inputs, [samples.Count, Window, FeatureCount]), tensor(targets, [samples.Count, 1]));
    }
}

/// <summary>
/// Sliding forecasting windows cut from one or more series with an honest chronological split: each series' timeline is
/// divided into train / validation / test spans; every window lies wholly inside one span (validation and test windows never
/// reach back into training data, so they contain no training targets); scalers are fitted on the training span only.
/// </summary>
public sealed class ForecastWindows
{
    ForecastWindows(ForecastOptions options, IReadOnlyList<TimeSeriesTable> tables)
    {
        Options = options;
        Tables = tables;
        Train = new ForecastSplit("train", options.Window, options.FeatureColumns.Count);
        Validation = new ForecastSplit("validation", options.Window, options.FeatureColumns.Count);
        Test = new ForecastSplit("test", options.Window, options.FeatureColumns.Count);
    }

    /// <summary>The options used.</summary>
    public ForecastOptions Options { get; }
    /// <summary>The series, in id order.</summary>
    public IReadOnlyList<TimeSeriesTable> Tables { get; }
    /// <summary>Training samples.</summary>
    public ForecastSplit Train { get; }
    /// <summary>Validation samples.</summary>
    public ForecastSplit Validation { get; }
    /// <summary>Test samples.</summary>
    public ForecastSplit Test { get; }
    /// <summary>Per series: one scaler per feature column, fitted on that series' training span.</summary>
    public List<StandardScaler[]> FeatureScalers { get; } = [];
    /// <summary>Per series: the target scaler, fitted on that series' training targets.</summary>
    public List<StandardScaler> TargetScalers { get; } = [];
    /// <summary>Per series: the first row of the validation span and of the test span.</summary>
    public List<(int ValidationStart, int TestStart)> Boundaries { get; } = [];

    /// <summary>Cuts windows from every table (e.g. several tickers) with the same options.</summary>
    public static ForecastWindows Build(ForecastOptions options, params TimeSeriesTable[] tables)
    {
        if (options.Horizon < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Horizon, "the horizon must be at least 1");
        if (options.Window < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Window, "the window must be at least 1");
        if (options.TrainFraction <= 0 || options.ValidationFraction < 0 || options.TrainFraction + options.ValidationFraction >= 1)
            throw new ArgumentException("need 0 < train fraction, 0 ≤ validation fraction and their sum < 1");
        var windows = new ForecastWindows(options, tables);
        for (int id = 0; id < tables.Length; id++) windows.Add(id, tables[id]);
        return windows;
    }

    void Add(int id, TimeSeriesTable table)
    {
        var o = Options;
        int n = table.Count;
        int validationStart = (int)(n * o.TrainFraction), testStart = (int)(n * (o.TrainFraction + o.ValidationFraction));
        int first = o.Features == SeriesTransform.Level ? 0 : 1; // returns need the previous row
        int needed = first + o.Window + o.Horizon;
        foreach (var (name, start, end) in new[] { ("training", 0, validationStart), ("validation", validationStart, testStart), ("test", testStart, n) })
            if (end - start < needed && !(name == "validation" && o.ValidationFraction == 0))
                throw new ArgumentException($"{table.Source}: the {name} span has {end - start} rows, but one window of {o.Window} steps with horizon {o.Horizon} needs {needed}");

        var target = table[o.TargetColumn];
        var features = o.FeatureColumns.Select(c => Transformed(table, c, o.Features)).ToArray();
        var featureScalers = features.Select(f => StandardScaler.Fit(f.Skip(first).Take(validationStart - first))).ToArray();
        double TargetValue(int origin) => o.Target switch
        {
            SeriesTransform.Level => target[origin + o.Horizon],
            SeriesTransform.Return => target[origin + o.Horizon] / target[origin] - 1,
            _ => Math.Log(target[origin + o.Horizon] / target[origin]),
        };
        var trainingTargets = Enumerable.Range(first + o.Window - 1, Math.Max(0, validationStart - o.Horizon - (first + o.Window - 1))).Select(TargetValue);
        var targetScaler = StandardScaler.Fit(trainingTargets);
        FeatureScalers.Add(featureScalers);
        TargetScalers.Add(targetScaler);
        Boundaries.Add((validationStart, testStart));

        foreach (var (split, start, end) in new[] { (Train, first, validationStart), (Validation, validationStart, testStart), (Test, testStart, n) })
            for (int windowStart = start; windowStart + o.Window - 1 + o.Horizon < end; windowStart++)
            {
                int origin = windowStart + o.Window - 1;
                for (int s = windowStart; s <= origin; s++)
                    for (int f = 0; f < features.Length; f++)
                        split.Inputs.Add((float)featureScalers[f].Transform(features[f][s]));
                split.Targets.Add((float)targetScaler.Transform(TargetValue(origin)));
                split.Origins.Add(origin);
                split.WindowStarts.Add(windowStart);
                split.TargetIndices.Add(origin + o.Horizon);
                split.SeriesIds.Add(id);
            }
    }

    /// <summary>Turns scaled model outputs for <paramref name="split"/>'s samples back into forecasts of the target column's level.</summary>
    public double[] ToLevels(ForecastSplit split, IReadOnlyList<float> scaledPredictions)
    {
        var levels = new double[split.Count];
        for (int i = 0; i < split.Count; i++)
        {
            int id = split.SeriesIds[i];
            double value = TargetScalers[id].Inverse(scaledPredictions[i]);
            double last = Tables[id][Options.TargetColumn][split.Origins[i]];
            levels[i] = Options.Target switch
            {
                SeriesTransform.Level => value,
                SeriesTransform.Return => last * (1 + value),
                _ => last * Math.Exp(value),
            };
        }
        return levels;
    }

    /// <summary>Scores level forecasts for <paramref name="split"/> (MASE scaled by each series' in-sample h-step naive error).</summary>
    public ForecastScore Score(ForecastSplit split, IReadOnlyList<double> levelForecasts)
    {
        var actual = new double[split.Count];
        var reference = new double[split.Count];
        for (int i = 0; i < split.Count; i++)
        {
            var series = Tables[split.SeriesIds[i]][Options.TargetColumn];
            actual[i] = series[split.TargetIndices[i]];
            reference[i] = series[split.Origins[i]];
        }
        double scale = Enumerable.Range(0, Tables.Count)
            .Average(id => ForecastMetrics.NaiveScale(Tables[id][Options.TargetColumn].Take(Boundaries[id].ValidationStart).ToList(), Options.Horizon));
        return ForecastMetrics.Score(actual, levelForecasts, reference, scale);
    }

    /// <summary>A baseline's level forecasts for every sample of <paramref name="split"/>, from the history up to each origin.</summary>
    public double[] Baseline(ForecastSplit split, Func<IReadOnlyList<double>, int, double> forecaster)
    {
        var result = new double[split.Count];
        for (int i = 0; i < split.Count; i++)
        {
            var series = Tables[split.SeriesIds[i]][Options.TargetColumn] as double[] ?? Tables[split.SeriesIds[i]][Options.TargetColumn].ToArray();
            result[i] = forecaster(new ArraySegment<double>(series, 0, split.Origins[i] + 1), Options.Horizon);
        }
        return result;
    }

    static double[] Transformed(TimeSeriesTable table, string column, SeriesTransform transform)
    {
        var values = table[column];
        var result = new double[values.Count];
        for (int t = 0; t < values.Count; t++)
        {
            if (transform == SeriesTransform.Level) { result[t] = values[t]; continue; }
            if (t == 0) { result[t] = double.NaN; continue; }
            if (transform == SeriesTransform.LogReturn && (values[t] <= 0 || values[t - 1] <= 0))
                throw new ArgumentException($"{table.Source}: column '{column}' has a value ≤ 0 on {table.Dates[values[t] <= 0 ? t : t - 1]:yyyy-MM-dd}; log returns need positive values (use Level or Return)");
            result[t] = transform == SeriesTransform.Return ? values[t] / values[t - 1] - 1 : Math.Log(values[t] / values[t - 1]);
        }
        return result;
    }
}
