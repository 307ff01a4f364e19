using SeqLab.Models;

namespace SeqLab.Tasks;

/// <summary>What the data gives a model to read at each step: feature vectors or token ids (the model chooses its embedding).</summary>
/// <param name="Features">Real-valued features per step; 0 for token ids.</param>
/// <param name="Vocabulary">Number of token ids; 0 for feature vectors.</param>
public sealed record DataInput(int Features = 0, int Vocabulary = 0)
{
    /// <summary>True when the model reads token ids.</summary>
    public bool IsTokens => Vocabulary > 0;

    /// <summary>Feature vectors of <paramref name="features"/> values per step.</summary>
    public static DataInput ForFeatures(int features) => new(Features: features);

    /// <summary>Token ids below <paramref name="vocabulary"/>.</summary>
    public static DataInput ForTokens(int vocabulary) => new(Vocabulary: vocabulary);

    /// <summary>The Models library's input options, with the model's <paramref name="embeddingSize"/> for token ids.</summary>
    public InputOptions ToOptions(int embeddingSize) => IsTokens ? InputOptions.ForTokens(Vocabulary, embeddingSize) : InputOptions.ForFeatures(Features);
}

/// <summary>
/// The shape of a problem — what a model must map to what — which a kind of data declares and a kind of model accepts
/// or refuses (<see cref="IModelKind.Problem"/>). Before the data is read, sizes may be placeholders.
/// </summary>
/// <param name="Input">What the model reads.</param>
public abstract record ProblemShape(DataInput Input)
{
    /// <summary>The shape's name in summaries and reports (the <c>task</c> column).</summary>
    public abstract string Name { get; }
}

/// <summary>One sequence in, one head out: many-to-one, per step, or the next token (<see cref="TaskKind"/>).</summary>
/// <param name="Input">What the model reads.</param>
/// <param name="Task">What the head predicts.</param>
/// <param name="Outputs">Regression outputs or classes (language models: the vocabulary).</param>
public sealed record SingleSequenceShape(DataInput Input, TaskKind Task, int Outputs) : ProblemShape(Input)
{
    /// <inheritdoc />
    public override string Name => Task.ToString();
}

/// <summary>A source sequence to a target token sequence of its own length (translation, dates, transcription).</summary>
/// <param name="Input">What the encoder reads: source tokens or feature vectors.</param>
/// <param name="TargetVocabulary">Target token ids, the reserved ones (padding, start, end, unknown) included.</param>
public sealed record SequenceToSequenceShape(DataInput Input, int TargetVocabulary) : ProblemShape(Input)
{
    /// <inheritdoc />
    public override string Name => "SequenceToSequence";
}
