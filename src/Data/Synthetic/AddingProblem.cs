using SeqLab.Data.Batches;
using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Data.Synthetic;

/// <summary>
/// The adding problem (Hochreiter &amp; Schmidhuber 1997, in the form of Arjovsky et al. 2016): each time step carries a
/// value drawn from U[0,1] and a marker channel; exactly one marker falls in each half of the sequence, and the target is
/// the sum of the two marked values. The first marker sits up to <see cref="Length"/> steps before the end, so the task
/// probes how far back gradients reach.
/// </summary>
public sealed class AddingProblem
{
    /// <summary>MSE of always predicting 1, the mean of the target: Var(U₁ + U₂) = 2 · 1/12 = 1/6.</summary>
    public const double TrivialBaselineMse = 1.0 / 6.0;

    /// <summary>Input channels: value and marker.</summary>
    public const int Features = 2;

    /// <summary>Creates the task for sequences of <paramref name="length"/> steps (at least 2).</summary>
    public AddingProblem(int length)
    {
        if (length < 2) throw new ArgumentOutOfRangeException(nameof(length), length, "The adding problem needs at least 2 time steps (one marker per half).");
        Length = length;
    }

    /// <summary>Sequence length T.</summary>
    public int Length { get; }

    /// <summary>
    /// Draws <paramref name="batchSize"/> sequences with <paramref name="generator"/>, so the same generator state gives the
    /// same batch. Inputs are [batch, T, 2] (value, marker); targets are [batch, 1].
    /// </summary>
    public SequenceBatch Sample(int batchSize, Generator generator)
    {
        using var scope = NewDisposeScope();
        int half = Length / 2;
        var values = rand([batchSize, Length], generator: generator);
        var first = randint(0, half, [batchSize, 1], generator: generator);
        var second = randint(half, Length, [batchSize, 1], generator: generator);
        var markers = zeros([batchSize, Length]);
        var one = ones([batchSize, 1]);
        markers.scatter_(1, first, one).scatter_(1, second, one);
        var inputs = stack([values, markers], dim: 2);
        var targets = (values * markers).sum(1, keepdim: true);
        return SequenceBatch.PerSequence(inputs.MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// A variable-length batch: each sequence's length is drawn from [<paramref name="minLength"/>, <paramref name="maxLength"/>],
    /// its markers fall one in each half of its own length, and the batch is padded at the end with lengths.
    /// </summary>
    public static SequenceBatch SampleVariable(int batchSize, int minLength, int maxLength, Generator generator)
    {
        if (minLength < 2 || maxLength < minLength) throw new ArgumentException($"need 2 ≤ minLength ≤ maxLength, got {minLength}, {maxLength}");
        using var lengthDraws = randint(minLength, maxLength + 1, [batchSize], dtype: ScalarType.Int64, generator: generator);
        using var valueDraws = rand([batchSize, maxLength], generator: generator);
        using var markerDraws = rand([batchSize, 2], dtype: ScalarType.Float64, generator: generator);
        var lengths = lengthDraws.data<long>().ToArray();
        var values = valueDraws.data<float>().ToArray();
        var uniforms = markerDraws.data<double>().ToArray();
        var sequences = new float[batchSize][];
        var targets = new float[batchSize];
        for (int b = 0; b < batchSize; b++)
        {
            int length = (int)lengths[b], half = length / 2;
            int first = (int)(uniforms[2 * b] * half), second = half + (int)(uniforms[2 * b + 1] * (length - half));
            var sequence = new float[length * Features];
            for (int t = 0; t < length; t++) sequence[t * Features] = values[b * maxLength + t];
            sequence[first * Features + 1] = 1;
            sequence[second * Features + 1] = 1;
            targets[b] = values[b * maxLength + first] + values[b * maxLength + second];
            sequences[b] = sequence;
        }
        return Collate.Features(sequences, Features, tensor(targets, [batchSize, 1]));
    }

    /// <summary>Draws a fixed data set of <paramref name="count"/> sequences from its own seed (for validation and test sets).</summary>
    public SequenceBatch FixedSet(int count, long seed)
    {
        using var generator = new Generator((ulong)seed);
        return Sample(count, generator);
    }
}
