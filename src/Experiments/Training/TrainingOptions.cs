namespace SeqLab.Experiments.Training;

/// <summary>How one experiment trains. Plain values: the config binder fills it, the <see cref="Trainer"/> reads it.</summary>
/// <param name="Steps">Optimiser steps.</param>
/// <param name="BatchSize">Sequences per step.</param>
/// <param name="LearningRate">Adam's step size.</param>
/// <param name="ClipGradNorm">Rescale gradients whose global L2 norm exceeds this; null disables clipping.</param>
/// <param name="Seed">Fixes initialisation, training data and the evaluation sets.</param>
/// <param name="Threads">Intra-op threads for LibTorch.</param>
/// <param name="EvalEvery">Evaluate on the validation set every this many steps (and after the last).</param>
public sealed record TrainingOptions(int Steps, int BatchSize, double LearningRate, double? ClipGradNorm, long Seed, int Threads, int EvalEvery)
{
    /// <summary>The optimiser's name.</summary>
    public string Optimizer { get; init; } = "adam";
}

/// <summary>What the gradient monitor records.</summary>
/// <param name="LogEvery">Record gradient norms on step 1 and every this many steps (and on the last).</param>
public sealed record MonitoringOptions(int LogEvery);
