using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Models;

/// <summary>
/// What every SeqLab model offers the trainer and the monitors: a batch-first forward pass from
/// [batch, time, features] inputs to task outputs, its parameters, and a description for logs and reports.
/// </summary>
public interface ISequenceModel
{
    /// <summary>Maps inputs [batch, time, features] to outputs (for a many-to-one head: [batch, outputs]).</summary>
    Tensor Forward(Tensor inputs);

    /// <summary>The trainable parameters with their dotted names, e.g. <c>recurrent.weight_hh_l0</c>.</summary>
    IEnumerable<(string Name, TorchSharp.Modules.Parameter Parameter)> NamedParameters();

    /// <summary>The underlying TorchSharp module (for optimisers, <c>train()</c>/<c>eval()</c>, saving).</summary>
    nn.Module Module { get; }

    /// <summary>Number of trainable scalars.</summary>
    long ParameterCount { get; }

    /// <summary>One line: architecture and sizes.</summary>
    string Description { get; }
}
