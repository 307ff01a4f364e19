namespace SeqLab.Reports;

/// <summary>One test pair of a sequence-to-sequence task as decoded at the end of training (<c>translations.json</c>).</summary>
/// <param name="Source">The source text.</param>
/// <param name="Reference">The reference target.</param>
/// <param name="Greedy">What greedy decoding wrote.</param>
/// <param name="Beam">What beam search wrote.</param>
/// <param name="GreedyLogProbability">The greedy output's log probability under the model.</param>
/// <param name="BeamLogProbability">The beam output's log probability under the model.</param>
public sealed record TranslationSample(string Source, string Reference, string Greedy, string Beam, double GreedyLogProbability, double BeamLogProbability);
