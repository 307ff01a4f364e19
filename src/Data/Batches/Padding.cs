using static TorchSharp.torch;

namespace SeqLab.Data.Batches;

/// <summary>Where padding goes.</summary>
public enum PaddingSide
{
    /// <summary>After the valid steps (post-padding; what SeqLab's models expect, and what packing needs).</summary>
    End,
    /// <summary>Before the valid steps (pre-padding).</summary>
    Start,
}

/// <summary>Which part of a too-long sequence survives truncation.</summary>
public enum KeepPart
{
    /// <summary>Keep the first steps (cut the tail).</summary>
    First,
    /// <summary>Keep the last steps (cut the head).</summary>
    Last,
}

/// <summary>How variable-length sequences become one padded batch.</summary>
/// <param name="MaxLength">Truncate longer sequences to this many steps; null = no limit.</param>
/// <param name="Side">Padding before or after the valid steps.</param>
/// <param name="Keep">Which part of a too-long sequence to keep.</param>
/// <param name="PadValue">Value of padded feature steps.</param>
/// <param name="PadToken">Id of padded token steps (and of padded per-step class targets).</param>
public sealed record PaddingOptions(int? MaxLength = null, PaddingSide Side = PaddingSide.End, KeepPart Keep = KeepPart.First, float PadValue = 0, long PadToken = 0);

/// <summary>Pads and truncates sequences into a <see cref="SequenceBatch"/>, building each tensor once from one array.</summary>
public static class Collate
{
    /// <summary>Feature sequences (each flattened [length × features]) with sequence-level <paramref name="targets"/>.</summary>
    public static SequenceBatch Features(IReadOnlyList<float[]> sequences, int features, Tensor targets, PaddingOptions? options = null)
    {
        options ??= new PaddingOptions();
        var lengths = Lengths(sequences.Select(s => s.Length / features), options);
        long time = lengths.Max();
        var inputs = new float[sequences.Count * time * features];
        if (options.PadValue != 0) Array.Fill(inputs, options.PadValue);
        for (int b = 0; b < sequences.Count; b++)
            Place(sequences[b], features, lengths[b], time, options, inputs.AsSpan((int)(b * time * features), (int)(time * features)));
        return SequenceBatch.PerSequence(tensor(inputs, [sequences.Count, time, features]), targets, tensor(lengths)) with { PaddedAtStart = options.Side == PaddingSide.Start };
    }

    /// <summary>Token sequences with sequence-level <paramref name="targets"/>.</summary>
    public static SequenceBatch Tokens(IReadOnlyList<long[]> sequences, Tensor targets, PaddingOptions? options = null)
    {
        options ??= new PaddingOptions();
        var (inputs, lengths, time) = PadTokens(sequences, options);
        return SequenceBatch.PerSequence(tensor(inputs, [sequences.Count, time]), targets, tensor(lengths)) with { PaddedAtStart = options.Side == PaddingSide.Start };
    }

    /// <summary>Token sequences with per-step class targets of the same lengths (tagging, copy memory).</summary>
    public static SequenceBatch TokensPerStep(IReadOnlyList<long[]> sequences, IReadOnlyList<long[]> stepTargets, PaddingOptions? options = null)
    {
        options ??= new PaddingOptions();
        for (int b = 0; b < sequences.Count; b++)
            if (sequences[b].Length != stepTargets[b].Length)
                throw new ArgumentException($"sequence {b} has {sequences[b].Length} steps but {stepTargets[b].Length} targets");
        var (inputs, lengths, time) = PadTokens(sequences, options);
        var (targets, _, _) = PadTokens(stepTargets, options);
        return SequenceBatch.PerStep(tensor(inputs, [sequences.Count, time]), tensor(targets, [sequences.Count, time]), tensor(lengths)) with { PaddedAtStart = options.Side == PaddingSide.Start };
    }

    /// <summary>
    /// Source and target token sequences as a <see cref="TargetLayout.Sequence"/> batch for teacher forcing: the decoder reads
    /// <paramref name="start"/> followed by the target, and learns to emit the target followed by <paramref name="end"/>;
    /// both sides padded at the end with <paramref name="padding"/>, each with its own lengths (a target's counts its end token).
    /// </summary>
    public static SequenceBatch Pairs(IReadOnlyList<long[]> sources, IReadOnlyList<long[]> targets, long start, long end, long padding = 0)
    {
        if (sources.Count != targets.Count) throw new ArgumentException($"{sources.Count} sources but {targets.Count} targets");
        var options = new PaddingOptions(PadToken: padding);
        var (source, sourceLengths, sourceTime) = PadTokens(sources, options);
        var (emitted, targetLengths, targetTime) = PadTokens(targets.Select(t => (long[])[.. t, end]).ToList(), options);
        var (read, _, _) = PadTokens(targets.Select(t => (long[])[start, .. t]).ToList(), options);
        return SequenceBatch.SourceToTarget(tensor(source, [sources.Count, sourceTime]), tensor(sourceLengths),
            tensor(read, [targets.Count, targetTime]), tensor(emitted, [targets.Count, targetTime]), tensor(targetLengths));
    }

