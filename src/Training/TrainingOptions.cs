namespace SeqLab.Training;

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
    /// <summary>sgd, adam, adamw or rmsprop.</summary>
    public string Optimizer { get; init; } = "adam";
    /// <summary>Momentum (SGD, RMSprop).</summary>
    public double Momentum { get; init; }
    /// <summary>Weight decay (coupled L2 for SGD/Adam/RMSprop, decoupled for AdamW).</summary>
    public double WeightDecay { get; init; }
    /// <summary>constant, step or cosine.</summary>
    public string Schedule { get; init; } = "constant";
    /// <summary>Linear warm-up steps (0 = none).</summary>
    public int WarmupSteps { get; init; }
    /// <summary>Step schedule: steps between decays.</summary>
    public int StepSize { get; init; } = 1000;
    /// <summary>Step schedule: decay factor.</summary>
    public double Gamma { get; init; } = 0.5;
    /// <summary>Cosine schedule: final learning rate.</summary>
    public double MinLearningRate { get; init; }
    /// <summary>Clamp every gradient element to ±this; null = off.</summary>
    public double? ClipGradValue { get; init; }
    /// <summary>L1 penalty λ: adds λ Σ|w| to the loss.</summary>
    public double L1 { get; init; }
    /// <summary>L2 penalty λ: adds λ Σ w² to the loss.</summary>
    public double L2 { get; init; }
    /// <summary>Stop after this many evaluations without a validation improvement, restoring the best weights; null = off.</summary>
    public int? EarlyStoppingPatience { get; init; }
    /// <summary>Smallest decrease of the validation loss that counts as an improvement.</summary>
    public double MinDelta { get; init; }
    /// <summary>Write a checkpoint every this many steps (null: only when interrupted).</summary>
    public int? CheckpointEvery { get; init; }
    /// <summary>auto, cpu or cuda.</summary>
    public string Device { get; init; } = "auto";
}

/// <summary>What the gradient monitor records.</summary>
/// <param name="LogEvery">Record gradient norms on step 1 and every this many steps (and on the last).</param>
public sealed record MonitoringOptions(int LogEvery)
{
    /// <summary>Run the expensive monitors (‖∂L/∂h_t‖ and gates through the unrolled twin) on step 1, every this many steps and the last.</summary>
    public int ExpensiveEvery { get; init; } = 250;
    /// <summary>The monitors to run, by name (<see cref="SeqLab.Training.Monitors.MonitorRegistry.Names"/>); null: every registered one; empty: none.</summary>
    public IReadOnlyList<string>? Monitors { get; init; }
    /// <summary>Sequences in the fixed monitoring batch (the first of the validation set).</summary>
    public int MonitorBatchSize { get; init; } = 32;

    /// <summary>Vanishing through time below this end-of-training ‖∂L/∂x₁‖/‖∂L/∂x_T‖.</summary>
    public double VanishingRatio { get; init; } = 1e-3;
    /// <summary>Exploding through time above this ratio.</summary>
    public double ExplodingRatio { get; init; } = 1e3;
    /// <summary>Exploding when the global gradient norm before clipping exceeds this.</summary>
    public double ExplodingNorm { get; init; } = 1e3;

    /// <summary>Also write TensorBoard event files (scalars every step, gradient histograms on logged steps) into <c>&lt;experiment&gt;/tensorboard/</c>.</summary>
    public bool Tensorboard { get; init; }
}
