using SeqLab.Data.Batches;
using static TorchSharp.torch;

namespace SeqLab.Data.Synthetic;

/// <summary>
/// The temporal-order task (Hochreiter &amp; Schmidhuber 1997; Pascanu et al. 2013): a sequence of distractor symbols holds
/// two relevant symbols, each A or B, one at a position in [0.1 L, 0.2 L) and one in [0.5 L, 0.6 L). The class is their
/// order: AA, AB, BA or BB. Inputs are one-hot over six symbols (four distractors, A, B); targets are class indices.
/// </summary>
public sealed class TemporalOrder
{
    /// <summary>One-hot channels: C, D, E, F, A, B.</summary>
    public const int Features = 6;
    /// <summary>AA, AB, BA, BB.</summary>
    public const int Classes = 4;
    /// <summary>Class names in index order.</summary>
    public static readonly IReadOnlyList<string> ClassNames = ["AA", "AB", "BA", "BB"];

    /// <summary>Creates the task for sequences of <paramref name="length"/> steps (at least 10, so both windows hold a step).</summary>
    public TemporalOrder(int length)
    {
        if (length < 10) throw new ArgumentOutOfRangeException(nameof(length), length, "must be at least 10");
        Length = length;
    }

    /// <summary>L.</summary>
    public int Length { get; }

    /// <summary>Chance accuracy (the classes are equally likely).</summary>
    public static double ChanceAccuracy => 1.0 / Classes;

    /// <summary>A batch of fixed-length sequences: inputs [batch, L, 6], targets int64 [batch].</summary>
    public SequenceBatch Sample(int batchSize, Generator generator) => Sample(batchSize, Length, Length, generator);

    /// <summary>A variable-length batch with L drawn per sequence from [<paramref name="minLength"/>, <paramref name="maxLength"/>]; padded at the end.</summary>
    public SequenceBatch Sample(int batchSize, int minLength, int maxLength, Generator generator)
    {
        if (minLength < 10 || maxLength < minLength) throw new ArgumentException($"need 10 ≤ minLength ≤ maxLength, got {minLength}, {maxLength}");
        using var lengthDraws = randint(minLength, maxLength + 1, [batchSize], dtype: ScalarType.Int64, generator: generator);
        using var classDraws = randint(0, Classes, [batchSize], dtype: ScalarType.Int64, generator: generator);
        using var distractorDraws = randint(0, 4, [batchSize, maxLength], dtype: ScalarType.Int64, generator: generator);
        using var positionDraws = rand([batchSize, 2], dtype: ScalarType.Float64, generator: generator);
        var lengths = lengthDraws.data<long>().ToArray();
        var classes = classDraws.data<long>().ToArray();
        var distractors = distractorDraws.data<long>().ToArray();
        var positions = positionDraws.data<double>().ToArray();
        var sequences = new float[batchSize][];
        for (int b = 0; b < batchSize; b++)
        {
            int length = (int)lengths[b];
            var symbols = new int[length];
            for (int t = 0; t < length; t++) symbols[t] = (int)distractors[b * maxLength + t];
            int first = Position(length, 0.1, 0.2, positions[2 * b]);
            int second = Position(length, 0.5, 0.6, positions[2 * b + 1]);
            symbols[first] = classes[b] >= 2 ? 5 : 4;       // A = 4, B = 5
            symbols[second] = classes[b] % 2 == 1 ? 5 : 4;
            var oneHot = new float[length * Features];
            for (int t = 0; t < length; t++) oneHot[t * Features + symbols[t]] = 1;
            sequences[b] = oneHot;
        }
        return Collate.Features(sequences, Features, tensor(classes));
    }

    static int Position(int length, double from, double to, double uniform)
    {
        int low = (int)Math.Floor(from * length), high = Math.Max(low + 1, (int)Math.Floor(to * length));
        return low + (int)(uniform * (high - low));
    }
}
