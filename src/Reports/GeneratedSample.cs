namespace SeqLab.Reports;

/// <summary>A generated continuation of a prompt from the test text (<c>samples.json</c>).</summary>
/// <param name="Prompt">The prompt.</param>
/// <param name="Continuation">What the model wrote.</param>
/// <param name="Temperature">The sampling temperature.</param>
public sealed record GeneratedSample(string Prompt, string Continuation, double Temperature);
