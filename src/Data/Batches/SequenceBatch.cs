using SeqLab.Runtime.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Data.Batches;

/// <summary>How a batch's targets relate to its inputs in time — stated by whoever builds the batch, never guessed from shapes.</summary>
public enum TargetLayout
{
    /// <summary>One target per sequence: [batch, outputs] (regression) or int64 [batch] (classification).</summary>
    PerSequence,
    /// <summary>One target per input step, aligned with the inputs: [batch, time, outputs] or int64 [batch, time] (tagging, language modelling, copy memory).</summary>
    PerStep,
    /// <summary>
    /// A target sequence of its own length (sequence to sequence): [batch, target time, …] with <see cref="SequenceBatch.TargetLengths"/>,
    /// read by a decoder that is fed <see cref="SequenceBatch.DecoderInputs"/> (teacher forcing).
    /// </summary>
    Sequence,
}

/// <summary>
/// One batch, batch-first, padded to a common length. Every SeqLab model and task takes this type.
/// <list type="bullet">
/// <item><see cref="Inputs"/> — the source: real-valued features [batch, time, features…] (float32), or token ids [batch, time] (int64);
/// <see cref="Lengths"/> its valid steps per sequence (int64 [batch] on the CPU; null when every sequence fills the batch).</item>
/// <item><see cref="Targets"/>, laid out as <see cref="Layout"/> says: one per sequence, one per input step, or a sequence of
/// their own with <see cref="TargetLengths"/> and the decoder's input <see cref="DecoderInputs"/>.</item>
/// </list>
/// Padding sits after the valid steps, unless <see cref="PaddedAtStart"/> says it sits before them. Disposing the batch disposes its tensors.
/// </summary>
/// <param name="Inputs">The source.</param>
/// <param name="Targets">What is predicted.</param>
/// <param name="Layout">How <paramref name="Targets"/> line up with <paramref name="Inputs"/> in time.</param>
/// <param name="Lengths">Valid source steps per sequence; null: all.</param>
public sealed record SequenceBatch(Tensor Inputs, Tensor Targets, TargetLayout Layout, Tensor? Lengths = null) : IDisposable
{
    /// <summary>One target per sequence (many-to-one).</summary>
    public static SequenceBatch PerSequence(Tensor inputs, Tensor targets, Tensor? lengths = null) => new(inputs, targets, TargetLayout.PerSequence, lengths);

    /// <summary>One target per input step (many-to-many, aligned).</summary>
    public static SequenceBatch PerStep(Tensor inputs, Tensor targets, Tensor? lengths = null) => new(inputs, targets, TargetLayout.PerStep, lengths);

    /// <summary>A source and a target sequence of their own lengths, with the decoder input for teacher forcing (the target shifted right behind a start token).</summary>
    public static SequenceBatch SourceToTarget(Tensor source, Tensor? sourceLengths, Tensor decoderInputs, Tensor targets, Tensor? targetLengths) =>
        new(source, targets, TargetLayout.Sequence, sourceLengths) { DecoderInputs = decoderInputs, TargetLengths = targetLengths };

    /// <summary>Valid target steps per sequence (int64 [batch], CPU) for <see cref="TargetLayout.Sequence"/>; null when every target fills the batch.</summary>
    public Tensor? TargetLengths { get; init; }

    /// <summary>What a decoder reads while learning to emit <see cref="Targets"/>: for tokens, the targets shifted right behind a start token (same shape as the targets); null for single-sequence layouts.</summary>
    public Tensor? DecoderInputs { get; init; }

    /// <summary>Number of sequences.</summary>
    public long Size => Inputs.shape[0];

    /// <summary>Padded number of source time steps.</summary>
    public long Length => Inputs.shape[1];

    /// <summary>Padded number of target time steps (<see cref="TargetLayout.Sequence"/>; the source length for per-step targets; 1 per sequence otherwise).</summary>
    public long TargetLength => Layout switch
    {
        TargetLayout.Sequence => Targets.shape[1],
        TargetLayout.PerStep => Length,
        _ => 1,
    };

