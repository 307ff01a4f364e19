using System.Diagnostics;

namespace SeqLab.Training.Logging;

/// <summary>
/// Where a run's wall time went, in seconds by phase: the trainer's own phases (<see cref="Phases"/>), each monitor on its
/// own (<c>monitor &lt;name&gt;</c>), and whatever the caller adds (e.g. <c>writing</c>). On the CPU every operation is
/// synchronous, so the wall time around a call is the time of its work. Checkpointed with the log: a resumed run adds to it.
/// </summary>
public sealed class TimeSplit
{
    /// <summary>Sampling the training batch and moving it to the device.</summary>
    public const string Data = "data";
    /// <summary>The forward pass and the loss.</summary>
    public const string Forward = "forward";
    /// <summary>Back-propagation.</summary>
    public const string Backward = "backward";
    /// <summary>Gradient norm and clipping.</summary>
    public const string Clipping = "clipping";
    /// <summary>The optimiser's step, zeroing the gradients and setting the learning rate.</summary>
    public const string Optimizer = "optimizer";
    /// <summary>Validation during training and the final test.</summary>
    public const string Evaluation = "evaluation";
    /// <summary>Checkpoints and TensorBoard files written during training.</summary>
    public const string Checkpoints = "checkpoints";
    /// <summary>Callbacks that are neither monitors nor writers (early stopping, a user's own).</summary>
    public const string Callbacks = "callbacks";
    /// <summary>Writing the results folder after training.</summary>
    public const string Writing = "writing";
    /// <summary>The prefix of a monitor's own phase.</summary>
    public const string MonitorPrefix = "monitor ";

    /// <summary>The trainer's phases in the order a step runs them.</summary>
    public static readonly IReadOnlyList<string> Phases = [Data, Forward, Backward, Clipping, Optimizer, Evaluation, Checkpoints, Callbacks];

    readonly Dictionary<string, double> seconds = new(StringComparer.Ordinal);

    /// <summary>Seconds by phase, in the order the phases were first seen.</summary>
    public IReadOnlyDictionary<string, double> Seconds => seconds;

    /// <summary>Seconds spent in <paramref name="phase"/> so far (0 if none).</summary>
    public double this[string phase] => seconds.GetValueOrDefault(phase);

    /// <summary>The monitors' phases together.</summary>
    public double MonitorSeconds => seconds.Where(p => p.Key.StartsWith(MonitorPrefix, StringComparison.Ordinal)).Sum(p => p.Value);

    /// <summary>Adds <paramref name="value"/> seconds to <paramref name="phase"/>.</summary>
    public void Add(string phase, double value) => seconds[phase] = seconds.GetValueOrDefault(phase) + value;

    /// <summary>Adds the time since <paramref name="mark"/> (a <see cref="Stopwatch.GetTimestamp"/>) to <paramref name="phase"/> and moves the mark to now.</summary>
    public void Lap(string phase, ref long mark)
    {
        long now = Stopwatch.GetTimestamp();
        Add(phase, Stopwatch.GetElapsedTime(mark, now).TotalSeconds);
        mark = now;
    }

    /// <summary>Adds every phase of <paramref name="earlier"/> (a checkpoint's split) to this one.</summary>
    public void AddAll(IReadOnlyDictionary<string, double> earlier)
    {
        foreach (var (phase, value) in earlier) Add(phase, value);
    }
}
