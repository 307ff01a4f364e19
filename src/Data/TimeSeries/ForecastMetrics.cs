namespace SeqLab.Data.TimeSeries;

/// <summary>Forecast accuracy on one set of forecasts, in the target's own units.</summary>
/// <param name="Rmse">Root mean squared error.</param>
/// <param name="Mae">Mean absolute error.</param>
/// <param name="Mape">Mean absolute percentage error (%), over actual values ≠ 0.</param>
/// <param name="Smape">Symmetric MAPE (%): mean of 2|F−A|/(|A|+|F|).</param>
/// <param name="Mase">MAE divided by the in-sample MAE of the naive forecast (1 = as good as the random walk).</param>
/// <param name="DirectionalAccuracy">Share of forecasts that got the direction of change right.</param>
/// <param name="DirectionalLow">Lower end of the 95 % Wilson interval of the directional accuracy.</param>
/// <param name="DirectionalHigh">Upper end of that interval.</param>
/// <param name="Count">Forecasts scored.</param>
public sealed record ForecastScore(double Rmse, double Mae, double Mape, double Smape, double Mase, double DirectionalAccuracy, double DirectionalLow, double DirectionalHigh, int Count);

/// <summary>Computes <see cref="ForecastScore"/>s.</summary>
public static class ForecastMetrics
{
    /// <summary>
    /// Scores <paramref name="forecast"/> against <paramref name="actual"/>. <paramref name="reference"/> is the last known
    /// value at each forecast origin (direction = sign of change from it); <paramref name="naiveScale"/> is the in-sample
    /// naive MAE that MASE divides by (see <see cref="NaiveScale"/>).
    /// </summary>
    public static ForecastScore Score(IReadOnlyList<double> actual, IReadOnlyList<double> forecast, IReadOnlyList<double> reference, double naiveScale)
    {
        int n = actual.Count;
        if (n == 0 || forecast.Count != n || reference.Count != n)
            throw new ArgumentException($"need equally long, non-empty series (actual {n}, forecast {forecast.Count}, reference {reference.Count})");
        double squared = 0, absolute = 0, percentage = 0, symmetric = 0;
        int percentageCount = 0, symmetricCount = 0, directional = 0, directionCount = 0;
        for (int i = 0; i < n; i++)
        {
            double error = forecast[i] - actual[i];
            squared += error * error;
            absolute += Math.Abs(error);
            if (actual[i] != 0) { percentage += Math.Abs(error / actual[i]); percentageCount++; }
            double denominator = Math.Abs(actual[i]) + Math.Abs(forecast[i]);
            symmetricCount++;
            if (denominator != 0) symmetric += 2 * Math.Abs(error) / denominator;
            int actualDirection = Math.Sign(actual[i] - reference[i]);
            int forecastDirection = Math.Sign(forecast[i] - reference[i]);
            if (actualDirection != 0) { directionCount++; if (actualDirection == forecastDirection) directional++; }
        }
        double mae = absolute / n;
        double accuracy = directionCount == 0 ? double.NaN : directional / (double)directionCount;
        var (low, high) = WilsonInterval(directional, directionCount);
        return new ForecastScore(Math.Sqrt(squared / n), mae,
            percentageCount == 0 ? double.NaN : 100 * percentage / percentageCount, 100 * symmetric / symmetricCount,
            naiveScale > 0 ? mae / naiveScale : double.NaN, accuracy, low, high, n);
    }

    /// <summary>Mean |y_t − y_{t−lag}| over <paramref name="training"/>: the MASE denominator (lag = horizon, or the season length for seasonal data).</summary>
    public static double NaiveScale(IReadOnlyList<double> training, int lag = 1)
    {
        if (training.Count <= lag) throw new ArgumentException($"need more than {lag} training values to scale MASE");
        double sum = 0;
        for (int t = lag; t < training.Count; t++) sum += Math.Abs(training[t] - training[t - lag]);
        return sum / (training.Count - lag);
    }

    /// <summary>95 % Wilson score interval for <paramref name="successes"/> out of <paramref name="trials"/>.</summary>
    public static (double Low, double High) WilsonInterval(int successes, int trials, double z = 1.959963984540054)
    {
        if (trials == 0) return (double.NaN, double.NaN);
        double p = successes / (double)trials, z2 = z * z;
        double centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
        double half = z * Math.Sqrt(p * (1 - p) / trials + z2 / (4.0 * trials * trials)) / (1 + z2 / trials);
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }
}
