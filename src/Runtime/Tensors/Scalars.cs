using TorchSharp;

namespace SeqLab.Runtime.Tensors;

/// <summary>
/// Scalars that live as long as the process. A <see cref="Scalar"/> made implicitly from a number for one call (e.g.
/// <c>masked_fill(mask, double.NegativeInfinity)</c>) is unreachable once its native handle is passed, so the finalizer
/// thread may free it while LibTorch still reads it — seen here as "toFloat: Expected false to be true" in a Transformer's
/// masked attention after hundreds of steps. A static one is never collected.
/// </summary>
public static class Scalars
{
    /// <summary>−∞, for masking scores before a softmax.</summary>
    public static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();
}
