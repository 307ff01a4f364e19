using SeqLab.Config;
using SeqLab.Training.Monitors;

namespace SeqLab.Training;

/// <summary>
/// How one experiment trains — the <c>training:</c> section of an experiments file: each <see cref="ConfigKeyAttribute"/>
/// property is a key, its initial value the key's default (one source for the trainer, the schema and the docs).
/// </summary>
/// <param name="Steps">Optimiser steps.</param>
/// <param name="BatchSize">Sequences per step.</param>
/// <param name="LearningRate">The optimiser's step size.</param>
/// <param name="ClipGradNorm">Rescale gradients whose global L2 norm exceeds this; null disables clipping.</param>
/// <param name="Seed">Fixes initialisation, training data and the evaluation sets.</param>
/// <param name="Threads">Intra-op threads for LibTorch.</param>
/// <param name="EvalEvery">Evaluate on the validation set every this many steps (and after the last).</param>
public sealed record TrainingOptions(
    [property: ConfigKey("optimiser steps", Minimum = 1)] int Steps = 1000,
    [property: ConfigKey("sequences per step", Minimum = 1)] int BatchSize = 64,
    [property: ConfigKey("optimiser step size", Minimum = 0, ExclusiveMinimum = true)] double LearningRate = 1e-3,
    [property: ConfigKey("rescale gradients whose global L2 norm exceeds this; null = off", Minimum = 0, ExclusiveMinimum = true)] double? ClipGradNorm = null,
    [property: ConfigKey("fixes initialisation, data order and evaluation sets", Minimum = 0)] long Seed = 0,
    [property: ConfigKey("LibTorch intra-op threads", Minimum = 1, Maximum = 1024)] int Threads = 2,
    [property: ConfigKey("validate every N steps", Minimum = 1)] int EvalEvery = 100)
{
    /// <summary>sgd, adam, adamw or rmsprop.</summary>
    [ConfigKey("optimiser", ChoicesFrom = typeof(OptimizerNames))]
    public string Optimizer { get; init; } = "adam";
    /// <summary>Momentum (SGD, RMSprop).</summary>
    [ConfigKey("momentum (sgd, rmsprop)", Minimum = 0, Maximum = 0.9999)]
    public double Momentum { get; init; }
    /// <summary>Weight decay (coupled L2 for SGD/Adam/RMSprop, decoupled for AdamW).</summary>
    [ConfigKey("weight decay: coupled L2 for sgd/adam/rmsprop, decoupled for adamw", Minimum = 0)]
    public double WeightDecay { get; init; }
    /// <summary>constant, step or cosine.</summary>
    [ConfigKey("learning-rate schedule after the warm-up", ChoicesFrom = typeof(ScheduleNames))]
    public string Schedule { get; init; } = "constant";
    /// <summary>Linear warm-up steps (0 = none).</summary>
    [ConfigKey("linear learning-rate warm-up steps", Minimum = 0)]
    public int WarmupSteps { get; init; }
    /// <summary>Step schedule: steps between decays.</summary>
    [ConfigKey("step schedule: steps between decays", Minimum = 1)]
    public int StepSize { get; init; } = 1000;
    /// <summary>Step schedule: decay factor.</summary>
    [ConfigKey("step schedule: decay factor", Minimum = 0, ExclusiveMinimum = true, Maximum = 1)]
    public double Gamma { get; init; } = 0.5;
    /// <summary>Cosine schedule: final learning rate.</summary>
    [ConfigKey("cosine schedule: final learning rate", Minimum = 0)]
    public double MinLearningRate { get; init; }
    /// <summary>Clamp every gradient element to ±this; null = off.</summary>
    [ConfigKey("clamp every gradient element to ± this; null = off", Minimum = 0, ExclusiveMinimum = true)]
    public double? ClipGradValue { get; init; }
    /// <summary>L1 penalty λ: adds λ Σ|w| to the loss.</summary>
    [ConfigKey("L1 penalty λ (adds λ Σ|w| to the loss)", Minimum = 0)]
    public double L1 { get; init; }
    /// <summary>L2 penalty λ: adds λ Σ w² to the loss.</summary>
    [ConfigKey("L2 penalty λ (adds λ Σ w² to the loss)", Minimum = 0)]
    public double L2 { get; init; }
    /// <summary>Stop after this many evaluations without a validation improvement, restoring the best weights; null = off.</summary>
    [ConfigKey("stop after this many evaluations without validation improvement, keeping the best weights; null = off", Minimum = 1)]
    public int? EarlyStoppingPatience { get; init; }
    /// <summary>Smallest decrease of the validation loss that counts as an improvement.</summary>
    [ConfigKey("smallest validation-loss decrease that counts as an improvement", Minimum = 0)]
    public double MinDelta { get; init; }
    /// <summary>Write a checkpoint every this many steps (null: only when interrupted).</summary>
    [ConfigKey("write a checkpoint every N steps so an interrupted run resumes (--resume); null = only on Ctrl+C", Minimum = 1)]
    public int? CheckpointEvery { get; init; }
    /// <summary>auto, cpu or cuda.</summary>
    [ConfigKey("where to train: auto (CUDA when available), cpu or cuda", Choices = ["auto", "cpu", "cuda"])]
    public string Device { get; init; } = "auto";
    /// <summary>Sequence to sequence: the chance of feeding the decoder its own previous prediction, rising linearly from 0 to this over the run; 0: teacher forcing.</summary>
    [ConfigKey("sequence to sequence: the chance of feeding the decoder its own previous prediction instead of the true token, rising linearly from 0 to this over the run (scheduled sampling, Bengio et al. 2015); 0 = teacher forcing", Minimum = 0, Maximum = 1)]
    public double ScheduledSampling { get; init; }
    /// <summary>Sequences per forward pass when evaluating; null: each evaluation set in one pass.</summary>
    [ConfigKey("sequences per forward pass when evaluating (bounds memory on big sets); null = each set in one pass (sequence-to-sequence tasks: 128)", Minimum = 1)]
    public int? EvalBatchSize { get; init; }
}

