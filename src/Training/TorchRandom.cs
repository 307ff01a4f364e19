using static TorchSharp.torch;

namespace SeqLab.Training;

/// <summary>Guards torch's process-wide random generator, which seeding, initialisation and building model twins all draw from.</summary>
public static class TorchRandom
{
    /// <summary>Held while code seeds or draws from the global generator (experiments may run at once with --jobs).</summary>
    public static readonly Lock Gate = new();

    /// <summary>Runs <paramref name="action"/> under <see cref="Gate"/> and restores the global generator's state afterwards, so the draws it makes change no experiment's random stream.</summary>
    public static T Preserving<T>(Func<T> action)
    {
        lock (Gate)
        {
            using var state = random.get_rng_state();
            try
            {
                return action();
            }
            finally
            {
                random.set_rng_state(state);
            }
        }
    }
}
