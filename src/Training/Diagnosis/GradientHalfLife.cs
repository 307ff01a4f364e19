namespace SeqLab.Training.Diagnosis;

/// <summary>How many steps back a gradient profile halves.</summary>
public static class GradientHalfLife
{
    /// <summary>
    /// Gradient half-life in time steps: fits log ‖∂L/∂x_t‖ against the distance T − t by least squares (over the positive
    /// norms) and returns ln 2 / decay rate — how many steps back the gradient halves. Infinity when it does not decay
    /// (slope ≥ 0); NaN when fewer than two norms are positive.
    /// </summary>
    public static double Of(IReadOnlyList<double> normsByTimeStep)
    {
        int length = normsByTimeStep.Count;
        var points = Enumerable.Range(0, length).Where(t => normsByTimeStep[t] > 0 && double.IsFinite(normsByTimeStep[t]))
            .Select(t => (Distance: (double)(length - 1 - t), Log: Math.Log(normsByTimeStep[t]))).ToList();
        if (points.Count < 2) return double.NaN;
        double meanX = points.Average(p => p.Distance), meanY = points.Average(p => p.Log);
        double covariance = points.Sum(p => (p.Distance - meanX) * (p.Log - meanY));
        double variance = points.Sum(p => (p.Distance - meanX) * (p.Distance - meanX));
        if (variance == 0) return double.NaN;
        double slope = covariance / variance;
        return slope >= 0 ? double.PositiveInfinity : Math.Log(2) / -slope;
    }

    /// <summary>The half-life of each logged step's profile: the records grouped by step, ordered by time step.</summary>
    public static IEnumerable<(int Step, double HalfLife)> PerStep<T>(IEnumerable<T> records, Func<T, int> step, Func<T, int> timeStep, Func<T, double> norm) =>
        records.GroupBy(step).Select(group => (group.Key, Of(group.OrderBy(timeStep).Select(norm).ToList())));
}
