using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Models.Transformer;

/// <summary>
/// One model's fixed sinusoidal positions: the table for its longest sequence is built once, with the model, and a forward
/// pass over <c>time</c> steps reads its first <c>time</c> rows instead of building a table of its own (a dozen small
/// operations every pass). A prefix is read only once it has been found equal, bit for bit, to the table built for that
/// length alone — checked on the first pass of each length and thread count — so the numbers are exactly those of
/// building the table every pass; where it differs, or on another device, every pass builds its own, as before.
/// </summary>
/// <remarks>
/// The table is built in the constructor, not on first use, so that a training run holds the same number of live tensors
/// after it as before it. It is not a module buffer: the model's state (and model.bin) are unchanged.
/// </remarks>
internal sealed class SinusoidalTable : IDisposable
{
    readonly int modelSize;
    readonly Tensor table; // [maxLength, modelSize], float32, CPU, outside every dispose scope
    readonly Dictionary<(long Time, int Threads), bool> prefixAgrees = [];

    public SinusoidalTable(long maxLength, int modelSize)
    {
        this.modelSize = modelSize;
        using var scope = NewDisposeScope();
        table = Build(maxLength, modelSize, CPU).DetachFromDisposeScope();
    }

    /// <summary>The positions of <paramref name="time"/> steps, [1, time, modelSize], on <paramref name="device"/> in <paramref name="dtype"/>.</summary>
    public Tensor For(long time, Device device, ScalarType dtype)
    {
        if (device.type == DeviceType.CPU && time <= table.shape[0] && PrefixAgrees(time))
        {
            var rows = table.narrow(0, 0, time);
            return (dtype == ScalarType.Float32 ? rows : rows.to(dtype)).unsqueeze(0);
        }
        using var noGrad = no_grad();
        return Build(time, modelSize, device).to(dtype).unsqueeze(0);
    }

    bool PrefixAgrees(long time)
    {
        var key = (time, get_num_threads());
        lock (prefixAgrees)
        {
            if (prefixAgrees.TryGetValue(key, out bool agrees)) return agrees;
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            agrees = Build(time, modelSize, CPU).eq(table.narrow(0, 0, time)).all().item<bool>();
            prefixAgrees[key] = agrees;
            return agrees;
        }
    }

    /// <summary>Vaswani et al.'s table [time, modelSize] in float32: sin at even and cos at odd features, wavelengths from 2π to 10000·2π.</summary>
    internal static Tensor Build(long time, int modelSize, Device device)
    {
        using var noGrad = no_grad();
        var position = arange(time, dtype: ScalarType.Float32, device: device).unsqueeze(1);
        var frequencies = exp(arange(0, modelSize, 2, dtype: ScalarType.Float32, device: device) * (-Math.Log(10000.0) / modelSize));
        var table = zeros(time, modelSize, dtype: ScalarType.Float32, device: device);
        var angles = position * frequencies;
        table[.., TensorIndex.Slice(0, null, 2)] = sin(angles);
        table[.., TensorIndex.Slice(1, null, 2)] = cos(angles).narrow(1, 0, modelSize / 2);
        return table;
    }

    public void Dispose() => table.Dispose();
}
