namespace SeqLab.Data.Batches;

/// <summary>
/// Seeds of the fixed evaluation sets, derived from an experiment's seed so they never coincide with the training batches
/// (whose generator is seeded with the experiment seed itself). The runner draws its validation and test sets and its
/// generated samples from these; code that wants the same sets (e.g. a notebook checking a finished experiment) does too.
/// </summary>
public static class EvaluationSeeds
{
    /// <summary>The validation set's seed.</summary>
    public static ulong Validation(long seed) => Derive(seed, 1);

    /// <summary>The test set's seed.</summary>
    public static ulong Test(long seed) => Derive(seed, 2);

    /// <summary>The seed of generated samples (language models).</summary>
    public static ulong Samples(long seed) => Derive(seed, 3);

    static ulong Derive(long seed, int which) => unchecked((ulong)(seed * 1_000_003 + 7_919 * which));
}
