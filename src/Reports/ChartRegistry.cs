namespace SeqLab.Reports;

/// <summary>
/// Which charts an experiment's report draws, each registered with the result table it reads, in reading order. A chart is
/// drawn only where its table exists and has rows, so a monitor with its chart is the monitor, a chart builder and one line here.
/// </summary>
public static class ChartRegistry
{
    static readonly List<(string Table, Func<ExperimentResults, IEnumerable<ReportFigure?>> Build)> Entries =
    [
        ("metrics.csv", r => [ExperimentCharts.Loss(r), ExperimentCharts.GradientNorm(r)]),
        ("grad_params.csv", r => [ExperimentCharts.LayerFlow(r)]),
        ("grad_layers.csv", r => [ExperimentCharts.DepthFlow(r)]),
        ("grad_params.csv", r => [ExperimentCharts.UpdateRatios(r)]),
        ("grad_time.csv", r => [ExperimentCharts.TimeProfile(r), ExperimentCharts.TimeHeatmap(r)]),
        ("grad_hidden.csv", r => [ExperimentCharts.HiddenProfile(r), ExperimentCharts.HiddenHeatmap(r)]),
        ("spectrum.csv", r => [ExperimentCharts.Spectrum(r)]),
        ("gate_saturation.csv", r => [ExperimentCharts.GateSaturation(r)]),
        ("gates.csv", r => [ExperimentCharts.GateActivation(r)]),
        ("activations.csv", ActivationCharts.All),
        ("attention_entropy.csv", r => [ExperimentCharts.AttentionEntropy(r)]),
        ("forecast.csv", r => [ExperimentCharts.Forecast(r)]),
        ("confusion.csv", r => [ExperimentCharts.Confusion(r)]),
        ("attention.csv", ExperimentCharts.AttentionMaps),
        ("length_buckets.csv", SequenceToSequenceCharts.LengthScores),
        ("attention_alignments.csv", SequenceToSequenceCharts.Alignments),
        ("cross_attention_entropy.csv", r => [SequenceToSequenceCharts.CrossAttentionEntropy(r)]),
        ("cross_attention.csv", SequenceToSequenceCharts.CrossAttentionMaps),
    ];

    /// <summary>The charts for <paramref name="results"/>, in registration order.</summary>
    public static IReadOnlyList<ReportFigure> For(ExperimentResults results)
    {
        lock (Entries)
            return Entries.Where(entry => results.Table(entry.Table) is { Count: > 0 })
                .SelectMany(entry => entry.Build(results)).OfType<ReportFigure>().ToList();
    }

    /// <summary>Adds charts drawn from <paramref name="table"/> (a plug-in monitor's table) at the end of every report.</summary>
    public static void Register(string table, Func<ExperimentResults, IEnumerable<ReportFigure?>> build)
    {
        lock (Entries) Entries.Add((table, build));
    }
}
