using SeqLab.Data.Batches;
using static TorchSharp.torch;

namespace SeqLab.Data.Synthetic;

/// <summary>
/// The copy-memory task (Arjovsky, Shah &amp; Bengio 2016): read <see cref="CopyLength"/> symbols from an alphabet of
/// <see cref="Symbols"/>, wait through <c>T</c> − 1 blanks, see a delimiter, and output the symbols in order during the
/// last <see cref="CopyLength"/> steps; every other step's target is blank. Tokens: 0 blank, 1…Symbols the symbols,
/// Symbols + 1 the delimiter. Targets are per-step classes 0…Symbols.
/// </summary>
public sealed class CopyMemory
{
    /// <summary>Creates the task with a gap of <paramref name="blanks"/> (T) steps.</summary>
    public CopyMemory(int blanks, int symbols = 8, int copyLength = 10)
    {
        if (blanks < 1) throw new ArgumentOutOfRangeException(nameof(blanks), blanks, "must be at least 1");
        if (symbols < 2) throw new ArgumentOutOfRangeException(nameof(symbols), symbols, "must be at least 2");
        if (copyLength < 1) throw new ArgumentOutOfRangeException(nameof(copyLength), copyLength, "must be at least 1");
        Blanks = blanks; Symbols = symbols; CopyLength = copyLength;
    }

    /// <summary>T: the gap between reading and recalling.</summary>
    public int Blanks { get; }
    /// <summary>Alphabet size (8 in the paper).</summary>
    public int Symbols { get; }
    /// <summary>Symbols to copy (10 in the paper).</summary>
    public int CopyLength { get; }
    /// <summary>Steps per sequence: T + 2 × CopyLength.</summary>
    public int Length => LengthFor(Blanks);
    /// <summary>Input token ids: blank, the symbols, the delimiter.</summary>
    public int VocabularySize => Symbols + 2;
    /// <summary>Target classes: blank and the symbols.</summary>
    public int Classes => Symbols + 1;
    /// <summary>The delimiter's id.</summary>
    public long Delimiter => Symbols + 1;

    /// <summary>Cross-entropy (nats per step) of the best memoryless strategy: blanks where they are certain, a uniform guess over the symbols in the last CopyLength steps: CopyLength · ln(Symbols) / (T + 2 CopyLength).</summary>
    public double MemorylessBaseline => BaselineFor(Blanks);

    double BaselineFor(int blanks) => CopyLength * Math.Log(Symbols) / LengthFor(blanks);
    int LengthFor(int blanks) => blanks + 2 * CopyLength;

    /// <summary>A batch of fixed-length sequences: inputs and targets int64 [batch, T + 2 CopyLength].</summary>
    public SequenceBatch Sample(int batchSize, Generator generator) => Sample(batchSize, Blanks, Blanks, generator);

    /// <summary>A variable-length batch: each sequence's gap drawn from [<paramref name="minBlanks"/>, <paramref name="maxBlanks"/>]; padded at the end, with lengths.</summary>
    public SequenceBatch Sample(int batchSize, int minBlanks, int maxBlanks, Generator generator)
    {
        if (minBlanks < 1 || maxBlanks < minBlanks) throw new ArgumentException($"need 1 ≤ minBlanks ≤ maxBlanks, got {minBlanks}, {maxBlanks}");
        using var symbolDraws = randint(1, Symbols + 1, [batchSize, CopyLength], dtype: ScalarType.Int64, generator: generator);
        using var gapDraws = randint(minBlanks, maxBlanks + 1, [batchSize], dtype: ScalarType.Int64, generator: generator);
        var symbols = symbolDraws.data<long>().ToArray();
        var gaps = gapDraws.data<long>().ToArray();
        var inputs = new long[batchSize][];
        var targets = new long[batchSize][];
        for (int b = 0; b < batchSize; b++)
        {
            int length = LengthFor((int)gaps[b]);
            var input = new long[length];
            var target = new long[length];
            for (int i = 0; i < CopyLength; i++)
            {
                input[i] = symbols[b * CopyLength + i];
                target[length - CopyLength + i] = symbols[b * CopyLength + i];
            }
            input[length - CopyLength - 1] = Delimiter;
            inputs[b] = input;
            targets[b] = target;
        }
        return Collate.TokensPerStep(inputs, targets);
    }
}
