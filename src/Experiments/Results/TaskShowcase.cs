namespace SeqLab.Experiments.Results;

/// <summary>One test-set forecast in price (level) units beside the actual value and the naive forecast.</summary>
/// <param name="Series">Which series (ticker or column) it belongs to.</param>
/// <param name="Date">The target's date (ISO 8601).</param>
/// <param name="Actual">The observed level.</param>
/// <param name="Predicted">The model's forecast, back-transformed to levels.</param>
/// <param name="Naive">The naive (no-change) forecast.</param>
public sealed record ForecastPoint(string Series, string Date, double Actual, double Predicted, double Naive);

/// <summary>A language model's continuation of a prompt taken from the test text.</summary>
public sealed record GeneratedSample(string Prompt, string Continuation, double Temperature);

/// <summary>What a trained model produces on its task, kept for the report: forecasts or generated text (either may be empty).</summary>
public sealed record TaskShowcase(IReadOnlyList<ForecastPoint> Forecasts, IReadOnlyList<GeneratedSample> Samples)
{
    /// <summary>Nothing to show (tasks whose report needs only the logs, e.g. classification with its confusion matrix).</summary>
    public static TaskShowcase None { get; } = new([], []);
}