/// <summary>The optimisers <see cref="Optimisation.Create"/> knows.</summary>
public sealed class OptimizerNames : IConfigChoices
{
    /// <inheritdoc />
    public IReadOnlyList<string> Names => Optimisation.Optimizers;
}

/// <summary>The learning-rate schedules <see cref="Optimisation.LearningRate"/> knows.</summary>
public sealed class ScheduleNames : IConfigChoices
{
    /// <inheritdoc />
    public IReadOnlyList<string> Names => Optimisation.Schedules;
}

/// <summary>
/// What the monitors record — the <c>monitoring:</c> section of an experiments file (each <see cref="ConfigKeyAttribute"/>
/// property a key, its initial value the default).
/// </summary>
/// <param name="LogEvery">Record gradient norms on step 1 and every this many steps (and on the last).</param>
public sealed record MonitoringOptions(
    [property: ConfigKey("record per-parameter and per-time-step gradient norms every N steps", Minimum = 1)] int LogEvery = 50)
{
    /// <summary>Run the expensive monitors (‖∂L/∂h_t‖ and gates through the unrolled twin) on step 1, every this many steps and the last.</summary>
    [ConfigKey("run the expensive monitors (‖∂L/∂h_t‖ per layer and gate statistics, through the unrolled twin) every N steps", Minimum = 1)]
    public int ExpensiveEvery { get; init; } = 250;
    /// <summary>The monitors to run, by name (<see cref="MonitorRegistry.Names"/>); null: every registered one; empty: none.</summary>
    [ConfigKey("the monitors to run: all, none (the fastest loop; loss, gradient norm and clipping are still logged) or a list of names", IsNameList = true, ChoicesFrom = typeof(MonitorNames))]
    public IReadOnlyList<string>? Monitors { get; init; }
    /// <summary>Sequences in the fixed monitoring batch (the first of the validation set).</summary>
    [ConfigKey("sequences in the fixed monitoring batch for the expensive monitors", Minimum = 1)]
    public int MonitorBatchSize { get; init; } = 32;

    /// <summary>Vanishing through time below this end-of-training ‖∂L/∂x₁‖/‖∂L/∂x_T‖.</summary>
    [ConfigKey("verdict: vanishing when ‖∂L/∂x₁‖/‖∂L/∂x_T‖ at the end of training is below this", Minimum = 0, ExclusiveMinimum = true)]
    public double VanishingRatio { get; init; } = 1e-3;
    /// <summary>Exploding through time above this ratio.</summary>
    [ConfigKey("verdict: exploding when that ratio is above this", Minimum = 0, ExclusiveMinimum = true)]
    public double ExplodingRatio { get; init; } = 1e3;
    /// <summary>Exploding when the global gradient norm before clipping exceeds this.</summary>
    [ConfigKey("verdict: exploding when the global gradient norm before clipping exceeds this", Minimum = 0, ExclusiveMinimum = true)]
    public double ExplodingNorm { get; init; } = 1e3;

    /// <summary>Also write TensorBoard event files (scalars every step, gradient histograms on logged steps) into <c>&lt;experiment&gt;/tensorboard/</c>.</summary>
    [ConfigKey("also write TensorBoard event files into <experiment>/tensorboard/")]
    public bool Tensorboard { get; init; }
}

/// <summary>What <c>monitoring.monitors</c> may name: <c>all</c>, <c>none</c> and every registered monitor, read anew on every use.</summary>
public sealed class MonitorNames : IConfigChoices
{
    /// <inheritdoc />
    public IReadOnlyList<string> Names => ["all", "none", .. MonitorRegistry.Names()];
}
