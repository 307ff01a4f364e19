using System.Collections;
using System.Text.RegularExpressions;

namespace SeqLab.Experiments.Running;

/// <summary>
/// One shard of an expanded batch: experiment k belongs to shard k mod Count, so shards 0…Count−1 are disjoint, cover the
/// batch, and need no coordination. The shard comes from <c>--shard i/N</c>, from a Slurm job array
/// (<c>SLURM_ARRAY_TASK_ID</c> − <c>SLURM_ARRAY_TASK_MIN</c> of <c>SLURM_ARRAY_TASK_COUNT</c>), or from a Kubernetes Indexed Job
/// (<c>JOB_COMPLETION_INDEX</c>, with the count from <c>--shards N</c>).
/// </summary>
public sealed record Shard(int Index, int Count)
{
    /// <summary>The experiments of this shard, in batch order.</summary>
    public IReadOnlyList<T> Select<T>(IReadOnlyList<T> items) => items.Where((_, k) => k % Count == Index).ToList();

    /// <summary>Works out the shard from the option, the count option and the environment; null when none is asked for.</summary>
    /// <exception cref="ArgumentException">The option or the environment is malformed or inconsistent.</exception>
    public static Shard? Resolve(string? option, int? countOption, IDictionary environment)
    {
        string? Variable(string name) => environment.Contains(name) ? environment[name]?.ToString() : null;
        if (option is not null)
        {
            var match = Regex.Match(option, @"^(\d+)/(\d+)$");
            if (!match.Success) throw new ArgumentException($"--shard '{option}': expected i/N, e.g. 0/4");
            return Checked(int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value), "--shard");
        }
        if (Variable("SLURM_ARRAY_TASK_ID") is string slurmId)
        {
            string count = Variable("SLURM_ARRAY_TASK_COUNT") ?? throw new ArgumentException("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not");
            int minimum = int.TryParse(Variable("SLURM_ARRAY_TASK_MIN"), out int min) ? min : 0;
            return Checked(Parse(slurmId, "SLURM_ARRAY_TASK_ID") - minimum, Parse(count, "SLURM_ARRAY_TASK_COUNT"), "the Slurm job array");
        }
        if (Variable("JOB_COMPLETION_INDEX") is string index)
        {
            int count = countOption ?? throw new ArgumentException("JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job): pass --shards N with the job's completions");
            return Checked(Parse(index, "JOB_COMPLETION_INDEX"), count, "the Indexed Job");
        }
        if (countOption is not null) throw new ArgumentException("--shards N needs JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or --shard i/N");
        return null;
    }

    static int Parse(string text, string name) =>
        int.TryParse(text, out int value) ? value : throw new ArgumentException($"{name} = '{text}' is not an integer");

    static Shard Checked(int index, int count, string source) =>
        count < 1 || index < 0 || index >= count
            ? throw new ArgumentException($"{source}: shard {index} of {count} is out of range (need 0 ≤ i < N)")
            : new Shard(index, count);
}
