using SeqLab.Runtime.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Data.Batches;

/// <summary>
/// One batch of sequences, batch-first, padded to a common length. Every SeqLab model takes this type.
/// <list type="bullet">
/// <item><see cref="Inputs"/>: real-valued features [batch, time, features] (float32), or token ids [batch, time] (int64).</item>
/// <item><see cref="Targets"/>: [batch, outputs] (sequence regression), [batch] int64 (sequence classification),
/// [batch, time, outputs] (per-step regression) or [batch, time] int64 (per-step classification, language modelling).</item>
/// <item><see cref="Lengths"/>: valid steps per sequence, int64 [batch] on the CPU; null when every sequence fills the batch.
/// Padding sits after the valid steps, unless <see cref="PaddedAtStart"/> says it sits before them.</item>
/// </list>
/// Disposing the batch disposes its tensors.
/// </summary>
public sealed record SequenceBatch(Tensor Inputs, Tensor Targets, Tensor? Lengths = null) : IDisposable
{
    /// <summary>Number of sequences.</summary>
    public long Size => Inputs.shape[0];

    /// <summary>Padded number of time steps.</summary>
    public long Length => Inputs.shape[1];

    /// <summary>True when <see cref="Inputs"/> holds token ids rather than feature vectors.</summary>
    public bool IsTokens => Inputs.dtype == ScalarType.Int64;

    /// <summary>Features per time step (1 for token ids).</summary>
    public long Features => IsTokens ? 1 : Inputs.shape[2];

    /// <summary>True when padding was put before the valid steps (pre-padding). SeqLab's models expect padding at the end.</summary>
    public bool PaddedAtStart { get; init; }

    /// <summary>[batch, time] boolean mask, true at valid (non-padded) steps.</summary>
    public Tensor Mask()
    {
        if (!PaddedAtStart || Lengths is null) return LengthMask.Valid(Lengths, Size, Length, Inputs.device);
        using var scope = NewDisposeScope();
        var steps = arange(Length, device: Inputs.device).unsqueeze(0);
        return steps.ge((Length - Lengths.to(Inputs.device)).unsqueeze(1)).MoveToOuterDisposeScope();
    }

    /// <summary>Share of padded steps: 1 − Σ lengths / (batch × time).</summary>
    public double PaddingFraction => Lengths is null ? 0 : 1 - Lengths.sum().item<long>() / (double)(Size * Length);

    /// <summary>A copy of the first <paramref name="count"/> sequences (all of them when there are fewer), trimmed to their longest length.</summary>
    public SequenceBatch Take(int count)
    {
        long n = Math.Min(count, Size);
        long time = Lengths is null ? Length : Math.Max(1, Lengths[..(int)n].max().item<long>());
        var inputs = Inputs[..(int)n, ..(int)time].clone();
        // Per-step targets ([batch, time, outputs] or int64 [batch, time]) are trimmed in time too.
        bool perStep = Targets.dim() == 3 || (Targets.dim() == 2 && Targets.dtype == ScalarType.Int64);
        var targets = perStep ? Targets[..(int)n, ..(int)time].clone() : Targets[..(int)n].clone();
        return new SequenceBatch(inputs, targets, Lengths?[..(int)n].clone()) { PaddedAtStart = PaddedAtStart };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
        Lengths?.Dispose();
    }
}
