namespace SeqLab.Training;

/// <summary>Metrics shared by the criteria (see <c>SeqLab.Training.Criteria</c>).</summary>
public static class TaskMetrics
{
    /// <summary>Mean F1 over the classes that occur in the targets or the predictions.</summary>
    public static double MacroF1(IReadOnlyList<long> predicted, IReadOnlyList<long> actual, int classes)
    {
        double sum = 0;
        int counted = 0;
        for (int c = 0; c < classes; c++)
        {
            int truePositive = 0, falsePositive = 0, falseNegative = 0;
            for (int i = 0; i < actual.Count; i++)
            {
                bool p = predicted[i] == c, a = actual[i] == c;
                if (p && a) truePositive++;
                else if (p) falsePositive++;
                else if (a) falseNegative++;
            }
            if (truePositive + falsePositive + falseNegative == 0) continue;
            sum += 2.0 * truePositive / (2.0 * truePositive + falsePositive + falseNegative);
            counted++;
        }
        return counted == 0 ? double.NaN : sum / counted;
    }
}