    /// <summary>True when <see cref="Inputs"/> holds token ids rather than feature vectors.</summary>
    public bool IsTokens => Inputs.dtype == ScalarType.Int64;

    /// <summary>Features per time step (1 for token ids).</summary>
    public long Features => IsTokens ? 1 : Inputs.shape[2];

    /// <summary>True when padding was put before the valid steps (pre-padding). SeqLab's models expect padding at the end.</summary>
    public bool PaddedAtStart { get; init; }

    /// <summary>[batch, time] boolean mask, true at valid (non-padded) source steps.</summary>
    public Tensor Mask()
    {
        if (!PaddedAtStart || Lengths is null) return LengthMask.Valid(Lengths, Size, Length, Inputs.device);
        using var scope = NewDisposeScope();
        var steps = arange(Length, device: Inputs.device).unsqueeze(0);
        return steps.ge((Length - Lengths.to(Inputs.device)).unsqueeze(1)).MoveToOuterDisposeScope();
    }

    /// <summary>[batch, target time] boolean mask, true at valid target steps of a <see cref="TargetLayout.Sequence"/> batch.</summary>
    public Tensor TargetMask() => Layout == TargetLayout.Sequence
        ? LengthMask.Valid(TargetLengths, Size, TargetLength, Targets.device)
        : throw new InvalidOperationException($"a {Layout} batch has no target sequence of its own; use Mask()");

    /// <summary>Share of padded source steps: 1 − Σ lengths / (batch × time).</summary>
    public double PaddingFraction => Lengths is null ? 0 : 1 - Lengths.sum().item<long>() / (double)(Size * Length);

    /// <summary>
    /// A copy of the first <paramref name="count"/> sequences (all of them when there are fewer), the source trimmed to its
    /// longest length and the targets as their layout says: per-step targets with the source, a target sequence to its own
    /// longest length.
    /// </summary>
    public SequenceBatch Take(int count)
    {
        int n = (int)Math.Min(count, Size);
        static long Longest(Tensor? lengths, int n, long padded) => lengths is null ? padded : Math.Max(1, lengths[..n].max().item<long>());
        long time = Longest(Lengths, n, Length);
        var inputs = Inputs[..n, ..(int)time].clone();
        var lengths = Lengths?[..n].clone();
        switch (Layout)
        {
            case TargetLayout.PerStep:
                return PerStep(inputs, Targets[..n, ..(int)time].clone(), lengths) with { PaddedAtStart = PaddedAtStart };
            case TargetLayout.Sequence:
                long targetTime = Longest(TargetLengths, n, TargetLength);
                return new SequenceBatch(inputs, Targets[..n, ..(int)targetTime].clone(), Layout, lengths)
                {
                    PaddedAtStart = PaddedAtStart, TargetLengths = TargetLengths?[..n].clone(), DecoderInputs = DecoderInputs?[..n, ..(int)targetTime].clone(),
                };
            default:
                return PerSequence(inputs, Targets[..n].clone(), lengths) with { PaddedAtStart = PaddedAtStart };
        }
    }

    /// <summary>Sequences <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> as views (no copy, same padded lengths): evaluation in chunks.</summary>
    public SequenceBatch Rows(long start, long count) => this with
    {
        Inputs = Inputs.narrow(0, start, count), Targets = Targets.narrow(0, start, count), Lengths = Lengths?.narrow(0, start, count),
        TargetLengths = TargetLengths?.narrow(0, start, count), DecoderInputs = DecoderInputs?.narrow(0, start, count),
    };

    /// <summary>The batch with every tensor but the lengths on <paramref name="device"/> (lengths stay on the CPU, where packing wants them); this batch itself on the CPU.</summary>
    public SequenceBatch To(Device device) => device.type == DeviceType.CPU && Inputs.device_type == DeviceType.CPU ? this : this with
    {
        Inputs = Inputs.to(device), Targets = Targets.to(device), DecoderInputs = DecoderInputs?.to(device),
        Lengths = Lengths?.clone(), TargetLengths = TargetLengths?.clone(),
    };

    /// <inheritdoc />
    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
        Lengths?.Dispose();
        TargetLengths?.Dispose();
        DecoderInputs?.Dispose();
    }
}
