namespace SeqLab.Experiments.Training;

/// <summary>One training step's scalars.</summary>
/// <param name="Step">1-based optimiser step.</param>
/// <param name="TrainLoss">Mini-batch loss before the update.</param>
/// <param name="GradNorm">Global L2 gradient norm before clipping.</param>
/// <param name="Clipped">Whether clipping rescaled the gradient on this step.</param>
/// <param name="ValidationLoss">Validation loss after the update, on evaluation steps only.</param>
/// <param name="ElapsedSeconds">Wall time since training started.</param>
public sealed record StepMetrics(int Step, double TrainLoss, double GradNorm, bool Clipped, double? ValidationLoss, double ElapsedSeconds)
{
    /// <summary>The learning rate used on this step.</summary>
    public double LearningRate { get; init; }

    /// <summary>Global L2 gradient norm after clipping (by norm and/or by value): what the optimiser actually received.</summary>
    public double ClippedGradNorm { get; init; }
}

/// <summary>
/// One parameter tensor on one logged step: its gradient (before clipping), its weight and the relative size of the update.
/// </summary>
/// <param name="Step">Training step.</param>
/// <param name="Parameter">Parameter name, e.g. <c>encoder.recurrent.weight_hh_l0</c>.</param>
/// <param name="Norm">‖g‖₂ before clipping.</param>
public sealed record ParameterGradient(int Step, string Parameter, double Norm)
{
    /// <summary>Depth of the tensor in the network (0 = input/embedding, 1…L = encoder layers, L + 1 = output); see <see cref="LayerDepth"/>.</summary>
    public int Layer { get; init; }
    /// <summary>Mean |g| over the tensor's elements.</summary>
    public double MeanAbs { get; init; }
    /// <summary>Largest |g|.</summary>
    public double MaxAbs { get; init; }
    /// <summary>‖w‖₂ before the update.</summary>
    public double WeightNorm { get; init; }
    /// <summary>‖Δw‖/‖w‖ of this step's update (≈ 1e-3 is the usual healthy order of magnitude).</summary>
    public double UpdateRatio { get; init; }
}

/// <summary>‖∂L/∂x_t‖ (mean over the batch) for one time step t (1-based) on one logged step.</summary>
public sealed record TimeGradient(int Step, int TimeStep, double Norm);

/// <summary>One evaluation: after which step, on which split (validation or test), with what result.</summary>
public sealed record EvaluationRecord(int Step, string Split, Evaluation Result);

/// <summary>Everything the trainer measured, kept in memory and written once at the end.</summary>
public sealed class TrainingLog
{
    /// <summary>One row per step.</summary>
    public List<StepMetrics> Steps { get; } = [];

    /// <summary>One row per logged step × parameter tensor.</summary>
    public List<ParameterGradient> ParameterGradients { get; } = [];

    /// <summary>One row per logged step × time step.</summary>
    public List<TimeGradient> TimeGradients { get; } = [];

    /// <summary>‖∂L/∂h_t‖ per layer, direction and time step, on each expensive-monitor step.</summary>
    public List<HiddenGradient> HiddenGradients { get; } = [];

    /// <summary>Mean gate activation per time step, on each expensive-monitor step.</summary>
    public List<GateActivation> GateActivations { get; } = [];

    /// <summary>Gate saturation fractions, on each expensive-monitor step.</summary>
    public List<GateSaturation> GateSaturations { get; } = [];

    /// <summary>Attention entropy per layer and head, on each expensive-monitor step (Transformers).</summary>
    public List<AttentionEntropy> AttentionEntropies { get; } = [];

    /// <summary>Attention weights of the monitoring batch's first sequence on the first and the latest expensive-monitor step.</summary>
    public List<AttentionWeight> AttentionMaps { get; } = [];

    /// <summary>Largest singular value and spectral radius of every recurrent gate block, on each logged step.</summary>
    public List<RecurrentSpectrum> Spectra { get; } = [];

    /// <summary>Gradient half-life in steps (see <see cref="GradientDiagnostics.HalfLife"/>) on each logged step.</summary>
    public IEnumerable<(int Step, double HalfLife)> HalfLives() =>
        TimeGradients.GroupBy(g => g.Step).Select(group => (group.Key, GradientDiagnostics.HalfLife(group.OrderBy(g => g.TimeStep).Select(g => g.Norm).ToList())));

    /// <summary>
    /// Gradient norm per depth (all tensors of a layer together: √Σ‖g‖²) on each logged step; layers 0…L + 1 as in
    /// <see cref="ParameterGradient.Layer"/>.
    /// </summary>
    public IEnumerable<(int Step, int Layer, double Norm)> LayerGradients() =>
        ParameterGradients.GroupBy(p => (p.Step, p.Layer)).OrderBy(g => g.Key.Step).ThenBy(g => g.Key.Layer)
            .Select(group => (group.Key.Step, group.Key.Layer, Math.Sqrt(group.Sum(p => p.Norm * p.Norm))));

    /// <summary>
    /// ‖g of the first encoder layer‖ / ‖g of the last encoder layer‖ on each logged step, for stacks of two or more layers:
    /// tiny values mean the gradient vanishes through depth. Empty for single-layer encoders.
    /// </summary>
    public IEnumerable<(int Step, double Ratio)> FirstToLastLayerRatios()
    {
        int encoderLayers = LayerDepth.EncoderLayers(ParameterGradients.Select(p => p.Layer)); // once, not per row
        return LayerGradients().Where(g => g.Layer >= 1 && g.Layer <= encoderLayers)
            .GroupBy(g => g.Step)
            .Where(group => group.Count() >= 2)
            .Select(group =>
            {
                double first = group.MinBy(g => g.Layer).Norm, last = group.MaxBy(g => g.Layer).Norm;
                return (group.Key, last == 0 ? double.NaN : first / last);
            });
    }

    /// <summary>
    /// Half-life in time steps of ‖∂L/∂h_t‖ of the first layer's forward direction (the recurrent path included) on each
    /// expensive-monitor step; empty for models without hidden-state monitoring.
    /// </summary>
    public IEnumerable<(int Step, double HalfLife)> HiddenHalfLives() =>
        HiddenGradients.Where(h => h.Layer == 1 && !h.Reverse).GroupBy(h => h.Step)
            .Select(group => (group.Key, GradientDiagnostics.HalfLife(group.OrderBy(h => h.TimeStep).Select(h => h.Norm).ToList())));

    /// <summary>Every evaluation: step, split (validation or test) and the loss with the task's metrics.</summary>
    public List<EvaluationRecord> Evaluations { get; } = [];

    /// <summary>
    /// ‖∂L/∂x_1‖ / ‖∂L/∂x_T‖ on each logged step: how much of the loss gradient reaches the first input
    /// compared with the last. Tiny values mean the gradient vanishes through time.
    /// </summary>
    public IEnumerable<(int Step, double Ratio)> FirstToLastRatios() =>
        TimeGradients.GroupBy(g => g.Step).Select(group =>
        {
            var first = group.MinBy(g => g.TimeStep)!;
            var last = group.MaxBy(g => g.TimeStep)!;
            return (group.Key, last.Norm == 0 ? double.NaN : first.Norm / last.Norm);
        });
}
