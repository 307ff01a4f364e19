using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Data.Batches;

/// <summary>
/// One batch of sequences, batch-first: <see cref="Inputs"/> is [batch, time, features] (real-valued inputs),
/// <see cref="Targets"/> holds one target row per sequence. Every SeqLab model takes this type.
/// Disposing the batch disposes its tensors.
/// </summary>
/// <param name="Inputs">Float tensor [batch, time, features].</param>
/// <param name="Targets">Float tensor [batch, outputs] for regression.</param>
public sealed record SequenceBatch(Tensor Inputs, Tensor Targets) : IDisposable
{
    /// <summary>Number of sequences.</summary>
    public long Size => Inputs.shape[0];

    /// <summary>Number of time steps.</summary>
    public long Length => Inputs.shape[1];

    /// <summary>Features per time step.</summary>
    public long Features => Inputs.shape[2];

    /// <inheritdoc />
    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
    }
}
