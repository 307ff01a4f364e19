using System.Globalization;
using System.Text.RegularExpressions;

namespace SeqLab.Reports;

/// <summary>
/// When a run counts as a success, e.g. <c>test_loss &lt; 0.01</c>: a quantity, a comparison and a number. The quantity is
/// <c>test_loss</c>, <c>baseline_ratio</c> (test loss ÷ the task's trivial baseline) or any test metric (<c>accuracy</c>,
/// <c>macro_f1</c>, <c>perplexity</c>, <c>mase</c>, …). Used for success rates over seeds.
/// </summary>
public sealed partial record SuccessCriterion(string Quantity, string Comparison, double Threshold)
{
    /// <summary>Reads <paramref name="text"/>; a malformed criterion is an error saying what was expected.</summary>
    public static SuccessCriterion Parse(string text)
    {
        var match = Pattern().Match(text);
        if (!match.Success || !double.TryParse(match.Groups[3].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double threshold))
            throw new FormatException($"'{text}' is not a success criterion; expected '<quantity> <comparison> <number>', e.g. 'test_loss < 0.01', 'baseline_ratio < 0.1' or 'accuracy >= 0.99' (comparisons: <, <=, >, >=)");
        return new SuccessCriterion(match.Groups[1].Value, match.Groups[2].Value, threshold);
    }

    /// <summary>The quantity's value in <paramref name="summary"/>, or null when the run did not measure it (or did not complete).</summary>
    public double? ValueIn(ExperimentSummary summary) => Quantity switch
    {
        _ when summary.TestLoss is null => null,
        "test_loss" => summary.TestLoss,
        "baseline_ratio" => summary.BaselineLoss is > 0 and double baseline ? summary.TestLoss / baseline : null,
        _ => summary.TestMetrics.TryGetValue(Quantity, out double value) ? value : null,
    };

    /// <summary>Whether <paramref name="summary"/> meets the criterion: false for a run that diverged or failed, null when the quantity was not measured.</summary>
    public bool? Holds(ExperimentSummary summary)
    {
        if (summary.Status is "diverged" or "failed") return false;
        if (ValueIn(summary) is not double value || double.IsNaN(value)) return null;
        return Comparison switch
        {
            "<" => value < Threshold,
            "<=" => value <= Threshold,
            ">" => value > Threshold,
            _ => value >= Threshold,
        };
    }

    /// <inheritdoc />
    public override string ToString() => $"{Quantity} {Comparison} {Threshold.ToString("G", CultureInfo.InvariantCulture)}";

    [GeneratedRegex(@"^\s*([a-z][a-z0-9_]*)\s*(<=|>=|<|>)\s*(\S+)\s*$")]
    private static partial Regex Pattern();
}
