using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SeqLab.Training;

/// <summary>Builds optimisers by name and computes the learning rate of every step.</summary>
public static class Optimisation
{
    /// <summary>Optimiser names.</summary>
    public static readonly IReadOnlyList<string> Optimizers = ["sgd", "adam", "adamw", "rmsprop"];

    /// <summary>Schedule names.</summary>
    public static readonly IReadOnlyList<string> Schedules = ["constant", "step", "cosine"];

    /// <summary>
    /// SGD (with <paramref name="momentum"/>), Adam, AdamW or RMSprop over <paramref name="parameters"/>. <paramref name="weightDecay"/>
    /// is PyTorch's: coupled (an L2 term in the gradient) for SGD, Adam and RMSprop, decoupled for AdamW.
    /// </summary>
    public static optim.Optimizer Create(string name, IEnumerable<Parameter> parameters, double learningRate, double momentum, double weightDecay) => name switch
    {
        "sgd" => optim.SGD(parameters, learningRate, momentum: momentum, weight_decay: weightDecay),
        "adam" => optim.Adam(parameters, learningRate, weight_decay: weightDecay),
        "adamw" => optim.AdamW(parameters, learningRate, weight_decay: weightDecay),
        "rmsprop" => optim.RMSProp(parameters, learningRate, momentum: momentum, weight_decay: weightDecay),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, $"unknown optimiser; known: {string.Join(", ", Optimizers)}"),
    };

    /// <summary>
    /// The learning rate for 1-based <paramref name="step"/> of <paramref name="steps"/>: a linear warm-up from lr/warmup to lr over
    /// the first <paramref name="warmupSteps"/>, then constant, step decay (× <paramref name="gamma"/> every <paramref name="stepSize"/>
    /// steps after the warm-up) or cosine annealing from lr to <paramref name="minimum"/> at the last step.
    /// </summary>
    public static double LearningRate(string schedule, double learningRate, int step, int steps, int warmupSteps, int stepSize, double gamma, double minimum)
    {
        if (step <= warmupSteps) return learningRate * step / warmupSteps;
        int afterWarmup = step - warmupSteps - 1, span = Math.Max(1, steps - warmupSteps - 1);
        return schedule switch
        {
            "step" => learningRate * Math.Pow(gamma, afterWarmup / stepSize),
            "cosine" => minimum + 0.5 * (learningRate - minimum) * (1 + Math.Cos(Math.PI * Math.Min(afterWarmup, span) / span)),
            _ => learningRate,
        };
    }

    /// <summary>Sets the learning rate of every parameter group.</summary>
    public static void SetLearningRate(optim.Optimizer optimizer, double learningRate)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = learningRate;
    }

    /// <summary>λ₁ Σ|w| + λ₂ Σ w² over <paramref name="parameters"/> (biases included), or null when both are 0.</summary>
    public static Tensor? Penalty(IEnumerable<Parameter> parameters, double l1, double l2)
    {
        if (l1 == 0 && l2 == 0) return null;
        Tensor? total = null;
        foreach (var p in parameters)
        {
            var term = (l1 != 0 ? p.abs().sum() * l1 : zeros(1).sum()) + (l2 != 0 ? p.pow(2).sum() * l2 : zeros(1).sum());
            total = total is null ? term : total + term;
        }
        return total;
    }
}
