using System.Text;
using SeqLab.Data.Batches;
using static TorchSharp.torch;

namespace SeqLab.Data.Text;

/// <summary>Reads text files strictly as UTF-8.</summary>
public static class TextCorpus
{
    /// <summary>The text of <paramref name="path"/> (BOM dropped, CRLF read as LF); an empty file or invalid UTF-8 is an error naming the line.</summary>
    public static string Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        byte[] bytes = File.ReadAllBytes(path);
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException exception)
        {
            int offset = exception.Index;
            int line = 1 + bytes.Take(Math.Max(0, offset)).Count(b => b == (byte)'\n');
            throw new DataFormatException(path, line, null, $"invalid UTF-8 at byte {offset}; save the file as UTF-8");
        }
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        if (text.Trim().Length == 0) throw new DataFormatException(path, 1, null, "the file is empty; expected text");
        return text.Replace("\r\n", "\n");
    }

    /// <summary>Reads <c>label&lt;TAB&gt;text</c> lines for sequence classification; a line without a tab or with an empty part is an error.</summary>
    public static IReadOnlyList<(string Label, string Text, int Line)> LoadLabelled(string path)
    {
        var result = new List<(string, string, int)>();
        int number = 0;
        foreach (var line in Load(path).Split('\n'))
        {
            number++;
            if (line.Trim().Length == 0) continue;
            int tab = line.IndexOf('\t');
            if (tab < 0) throw new DataFormatException(path, number, null, "expected 'label<TAB>text', found no tab");
            string label = line[..tab].Trim(), text = line[(tab + 1)..].Trim();
            if (label.Length == 0) throw new DataFormatException(path, number, "label", "empty label");
            if (text.Length == 0) throw new DataFormatException(path, number, "text", "empty text");
            result.Add((label, text, number));
        }
        return result;
    }
}

/// <summary>
/// Language-modelling windows over a token stream split by position: the first part trains, the last part validates, and
/// no window crosses the split, so no training window overlaps a validation window. Each window of <c>context</c> ids
/// predicts the same ids shifted by one.
/// </summary>
public sealed class LanguageModelData
{
    /// <summary>Splits <paramref name="ids"/> at (1 − validationFraction) and indexes windows every <paramref name="stride"/> ids.</summary>
    public LanguageModelData(IReadOnlyList<int> ids, int context, int stride, double validationFraction)
    {
        if (context < 1) throw new ArgumentOutOfRangeException(nameof(context), context, "must be at least 1");
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride), stride, "must be at least 1");
        if (validationFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must be in (0, 1)");
        Ids = ids as int[] ?? ids.ToArray();
        Context = context;
        Split = (int)(Ids.Length * (1 - validationFraction));
        TrainStarts = Starts(0, Split, stride);
        ValidationStarts = Starts(Split, Ids.Length, stride);
        if (TrainStarts.Count == 0 || ValidationStarts.Count == 0)
            throw new ArgumentException($"{Ids.Length} tokens split at {Split} leave no window of {context + 1} tokens in {(TrainStarts.Count == 0 ? "training" : "validation")}");
    }

    /// <summary>The whole token stream.</summary>
    public int[] Ids { get; }
    /// <summary>Tokens per window.</summary>
    public int Context { get; }
    /// <summary>First validation position; training windows end before it.</summary>
    public int Split { get; }
    /// <summary>Start positions of training windows.</summary>
    public IReadOnlyList<int> TrainStarts { get; }
    /// <summary>Start positions of validation windows.</summary>
    public IReadOnlyList<int> ValidationStarts { get; }

    List<int> Starts(int from, int to, int stride)
    {
        var starts = new List<int>();
        for (int start = from; start + Context + 1 <= to; start += stride) starts.Add(start);
        return starts;
    }

    /// <summary>A random batch of training windows drawn with <paramref name="generator"/>: inputs and targets int64 [batch, context].</summary>
    public SequenceBatch SampleTraining(int batchSize, Generator generator)
    {
        using var picks = randint(0, TrainStarts.Count, [batchSize], dtype: ScalarType.Int64, generator: generator);
        return Windows(picks.data<long>().Select(i => TrainStarts[(int)i]).ToArray());
    }

    /// <summary>
    /// For truncated BPTT: the training tokens cut into <paramref name="batchSize"/> contiguous streams, read
    /// <see cref="Context"/> tokens at a time. Returns the number of windows per stream (one pass over the training text).
    /// </summary>
    public int SequentialWindows(int batchSize) => ((Split / batchSize) - 1) / Context;

    /// <summary>
    /// Window <paramref name="index"/> (mod <see cref="SequentialWindows"/>) of every stream: row b continues row b of
    /// window index − 1, so a recurrent state carried from one batch to the next reads on where it stopped.
    /// </summary>
    public SequenceBatch SequentialBatch(int batchSize, int index)
    {
        int windows = SequentialWindows(batchSize);
        if (windows < 1) throw new ArgumentException($"{Split} training tokens cannot fill {batchSize} streams of at least {Context + 1} tokens");
        int streamLength = Split / batchSize, offset = (index % windows) * Context;
        return Windows(Enumerable.Range(0, batchSize).Select(b => b * streamLength + offset).ToList());
    }

    /// <summary>The windows starting at <paramref name="starts"/>.</summary>
    public SequenceBatch Windows(IReadOnlyList<int> starts)
    {
        var inputs = new long[starts.Count * Context];
        var targets = new long[starts.Count * Context];
        for (int b = 0; b < starts.Count; b++)
            for (int t = 0; t < Context; t++)
            {
                inputs[b * Context + t] = Ids[starts[b] + t];
                targets[b * Context + t] = Ids[starts[b] + t + 1];
            }
        return SequenceBatch.PerStep(tensor(inputs, [starts.Count, Context]), tensor(targets, [starts.Count, Context]));
    }
}
