namespace SeqLab.Data.TimeSeries;

/// <summary>
/// The honest baselines every forecaster is shown beside. Each forecasts y_{t+h} from the history y_0 … y_t alone.
/// </summary>
public static class Baselines
{
    /// <summary>Naive (random walk): the last value.</summary>
    public static double Naive(IReadOnlyList<double> history, int horizon) => history[^1];

    /// <summary>Drift: the last value plus h times the average change over the history.</summary>
    public static double Drift(IReadOnlyList<double> history, int horizon) =>
        history.Count < 2 ? history[^1] : history[^1] + horizon * (history[^1] - history[0]) / (history.Count - 1);

    /// <summary>Moving average of the last <paramref name="window"/> values.</summary>
    public static double MovingAverage(IReadOnlyList<double> history, int window)
    {
        int k = Math.Min(window, history.Count);
        double sum = 0;
        for (int i = history.Count - k; i < history.Count; i++) sum += history[i];
        return sum / k;
    }

    /// <summary>Seasonal naive: the value one season (of <paramref name="season"/> steps) before the target time.</summary>
    public static double SeasonalNaive(IReadOnlyList<double> history, int horizon, int season)
    {
        int back = season * ((horizon - 1) / season + 1) - horizon; // steps before the last value
        return back < history.Count ? history[history.Count - 1 - back] : history[^1];
    }

    /// <summary>
    /// Climatology: the mean of the values one, two, … seasons before the target time, each with its
    /// <paramref name="halfWidth"/> neighbours on either side (for daily weather: the same calendar days ± a week in every
    /// earlier year). Only values in the history count; with none, the last value. A season of 365 days drifts by one day
    /// per leap year, which a half-width of a few days absorbs.
    /// </summary>
    public static double SeasonalMean(IReadOnlyList<double> history, int horizon, int season, int halfWidth = 0)
    {
        if (season < 1) throw new ArgumentOutOfRangeException(nameof(season), season, "the season must be at least 1 step");
        if (halfWidth < 0) throw new ArgumentOutOfRangeException(nameof(halfWidth), halfWidth, "the half-width cannot be negative");
        int target = history.Count - 1 + horizon;
        double sum = 0;
        int count = 0;
        for (int centre = target - season; centre + halfWidth >= 0; centre -= season)
            for (int i = Math.Max(0, centre - halfWidth); i <= Math.Min(history.Count - 1, centre + halfWidth); i++)
            {
                sum += history[i];
                count++;
            }
        return count == 0 ? history[^1] : sum / count;
    }

    /// <summary>The named baselines as forecasters (history, horizon) → forecast.</summary>
    public static IReadOnlyDictionary<string, Func<IReadOnlyList<double>, int, double>> All(int movingAverageWindow = 5, int? season = null)
    {
        var all = new Dictionary<string, Func<IReadOnlyList<double>, int, double>>
        {
            ["naive"] = Naive,
            ["drift"] = Drift,
            [$"moving_average_{movingAverageWindow}"] = (history, _) => MovingAverage(history, movingAverageWindow),
        };
        if (season is int m) all[$"seasonal_naive_{m}"] = (history, h) => SeasonalNaive(history, h, m);
        return all;
    }
}

/// <summary>Expanding-window (walk-forward) evaluation: refit on everything up to each origin, forecast h steps ahead, score all forecasts.</summary>
public static class WalkForward
{
    /// <summary>
    /// For every origin t from <paramref name="initialTraining"/> − 1 to n − 1 − h (every <paramref name="step"/> steps), forecasts
    /// y_{t+h} from y_0 … y_t and scores the forecasts; MASE is scaled by the naive error on the initial training span.
    /// </summary>
    public static ForecastScore Evaluate(IReadOnlyList<double> series, int initialTraining, int horizon, Func<IReadOnlyList<double>, int, double> forecaster, int step = 1)
    {
        if (initialTraining < 2 || initialTraining + horizon > series.Count)
            throw new ArgumentException($"a series of {series.Count} values cannot give an initial training span of {initialTraining} and horizon {horizon}");
        var actual = new List<double>();
        var forecast = new List<double>();
        var reference = new List<double>();
        var values = series as double[] ?? series.ToArray();
        for (int origin = initialTraining - 1; origin + horizon < series.Count; origin += step)
        {
            var history = new ArraySegment<double>(values, 0, origin + 1);
            forecast.Add(forecaster(history, horizon));
            actual.Add(values[origin + horizon]);
            reference.Add(values[origin]);
        }
        double scale = ForecastMetrics.NaiveScale(new ArraySegment<double>(values, 0, initialTraining), horizon);
        return ForecastMetrics.Score(actual, forecast, reference, scale);
    }
}