    static (long[] Values, long[] Lengths, long Time) PadTokens(IReadOnlyList<long[]> sequences, PaddingOptions options)
    {
        var lengths = Lengths(sequences.Select(s => s.Length), options);
        long time = lengths.Max();
        var values = new long[sequences.Count * time];
        if (options.PadToken != 0) Array.Fill(values, options.PadToken);
        for (int b = 0; b < sequences.Count; b++)
        {
            var source = sequences[b].AsSpan(options.Keep == KeepPart.First ? 0 : sequences[b].Length - (int)lengths[b], (int)lengths[b]);
            int offset = options.Side == PaddingSide.End ? 0 : (int)(time - lengths[b]);
            source.CopyTo(values.AsSpan((int)(b * time) + offset));
        }
        return (values, lengths, time);
    }

    static void Place(float[] sequence, int features, long length, long time, PaddingOptions options, Span<float> row)
    {
        int total = sequence.Length / features;
        var source = sequence.AsSpan((options.Keep == KeepPart.First ? 0 : total - (int)length) * features, (int)length * features);
        int offset = options.Side == PaddingSide.End ? 0 : (int)(time - length) * features;
        source.CopyTo(row[offset..]);
    }

    static long[] Lengths(IEnumerable<int> lengths, PaddingOptions options)
    {
        var result = lengths.Select(l => (long)(options.MaxLength is int max ? Math.Min(l, max) : l)).ToArray();
        if (result.Length == 0) throw new ArgumentException("cannot collate an empty batch");
        if (result.Any(l => l < 1)) throw new ArgumentException("every sequence needs at least one step");
        return result;
    }
}

/// <summary>
/// Groups sequences of similar length into batches to cut padding: shuffle (seeded), take pools of
/// <c>batchSize × poolBatches</c>, sort each pool by length, cut it into batches, shuffle the batch order.
/// </summary>
public static class Bucketing
{
    /// <summary>Batches of indices into <paramref name="lengths"/>; with <paramref name="poolBatches"/> = 1 it is plain shuffled batching.</summary>
    public static List<int[]> Batches(IReadOnlyList<int> lengths, int batchSize, int poolBatches, int seed)
    {
        if (batchSize < 1 || poolBatches < 1) throw new ArgumentException("batch size and pool size must be at least 1");
        var random = new Random(seed);
        var order = Enumerable.Range(0, lengths.Count).ToArray();
        random.Shuffle(order);
        var batches = new List<int[]>();
        foreach (var pool in order.Chunk(batchSize * poolBatches))
            batches.AddRange(pool.OrderBy(i => lengths[i]).Chunk(batchSize));
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batches));
        return batches;
    }

    /// <summary>Share of padded steps over all <paramref name="batches"/> when each is padded to its longest member.</summary>
    public static double PaddingFraction(IReadOnlyList<int> lengths, IEnumerable<int[]> batches)
    {
        long valid = 0, total = 0;
        foreach (var batch in batches)
        {
            valid += batch.Sum(i => (long)lengths[i]);
            total += (long)batch.Length * batch.Max(i => lengths[i]);
        }
        return total == 0 ? 0 : 1 - valid / (double)total;
    }
}

/// <summary>
/// Length-bucketed batches for training by steps rather than epochs: pass k over the data is <see cref="Bucketing.Batches"/>
/// with a seed mixed from the run's seed and k, and step after step takes its batches in order — the order depends on the seed and the step alone, so a
/// resumed run continues it exactly.
/// </summary>
public sealed class StepBatches
{
    readonly IReadOnlyList<int> lengths;
    readonly int batchSize, poolBatches, seed, perPass;
    int cachedPass = -1;
    List<int[]> cached = [];

    /// <summary>Batches of <paramref name="batchSize"/> indices into <paramref name="lengths"/>, bucketed over pools of <paramref name="poolBatches"/> batches.</summary>
    public StepBatches(IReadOnlyList<int> lengths, int batchSize, int poolBatches, int seed)
    {
        (this.lengths, this.batchSize, this.poolBatches, this.seed) = (lengths, batchSize, poolBatches, seed);
        perPass = Bucketing.Batches(lengths, batchSize, poolBatches, seed).Count;
    }

    /// <summary>A seed per pass, mixed so that no pass of one seed repeats a pass of another (seed + pass would: pass 1 of seed 1 is pass 0 of seed 2).</summary>
    static int PassSeed(int seed, int pass)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)pass * 0xBF58476D1CE4E5B9UL + 0x94D049BB133111EBUL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL; // SplitMix64's finaliser
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return unchecked((int)(z ^ (z >> 31)));
    }

    /// <summary>The indices of the batch of 1-based <paramref name="step"/>.</summary>
    public int[] ForStep(int step)
    {
        int pass = (step - 1) / perPass;
        if (pass != cachedPass)
        {
            cached = Bucketing.Batches(lengths, batchSize, poolBatches, PassSeed(seed, pass));
            cachedPass = pass;
        }
        return cached[(step - 1) % perPass];
    }
}
