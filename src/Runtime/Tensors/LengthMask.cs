using static TorchSharp.torch;

namespace SeqLab.Runtime.Tensors;

/// <summary>
/// Masks of the valid steps of padded batches. Data (batches), Models (packing, attention, losses) and Training (monitors)
/// all need them; it lives here, below all three, so none of them depends on another for it.
/// </summary>
public static class LengthMask
{
    /// <summary>[batch, time] boolean mask that is true where the step index is below the sequence's length (all true when <paramref name="lengths"/> is null).</summary>
    public static Tensor Valid(Tensor? lengths, long batch, long time, Device? device = null)
    {
        if (lengths is null) return ones([batch, time], ScalarType.Bool, device);
        using var scope = NewDisposeScope();
        var steps = arange(time, device: device).unsqueeze(0);
        return steps.lt(lengths.to(device ?? CPU).unsqueeze(1)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <paramref name="lengths"/>, or null when every sequence fills all <paramref name="time"/> steps: nothing is padded,
    /// and the unpadded kernels are far faster (measured: an LSTM's backward pass on a packed batch of full-length copy-memory
    /// sequences took 82 ms a step against 5.6 ms unpacked).
    /// </summary>
    public static Tensor? Needed(Tensor? lengths, long time)
    {
        if (lengths is null) return null;
        using var shortest = lengths.min();
        return shortest.item<long>() >= time ? null : lengths;
    }
}
